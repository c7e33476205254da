"""A guard in front of every handler: body size; for the JSON API also media
type and encoding.

Checked before routing so that every endpoint gets the same clear 4xx for
an oversized body, a body that is not JSON, or bytes that are not UTF-8
(rather than whatever the JSON parser would make of them).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rostra.errors import (
    InvalidEncoding,
    PayloadTooLarge,
    RostraError,
    UnsupportedMediaType,
    error_response,
)

_WITH_BODY = {"POST", "PUT", "PATCH", "DELETE"}


class BodyGuard:
    def __init__(self, app: ASGIApp, max_bytes: int, prefix: str = "/api/") -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _WITH_BODY:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await _reject(scope, send, PayloadTooLarge.over(self.max_bytes))
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await _reject(scope, send, PayloadTooLarge.over(self.max_bytes))
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        # Pages post forms; only the API insists on JSON.
        if body and scope["path"].startswith(self.prefix):
            ctype = headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype != "application/json" and not ctype.endswith("+json"):
                await _reject(scope, send, UnsupportedMediaType())
                return
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as exc:
                await _reject(
                    scope,
                    send,
                    InvalidEncoding(f"The request body is not valid UTF-8 (byte {exc.start})."),
                )
                return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _reject(scope: Scope, send: Send, error: RostraError) -> None:
    async def nothing() -> Message:
        return {"type": "http.disconnect"}

    await error_response(error)(scope, nothing, send)
