"""The desk's cookie session: who is signed in to the desk pages.

A desk sign-in is an ordinary account sign-in (an ``auth_sessions`` row,
from the accounts domain's password check), but its token travels in an
HttpOnly cookie scoped to ``/desk`` instead of a bearer header, so the
desk's pages and its event stream work as plain browser navigation.
Signing out, a password reset or a suspension ends it like any sign-in.

Before sign-in the browser holds a random "pre-session" cookie, so the
sign-in form itself carries a CSRF token (``rostra.desk.csrf``).
"""

from __future__ import annotations

import secrets

from fastapi import Request, Response

from rostra.config import Settings

COOKIE = "rostra_desk"
PRE_COOKIE = "rostra_desk_pre"
PATH = "/desk"
#: A desk sign-in lasts a working week (an account sign-in, 90 days by
#: default, is for readers on their own devices).
DAYS = 7
MAX_TOKEN = 200


def secure(settings: Settings) -> bool:
    """Cookies are Secure whenever the server is reached over https."""
    return settings.public_url.startswith("https://")


def token(request: Request) -> str | None:
    value = request.cookies.get(COOKIE, "")
    return value if 0 < len(value) <= MAX_TOKEN else None


def pre_token(request: Request) -> str | None:
    value = request.cookies.get(PRE_COOKIE, "")
    return value if 0 < len(value) <= MAX_TOKEN else None


def new_pre_token() -> str:
    return secrets.token_urlsafe(32)


def _set(response: Response, settings: Settings, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PATH,
        httponly=True,
        samesite="lax",  # a link from a mail to /desk keeps the sign-in; POSTs need CSRF
        secure=secure(settings),
    )


def remember(response: Response, settings: Settings, value: str) -> None:
    """Set the sign-in cookie, and drop the pre-session one."""
    _set(response, settings, COOKIE, value, DAYS * 86400)
    response.delete_cookie(PRE_COOKIE, path=PATH)


def remember_pre(response: Response, settings: Settings, value: str) -> None:
    _set(response, settings, PRE_COOKIE, value, 3600)


def forget(response: Response, settings: Settings) -> None:
    response.delete_cookie(COOKIE, path=PATH, secure=secure(settings), httponly=True)
