"""The composition root: settings in, a ready ASGI app out.

Only here (and in the CLI) are the parts put together: the domains' task
modules are imported so their jobs register (``load_tasks``), the commit
hooks are wired to the caches and the job runner, the accounts domain gives
the dependencies their authenticator, and the sites domain gives the
security middleware its origin lookup. No lower layer imports a domain.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import IntegrityError

from rostra import __version__
from rostra.accounts import service as accounts
from rostra.accounts.signins import SignIns
from rostra.backends import Backends, build_backends
from rostra.backends.cache import MemoryCache
from rostra.comments.endpoints import front as comments_front
from rostra.comments.endpoints import front_signed_in as comments_front_signed_in
from rostra.comments.endpoints import front_signed_in_warm as comments_front_signed_in_warm
from rostra.comments.events import front as events_front
from rostra.comments.overlays import Overlays
from rostra.config import Settings
from rostra.db import migrate
from rostra.db.engine import make_engine
from rostra.db.session import CommitHooks, make_sessionmaker
from rostra.db.writes import make_writer
from rostra.errors import CatchUnexpected, install_error_handlers
from rostra.http.body import BodyGuard
from rostra.http.deps import AppState
from rostra.http.front import Front
from rostra.http.live import log as live_log
from rostra.http.live.hub import Hub, close_all_streams
from rostra.http.openapi import document_security
from rostra.http.pages import render
from rostra.http.security import OriginMemory, install_security
from rostra.jobs.registry import JobContext
from rostra.jobs.runner import Runner
from rostra.moderation.scorer import build_scorer
from rostra.sites import service as sites
from rostra.stories.cache import StoryPages
from rostra.stories.endpoints import front as counts_front

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
#: Answers this small go uncompressed (the stack's and the front's alike).
GZIP_MINIMUM = 512

#: The modules that register outbox handlers and housekeeping deletes.
TASK_MODULES = (
    "rostra.jobs.housekeeping",
    "rostra.jobs.tasks",
    "rostra.accounts.tasks",
    "rostra.comments.tasks",
    "rostra.sso.tasks",
    "rostra.http.live.log",
    "rostra.stories.tasks",
    "rostra.social.tasks",
    "rostra.desk.tasks",
)

API_DESCRIPTION = """Rostra's public JSON API, used by the embed, the moderation desk and
third parties alike. Errors always have the shape
`{"error": code, "detail": sentence, "field"?: name}`.
Signed-in calls send `Authorization: Bearer TOKEN` from `POST /api/v1/auth/login`."""


def load_tasks() -> None:
    """Register every domain's jobs (importing a task module registers them)."""
    for name in TASK_MODULES:
        importlib.import_module(name)


def build_state(settings: Settings, backends: Backends | None = None) -> AppState:
    """The engine, sessions, backends and commit hooks of one process: what
    the web app and ``rostra worker`` share."""
    load_tasks()
    engine = make_engine(settings.database_url)
    backends = backends or build_backends(settings)
    hooks = CommitHooks()
    pages = StoryPages(backends.cache)
    hooks.on("story", pages.retire)
    hooks.on("story-made", pages.new_stories)
    hooks.on("site", pages.new_stories)
    signins = SignIns(backends.cache)
    hooks.on("account", signins.forget)
    overlays = Overlays(backends.cache)
    # A reader's overlay shows their name and whom they block; each story's
    # part of it moves with the story's generation (``pages.retire``).
    hooks.on("account", overlays.forget)
    hooks.on("reader", overlays.forget)
    read_sessions = make_sessionmaker(engine, write=False)

    def fetch(channel: str, after: int, limit: int) -> list[live_log.Event] | None:
        with read_sessions() as db:
            return live_log.after(db, channel, after, limit)

    def last_seq(channel: str) -> int:
        with read_sessions() as db:
            return live_log.last_seq(db, channel)

    hub = Hub(backends.broker, fetch, last_seq, max_per_address=settings.max_streams_per_address)

    def broadcast(events: set[live_log.Event]) -> None:
        # This process's streams first, from the event itself; the others
        # through the bus (this hub drops its own copy when it comes back).
        for event in sorted(events, key=lambda e: (e.channel, e.seq)):
            hub.deliver(event)
            backends.broker.publish(event.message())

    hooks.on("live", broadcast)
    write_sessions = make_sessionmaker(engine, hooks=hooks)
    return AppState(
        settings=settings,
        engine=engine,
        write_sessions=write_sessions,
        read_sessions=read_sessions,
        hooks=hooks,
        writer=make_writer(engine, write_sessions, hooks),
        backends=backends,
        templates=Jinja2Templates(directory=str(HERE / "templates")),
        authenticate=accounts.user_for_token,
        authenticate_reader=signins.user_for_token,
        hub=hub,
    )


def job_context(state: AppState) -> JobContext:
    return JobContext(state.settings, state.backends, state.write_sessions)


def make_runner(state: AppState) -> Runner:
    """A job runner on the state's sessions; a commit that enqueues wakes it."""
    runner = Runner(state.write_sessions, job_context(state), state.settings.job_poll_seconds)
    state.hooks.on("outbox", lambda _: runner.wake())
    return runner


def create_app(
    settings: Settings, *, migrate_on_start: bool = True, run_jobs: bool | None = None
) -> FastAPI:
    state = build_state(settings)
    if run_jobs is None:
        run_jobs = settings.run_jobs_in_process

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if migrate_on_start:
            migrate.upgrade(state.engine)
        if settings.demo:
            _ensure_demo_site(state)
        if settings.moderation_pipeline:
            # The toxicity model loads once per process, here, rather than
            # inside the first post (several seconds on a loaded machine).
            await asyncio.to_thread(build_scorer, settings.toxicity_scorer)
        if run_jobs:
            state.runner = make_runner(state)
            state.runner.start()
        await state.hub.start()
        restore = _end_streams_on_exit()
        try:
            yield
        finally:
            restore()
            await state.hub.stop()
            if state.runner is not None:
                state.runner.stop()
            state.writer.close()
            state.engine.dispose()

    app = FastAPI(
        title="Rostra",
        version=__version__,
        description=API_DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served below from packaged assets, not a CDN
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.rostra = state

    install_error_handlers(app)
    _include_routers(app)
    document_security(app)
    _api_docs(app)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    origins = OriginMemory(lambda: _configured_origins(state))
    state.hooks.on("site", origins.forget)
    pages = StoryPages(state.backends.cache)
    fronted = {"/api/v1/comments": comments_front(pages)}
    kept = {"/api/v1/counts": counts_front(pages)}
    reader = state.authenticate_reader or state.authenticate
    signed_in = {
        "/api/v1/comments": comments_front_signed_in(pages, state.read_sessions, settings, reader)
    }
    signed_in_warm = {"/api/v1/comments": comments_front_signed_in_warm(pages)}
    in_thread = not isinstance(state.backends.cache, MemoryCache)
    streams = {"/api/v1/events": events_front(state)}
    # Innermost, the unexpected error's 500; then BodyGuard; then the
    # security and CORS headers, so every answer (BodyGuard's refusals
    # included) carries them; then compression of all of it.
    app.add_middleware(CatchUnexpected)
    app.add_middleware(BodyGuard, max_bytes=settings.max_request_bytes)
    policy = install_security(app, settings.public_url, origins)
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM)
    # Outermost, the lean front: its warm hits skip every layer above, and it
    # adds what they would (the same policy's headers, the same compression).
    app.add_middleware(
        Front,
        routes=fronted,
        kept=kept,
        in_thread=in_thread,
        signed_in=signed_in,
        signed_in_warm=signed_in_warm,
        streams=streams,
        security=policy,
        gzip_minimum=GZIP_MINIMUM,
    )
    return app


def _end_streams_on_exit() -> Callable[[], None]:
    """End the live streams as soon as the server is told to stop.

    A server waits for open responses before it shuts the app down, and a
    live stream never ends by itself; so the signal that stops the server
    first ends the streams (their clients reconnect, to another process if
    there is one, and resume), then goes on to the server's own handler.
    Only possible in the main thread; elsewhere (tests) nothing is changed.
    """
    previous: dict[int, Any] = {}

    def handler(sig: int, frame: FrameType | None) -> None:
        close_all_streams()
        chained = previous.get(sig)
        if callable(chained):
            chained(sig, frame)

    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, handler)
    except ValueError:  # not the main thread
        return lambda: None

    def restore() -> None:
        for sig, old in previous.items():
            if signal.getsignal(sig) is handler:
                signal.signal(sig, old)

    return restore


def _configured_origins(state: AppState) -> set[str]:
    with state.read_sessions() as db:
        return sites.all_origins(db)


def _ensure_demo_site(state: AppState) -> None:
    from rostra.demo.setup import ensure_demo_site

    with state.write_sessions() as db:
        try:
            ensure_demo_site(db, state.settings)
            db.commit()
        except IntegrityError:  # another worker process made it first
            db.rollback()


def _api_docs(app: FastAPI) -> None:
    """Swagger UI at /docs from the assets the fastapi-offline package ships,
    so the docs work without the internet and under the strict CSP."""
    import fastapi_offline

    assets = Path(fastapi_offline.__file__).parent / "static"
    app.mount("/static/apidocs-assets", StaticFiles(directory=str(assets)), name="apidocs")

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> Response:
        return render(request, "api_docs.html", {"assets": "/static/apidocs-assets"})


def _include_routers(app: FastAPI) -> None:
    from rostra.accounts.endpoints import router as accounts_api
    from rostra.accounts.pages import pages_router as account_pages
    from rostra.comments.endpoints import router as comments
    from rostra.comments.events import router as comment_events
    from rostra.demo.endpoints import router as demo
    from rostra.desk.endpoints import router as moderation
    from rostra.desk.pages import install as install_desk
    from rostra.embed.endpoints import router as embed
    from rostra.social.endpoints import router as social
    from rostra.social.pages import pages_router as social_pages
    from rostra.sso.endpoints import router as sso
    from rostra.stories.endpoints import router as stories

    for router in (accounts_api, sso, comments, comment_events, stories, social, moderation):
        app.include_router(router, prefix="/api/v1")
    app.include_router(account_pages)
    app.include_router(social_pages)
    app.include_router(embed)
    app.include_router(demo)
    install_desk(app)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}
