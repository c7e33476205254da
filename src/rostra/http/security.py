"""Security headers for every response, and CORS for the public read API.

- Every HTML page gets a Content-Security-Policy that allows scripts and
  styles from this server only (no inline script anywhere: pages pass their
  config in ``<script type="application/json">`` blocks or data- attributes).
  ``frame-ancestors 'self'`` unless the endpoint set its own policy: the
  embed's iframe page names the configured origins of its site.
- CORS is granted only where a publisher's page needs it: the read-only,
  anonymous ``GET /api/v1/counts`` (the loader's comment counts),
  ``GET /api/v1/comments`` and ``GET /api/v1/comments.html``, and only to
  origins configured on some site (or this server's own), echoing the origin
  with ``Vary: Origin``. Simple GETs only: no credentials, no custom headers.
- Every other ``/api`` call (``auth/*``, ``me``, every POST, PATCH and
  DELETE) gets no ``Access-Control-Allow-Origin``, and preflights for them
  are refused with 403: the embed's iframe is same-origin with the API and
  needs no CORS, so no other page can read those answers or send them
  JSON or a bearer token.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import anyio.to_thread
from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rostra.errors import Forbidden
from rostra.urls import bare_origin

# The only API calls another origin may make: public, read-only, anonymous.
CORS_PATHS = frozenset({"/api/v1/counts", "/api/v1/comments", "/api/v1/comments.html"})
CORS_METHODS = frozenset({"GET", "HEAD"})
ALLOWED_METHODS = "GET, HEAD"
# An origin found configured is believed this long. One that is not is
# asked about again after a few seconds: soon enough that a newly
# configured origin works at once for practical purposes, and often
# enough for junk Origin headers not to cost a query each.
ORIGIN_TTL = 30.0
MISS_TTL = 5.0
MAX_REMEMBERED = 10_000

#: The origins configured on the sites, read on a reading session (app.py).
OriginLookup = Callable[[], set[str]]


def content_security_policy(frame_ancestors: Iterable[str] = ("'self'",)) -> str:
    ancestors = " ".join(dict.fromkeys(frame_ancestors)) or "'none'"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        "img-src 'self' https: data:; connect-src 'self'; font-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; "
        f"frame-ancestors {ancestors}"
    )


def cors_allowed(method: str, path: str) -> bool:
    return method.upper() in CORS_METHODS and path in CORS_PATHS


class OriginMemory:
    """Which origins were found configured, and which not, for a while.

    One per app, shared by the middleware and the commit hook that clears it
    when this process changes a site (another process's change is seen
    within ``MISS_TTL``)."""

    def __init__(self, lookup: OriginLookup) -> None:
        self.lookup = lookup
        self._until: dict[str, tuple[float, bool]] = {}

    def forget(self, *_: object) -> None:
        self._until.clear()

    async def configured(self, origin: str) -> bool:
        now = time.monotonic()
        until, found = self._until.get(origin, (0.0, False))
        if until > now:
            return found
        found = origin in await anyio.to_thread.run_sync(self.lookup)
        if len(self._until) >= MAX_REMEMBERED:
            self._until.clear()
        self._until[origin] = (now + (ORIGIN_TTL if found else MISS_TTL), found)
        return found


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, own_origin: str | None, origins: OriginMemory) -> None:
        self.app = app
        self.own_origin = own_origin
        self.origins = origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        origin = headers.get("origin")
        cors_origin: str | None = None
        is_api = path.startswith("/api/")
        preflight = (
            is_api and scope["method"] == "OPTIONS" and "access-control-request-method" in headers
        )
        method = headers.get("access-control-request-method", "") if preflight else scope["method"]
        if is_api and origin and cors_allowed(method, path):
            cors_origin = await self._allowed_origin(origin)
        if preflight:
            await self._preflight(cors_origin, origin, method, path)(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._decorate(MutableHeaders(scope=message), path, is_api, cors_origin)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _decorate(
        self, out: MutableHeaders, path: str, is_api: bool, cors_origin: str | None
    ) -> None:
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

    def _preflight(
        self, cors_origin: str | None, origin: str | None, method: str, path: str
    ) -> Response:
        if cors_origin is None:
            if cors_allowed(method, path):
                detail = f"The origin {origin or '(none)'} is not configured on any site."
            else:
                detail = (
                    "Cross-origin calls are allowed only for GET /api/v1/counts, "
                    "/api/v1/comments and /api/v1/comments.html."
                )
            return JSONResponse(
                Forbidden(detail).body(), status_code=403, headers={"Vary": "Origin"}
            )
        return Response(
            status_code=204,
            headers={
                "Access-Control-Allow-Origin": cors_origin,
                "Access-Control-Allow-Methods": ALLOWED_METHODS,
                "Access-Control-Max-Age": "600",
                "Vary": "Origin",
            },
        )

    async def _allowed_origin(self, header: str) -> str | None:
        """The origin to echo for this ``Origin`` header, or None if it is not allowed."""
        origin = bare_origin(header)
        if origin is None:
            return None
        if origin == self.own_origin or await self.origins.configured(origin):
            return origin
        return None


def install_security(app: FastAPI, public_url: str, origins: OriginMemory) -> None:
    app.add_middleware(SecurityMiddleware, own_origin=bare_origin(public_url), origins=origins)
