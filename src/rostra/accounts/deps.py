"""FastAPI dependencies that resolve the bearer token to a user."""

from __future__ import annotations

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from rostra.accounts import repository
from rostra.accounts.tokens import hash_token
from rostra.db.base import utcnow
from rostra.db.session import get_db
from rostra.errors import Forbidden, NotAuthenticated
from rostra.models import User


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _user(request: Request, db: Session) -> User | None:
    token = bearer_token(request)
    if token is None:
        return None
    return repository.user_for_token(db, hash_token(token), utcnow())


def optional_user(request: Request, db: Session = Depends(get_db)) -> User | None:
    """The signed-in reader, or None. A bad token on a public read is ignored
    rather than refused, so a stale token never hides the comments."""
    return _user(request, db)


def current_user(request: Request, db: Session = Depends(get_db)) -> User:
    user = _user(request, db)
    if user is None:
        if bearer_token(request) is None:
            raise NotAuthenticated()
        raise NotAuthenticated(
            "The sign-in token is unknown, expired or signed out. Sign in again."
        )
    return user


def admin_user(user: User = Depends(current_user)) -> User:
    if not user.is_admin:
        raise Forbidden("Only administrators may do this.")
    return user
