"""SSO's own rate limits: valid exchanges per reader (site and ``sub``),
failed ones per address, and neither shared with the password sign-in."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from rostra.config import Settings
from rostra.http.deps import state_of
from rostra.models import UsedSsoToken
from rostra.sso.service import make_token
from tests.factories import ARTICLE, add_site, assert_limited

SSO = "/api/v1/auth/sso"
LOGIN = "/api/v1/auth/login"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "rate_limit_enabled": True,
            "rate_login": "3/60",
            "rate_sso": "2/60",
            "rate_sso_failed": "3/60",
            "trusted_proxies": "testclient",
        }
    )


@pytest.fixture
def secret(app: FastAPI) -> str:
    return add_site(app).sso_secret


def _exchange(client: TestClient, token: str, address: str = "203.0.113.1") -> Any:
    return client.post(
        SSO, json={"url": ARTICLE, "token": token}, headers={"X-Forwarded-For": address}
    )


def _used(app: FastAPI) -> int:
    with state_of(app).read_sessions() as db:
        return db.scalar(select(func.count()).select_from(UsedSsoToken)) or 0


def test_mistyped_passwords_do_not_block_sso_from_the_address(
    client: TestClient, secret: str
) -> None:
    wrong = {"email": "someone@example.org", "password": "not the password"}
    for _ in range(3):
        r = client.post(LOGIN, json=wrong, headers={"X-Forwarded-For": "203.0.113.1"})
        assert r.status_code == 401, r.text
    assert_limited(client.post(LOGIN, json=wrong, headers={"X-Forwarded-For": "203.0.113.1"}))
    for sub in ("u-1", "u-2", "u-3", "u-4"):
        r = _exchange(client, make_token(secret, sub))
        assert r.status_code == 200, r.text


def test_failed_exchanges_are_limited_per_address(
    client: TestClient, app: FastAPI, secret: str
) -> None:
    forged = make_token("not-the-site-secret-but-just-as-long-1234", "u-1")
    replayed = make_token(secret, "u-2")
    assert _exchange(client, replayed).status_code == 200
    # A request refused for its URL is not a failed exchange: it is not counted.
    r = client.post(
        SSO,
        json={"url": "https://elsewhere.example/a", "token": forged},
        headers={"X-Forwarded-For": "203.0.113.1"},
    )
    assert r.status_code == 422, r.text
    for token in (forged, replayed, "not a jwt"):
        r = _exchange(client, token)
        assert (r.status_code, r.json()["error"]) == (401, "invalid_sso_token"), r.text
    # Over its allowance the address is refused before its token is read: a
    # valid token is refused too, and is not used up by being refused.
    valid = make_token(secret, "u-3")
    assert_limited(_exchange(client, valid))
    assert _used(app) == 1
    # Another address, with the same valid token, is not held back.
    r = _exchange(client, valid, "198.51.100.7")
    assert r.status_code == 200, r.text


def test_one_reader_signing_in_too_often_is_limited_alone(
    client: TestClient, app: FastAPI, secret: str
) -> None:
    assert _exchange(client, make_token(secret, "busy")).status_code == 200
    assert _exchange(client, make_token(secret, "busy"), "198.51.100.7").status_code == 200
    # The same reader from yet another address: the limit is the reader's.
    refused = make_token(secret, "busy")
    assert_limited(_exchange(client, refused, "192.0.2.9"))
    assert _used(app) == 2  # the refused exchange kept nothing
    # Another reader of the same address is not affected, and a refusal for
    # the rate limit is not a failed exchange of that address.
    for sub in ("calm-1", "calm-2", "calm-3", "calm-4"):
        r = _exchange(client, make_token(secret, sub), "192.0.2.9")
        assert r.status_code == 200, r.text


def test_the_same_sub_on_another_site_has_its_own_allowance(
    client: TestClient, app: FastAPI, secret: str
) -> None:
    other = add_site(app, "other", ["https://other.example"])
    for _ in range(2):
        assert _exchange(client, make_token(secret, "u-1")).status_code == 200
    assert_limited(_exchange(client, make_token(secret, "u-1")))
    r = client.post(
        SSO,
        json={"url": "https://other.example/a", "token": make_token(other.sso_secret, "u-1")},
        headers={"X-Forwarded-For": "203.0.113.1"},
    )
    assert r.status_code == 200, r.text


def test_many_readers_behind_one_address(client: TestClient, secret: str) -> None:
    """A newsroom's office or a mobile network: one address, many readers,
    each signing in within the window; none is refused."""
    for n in range(12):
        r = _exchange(client, make_token(secret, f"reader-{n}"))
        assert r.status_code == 200, r.text
