"""Plain factory functions for tests: sites, readers, signed-in clients."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from rostra.http.deps import state_of
from rostra.models import Site
from rostra.sites import service as sites

ARTICLE = "https://news.example/world/2026/river-crossing"
OTHER_ARTICLE = "https://news.example/politics/budget-vote"
_seq = itertools.count(1)


def add_site(app: FastAPI, name: str = "news", origins: list[str] | None = None, **kw: Any) -> Site:
    with state_of(app).write_sessions() as db:
        site = sites.add_site(db, name, origins or ["https://news.example"], **kw)
        db.commit()
        return site


def register(
    client: TestClient,
    email: str | None = None,
    password: str = "correct horse 1",
    display_name: str | None = None,
) -> dict[str, Any]:
    n = next(_seq)
    email = email or f"reader{n}@example.org"
    r = client.post(
        "/api/v1/auth/register",
        json={"email": email, "password": password, "display_name": display_name or f"Reader {n}"},
    )
    assert r.status_code == 202, r.text
    return {"email": email, "password": password}


def login(client: TestClient, email: str, password: str) -> str:
    r = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    token: str = r.json()["token"]
    return token


def reader(client: TestClient, **kw: Any) -> dict[str, str]:
    """Register and sign in a new reader; returns the Authorization header."""
    creds = register(client, **kw)
    return {"Authorization": f"Bearer {login(client, creds['email'], creds['password'])}"}
