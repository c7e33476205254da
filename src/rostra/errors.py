"""One error tree, one JSON shape: ``{"error": code, "detail": sentence, "field"?: name}``.

Every error code is one class here or in a domain's ``errors.py``, with its
status and its sentence, so each sentence is written once and the code list
in ``docs/api.md`` is checked against the classes (``tests/test_docs.py``).
A class may take a more precise sentence where one code covers several
causes (``invalid_url``). ``install_error_handlers`` turns these, and every
framework error (validation, unknown route, bad JSON), into that shape.
Expected business errors are never 500s.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)


class RostraError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    #: The sentence sent when the raiser gives none.
    message: ClassVar[str] = "The request cannot be read."
    #: The input the error is about, when it is always the same one.
    default_field: ClassVar[str | None] = None
    headers: dict[str, str]

    def __init__(
        self,
        detail: str | None = None,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.detail = detail or self.message
        super().__init__(self.detail)
        self.field = field or self.default_field
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.code, "detail": self.detail}
        if self.field:
            out["field"] = self.field
        return out


def every_error_class() -> list[type[RostraError]]:
    """The whole tree (import the domains first to see theirs)."""
    found: list[type[RostraError]] = []
    todo: list[type[RostraError]] = [RostraError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


# --- 400 ---------------------------------------------------------------------


class BadRequest(RostraError):
    pass


class InvalidJson(BadRequest):
    code = "invalid_json"
    message = "The request body is not valid JSON."


class InvalidEncoding(BadRequest):
    code = "invalid_encoding"
    message = "The request body is not valid UTF-8."


# --- 401, 403, 404, 405, 409 -------------------------------------------------


class NotAuthenticated(RostraError):
    status = 401
    code = "not_authenticated"
    message = "Sign in first: send Authorization: Bearer TOKEN."

    def __init__(self, detail: str | None = None, **kw: Any) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"}, **kw)


class UnknownToken(NotAuthenticated):
    """A bearer token was sent but names no live sign-in (same code)."""

    message = "The sign-in token is unknown, expired or signed out. Sign in again."


class Forbidden(RostraError):
    status = 403
    code = "forbidden"
    message = "You may not do this."


class NotFound(RostraError):
    status = 404
    code = "not_found"
    message = "No such resource."


class MethodNotAllowed(RostraError):
    status = 405
    code = "method_not_allowed"
    message = "This method is not allowed here."


class NotAcceptable(RostraError):
    status = 406
    code = "not_acceptable"
    message = "The server cannot answer in a format the request accepts."


class Conflict(RostraError):
    status = 409
    code = "conflict"
    message = "The change clashes with the current state."


# --- 413, 415 ----------------------------------------------------------------


class PayloadTooLarge(RostraError):
    status = 413
    code = "payload_too_large"
    message = "The request body is too large."

    @classmethod
    def over(cls, max_bytes: int) -> PayloadTooLarge:
        return cls(f"The request body is larger than {max_bytes} bytes.")


class UnsupportedMediaType(RostraError):
    status = 415
    code = "unsupported_media_type"
    message = "Send the request body as JSON with Content-Type: application/json."


# --- 422: content that breaks a rule ------------------------------------------


class Invalid(RostraError):
    """A well-formed request whose content breaks a rule (422)."""

    status = 422
    code = "validation_error"
    message = "A value is invalid."


class InvalidCharacters(Invalid):
    code = "invalid_characters"

    def __init__(self, field: str, detail: str | None = None) -> None:
        super().__init__(
            detail or f"'{field}' contains control characters that are not allowed.",
            field=field,
        )


class InvalidUrl(Invalid):
    code = "invalid_url"
    message = "The article URL must be an absolute http:// or https:// URL."
    default_field = "url"


# --- 429, 500 ----------------------------------------------------------------


class RateLimited(RostraError):
    status = 429
    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Too many attempts. Try again in {retry_after} seconds.",
            headers={"Retry-After": str(retry_after)},
        )


class InternalError(RostraError):
    status = 500
    code = "internal_error"
    message = "Something went wrong on our side."


def error_response(exc: RostraError) -> JSONResponse:
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)


# Framework errors (unknown route, wrong method…) by status.
_BY_STATUS: dict[int, type[RostraError]] = {
    cls.status: cls
    for cls in (
        BadRequest,
        NotAuthenticated,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        NotAcceptable,
        PayloadTooLarge,
        UnsupportedMediaType,
    )
}


def _field_of(loc: tuple[Any, ...]) -> str | None:
    # Only the leading part says where the value was; a field may itself be
    # called "body" (a comment's text) and must keep its name.
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts) or None


def validation_error(exc: RequestValidationError) -> RostraError:
    errors = exc.errors()
    first = errors[0] if errors else {}
    kind = first.get("type", "")
    if kind == "json_invalid":
        ctx = first.get("ctx") or {}
        return InvalidJson(
            f"The request body is not valid JSON ({ctx.get('error', 'parse error')})."
        )
    field = _field_of(tuple(first.get("loc", ())))
    message = first.get("msg", "invalid value")
    if kind == "string_unicode":  # a lone surrogate escape such as "\ud800"
        return InvalidCharacters(
            field or "body", f"'{field}' contains characters that are not allowed."
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
        return error_response(validation_error(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        cls = _BY_STATUS.get(exc.status_code, RostraError)
        # Starlette's own sentences ("Not Found") are replaced by ours.
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail else None
        if detail in ("Not Found", "Method Not Allowed"):
            detail = None
        err = cls(detail)
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
            await error_response(InternalError())(scope, receive, send)
