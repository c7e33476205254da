"""The two pages that account mails link to, for a person with a browser.

Plain HTML forms posted back here and handled on the server: no script at
all, so they work under a CSP that forbids inline script and with script off.
The forms need no CSRF token because each carries the mailed single-use
token, which a forging site cannot know; the request-a-link form changes
nothing but sends a mail the API would send to anyone anyway.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import HTMLResponse

from rostra.accounts import service
from rostra.accounts.errors import WeakPassword
from rostra.accounts.schemas import MAX_PASSWORD, MAX_TOKEN, normalise_email
from rostra.errors import BadRequest, RostraError
from rostra.http.deps import RateLimits, WriteSession
from rostra.http.pages import render
from rostra.text import check_text

pages_router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form()]
_NO_STORE = {"Cache-Control": "no-store"}  # pages carrying tokens stay out of caches


def _render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("error", None)
    return render(
        request, f"account/{name}.html", context, status_code=status_code, headers=_NO_STORE
    )


def _message(request: Request, heading: str, message: str, status_code: int = 200) -> HTMLResponse:
    return _render(request, "message", status_code, heading=heading, message=message)


def _token(value: str) -> str:
    return check_text(value, "token")[:MAX_TOKEN]


@pages_router.get("/account/verify-email", response_class=HTMLResponse)
def verify_email_page(request: Request, token: str = "") -> HTMLResponse:
    if not token:
        return _message(
            request,
            "Incomplete link",
            "This link is missing its code; open the link from the mail again.",
            400,
        )
    return _render(request, "verify_email", token=token[:MAX_TOKEN])


@pages_router.post("/account/verify-email", response_class=HTMLResponse)
def verify_email_submit(
    request: Request, db: WriteSession, limits: RateLimits, token: FormText = ""
) -> HTMLResponse:
    try:
        limits.enforce("login", "tokens:" + limits.address)
        service.verify_email(db, _token(token))
    except RostraError as exc:
        db.rollback()  # the page answers the error; nothing of it is kept
        return _message(request, "Could not confirm the address", exc.detail, exc.status)
    return _message(
        request,
        "Address confirmed",
        "Thank you. You can close this page and go back to the conversation.",
    )


@pages_router.get("/account/reset-password", response_class=HTMLResponse)
def reset_password_page(request: Request, token: str = "") -> HTMLResponse:
    if not token:
        return _render(request, "request_reset", email="")
    return _render(request, "reset_password", token=token[:MAX_TOKEN])


@pages_router.post("/account/reset-password", response_class=HTMLResponse)
def reset_password_submit(
    request: Request,
    db: WriteSession,
    limits: RateLimits,
    token: FormText = "",
    password: FormText = "",
    password_again: FormText = "",
) -> HTMLResponse:
    if password != password_again:
        return _render(
            request,
            "reset_password",
            400,
            token=token[:MAX_TOKEN],
            error="The two passwords differ.",
        )
    try:
        limits.enforce("login", "tokens:" + limits.address)
        check_text(password[: MAX_PASSWORD + 1], "password")
        if len(password) > MAX_PASSWORD:
            raise BadRequest(f"The password is longer than {MAX_PASSWORD} characters.")
        service.confirm_password_reset(db, _token(token), password)
    except RostraError as exc:
        db.rollback()  # the page answers the error; nothing of it is kept
        if isinstance(exc, WeakPassword):  # the token is still good: let them try again
            return _render(
                request, "reset_password", 422, token=token[:MAX_TOKEN], error=exc.detail
            )
        return _message(request, "Could not change the password", exc.detail, exc.status)
    return _message(
        request,
        "Password changed",
        "Your new password is saved and you are signed out everywhere. "
        "Sign in again with the new password.",
    )


@pages_router.post("/account/reset-password/request", response_class=HTMLResponse)
def request_reset_submit(
    request: Request, db: WriteSession, limits: RateLimits, email: FormText = ""
) -> HTMLResponse:
    try:
        address = normalise_email(email[:400])
        limits.enforce("mail", limits.address, f"email:{address}")
    except RostraError as exc:
        return _render(request, "request_reset", exc.status, email=email[:320], error=exc.detail)
    service.request_password_reset(db, address)
    return _message(
        request,
        "Check your mail",
        "If the address belongs to an account, a mail with a link is on its way.",
    )
