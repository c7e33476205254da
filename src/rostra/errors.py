"""One error tree, one JSON shape: ``{"error": code, "detail": sentence, "field"?: name}``.

Services raise these; ``install_error_handlers`` turns them, and every
framework error (validation, unknown route, bad JSON), into that shape.
Expected business errors are never 500s.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)


class RostraError(Exception):
    status = 400
    code = "bad_request"

    def __init__(
        self,
        detail: str,
        *,
        field: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        if code:
            self.code = code
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.code, "detail": self.detail}
        if self.field:
            out["field"] = self.field
        return out


class BadRequest(RostraError):
    status = 400


class NotAuthenticated(RostraError):
    status = 401
    code = "not_authenticated"

    def __init__(
        self, detail: str = "Sign in first: send Authorization: Bearer TOKEN.", **kw: Any
    ) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"}, **kw)


class Forbidden(RostraError):
    status = 403
    code = "forbidden"


class NotFound(RostraError):
    status = 404
    code = "not_found"


class Conflict(RostraError):
    status = 409
    code = "conflict"


class Invalid(RostraError):
    """A well-formed request whose content breaks a rule (422)."""

    status = 422
    code = "validation_error"


class RateLimited(RostraError):
    status = 429
    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Too many attempts. Try again in {retry_after} seconds.",
            headers={"Retry-After": str(retry_after)},
        )


def error_response(exc: RostraError) -> JSONResponse:
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)


_STATUS_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def _field_of(loc: tuple[Any, ...]) -> str | None:
    # Only the leading part says where the value was; a field may itself be
    # called "body" (a comment's text) and must keep its name.
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts) or None


def _validation_error(exc: RequestValidationError) -> RostraError:
    errors = exc.errors()
    first = errors[0] if errors else {}
    kind = first.get("type", "")
    if kind == "json_invalid":
        ctx = first.get("ctx") or {}
        return BadRequest(
            f"The request body is not valid JSON ({ctx.get('error', 'parse error')}).",
            code="invalid_json",
        )
    field = _field_of(tuple(first.get("loc", ())))
    message = first.get("msg", "invalid value")
    if kind == "string_unicode":  # a lone surrogate escape such as "\ud800"
        return Invalid(
            f"'{field}' contains characters that are not allowed.",
            field=field,
            code="invalid_characters",
        )
    if kind == "missing":
        detail = f"'{field}' is required." if field else "A required value is missing."
    elif kind == "model_attributes_type" or kind == "dict_type":
        detail = "The request body must be a JSON object."
        field = None
    else:
        detail = f"'{field}': {message}." if field else f"{message}."
    return Invalid(detail, field=field)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RostraError)
    async def _rostra(_: Request, exc: RostraError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(_validation_error(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "error")
        detail = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        if exc.status_code == 404 and detail == "Not Found":
            detail = "No such resource."
        err = RostraError(detail, code=code)
        err.status = exc.status_code
        return JSONResponse(
            err.body(), status_code=exc.status_code, headers=getattr(exc, "headers", None)
        )


class CatchUnexpected:
    """Turns an unexpected exception into the JSON 500.

    A pure ASGI middleware added innermost, rather than an exception handler
    for ``Exception``: Starlette runs that handler outside every middleware,
    so its 500 would leave without the security, CORS and gzip layers.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if started:  # too late for a clean answer; the server closes the connection
                raise
            response = JSONResponse(
                {"error": "internal_error", "detail": "Something went wrong on our side."},
                status_code=500,
            )
            await response(scope, receive, send)
