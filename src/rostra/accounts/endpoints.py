"""JSON routes for reader accounts (mounted under /api/v1 by app.py).

Each write commits before it answers; a route that enqueued mail then wakes
the job runner so the mail leaves at once rather than at the next poll.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.orm import Session

from rostra.accounts import service
from rostra.accounts.deps import bearer_token, current_user
from rostra.accounts.ratelimit import allowed, by_address, enforce
from rostra.accounts.schemas import (
    AcceptedOut,
    LoginIn,
    LoginOut,
    MeOut,
    PasswordResetConfirmIn,
    PasswordResetIn,
    RegisterIn,
    StatusOut,
    VerifyEmailIn,
)
from rostra.config import Settings
from rostra.db.session import get_db, get_read_db
from rostra.errors import NotAuthenticated
from rostra.jobs.runner import wake_runner
from rostra.models import User

router = APIRouter(tags=["accounts"])

_REGISTERED = (
    "If the address can be used, a mail is on its way to it. Follow the link "
    "in it to confirm the address."
)
_MAIL_SENT = "If the address belongs to an account, a mail is on its way to it."


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def user_agent(request: Request) -> str:
    agent = request.headers.get("user-agent", "")
    return "".join(c for c in agent if c.isprintable())[:255]


@router.post("/auth/register", status_code=202, response_model=AcceptedOut)
def register(body: RegisterIn, request: Request, db: Session = Depends(get_db)) -> AcceptedOut:
    """Create an account; always 202, so it never tells who is registered."""
    enforce(request, "register", by_address(request))
    service.register(
        db,
        _settings(request),
        body.email,
        body.password,
        body.display_name,
        may_warn=lambda email: allowed(request, "mail", f"email:{email}"),
    )
    db.commit()
    wake_runner(request.app.state)
    return AcceptedOut(detail=_REGISTERED)


@router.post("/auth/login", response_model=LoginOut)
def login(
    body: LoginIn,
    request: Request,
    db: Session = Depends(get_db),
    reading: Session = Depends(get_read_db),
) -> LoginOut:
    enforce(request, "login", by_address(request), f"email:{body.email}")
    found, new_hash = service.authenticate(reading, body.email, body.password)
    reading.rollback()
    user, token = service.sign_in(db, _settings(request), found.id, new_hash, user_agent(request))
    db.commit()
    return LoginOut(token=token, user=MeOut.model_validate(user))


@router.post("/auth/logout", status_code=204, response_class=Response)
def logout(
    request: Request, _: User = Depends(current_user), db: Session = Depends(get_db)
) -> Response:
    token = bearer_token(request)
    if token is None:  # current_user has already refused this; kept for the type checker
        raise NotAuthenticated()
    service.logout(db, token)
    db.commit()
    return Response(status_code=204)


@router.get("/me", response_model=MeOut)
def me(user: User = Depends(current_user)) -> MeOut:
    return MeOut.model_validate(user)


@router.post("/auth/verify-email", response_model=StatusOut)
def verify_email(body: VerifyEmailIn, request: Request, db: Session = Depends(get_db)) -> StatusOut:
    # Tokens are unguessable, but guessing is still an attempt worth counting.
    enforce(request, "login", "tokens:" + by_address(request))
    service.verify_email(db, body.token)
    db.commit()
    return StatusOut(status="verified")


@router.post("/auth/verify-email/resend", status_code=202, response_model=AcceptedOut)
def resend_verification(
    request: Request, user: User = Depends(current_user), db: Session = Depends(get_db)
) -> AcceptedOut:
    enforce(request, "mail", by_address(request), f"email:{user.email or user.id}")
    if service.resend_verification(db, _settings(request), user):
        db.commit()
        wake_runner(request.app.state)
        return AcceptedOut(detail="A new confirmation mail is on its way.")
    if user.email_verified:
        return AcceptedOut(detail="Your address is already confirmed.")
    return AcceptedOut(detail="This account has no email address to confirm.")


@router.post("/auth/password-reset", status_code=202, response_model=AcceptedOut)
def password_reset(
    body: PasswordResetIn, request: Request, db: Session = Depends(get_db)
) -> AcceptedOut:
    """Mail a reset link; always 202, so it never tells who is registered."""
    enforce(request, "mail", by_address(request), f"email:{body.email}")
    service.request_password_reset(db, body.email)
    db.commit()
    wake_runner(request.app.state)
    return AcceptedOut(detail=_MAIL_SENT)


@router.post("/auth/password-reset/confirm", response_model=StatusOut)
def password_reset_confirm(
    body: PasswordResetConfirmIn, request: Request, db: Session = Depends(get_db)
) -> StatusOut:
    enforce(request, "login", "tokens:" + by_address(request))
    service.confirm_password_reset(db, body.token, body.password)
    db.commit()
    return StatusOut(status="password_changed")
