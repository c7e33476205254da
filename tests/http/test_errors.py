"""One error shape for every failure, whatever raised it (pinned here)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from rostra.config import Settings

SHAPE = {"error", "detail"}


def _is_error(r: Response, status: int, code: str) -> dict[str, str]:
    body: dict[str, str] = r.json()
    assert r.status_code == status, r.text
    assert SHAPE <= set(body) <= SHAPE | {"field"}
    assert body["error"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def test_unknown_route(client: TestClient) -> None:
    _is_error(client.get("/api/v1/nothing-here"), 404, "not_found")


def test_wrong_method(client: TestClient) -> None:
    _is_error(client.delete("/api/v1/counts"), 405, "method_not_allowed")


def test_body_that_is_not_json(client: TestClient) -> None:
    r = client.post(
        "/api/v1/comments",
        content=b"body=hi",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    _is_error(r, 415, "unsupported_media_type")


def test_invalid_json(client: TestClient) -> None:
    r = client.post(
        "/api/v1/auth/login", content=b'{"email": ', headers={"content-type": "application/json"}
    )
    _is_error(r, 400, "invalid_json")


def test_invalid_utf8(client: TestClient) -> None:
    r = client.post(
        "/api/v1/auth/login",
        content=b'{"email": "\xff\xfe"}',
        headers={"content-type": "application/json"},
    )
    _is_error(r, 400, "invalid_encoding")


def test_oversized_body(client: TestClient, settings: Settings) -> None:
    big = b'{"body": "' + b"x" * (settings.max_request_bytes + 1) + b'"}'
    r = client.post("/api/v1/comments", content=big, headers={"content-type": "application/json"})
    _is_error(r, 413, "payload_too_large")


def test_json_array_instead_of_object(client: TestClient) -> None:
    r = client.post("/api/v1/auth/login", json=["a", "b"])
    body = _is_error(r, 422, "validation_error")
    assert "object" in body["detail"]


def test_missing_field_is_named(client: TestClient) -> None:
    r = client.post("/api/v1/auth/login", json={"email": "a@example.org"})
    body = _is_error(r, 422, "validation_error")
    assert body["field"] == "password"


def test_unexpected_error_is_json_and_keeps_the_security_headers(app: FastAPI) -> None:
    @app.get("/api/v1/test-boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/api/v1/test-boom")
    _is_error(r, 500, "internal_error")
    assert "a bug" not in r.text
    assert r.headers["x-content-type-options"] == "nosniff"
