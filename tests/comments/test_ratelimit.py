"""Posting, editing and liking are rate-limited per account and per address."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rostra.config import Settings
from rostra.http.deps import state_of
from tests.comments.conftest import API, comment_row, post, quick_reader, rows
from tests.factories import ARTICLE, assert_limited, like_url


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"rate_limit_enabled": True, "rate_post": "2/60", "rate_like": "3/60"}
    )


def test_posting_is_limited(client: TestClient, app: FastAPI, alice: dict[str, str]) -> None:
    first = post(client, alice, "one").json()["id"]
    # A replayed retry is not a new attempt and does not use up the allowance.
    for _ in range(3):
        r = client.post(
            f"{API}/comments",
            json={"url": ARTICLE, "body": "k"},
            headers={**alice, "Idempotency-Key": "same"},
        )
        assert r.status_code == 201
    r = post(client, alice, "three", expect=429)
    assert r.json()["error"] == "rate_limited" and int(r.headers["retry-after"]) > 0
    assert rows(app) == (2, 1)
    r = client.patch(f"{API}/comments/{first}", json={"body": "edit"}, headers=alice)
    assert r.status_code == 429


def test_address_limit_covers_every_account(
    client: TestClient, app: FastAPI, alice: dict[str, str]
) -> None:
    post(client, alice)
    post(client, quick_reader(app))
    r = post(client, quick_reader(app), expect=429)
    assert r.json()["error"] == "rate_limited"


def test_likes_and_unlikes_share_one_allowance(
    client: TestClient, app: FastAPI, alice: dict[str, str], bob: dict[str, str]
) -> None:
    cid = post(client, alice).json()["id"]
    assert client.put(like_url(cid), headers=bob).status_code == 200
    assert client.delete(like_url(cid), headers=bob).status_code == 200
    assert client.put(like_url(cid), headers=bob).status_code == 200
    assert_limited(client.delete(like_url(cid), headers=bob))
    assert_limited(client.put(like_url(cid), headers=bob))
    row = comment_row(app, cid)
    assert row is not None and row.like_count == 1  # the refused unlike changed nothing


def test_like_limit_per_account_across_addresses(
    client: TestClient, app: FastAPI, alice: dict[str, str], bob: dict[str, str]
) -> None:
    cid = post(client, alice).json()["id"]
    state_of(app).settings = state_of(app).settings.model_copy(
        update={"trusted_proxies": "testclient"}
    )
    for n in range(3):
        r = client.put(like_url(cid), headers={**bob, "X-Forwarded-For": f"203.0.113.{n}"})
        assert r.status_code == 200
    assert_limited(client.put(like_url(cid), headers={**bob, "X-Forwarded-For": "203.0.113.9"}))
    # Another reader from a fresh address is not affected.
    carol = quick_reader(app)
    r = client.put(like_url(cid), headers={**carol, "X-Forwarded-For": "198.51.100.1"})
    assert r.status_code == 200 and r.json()["like_count"] == 2


def test_like_limit_per_address_across_accounts(
    client: TestClient, app: FastAPI, alice: dict[str, str]
) -> None:
    cid = post(client, alice).json()["id"]
    for _ in range(3):
        assert client.put(like_url(cid), headers=quick_reader(app)).status_code == 200
    assert_limited(client.put(like_url(cid), headers=quick_reader(app)))
