"""The application factory: settings in, a ready ASGI app out."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import IntegrityError

from rostra import __version__
from rostra.backends import build_backends
from rostra.config import Settings
from rostra.db import migrate
from rostra.db.engine import make_engine
from rostra.db.session import make_sessionmaker
from rostra.errors import CatchUnexpected, install_error_handlers
from rostra.http.body import BodyGuard
from rostra.http.security import install_security
from rostra.jobs.runner import JobContext, Runner

log = logging.getLogger(__name__)
HERE = Path(__file__).parent

API_DESCRIPTION = """Rostra's public JSON API, used by the embed, the moderation desk and
third parties alike. Errors always have the shape
`{"error": code, "detail": sentence, "field"?: name}`.
Signed-in calls send `Authorization: Bearer TOKEN` from `POST /api/v1/auth/login`."""


def create_app(
    settings: Settings, *, migrate_on_start: bool = True, run_jobs: bool | None = None
) -> FastAPI:
    engine = make_engine(settings.database_url)
    factory = make_sessionmaker(engine)
    read_factory = make_sessionmaker(engine, write=False)
    backends = build_backends(settings)
    if run_jobs is None:
        run_jobs = settings.run_jobs_in_process

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if migrate_on_start:
            migrate.upgrade(engine)
        if settings.demo:
            from rostra.demo.setup import ensure_demo_site

            with factory() as db:
                try:
                    ensure_demo_site(db, settings)
                    db.commit()
                except IntegrityError:  # another worker process made it first
                    db.rollback()
        runner = Runner(factory, JobContext(settings, backends), settings.job_poll_seconds)
        if run_jobs:
            runner.start()
            app.state.runner = runner
        try:
            yield
        finally:
            if run_jobs:
                runner.stop()
            engine.dispose()

    app = FastAPI(
        title="Rostra",
        version=__version__,
        description=API_DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served below from packaged assets, not a CDN
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = factory
    app.state.read_sessionmaker = read_factory
    app.state.backends = backends
    app.state.runner = None
    app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))

    install_error_handlers(app)
    _include_routers(app)
    _api_docs(app)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    # Added last, so outermost: every answer, BodyGuard's refusals included,
    # carries the security and CORS headers, and all of it is compressed.
    app.add_middleware(CatchUnexpected)
    app.add_middleware(BodyGuard, max_bytes=settings.max_request_bytes)
    install_security(app, settings)
    app.add_middleware(GZipMiddleware, minimum_size=512)
    return app


def _api_docs(app: FastAPI) -> None:
    """Swagger UI at /docs from the assets the fastapi-offline package ships,
    so the docs work without the internet and under the strict CSP."""
    import fastapi_offline

    assets = Path(fastapi_offline.__file__).parent / "static"
    app.mount("/static/apidocs-assets", StaticFiles(directory=str(assets)), name="apidocs")

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> Response:
        return app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
            request, "api_docs.html", {"assets": "/static/apidocs-assets"}
        )


def _include_routers(app: FastAPI) -> None:
    from rostra.accounts.endpoints import router as accounts
    from rostra.accounts.pages import pages_router as account_pages
    from rostra.comments.endpoints import router as comments
    from rostra.demo.endpoints import router as demo
    from rostra.embed.endpoints import router as embed
    from rostra.sso.endpoints import router as sso
    from rostra.stories.endpoints import router as stories

    for router in (accounts, sso, comments, stories):
        app.include_router(router, prefix="/api/v1")
    app.include_router(account_pages)
    app.include_router(embed)
    app.include_router(demo)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}
