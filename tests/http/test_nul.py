"""A NUL wherever a client can put one: a clear 4xx, never a 500, nothing kept,
and the same answer on SQLite (which would store it) and PostgreSQL (which
refuses it). Field checks answer first; ``rostra.db.guard`` is the net under
them (tests/db/test_guard.py)."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from rostra.http.deps import state_of
from rostra.models import AuthSession, Comment, IdempotencyKey, Story, UsedSsoToken, User
from tests.comments.conftest import API, post, quick_reader, set_user, user_id
from tests.factories import ARTICLE, add_site, register

NUL = "a\x00b"


def _counts(app: FastAPI) -> dict[str, int]:
    with state_of(app).read_sessions() as db:
        return {
            m.__name__: db.scalar(select(func.count()).select_from(m)) or 0
            for m in (User, AuthSession, Comment, Story, IdempotencyKey, UsedSsoToken)
        }


def _refused(r: Any, status: int, code: str, field: str | None = None) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"] == code, body
    if field is not None:
        assert body["field"] == field, body


@pytest.fixture
def reader(app: FastAPI) -> dict[str, str]:
    add_site(app)
    return quick_reader(app, "Alice")


def test_json_fields(client: TestClient, app: FastAPI, reader: dict[str, str]) -> None:
    cid = post(client, reader).json()["id"]
    admin = quick_reader(app, "Editor")
    set_user(app, user_id(client, admin), is_admin=True)
    story_id = client.get(f"{API}/comments", params={"url": ARTICLE}).json()["story"]["id"]
    before = _counts(app)
    chars, url = "invalid_characters", "invalid_url"
    pw = "long password"
    cases: list[tuple[str, str, dict[str, Any], dict[str, str], str, str]] = [
        ("POST", "/comments", {"url": ARTICLE, "body": NUL}, reader, chars, "body"),
        ("POST", "/comments", {"url": ARTICLE, "body": "ok", "title": NUL}, reader, chars, "title"),
        ("POST", "/comments", {"url": ARTICLE + NUL, "body": "ok"}, reader, url, "url"),
        ("PATCH", f"/comments/{cid}", {"body": NUL}, reader, chars, "body"),
        ("PATCH", f"/stories/{story_id}", {"title": NUL}, admin, chars, "title"),
        (
            "POST",
            "/auth/register",
            {"email": "n@example.org", "password": pw, "display_name": NUL},
            {},
            chars,
            "display_name",
        ),
        (
            "POST",
            "/auth/register",
            {"email": "n\x00@example.org", "password": pw, "display_name": "N"},
            {},
            chars,
            "email",
        ),
        (
            "POST",
            "/auth/login",
            {"email": "n@example.org", "password": NUL * 6},
            {},
            chars,
            "password",
        ),
        ("POST", "/auth/verify-email", {"token": NUL}, {}, chars, "token"),
        ("POST", "/auth/password-reset", {"email": "n@exa\x00mple.org"}, {}, chars, "email"),
        ("POST", "/auth/sso", {"url": ARTICLE + NUL, "token": "x.y.z"}, {}, url, "url"),
    ]
    for method, path, body, headers, code, field in cases:
        r = client.request(method, API + path, json=body, headers=headers)
        _refused(r, 422, code, field)
    assert _counts(app) == before
    assert client.get(f"{API}/comments/{cid}/replies").status_code == 200


def test_query_parameters(client: TestClient, reader: dict[str, str]) -> None:
    cid = post(client, reader).json()["id"]
    for path, params, code, field in (
        ("/api/v1/comments", {"url": ARTICLE + NUL}, "invalid_url", "url"),
        ("/api/v1/comments", {"url": ARTICLE, "cursor": NUL}, "validation_error", "cursor"),
        (f"/api/v1/comments/{cid}/replies", {"cursor": NUL}, "validation_error", "cursor"),
        ("/api/v1/comments.html", {"url": NUL}, "invalid_url", "url"),
        ("/api/v1/comments.html", {"url": ARTICLE, "cursor": NUL}, "validation_error", "cursor"),
        ("/thread", {"url": ARTICLE + NUL}, "invalid_url", "url"),
        ("/thread", {"url": ARTICLE, "cursor": NUL}, "validation_error", "cursor"),
    ):
        for headers in ({}, reader):  # the cached anonymous path and the signed-in one
            _refused(client.get(path, params=params, headers=headers), 422, code, field)
    r = client.get("/api/v1/counts", params=[("url", ARTICLE), ("url", NUL), ("url", "\x00")])
    assert r.status_code == 200, r.text
    assert r.json() == {"counts": {ARTICLE: 1, NUL: None, "\x00": None}}
    # The iframe page shows nothing from the database for an unreadable URL.
    r = client.get("/embed/thread", params={"url": NUL, "title": NUL, "lang": NUL})
    assert r.status_code == 200, r.text
    assert "\x00" not in r.text


def test_kept_headers(client: TestClient, app: FastAPI, reader: dict[str, str]) -> None:
    """A User-Agent is tidied (it is kept with the sign-in, to show the
    reader where they are signed in: printable characters only); an
    Idempotency-Key is the client's own and is refused."""
    creds = register(client, email="ua@example.org")
    r = client.post("/api/v1/auth/login", json=creds, headers={"User-Agent": "Browser\x00/1"})
    assert r.status_code == 200, r.text
    with state_of(app).read_sessions() as db:
        agents = db.scalars(select(AuthSession.user_agent)).all()
    assert "Browser/1" in agents and not any("\x00" in a for a in agents)
    before = _counts(app)
    for key in (NUL, "\x00", "key\x00"):
        r = client.post(
            f"{API}/comments",
            json={"url": ARTICLE, "body": "once"},
            headers={**reader, "Idempotency-Key": key},
        )
        _refused(r, 422, "validation_error", "Idempotency-Key")
    assert _counts(app) == before


@pytest.mark.parametrize("claim", ["jti", "sub", "name", "email", "avatar"])
def test_sso_claims(client: TestClient, app: FastAPI, claim: str) -> None:
    """A correctly signed token whose claim holds a NUL. (The ``jti`` case
    was a 500 on PostgreSQL: psycopg refused the replay record's insert.)"""
    secret = add_site(app).sso_secret
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": "u-1",
        "iat": now,
        "exp": now + 300,
        "jti": f"j-{claim}",
        "name": "Olena",
        "email": "olena@example.org",
        "avatar": "https://img.example/o.png",
    }
    claims[claim] = f"bad\x00{claims[claim]}"
    token = jwt.encode(claims, secret, algorithm="HS256")
    r = client.post(
        "/api/v1/auth/sso", json={"url": ARTICLE, "token": token}, headers={"User-Agent": NUL}
    )
    _refused(r, 401, "invalid_sso_token", "token")
    assert f"'{claim}'" in r.json()["detail"]
    assert _counts(app) == {m: 0 for m in _counts(app)}
    # The same reader with clean claims (and the same odd User-Agent) signs in.
    clean = jwt.encode({**claims, claim: "clean", "email": "olena@example.org"}, secret)
    r = client.post(
        "/api/v1/auth/sso", json={"url": ARTICLE, "token": clean}, headers={"User-Agent": NUL}
    )
    assert r.status_code == 200, r.text
