"""Pages that need no JavaScript: the reader's profile (``/u/{handle}``) and
the unsubscribe link of notification mail (``/mail/unsubscribe``); and the
reader's account page (``/account``), whose static script signs in with the
embed's token (same origin) and shows the Following feed.

The unsubscribe form needs no CSRF token: it carries the mailed signature,
which a forging site cannot know. A GET only asks (mail scanners follow
links); the POST, from the page's button or from a mail program's one-click
button (RFC 8058), unsubscribes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from starlette.responses import HTMLResponse

from rostra.errors import NotFound
from rostra.http.deps import RateLimits, ReadSession, SettingsDep, WriteSession
from rostra.http.pages import render
from rostra.social import mail, service

pages_router = APIRouter(include_in_schema=False)


@pages_router.get("/u/{handle}")
def profile_page(
    request: Request,
    handle: Annotated[str, Path(max_length=64)],
    db: ReadSession,
    settings: SettingsDep,
    limits: RateLimits,
) -> HTMLResponse:
    limits.enforce("read_social", limits.address)
    try:
        person = service.profile(db, settings, None, handle)
    except NotFound:
        return render(request, "social/profile.html", {"person": None}, status_code=404)
    return render(
        request,
        "social/profile.html",
        {"person": person},
        headers={"Cache-Control": "public, max-age=30"},
    )


_NO_STORE = {"Cache-Control": "no-store"}


@pages_router.get("/account")
def account_page(request: Request) -> HTMLResponse:
    """The same page for everyone: who is signed in is known to the script only."""
    return render(request, "account/home.html", {"error": None}, headers=_NO_STORE)


UserId = Annotated[int, Query(ge=1, le=2**31 - 1)]
Signature = Annotated[str, Query(max_length=64)]


@pages_router.get("/mail/unsubscribe")
def unsubscribe_page(
    request: Request, settings: SettingsDep, limits: RateLimits, u: UserId, t: Signature
) -> HTMLResponse:
    limits.enforce("login", "tokens:" + limits.address)
    valid = mail.check_unsubscribe(settings, u, t)
    return render(
        request,
        "social/unsubscribe.html",
        {"valid": valid, "done": False, "user_id": u, "token": t, "error": None},
        status_code=200 if valid else 400,
        headers=_NO_STORE,
    )


@pages_router.post("/mail/unsubscribe")
def unsubscribe(
    request: Request,
    db: WriteSession,
    settings: SettingsDep,
    limits: RateLimits,
    query_user: Annotated[str | None, Query(alias="u", max_length=12)] = None,
    query_token: Annotated[str | None, Query(alias="t", max_length=64)] = None,
    form_user: Annotated[str | None, Form(alias="u", max_length=12)] = None,
    form_token: Annotated[str | None, Form(alias="t", max_length=64)] = None,
) -> HTMLResponse:
    """The page's button sends the form; a mail program posts
    ``List-Unsubscribe=One-Click`` to the link, which holds the query."""
    limits.enforce("login", "tokens:" + limits.address)
    user_id = _int(query_user if query_user is not None else form_user)
    token = (query_token if query_token is not None else form_token) or ""
    done = user_id is not None and service.unsubscribe(db, settings, user_id, token)
    return render(
        request,
        "social/unsubscribe.html",
        {"valid": done, "done": done, "user_id": user_id, "token": token, "error": None},
        status_code=200 if done else 400,
        headers=_NO_STORE,
    )


def _int(value: object) -> int | None:
    if not isinstance(value, str) or not value.isdigit() or len(value) > 10:
        return None
    number = int(value)
    return number if 1 <= number <= 2**31 - 1 else None
