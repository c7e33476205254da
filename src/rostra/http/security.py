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


#: Headers an answer may already carry that ``Policy.decorate`` would treat
#: specially; an answer with any of them is decorated the long way.
_SPECIAL = frozenset(
    {
        b"x-content-type-options",
        b"referrer-policy",
        b"content-security-policy",
        b"x-frame-options",
        b"access-control-allow-origin",
        b"access-control-expose-headers",
    }
)
RawHeaders = list[tuple[bytes, bytes]]


class Policy:
    """What the middleware adds to every answer; shared with the lean front
    (``rostra.http.front``), which answers before the middleware stack and
    so must add exactly the same headers."""

    def __init__(self, own_origin: str | None, origins: OriginMemory) -> None:
        self.own_origin = own_origin
        self.origins = origins
        self._plans: dict[tuple[str, bytes, str | None], tuple[bytes, RawHeaders]] = {}

    async def cors_origin(self, path: str, method: str, origin: str | None) -> str | None:
        """The origin to echo to this call, or None."""
        if path.startswith("/api/") and origin and cors_allowed(method, path):
            return await self._allowed_origin(origin)
        return None

    def decorate(self, out: MutableHeaders, path: str, cors_origin: str | None) -> None:
        out.setdefault("X-Content-Type-Options", "nosniff")
        out.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        is_html = out.get("content-type", "").startswith("text/html")
        if is_html and "content-security-policy" not in out:
            out["Content-Security-Policy"] = content_security_policy()
            out.setdefault("X-Frame-Options", "SAMEORIGIN")
        if path.startswith("/api/"):
            out.add_vary_header("Origin")
            if cors_origin:
                out["Access-Control-Allow-Origin"] = cors_origin
                out["Access-Control-Expose-Headers"] = "Retry-After"
        elif path == "/embed.js":
            # A public script; "*" also lets publishers load it with crossorigin + SRI.
            out["Access-Control-Allow-Origin"] = "*"

    def decorated(self, raw: RawHeaders, path: str, cors_origin: str | None) -> RawHeaders:
        """``raw`` as ``decorate`` leaves it. An answer with one Vary, not
        HTML and none of the headers it sets takes a plan made once (by
        ``decorate`` itself, on a sample): its Vary replaced, a tail added."""
        vary_at = -1
        for i, (name, value) in enumerate(raw):
            if name == b"vary" and vary_at < 0:
                vary_at = i
            elif (
                name == b"vary"
                or name in _SPECIAL
                or (name == b"content-type" and value.startswith(b"text/html"))
            ):
                vary_at = -2
                break
        if vary_at < 0:
            out = MutableHeaders(raw=list(raw))
            self.decorate(out, path, cors_origin)
            return out.raw
        vary, tail = self._plan(path, raw[vary_at][1], cors_origin)
        done = list(raw)
        done[vary_at] = (b"vary", vary)
        done += tail
        return done

    def _plan(self, path: str, vary: bytes, cors_origin: str | None) -> tuple[bytes, RawHeaders]:
        key = (path, vary, cors_origin)
        plan = self._plans.get(key)
        if plan is None:
            sample = MutableHeaders(raw=[(b"content-type", b"application/json"), (b"vary", vary)])
            self.decorate(sample, path, cors_origin)
            raw = sample.raw
            assert [n for n, _ in raw[:2]] == [b"content-type", b"vary"]
            plan = (raw[1][1], raw[2:])
            if len(self._plans) >= MAX_REMEMBERED:
                self._plans.clear()
            self._plans[key] = plan
        return plan

    def preflight(
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


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, policy: Policy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        origin = headers.get("origin")
        preflight = (
            path.startswith("/api/")
            and scope["method"] == "OPTIONS"
            and "access-control-request-method" in headers
        )
        method = headers.get("access-control-request-method", "") if preflight else scope["method"]
        cors_origin = await self.policy.cors_origin(path, method, origin)
        if preflight:
            answer = self.policy.preflight(cors_origin, origin, method, path)
            await answer(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.policy.decorate(MutableHeaders(scope=message), path, cors_origin)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_security(app: FastAPI, public_url: str, origins: OriginMemory) -> Policy:
    """The security middleware; its policy, for the lean front to share."""
    policy = Policy(bare_origin(public_url), origins)
    app.add_middleware(SecurityMiddleware, policy=policy)
    return policy
