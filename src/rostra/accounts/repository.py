"""Every query the accounts service makes, and the deletes of sign-in rows
that have served their purpose (run by ``rostra.jobs.housekeeping``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from rostra.db.base import rowcount, utcnow
from rostra.models import AuthSession, Comment, EmailToken, User


def local_user_by_email(db: Session, email: str) -> User | None:
    """The local (non-SSO) account that owns ``email`` (already normalised)."""
    return db.scalar(select(User).where(User.email == email, User.sso_site_id.is_(None)))


def user_by_handle(db: Session, handle: str) -> User | None:
    return db.scalar(select(User).where(User.handle == handle))


def handles_of(db: Session, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = db.execute(select(User.id, User.handle).where(User.id.in_(user_ids)))
    return {user_id: handle for user_id, handle in rows}


def user_for_token(db: Session, token_hash: str, now: datetime) -> User | None:
    """The user of a live (not revoked, not expired) session, in one query."""
    return db.scalar(
        select(User)
        .join(AuthSession, AuthSession.user_id == User.id)
        .where(
            AuthSession.token_hash == token_hash,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > now,
        )
    )


def user_and_expiry_for_token(
    db: Session, token_hash: str, now: datetime
) -> tuple[User, datetime] | None:
    """``user_for_token`` and when the session expires, in one query."""
    row = db.execute(
        select(User, AuthSession.expires_at)
        .join(AuthSession, AuthSession.user_id == User.id)
        .where(
            AuthSession.token_hash == token_hash,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > now,
        )
    ).first()
    return None if row is None else (row[0], row[1])


def add_session(
    db: Session, user: User, token_hash: str, expires_at: datetime, user_agent: str
) -> AuthSession:
    session = AuthSession(
        user_id=user.id, token_hash=token_hash, expires_at=expires_at, user_agent=user_agent
    )
    db.add(session)
    return session


def revoke_session(db: Session, token_hash: str) -> int | None:
    """Revoke a live session; the id of its user, or None if none was live."""
    return db.scalar(
        update(AuthSession)
        .where(AuthSession.token_hash == token_hash, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .returning(AuthSession.user_id)
    )


def revoke_all_sessions(db: Session, user_id: int) -> None:
    db.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def add_email_token(
    db: Session, user: User, purpose: str, token_hash: str, expires_at: datetime
) -> EmailToken:
    row = EmailToken(user_id=user.id, purpose=purpose, token_hash=token_hash, expires_at=expires_at)
    db.add(row)
    return row


def use_email_token(db: Session, token_hash: str, purpose: str) -> int | None:
    """Mark a live token used and return its user id, or None.

    The conditional UPDATE is the single-use guarantee: of two concurrent
    requests with one token, only one sees a changed row.
    """
    now = utcnow()
    live = (
        EmailToken.token_hash == token_hash,
        EmailToken.purpose == purpose,
        EmailToken.used_at.is_(None),
        EmailToken.expires_at > now,
    )
    user_id = db.scalar(select(EmailToken.user_id).where(*live))
    if user_id is None:
        return None
    done = db.execute(update(EmailToken).where(*live).values(used_at=now))
    return user_id if rowcount(done) == 1 else None


def use_all_email_tokens(db: Session, user_id: int, purpose: str) -> None:
    """Spend every outstanding token of one purpose (after a reset, older links die)."""
    db.execute(
        update(EmailToken)
        .where(
            EmailToken.user_id == user_id,
            EmailToken.purpose == purpose,
            EmailToken.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )


def delete_ended_sessions(db: Session, ended_before: datetime) -> int:
    """Delete sign-ins that expired or were revoked before ``ended_before``."""
    return rowcount(
        db.execute(
            delete(AuthSession)
            .where(
                or_(AuthSession.expires_at < ended_before, AuthSession.revoked_at < ended_before)
            )
            .execution_options(synchronize_session=False)
        )
    )


def delete_expired_email_tokens(db: Session, expired_before: datetime) -> int:
    """Delete mail tokens, used or not, that expired before ``expired_before``."""
    return rowcount(
        db.execute(
            delete(EmailToken)
            .where(EmailToken.expires_at < expired_before)
            .execution_options(synchronize_session=False)
        )
    )


def stories_commented_on(db: Session, user_id: int) -> list[int]:
    """The ids of the stories that show a comment of the user (their name
    and handle are on those stories' cached pages)."""
    query = select(Comment.story_id).where(Comment.author_id == user_id).distinct()
    return list(db.scalars(query))
