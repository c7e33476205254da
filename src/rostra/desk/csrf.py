"""CSRF protection for every desk POST.

The token is an HMAC, under the server's secret key, of the browser's desk
cookie (the sign-in cookie, or before sign-in the pre-session cookie): one
token per session, which another site cannot read or compute, and which
another session's token never matches. Forms carry it in the hidden field
``csrf``; the desk's scripts send it as ``X-CSRF-Token``.

Pages plug in through ``rostra.desk.pages``: a POST route declares the
``Checked`` dependency (the signed-in moderator, CSRF checked), or for the
sign-in form calls ``check`` with the pre-session cookie.
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import Request

from rostra.desk.errors import CsrfFailed

FIELD = "csrf"
HEADER = "x-csrf-token"
MAX_TOKEN = 200


def token_for(secret_key: str, cookie: str) -> str:
    message = b"rostra-desk-csrf\x00" + cookie.encode("utf-8", "surrogatepass")
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


async def sent(request: Request) -> str:
    """The token the request carries: the header, else the form field."""
    header = request.headers.get(HEADER)
    if header:
        return header[:MAX_TOKEN]
    ctype = request.headers.get("content-type", "")
    if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(FIELD)
        if isinstance(value, str):
            return value[:MAX_TOKEN]
    return ""


async def check(request: Request, secret_key: str, cookie: str | None) -> None:
    """403 ``csrf_failed`` unless the request carries this cookie's token."""
    given = await sent(request)
    if not cookie or not given or not hmac.compare_digest(given, token_for(secret_key, cookie)):
        raise CsrfFailed()
