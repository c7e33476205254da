"""Security headers for every response, and CORS for the JSON API.

- Every HTML page gets a Content-Security-Policy that allows scripts and
  styles from this server only (no inline script anywhere: pages pass their
  config in ``<script type="application/json">`` blocks or data- attributes).
  ``frame-ancestors 'self'`` unless the endpoint set its own policy: the
  embed's iframe page names the configured origins of its site.
- ``/api/*`` answers cross-origin requests only from origins configured on
  some site (or this server's own), echoing the origin with ``Vary: Origin``.
  The embed's iframe is same-origin with the API and needs no CORS; the
  loader's comment-count request from the publisher's page does.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import anyio.to_thread
from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rostra.config import Settings

ALLOWED_HEADERS = "Authorization, Content-Type, Idempotency-Key"
ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
# A positive answer is kept this long; a miss always asks the database again,
# so a newly configured origin works at once.
ORIGIN_TTL = 30.0


def content_security_policy(frame_ancestors: Iterable[str] = ("'self'",)) -> str:
    ancestors = " ".join(dict.fromkeys(frame_ancestors)) or "'none'"
    return ("default-src 'self'; script-src 'self'; style-src 'self'; "
            "img-src 'self' https: data:; connect-src 'self'; font-src 'self'; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; "
            f"frame-ancestors {ancestors}")


def origin_of_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, fastapi_app: FastAPI, settings: Settings) -> None:
        self.app = app
        self.root = fastapi_app
        self.own_origin = origin_of_url(settings.public_url)
        self._allowed: dict[str, float] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        origin = headers.get("origin")
        cors_origin: str | None = None
        is_api = path.startswith("/api/")
        if is_api and origin and await self._origin_allowed(origin):
            cors_origin = origin
        if is_api and scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await self._preflight(cors_origin, origin)(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._decorate(MutableHeaders(scope=message), path, is_api, cors_origin)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _decorate(self, out: MutableHeaders, path: str, is_api: bool,
                  cors_origin: str | None) -> None:
        out.setdefault("X-Content-Type-Options", "nosniff")
        out.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        is_html = out.get("content-type", "").startswith("text/html")
        if is_html and "content-security-policy" not in out:
            out["Content-Security-Policy"] = content_security_policy()
            out.setdefault("X-Frame-Options", "SAMEORIGIN")
        if is_api:
            out.add_vary_header("Origin")
            if cors_origin:
                out["Access-Control-Allow-Origin"] = cors_origin
                out["Access-Control-Expose-Headers"] = "Retry-After"
        elif path == "/embed.js":
            # A public script; "*" also lets publishers load it with crossorigin + SRI.
            out["Access-Control-Allow-Origin"] = "*"

    def _preflight(self, cors_origin: str | None, origin: str | None) -> Response:
        if cors_origin is None:
            return JSONResponse(
                {"error": "forbidden",
                 "detail": f"The origin {origin or '(none)'} is not configured on any site."},
                status_code=403, headers={"Vary": "Origin"})
        return Response(status_code=204, headers={
            "Access-Control-Allow-Origin": cors_origin,
            "Access-Control-Allow-Methods": ALLOWED_METHODS,
            "Access-Control-Allow-Headers": ALLOWED_HEADERS,
            "Access-Control-Max-Age": "600",
            "Vary": "Origin",
        })

    async def _origin_allowed(self, origin: str) -> bool:
        origin = origin.lower().rstrip("/")
        if origin == self.own_origin:
            return True
        now = time.monotonic()
        if self._allowed.get(origin, 0.0) > now:
            return True
        configured = await anyio.to_thread.run_sync(self._configured_origins)
        if origin in configured:
            self._allowed[origin] = now + ORIGIN_TTL
            return True
        return False

    def _configured_origins(self) -> set[str]:
        from rostra.sites.repository import all_origins

        factory: Any = self.root.state.sessionmaker
        with factory() as db:
            return {o.lower() for o in all_origins(db)}


def install_security(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(SecurityMiddleware, fastapi_app=app, settings=settings)
