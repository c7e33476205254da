"""GET /api/v1/users?prefix=: handles for @mention completion, signed in,
rate-limited, never an email, not the readers who blocked you. Both
databases (``client``)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from rostra.config import Settings
from rostra.http.deps import state_of
from tests.factories import add_site, assert_limited
from tests.social.conftest import API, handle, named


def _people(client: TestClient, who: dict[str, str], prefix: str) -> list[str]:
    r = client.get(f"{API}/users", params={"prefix": prefix}, headers=who)
    assert r.status_code == 200, r.text
    assert "email" not in r.text and "@example.org" not in r.text
    return [p["handle"] for p in r.json()["users"]]


def test_handles_by_prefix_shortest_first(app: FastAPI, client: TestClient) -> None:
    add_site(app)
    me = named(app, "Oksana Writer")
    for name in ("Oksana", "Oksana Longer Name", "Olena", "Bohdan"):
        named(app, name)
    assert _people(client, me, "oks") == ["oksana", "oksana_longer_name"]
    assert _people(client, me, "@OKS") == ["oksana", "oksana_longer_name"]  # as typed
    assert handle(client, me) == "oksana_writer"  # yourself: left out
    assert _people(client, me, "o") == ["olena", "oksana", "oksana_longer_name"]
    assert _people(client, me, "zz") == []
    assert _people(client, me, "o%") == [] and _people(client, me, "o_a") == []
    r = client.get(f"{API}/users", params={"prefix": "o", "limit": 1}, headers=me)
    assert [p["handle"] for p in r.json()["users"]] == ["olena"]
    assert set(r.json()["users"][0]) == {"id", "handle", "display_name", "avatar_url"}


def test_signed_in_only_and_bad_input_is_422(app: FastAPI, client: TestClient) -> None:
    me = named(app, "Asker")
    assert client.get(f"{API}/users", params={"prefix": "as"}).status_code == 401
    for params in ({}, {"prefix": ""}, {"prefix": "x" * 32}, {"prefix": "a", "limit": 0}):
        r = client.get(f"{API}/users", params=params, headers=me)
        assert r.status_code == 422 and r.json()["error"] == "validation_error", params


def test_readers_who_blocked_you_are_left_out(app: FastAPI, client: TestClient) -> None:
    me = named(app, "Mention Maker")
    blocker = named(app, "Mira Blocker")
    named(app, "Mira Friendly")
    assert _people(client, me, "mira") == ["mira_blocker", "mira_friendly"]
    assert client.put(f"{API}/users/mention_maker/block", headers=blocker).status_code == 200
    assert _people(client, me, "mira") == ["mira_friendly"]
    # Blocking someone does not hide them from you.
    assert _people(client, blocker, "mention") == ["mention_maker"]


def test_rate_limited(app: FastAPI, client: TestClient, settings: Settings) -> None:
    me = named(app, "Busy Typist")
    state_of(app).settings = settings.model_copy(
        update={"rate_limit_enabled": True, "rate_read_social": "3/60"}
    )
    for _ in range(3):
        assert client.get(f"{API}/users", params={"prefix": "bu"}, headers=me).status_code == 200
    assert_limited(client.get(f"{API}/users", params={"prefix": "bu"}, headers=me))
