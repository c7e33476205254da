"""Helpers for moderation tests: people with roles on sites."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from rostra.http.deps import state_of
from rostra.models import Site, SiteRole
from tests.comments.conftest import API, alice, bob, quick_reader, site, user_id  # noqa: F401 (fixtures)

MOD = f"{API}/moderation"


def with_role(
    client: TestClient, app: FastAPI, on: Site, role: str, name: str = "Mod"
) -> dict[str, str]:
    """A signed-in person with ``role`` on the site ``on``."""
    headers = quick_reader(app, name)
    uid = user_id(client, headers)
    with state_of(app).write_sessions() as db:
        db.add(SiteRole(site_id=on.id, user_id=uid, role=role))
        db.commit()
    return headers


def decide(
    client: TestClient, headers: dict[str, str], comment_id: int, action: str, expect: int = 200,
    **extra: Any,
) -> dict[str, Any]:  # fmt: skip
    r = client.post(
        f"{MOD}/comments/{comment_id}/decision", json={"action": action, **extra}, headers=headers
    )
    assert r.status_code == expect, r.text
    data: dict[str, Any] = r.json()
    return data


def queue(client: TestClient, headers: dict[str, str], name: str, **params: Any) -> list[Any]:
    r = client.get(f"{MOD}/queue", params={"queue": name, **params}, headers=headers)
    assert r.status_code == 200, r.text
    cards: list[Any] = r.json()["cards"]
    return cards


__all__ = ["MOD", "decide", "queue", "user_id", "with_role"]
