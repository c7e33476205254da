"""The application's state, typed, and the dependencies endpoints declare.

``create_app`` builds one :class:`AppState`; endpoints and pages reach it,
and what is made from it per request, through the ``Annotated`` aliases
below (``SettingsDep``, ``ReadSession``, ``WriteSession``, ``CurrentUser``…),
never through ``request.app.state`` directly.

``WriteSession`` is the request's unit of work: it commits when the endpoint
returns, before the response is sent (``scope="function"``), so a 201 means
the row is durable; it rolls back when the endpoint raises. The callbacks
that services registered run after that commit (``rostra.db.session``).
Endpoints never commit.

The signed-in reader is found on the *read* session: a request refused for
its input or its rate limit never takes SQLite's write lock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import anyio.to_thread
from fastapi import Depends, FastAPI, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from rostra.backends import Backends
from rostra.config import Settings
from rostra.db.session import CommitHooks
from rostra.db.writes import Writer
from rostra.errors import Forbidden, NotAuthenticated, UnknownToken
from rostra.http.client import client_address
from rostra.http.live.hub import Hub
from rostra.http.ratelimit import Limits
from rostra.models import User

if TYPE_CHECKING:
    from rostra.jobs.runner import Runner

#: Finds the user of a bearer token (given as sent) on a session; the
#: accounts domain provides it (``rostra.app`` wires it in).
Authenticator = Callable[[Session, str], User | None]


@dataclass
class AppState:
    settings: Settings
    engine: Engine
    write_sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]
    hooks: CommitHooks
    #: Commits units of work for requests (group commit on SQLite).
    writer: Writer
    backends: Backends
    templates: Jinja2Templates
    authenticate: Authenticator
    #: This process's live hub (started with the app).
    hub: Hub
    #: The in-process job runner, when this process runs jobs.
    runner: Runner | None = None


def state_of(app: FastAPI) -> AppState:
    state = app.state.rostra
    if not isinstance(state, AppState):  # pragma: no cover - a wiring bug
        raise TypeError("the app was not made by rostra.app.create_app")
    return state


def app_state(request: Request) -> AppState:
    return state_of(request.app)


async def settings(request: Request) -> Settings:
    return app_state(request).settings


async def read_session(request: Request) -> AsyncIterator[Session]:
    db = app_state(request).read_sessions()
    try:
        yield db
    finally:
        await _close(db)


async def write_session(request: Request) -> AsyncIterator[Session]:
    """The request's unit of work (see the module's docstring).

    Async on purpose: FastAPI would run a plain generator's set-up and
    tear-down each in the thread pool; making a session does no I/O, so only
    the commit or rollback go to a thread, and only when a transaction began.
    """
    db = app_state(request).write_sessions()
    try:
        yield db
    except BaseException:
        await _close(db)
        raise
    if db.in_transaction():
        await anyio.to_thread.run_sync(_commit, db)
    else:
        db.close()


def _commit(db: Session) -> None:
    try:
        db.commit()
    finally:
        db.close()


async def _close(db: Session) -> None:
    if db.in_transaction():
        await anyio.to_thread.run_sync(_end, db)
    else:
        db.close()


def _end(db: Session) -> None:
    db.rollback()
    db.close()


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


#: Declares the bearer token in /openapi.json (so /docs has an Authorize
#: button); it refuses nothing itself: ``current_user`` sends Rostra's own
#: 401 with ``WWW-Authenticate``. The scopes are markers, not OAuth scopes:
#: ``rostra.http.openapi`` reads them to tell operations that need a token
#: (``REQUIRED``) from those that use one if sent, and removes them.
BEARER = HTTPBearer(
    scheme_name="bearer",
    description="A sign-in token from `POST /api/v1/auth/login` or `POST /api/v1/auth/sso`.",
    auto_error=False,
)
OPTIONAL, REQUIRED = "rostra:token-optional", "rostra:token-required"
BearerDoc = Annotated[HTTPAuthorizationCredentials | None, Security(BEARER, scopes=[OPTIONAL])]


async def optional_user(request: Request, db: ReadSession, _: BearerDoc) -> User | None:
    """The signed-in reader, or None. A bad token on a public read is ignored
    rather than refused, so a stale token never hides the comments.

    Async, so an anonymous request (no token) costs no thread hop."""
    token = bearer_token(request)
    if token is None:
        return None
    return await anyio.to_thread.run_sync(app_state(request).authenticate, db, token)


async def current_user(
    request: Request,
    user: Annotated[User | None, Security(optional_user, scopes=[REQUIRED])],
) -> User:
    if user is None:
        raise NotAuthenticated() if bearer_token(request) is None else UnknownToken()
    return user


async def admin_user(user: CurrentUser) -> User:
    if not user.is_admin:
        raise Forbidden("Only administrators may do this.")
    return user


async def limits(request: Request) -> Limits:
    state = app_state(request)
    return Limits(
        state.settings, state.backends.ratelimiter, client_address(request, state.settings)
    )


async def writer(request: Request) -> Writer:
    return app_state(request).writer


StateDep = Annotated[AppState, Depends(app_state)]
#: Commits a request's unit of work (``rostra.db.writes``): for the hot
#: writes, where SQLite commits concurrent requests together.
Writes = Annotated[Writer, Depends(writer)]
SettingsDep = Annotated[Settings, Depends(settings)]
ReadSession = Annotated[Session, Depends(read_session, scope="function")]
WriteSession = Annotated[Session, Depends(write_session, scope="function")]
OptionalUser = Annotated[User | None, Depends(optional_user)]
CurrentUser = Annotated[User, Depends(current_user)]
AdminUser = Annotated[User, Depends(admin_user)]
RateLimits = Annotated[Limits, Depends(limits)]
