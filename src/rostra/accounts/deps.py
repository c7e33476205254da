"""FastAPI dependencies that resolve the bearer token to a user."""

from __future__ import annotations

from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from rostra.accounts.tokens import hash_token
from rostra.db.base import utcnow
from rostra.db.session import get_db
from rostra.errors import Forbidden, NotAuthenticated
from rostra.models import AuthSession, User


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def session_for_token(db: Session, token: str) -> AuthSession | None:
    return db.scalar(
        select(AuthSession).where(
            AuthSession.token_hash == hash_token(token),
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > utcnow(),
        )
    )


def optional_user(request: Request, db: Session = Depends(get_db)) -> User | None:
    """The signed-in reader, or None. A bad token on a public read is ignored
    rather than refused, so a stale token never hides the comments."""
    token = bearer_token(request)
    if token is None:
        return None
    session = session_for_token(db, token)
    if session is None:
        return None
    return db.get(User, session.user_id)


def current_user(request: Request, db: Session = Depends(get_db)) -> User:
    token = bearer_token(request)
    if token is None:
        raise NotAuthenticated()
    session = session_for_token(db, token)
    if session is None:
        raise NotAuthenticated("The sign-in token is unknown, expired or signed out. "
                               "Sign in again.")
    user = db.get(User, session.user_id)
    if user is None:
        raise NotAuthenticated()
    return user


def admin_user(user: User = Depends(current_user)) -> User:
    if not user.is_admin:
        raise Forbidden("Only administrators may do this.")
    return user
