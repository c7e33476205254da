"""Reporting is rate-limited per account (ROSTRA_RATE_REPORT)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rostra.config import Settings
from tests.comments.conftest import API, post, quick_reader
from tests.factories import assert_limited


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"rate_limit_enabled": True, "rate_report": "2/60", "rate_post": "50/60"}
    )


def test_reporting_is_limited(client: TestClient, app: FastAPI, alice: dict[str, str]) -> None:
    ids = [post(client, alice, f"Comment {n}").json()["id"] for n in range(3)]
    reporter = quick_reader(app, "Reporter")
    for cid in ids[:2]:
        r = client.post(f"{API}/comments/{cid}/reports", json={"reason": "spam"}, headers=reporter)
        assert r.status_code == 201, r.text
    r = client.post(f"{API}/comments/{ids[2]}/reports", json={"reason": "spam"}, headers=reporter)
    assert_limited(r)
