"""The desk's base: its router, its cookie session, sign-in and sign-out,
and what every desk page is given.

How a page plugs in (the queues in ``rostra.desk.queue_pages`` do exactly this):

- Make ``router = APIRouter(prefix="/desk", include_in_schema=False)`` in your
  module and add the module to ``ROUTERS`` below (``install`` includes them).
- A GET page declares ``desk: DeskDep``: the signed-in moderator and the sites
  they moderate (``desk.user``, ``desk.sites``, ``desk.site_ids`` — None for
  the operator's administrators, who moderate every site). An anonymous
  visitor is sent to the sign-in page, a reader without a role gets the 403
  "not a moderator" page; your handler never sees either.
- A POST route declares ``desk: CheckedDesk`` instead: the same, and the CSRF
  token checked first (403 ``csrf_failed``). Every desk POST must: a test
  (``tests/desk/test_desk_csrf_pages.py``) posts to every ``/desk`` POST route
  without a token, with a wrong one and with another session's one.
- Render with ``desk.render("desk/yours.html", active="settings", **context)``.
  Templates extend ``desk/base.html`` and fill ``{% block title %}``,
  ``{% block content %}`` and, for a page's own script, ``{% block scripts %}``
  (a ``<script type="module" src="{{ static('desk/yours.js') }}">``: no inline
  script or style). Every form includes ``{{ csrf_field }}``; a script reads the
  token from ``<meta name="csrf-token">`` and sends it as ``X-CSRF-Token``.
- An action answers ``desk.done(back)`` (303 back to the page, or JSON for a
  script asking ``Accept: application/json``) and lets a ``RostraError``
  propagate: ``install`` turns it into a desk page (or JSON) with its status,
  and the unit of work rolls back.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

import anyio.to_thread
from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import HTMLResponse, RedirectResponse, Response

from rostra.accounts import service as accounts
from rostra.accounts.errors import InvalidCredentials
from rostra.accounts.schemas import MAX_PASSWORD, normalise_email
from rostra.desk import csrf, session
from rostra.desk.errors import DeskSignInRequired
from rostra.errors import MethodNotAllowed, NotFound, RostraError, validation_error
from rostra.http.client import user_agent
from rostra.http.deps import RateLimits, ReadSession, SettingsDep, WriteSession, app_state
from rostra.http.pages import render
from rostra.models import Site, User
from rostra.moderation import service as moderation
from rostra.moderation.errors import NotModerator
from rostra.sites import service as sites

router = APIRouter(prefix="/desk", include_in_schema=False)
FormText = Annotated[str, Form()]
NO_STORE = {"Cache-Control": "no-store"}
#: The navigation, in order: (key, label, path).
NAV = (
    ("queues", "Queues", "/desk"),
    ("stories", "Stories", "/desk/stories"),
    ("settings", "Settings", "/desk/settings"),
    ("roles", "Roles", "/desk/roles"),
    ("audit", "Audit", "/desk/audit"),
    ("dashboard", "Dashboard", "/desk/dashboard"),
)


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@dataclass
class Desk:
    """A desk request's signed-in moderator and what a page needs of them."""

    request: Request
    user: User
    #: The sites they moderate; ``site_ids`` None: every site (operator's admin).
    sites: list[Site]
    site_ids: list[int] | None
    csrf: str

    def site(self, name: str | None) -> Site | None:
        """The moderated site of that name (None for none given); 404 otherwise."""
        if not name:
            return None
        for site in self.sites:
            if site.name == name:
                return site
        raise NotFound("You moderate no site of that name.", field="site")

    def render(
        self, name: str, active: str = "", status_code: int = 200, **context: Any
    ) -> Response:
        return page(self.request, name, status_code, desk=self, active=active, **context)

    def done(self, back: str, **data: Any) -> Response:
        if wants_json(self.request):
            return JSONResponse({"ok": True, **data})
        return RedirectResponse(safe_next(back), status_code=303)


def safe_next(value: str | None) -> str:
    """A path on the desk to go back to; anything else is the desk's home."""
    if value and value.startswith("/desk") and "//" not in value and "\\" not in value:
        return value[:2000]
    return "/desk"


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    desk: Desk | None = context.get("desk")
    token = desk.csrf if desk is not None else context.pop("csrf", "")
    context.setdefault("desk", None)
    context.setdefault("active", "")
    context.setdefault("error", None)
    context["nav"] = NAV
    context["csrf"] = token
    context["csrf_field"] = Markup('<input type="hidden" name="csrf" value="{}">').format(token)
    return render(request, name, context, status_code=status_code, headers=NO_STORE)


class Refusal(Exception):
    """Raised by the desk's dependencies: answer this instead of the page."""

    def __init__(self, response: Response) -> None:
        self.response = response


def refusal(request: Request, exc: RostraError, heading: str = "") -> Response:
    if wants_json(request):
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)
    desk: Desk | None = getattr(request.state, "desk", None)
    return page(
        request,
        "desk/message.html",
        exc.status,
        desk=desk,
        heading=heading or _HEADINGS.get(exc.status, "That did not work"),
        message=exc.detail,
        code=exc.code,
        back=request.headers.get("referer") if desk else None,
    )


_HEADINGS = {
    401: "Sign in first",
    403: "Not allowed",
    404: "Not found",
    409: "Already decided",
    422: "Check the form",
    429: "Too many attempts",
}


# --- who is signed in --------------------------------------------------------


def _signed_in(request: Request, db: Session) -> User | None:
    value = session.token(request)
    if value is None:
        return None
    user = app_state(request).authenticate(db, value)
    if user is None or user.is_suspended:
        return None
    return user


def _desk_of(request: Request, db: Session, user: User) -> Desk:
    site_ids = moderation.moderated_sites(db, user)
    if site_ids is None:
        found = sites.all_sites(db)
    else:
        found = [s for s in (sites.by_id(db, i) for i in site_ids) if s is not None]
    # Detached with what they hold, so that a page rendered after the
    # request's sessions ended (an error page) can still show them.
    for row in (user, *found):
        if row in db:
            db.expunge(row)
    value = session.token(request) or ""
    token = csrf.token_for(app_state(request).settings.secret_key, value)
    desk = Desk(request, user, sorted(found, key=lambda s: s.name), site_ids, token)
    request.state.desk = desk
    return desk


def _to_sign_in(request: Request) -> Refusal:
    if request.method != "GET" or wants_json(request):
        return Refusal(refusal(request, DeskSignInRequired()))
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Refusal(RedirectResponse(f"/desk/signin?next={quote(target, safe='')}", status_code=303))


def _not_moderator(request: Request, db: Session, user: User) -> Refusal:
    desk = _desk_of(request, db, user)
    if wants_json(request):
        return Refusal(refusal(request, NotModerator()))
    return Refusal(
        page(
            request, "desk/not_moderator.html", 403, desk=desk, hide_nav=True,
        )
    )  # fmt: skip


def _moderator(request: Request, db: Session) -> Desk:
    def work() -> Desk:
        user = _signed_in(request, db)
        if user is None:
            raise _to_sign_in(request)
        if not moderation.is_moderator_anywhere(db, user):
            raise _not_moderator(request, db, user)
        return _desk_of(request, db, user)

    return work()


async def desk_user(request: Request, db: ReadSession) -> Desk:
    return await anyio.to_thread.run_sync(_moderator, request, db)


async def checked_desk(request: Request, db: ReadSession) -> Desk:
    """For POSTs: signed in (401 otherwise, never a redirect), then CSRF."""
    user = await anyio.to_thread.run_sync(_signed_in, request, db)
    if user is None:
        raise Refusal(refusal(request, DeskSignInRequired()))
    try:
        await csrf.check(request, app_state(request).settings.secret_key, session.token(request))
    except RostraError as exc:
        raise Refusal(refusal(request, exc)) from None
    if not await anyio.to_thread.run_sync(moderation.is_moderator_anywhere, db, user):
        raise Refusal(refusal(request, NotModerator()))
    return await anyio.to_thread.run_sync(_desk_of, request, db, user)


async def signed_in_checked(request: Request, db: ReadSession) -> User | None:
    """For sign-out: whoever is signed in, moderator or not; CSRF checked."""
    try:
        await csrf.check(request, app_state(request).settings.secret_key, session.token(request))
    except RostraError as exc:
        raise Refusal(refusal(request, exc)) from None
    return await anyio.to_thread.run_sync(_signed_in, request, db)


DeskDep = Annotated[Desk, Depends(desk_user)]
CheckedDesk = Annotated[Desk, Depends(checked_desk)]


# --- sign-in and sign-out -----------------------------------------------------


def _sign_in_page(
    request: Request, settings: Any, next_path: str, status_code: int = 200, **context: Any
) -> Response:
    pre = session.pre_token(request) or session.new_pre_token()
    token = csrf.token_for(settings.secret_key, pre)
    context.setdefault("email", "")
    response = page(
        request, "desk/signin.html", status_code, csrf=token, next=safe_next(next_path), **context
    )
    if session.pre_token(request) != pre:
        session.remember_pre(response, settings, pre)
    return response


@router.get("/signin", response_class=HTMLResponse)
def sign_in_page(
    request: Request, db: ReadSession, settings: SettingsDep, next: str = "/desk"
) -> Response:
    user = _signed_in(request, db)
    if user is not None and moderation.is_moderator_anywhere(db, user):
        return RedirectResponse(safe_next(next), status_code=303)
    return _sign_in_page(request, settings, next)


@router.post("/signin", response_class=HTMLResponse)
async def sign_in_submit(
    request: Request,
    reading: ReadSession,
    db: WriteSession,
    settings: SettingsDep,
    limits: RateLimits,
    email: FormText = "",
    password: FormText = "",
    next: FormText = "/desk",
) -> Response:
    try:
        await csrf.check(request, settings.secret_key, session.pre_token(request))
    except RostraError as exc:
        return refusal(request, exc)
    try:
        address = normalise_email(email[:400])
        limits.enforce("login", limits.address, f"email:{address}")
        if len(password) > MAX_PASSWORD:
            raise InvalidCredentials()
        # The slow hash runs on the reading session, outside SQLite's write lock.
        found, new_hash = await anyio.to_thread.run_sync(
            accounts.authenticate, reading, address, password
        )
        agent = "desk: " + user_agent(request)
        desk_settings = settings.model_copy(update={"session_days": session.DAYS})
        _, token = await anyio.to_thread.run_sync(
            accounts.sign_in, db, desk_settings, found.id, new_hash, agent
        )
    except RostraError as exc:
        return _sign_in_page(
            request, settings, next, exc.status, email=email[:320], error=exc.detail
        )
    response = RedirectResponse(safe_next(next), status_code=303)
    session.remember(response, settings, token)
    return response


@router.post("/signout", response_class=HTMLResponse)
def sign_out(
    request: Request,
    db: WriteSession,
    settings: SettingsDep,
    user: Annotated[User | None, Depends(signed_in_checked)],
) -> Response:
    value = session.token(request)
    if user is not None and value is not None:
        accounts.logout(db, value)
    response = RedirectResponse("/desk/signin", status_code=303)
    session.forget(response, settings)
    return response


# --- wiring ------------------------------------------------------------------


def _routers() -> list[APIRouter]:
    from rostra.desk import actions, admin_pages, events, queue_pages, report_pages

    return [
        router, queue_pages.router, actions.router, events.router, admin_pages.router,
        report_pages.router,
    ]  # fmt: skip


def install(app: FastAPI) -> None:
    """Include every desk page, and answer the desk's refusals as pages."""
    for each in _routers():
        app.include_router(each)

    @app.exception_handler(Refusal)
    async def _refused(_: Request, exc: Refusal) -> Response:
        return exc.response

    # On the desk's pages an error is a page (JSON for scripts); elsewhere
    # the handlers stay as rostra.errors installed them.
    api_error = app.exception_handlers[RostraError]
    api_invalid = app.exception_handlers[RequestValidationError]

    async def _elsewhere(handler: Any, request: Request, exc: Exception) -> Response:
        answer = handler(request, exc)
        out: Response = await answer if inspect.isawaitable(answer) else answer
        return out

    async def _error(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith("/desk") and isinstance(exc, RostraError):
            return refusal(request, exc)
        return await _elsewhere(api_error, request, exc)

    async def _invalid(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith("/desk") and isinstance(exc, RequestValidationError):
            return refusal(request, validation_error(exc))
        return await _elsewhere(api_invalid, request, exc)

    api_http = app.exception_handlers[StarletteHTTPException]

    async def _http(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith("/desk") and isinstance(exc, StarletteHTTPException):
            known = {404: NotFound, 405: MethodNotAllowed}.get(exc.status_code)
            if known is not None:
                return refusal(request, known())
        return await _elsewhere(api_http, request, exc)

    app.exception_handlers[RostraError] = _error
    app.exception_handlers[RequestValidationError] = _invalid
    app.exception_handlers[StarletteHTTPException] = _http
