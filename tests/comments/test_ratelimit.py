"""Posting and editing are rate-limited per account and per address."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rostra.config import Settings
from tests.comments.conftest import API, post, quick_reader, rows
from tests.factories import ARTICLE


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"rate_limit_enabled": True, "rate_post": "2/60"})


def test_posting_is_limited(client: TestClient, app: FastAPI, alice: dict[str, str]) -> None:
    first = post(client, alice, "one").json()["id"]
    # A replayed retry is not a new attempt and does not use up the allowance.
    for _ in range(3):
        r = client.post(f"{API}/comments", json={"url": ARTICLE, "body": "k"},
                        headers={**alice, "Idempotency-Key": "same"})
        assert r.status_code == 201
    r = post(client, alice, "three", expect=429)
    assert r.json()["error"] == "rate_limited" and int(r.headers["retry-after"]) > 0
    assert rows(app) == (2, 1)
    r = client.patch(f"{API}/comments/{first}", json={"body": "edit"}, headers=alice)
    assert r.status_code == 429


def test_address_limit_covers_every_account(client: TestClient, app: FastAPI,
                                            alice: dict[str, str]) -> None:
    post(client, alice)
    post(client, quick_reader(app))
    r = post(client, quick_reader(app), expect=429)
    assert r.json()["error"] == "rate_limited"
