"""Every query of the SSO exchange: readers by their publisher's id, and the
record of tokens already exchanged."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from rostra.db.base import rowcount
from rostra.models import UsedSsoToken, User


def reader(db: Session, site_id: int, subject: str) -> User | None:
    return db.scalar(select(User).where(User.sso_site_id == site_id, User.sso_subject == subject))


def forget_dead_use(db: Session, site_id: int, jti: str, expired_before: datetime) -> None:
    """Drop the record of ``jti`` if its token expired before ``expired_before``."""
    db.execute(
        delete(UsedSsoToken).where(
            UsedSsoToken.site_id == site_id,
            UsedSsoToken.jti == jti,
            UsedSsoToken.expires_at < expired_before,
        )
    )


def was_used(db: Session, site_id: int, jti: str) -> bool:
    return db.get(UsedSsoToken, (site_id, jti)) is not None


def record_use(db: Session, site_id: int, jti: str, expires_at: datetime) -> None:
    """Flushed at once, so a concurrent exchange of the same token fails here,
    on the primary key."""
    db.add(UsedSsoToken(site_id=site_id, jti=jti, expires_at=expires_at))
    db.flush()


def delete_used_tokens(db: Session, expired_before: datetime) -> int:
    """Forget exchanged token ids whose tokens expired before ``expired_before``."""
    return rowcount(
        db.execute(
            delete(UsedSsoToken)
            .where(UsedSsoToken.expires_at < expired_before)
            .execution_options(synchronize_session=False)
        )
    )
