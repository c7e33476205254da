"""JSON routes for reader accounts (mounted under /api/v1 by app.py).

Writes go through the request's unit of work (``WriteSession``), which
commits before the answer is sent; a mail enqueued here wakes the job runner
after that commit, so it leaves at once rather than at the next poll.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response

from rostra.accounts import service
from rostra.accounts.schemas import (
    AcceptedOut,
    HandleOut,
    LoginIn,
    LoginOut,
    MeIn,
    MeOut,
    PasswordResetConfirmIn,
    PasswordResetIn,
    RegisterIn,
    StatusOut,
    VerifyEmailIn,
    clean_display_name,
    me_out,
)
from rostra.http.client import user_agent
from rostra.http.deps import (
    CurrentUser,
    RateLimits,
    ReadSession,
    SettingsDep,
    WriteSession,
    bearer_token,
)
from rostra.models import User

router = APIRouter(tags=["accounts"])

_REGISTERED = (
    "If the address can be used, a mail is on its way to it. Follow the link "
    "in it to confirm the address."
)
_MAIL_SENT = "If the address belongs to an account, a mail is on its way to it."


@router.post(
    "/auth/register", status_code=202, response_model=AcceptedOut, summary="Create an account"
)
def register(
    body: RegisterIn, db: WriteSession, settings: SettingsDep, limits: RateLimits
) -> AcceptedOut:
    """Create an account; always 202, so it never tells who is registered."""
    limits.enforce("register", limits.address)
    service.register(
        db,
        settings,
        body.email,
        body.password,
        body.display_name,
        may_warn=lambda email: limits.allowed("mail", f"email:{email}"),
        handle=body.handle,
    )
    return AcceptedOut(detail=_REGISTERED)


@router.post("/auth/login", response_model=LoginOut, summary="Sign in with email and password")
def login(
    body: LoginIn,
    request: Request,
    reading: ReadSession,
    db: WriteSession,
    settings: SettingsDep,
    limits: RateLimits,
) -> LoginOut:
    limits.enforce("login", limits.address, f"email:{body.email}")
    # The slow hash runs on the reading session, outside SQLite's write lock.
    found, new_hash = service.authenticate(reading, body.email, body.password)
    user, token = service.sign_in(db, settings, found.id, new_hash, user_agent(request))
    return LoginOut(token=token, user=me_out(user))


@router.post(
    "/auth/logout", status_code=204, response_class=Response, summary="Sign out this token"
)
def logout(request: Request, _: CurrentUser, db: WriteSession) -> Response:
    token = bearer_token(request)
    assert token is not None  # CurrentUser has refused a request without one
    service.logout(db, token)
    return Response(status_code=204)


@router.get("/me", response_model=MeOut, summary="The signed-in reader's account")
def me(user: CurrentUser) -> MeOut:
    return me_out(user)


@router.patch(
    "/me",
    response_model=MeOut,
    summary="Change the handle, name, privacy, notification and mail settings",
)
def update_me(body: MeIn, user: CurrentUser, db: WriteSession, limits: RateLimits) -> MeOut:
    limits.enforce("settings", f"user:{user.id}", limits.address)
    mine = db.get(User, user.id)
    assert mine is not None  # the read session has just found it
    return me_out(service.update_me(db, mine, body))


@router.get(
    "/auth/handle-suggestion",
    response_model=HandleOut,
    summary="A free @handle for a display name",
)
def handle_suggestion(
    db: ReadSession, limits: RateLimits, display_name: str = Query(max_length=400)
) -> HandleOut:
    limits.enforce("read_social", limits.address)
    return HandleOut(handle=service.suggest_handle(db, clean_display_name(display_name)))


@router.post("/auth/verify-email", response_model=StatusOut, summary="Confirm an email address")
def verify_email(body: VerifyEmailIn, db: WriteSession, limits: RateLimits) -> StatusOut:
    # Tokens are unguessable, but guessing is still an attempt worth counting.
    limits.enforce("login", "tokens:" + limits.address)
    service.verify_email(db, body.token)
    return StatusOut(status="verified")


@router.post(
    "/auth/verify-email/resend",
    status_code=202,
    response_model=AcceptedOut,
    summary="Mail a new confirmation link",
)
def resend_verification(
    user: CurrentUser, db: WriteSession, settings: SettingsDep, limits: RateLimits
) -> AcceptedOut:
    limits.enforce("mail", limits.address, f"email:{user.email or user.id}")
    if service.resend_verification(db, settings, user):
        return AcceptedOut(detail="A new confirmation mail is on its way.")
    if user.email_verified:
        return AcceptedOut(detail="Your address is already confirmed.")
    return AcceptedOut(detail="This account has no email address to confirm.")


@router.post(
    "/auth/password-reset",
    status_code=202,
    response_model=AcceptedOut,
    summary="Mail a password reset link",
)
def password_reset(body: PasswordResetIn, db: WriteSession, limits: RateLimits) -> AcceptedOut:
    """Mail a reset link; always 202, so it never tells who is registered."""
    limits.enforce("mail", limits.address, f"email:{body.email}")
    service.request_password_reset(db, body.email)
    return AcceptedOut(detail=_MAIL_SENT)


@router.post(
    "/auth/password-reset/confirm",
    response_model=StatusOut,
    summary="Set a new password with a reset link",
)
def password_reset_confirm(
    body: PasswordResetConfirmIn, db: WriteSession, limits: RateLimits
) -> StatusOut:
    limits.enforce("login", "tokens:" + limits.address)
    service.confirm_password_reset(db, body.token, body.password)
    return StatusOut(status="password_changed")
