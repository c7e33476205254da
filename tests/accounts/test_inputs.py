"""Bad input on every account route: a clear 4xx naming the field, never a 500."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rostra.models import User

GOOD = {
    "/api/v1/auth/register": {
        "email": "a@example.org",
        "password": "long password",
        "display_name": "A",
    },
    "/api/v1/auth/login": {"email": "a@example.org", "password": "long password"},
    "/api/v1/auth/verify-email": {"token": "abc"},
    "/api/v1/auth/password-reset": {"email": "a@example.org"},
    "/api/v1/auth/password-reset/confirm": {"token": "abc", "password": "long password"},
}
FIELDS = [(url, field) for url, body in GOOD.items() for field in body]


@pytest.mark.parametrize("url", GOOD)
def test_invalid_json(client: TestClient, url: str) -> None:
    r = client.post(url, content=b'{"email": ', headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_json"


@pytest.mark.parametrize("url", GOOD)
def test_invalid_utf8(client: TestClient, url: str) -> None:
    r = client.post(
        url,
        content=b'{"email": "\xff\xfe@example.org"}',
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_encoding"


@pytest.mark.parametrize("url", GOOD)
def test_not_an_object(client: TestClient, url: str) -> None:
    bodies: list[object] = [[], "text", 3, None]
    for body in bodies:
        r = client.post(url, json=body)
        assert r.status_code == 422, body
        assert r.json()["error"] == "validation_error"


@pytest.mark.parametrize("url", GOOD)
def test_unknown_field(client: TestClient, url: str) -> None:
    r = client.post(url, json={**GOOD[url], "is_admin": True})
    assert r.status_code == 422 and r.json()["field"] == "is_admin"


@pytest.mark.parametrize(("url", "field"), FIELDS)
def test_missing_field(client: TestClient, url: str, field: str) -> None:
    body = {k: v for k, v in GOOD[url].items() if k != field}
    r = client.post(url, json=body)
    assert r.status_code == 422
    assert r.json() == {
        "error": "validation_error",
        "detail": f"'{field}' is required.",
        "field": field,
    }


@pytest.mark.parametrize(("url", "field"), FIELDS)
@pytest.mark.parametrize("value", [12345678901, True, None, ["x"], {"a": "b"}])
def test_wrong_type(client: TestClient, url: str, field: str, value: object) -> None:
    r = client.post(url, json={**GOOD[url], field: value})
    assert r.status_code == 422
    assert r.json()["error"] == "validation_error" and r.json()["field"] == field


@pytest.mark.parametrize(("url", "field"), FIELDS)
@pytest.mark.parametrize("bad", ["\x00", "\x07", "\x1b[31m", "\x85", "\ud800"])
def test_control_characters(client: TestClient, url: str, field: str, bad: str) -> None:
    value = GOOD[url][field]
    value = value.replace("@", bad + "@") if "@" in value else value + bad
    # json.dumps escapes a lone surrogate as \ud800, as a browser's JSON would.
    r = client.post(
        url,
        content=json.dumps({**GOOD[url], field: value}).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field
    assert r.json()["error"] == "invalid_characters"


@pytest.mark.parametrize(("url", "field"), FIELDS)
def test_oversized_fields(client: TestClient, url: str, field: str) -> None:
    r = client.post(url, json={**GOOD[url], field: "x" * 2000})
    assert r.status_code == 422 and r.json()["field"] == field


def test_body_over_the_server_limit(client: TestClient) -> None:
    r = client.post(
        "/api/v1/auth/register", json={**GOOD["/api/v1/auth/register"], "display_name": "x" * 70000}
    )
    assert r.status_code == 413 and r.json()["error"] == "payload_too_large"


def test_not_json(client: TestClient) -> None:
    r = client.post(
        "/api/v1/auth/login",
        content=b"email=a",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 415


def test_wrong_method(client: TestClient) -> None:
    r = client.get("/api/v1/auth/login")
    assert r.status_code == 405 and r.json()["error"] == "method_not_allowed"


def test_nothing_written_on_bad_input(client: TestClient, db: Session) -> None:
    client.post(
        "/api/v1/auth/register",
        json={**GOOD["/api/v1/auth/register"], "display_name": "bad\x00name"},
    )
    assert db.scalar(select(func.count()).select_from(User)) == 0


def test_tabs_and_newlines_allowed_in_passwords(client: TestClient) -> None:
    body = {**GOOD["/api/v1/auth/register"], "password": "tab\there\nnewline"}
    assert client.post("/api/v1/auth/register", json=body).status_code == 202
    r = client.post(
        "/api/v1/auth/login", json={"email": body["email"], "password": body["password"]}
    )
    assert r.status_code == 200


def test_unicode_is_fine(client: TestClient) -> None:
    body = {
        "email": "олена@приклад.укр",
        "password": "пароль дуже довгий",
        "display_name": "Олена 🌻",
    }
    assert client.post("/api/v1/auth/register", json=body).status_code == 202
    r = client.post(
        "/api/v1/auth/login", json={"email": body["email"], "password": body["password"]}
    )
    assert r.status_code == 200 and r.json()["user"]["display_name"] == "Олена 🌻"
