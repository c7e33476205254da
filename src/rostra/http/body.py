"""A guard in front of every handler: body size; for the JSON API also media
type and encoding.

Checked before routing so that every endpoint gets the same clear 4xx for
an oversized body, a body that is not JSON, or bytes that are not UTF-8
(rather than whatever the JSON parser would make of them).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
            await _reject(
                send,
                413,
                "payload_too_large",
                f"The request body is larger than {self.max_bytes} bytes.",
            )
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
                await _reject(
                    send,
                    413,
                    "payload_too_large",
                    f"The request body is larger than {self.max_bytes} bytes.",
                )
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        # Pages post forms; only the API insists on JSON.
        if body and scope["path"].startswith(self.prefix):
            ctype = headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype != "application/json" and not ctype.endswith("+json"):
                await _reject(
                    send,
                    415,
                    "unsupported_media_type",
                    "Send the request body as JSON with Content-Type: application/json.",
                )
                return
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as exc:
                await _reject(
                    send,
                    400,
                    "invalid_encoding",
                    f"The request body is not valid UTF-8 (byte {exc.start}).",
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


async def _reject(send: Send, status: int, code: str, detail: str) -> None:
    payload: dict[str, Any] = {"error": code, "detail": detail}
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
