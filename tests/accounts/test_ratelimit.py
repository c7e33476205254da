"""Rate limits on sign-in, registration and account mail (429 with Retry-After)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rostra.config import Settings
from rostra.errors import RateLimited
from rostra.http.deps import state_of
from rostra.http.ratelimit import Limits
from tests.accounts.conftest import mails
from tests.factories import assert_limited, register

LOGIN = "/api/v1/auth/login"
RESET = "/api/v1/auth/password-reset"


@pytest.fixture
def settings(limited: Settings) -> Settings:
    return limited


def test_login_limited_per_email_across_addresses(client: TestClient, app: FastAPI) -> None:
    creds = register(client)
    state_of(app).settings = state_of(app).settings.model_copy(
        update={"trusted_proxies": "testclient"}
    )
    for n in range(3):
        r = client.post(
            LOGIN,
            json={**creds, "password": "wrong password"},
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
        )
        assert r.status_code == 401
    # A fourth address, same account: refused even with the right password.
    assert_limited(client.post(LOGIN, json=creds, headers={"X-Forwarded-For": "203.0.113.9"}))


def test_login_limited_per_address_across_emails(client: TestClient) -> None:
    for n in range(3):
        r = client.post(LOGIN, json={"email": f"u{n}@example.org", "password": "x" * 10})
        assert r.status_code == 401
    assert_limited(client.post(LOGIN, json={"email": "u9@example.org", "password": "x" * 10}))


def test_register_limited_per_address(client: TestClient, app: FastAPI) -> None:
    register(client)
    register(client)
    r = client.post(
        "/api/v1/auth/register",
        json={"email": "third@example.org", "password": "long password", "display_name": "Third"},
    )
    assert_limited(r)
    assert len(mails(app)) == 2


def test_reset_mail_limited_per_email(client: TestClient, app: FastAPI) -> None:
    state_of(app).settings = state_of(app).settings.model_copy(
        update={"trusted_proxies": "testclient"}
    )
    creds = register(client)
    for n in range(2):
        r = client.post(
            RESET, json={"email": creds["email"]}, headers={"X-Forwarded-For": f"198.51.100.{n}"}
        )
        assert r.status_code == 202
    r = client.post(
        RESET, json={"email": creds["email"]}, headers={"X-Forwarded-For": "198.51.100.7"}
    )
    assert_limited(r)
    assert len(mails(app, creds["email"])) == 3  # verification + two resets


def test_reset_and_resend_share_the_per_address_mail_limit(client: TestClient) -> None:
    creds = register(client)
    r = client.post(LOGIN, json=creds)
    headers = {"Authorization": f"Bearer {r.json()['token']}"}
    assert client.post("/api/v1/auth/verify-email/resend", headers=headers).status_code == 202
    assert client.post(RESET, json={"email": "other@example.org"}).status_code == 202
    assert_limited(client.post("/api/v1/auth/verify-email/resend", headers=headers))


def test_limits_off_when_disabled(client: TestClient, app: FastAPI) -> None:
    state_of(app).settings = state_of(app).settings.model_copy(update={"rate_limit_enabled": False})
    for _ in range(6):
        r = client.post(LOGIN, json={"email": "x@example.org", "password": "x" * 10})
        assert r.status_code == 401


def test_limits_are_generic(app: FastAPI) -> None:
    """The policy other domains use: any ``rate_NAME`` setting, any keys."""
    state = state_of(app)
    settings = state.settings.model_copy(update={"rate_limit_enabled": True, "rate_post": "1/60"})
    limits = Limits(settings, state.backends.ratelimiter, "192.0.2.1")
    assert limits.address == "addr:192.0.2.1"
    limits.enforce("post", "user:1", "addr:a")
    limits.enforce("post", "user:2", "addr:b")
    with pytest.raises(RateLimited) as caught:
        limits.enforce("post", "user:3", "addr:a")  # the address is spent
    assert caught.value.code == "rate_limited"
    assert caught.value.headers["Retry-After"]
    assert not limits.allowed("post", "user:1")
    assert limits.allowed("post", "user:4")


def test_register_warnings_to_an_owner_are_limited_quietly(
    client: TestClient, app: FastAPI
) -> None:
    state_of(app).settings = state_of(app).settings.model_copy(
        update={"trusted_proxies": "testclient"}
    )
    body = {"email": "owner@example.org", "password": "long password", "display_name": "O"}
    answers = []
    for n in range(5):  # from five addresses, so the per-address limit never bites
        r = client.post(
            "/api/v1/auth/register", json=body, headers={"X-Forwarded-For": f"192.0.2.{n}"}
        )
        answers.append((r.status_code, r.json()))
    assert all(a == answers[0] for a in answers) and answers[0][0] == 202
    verify, *warnings = mails(app, "owner@example.org")
    assert "verify-email" in verify["text"]
    assert len(warnings) == 2  # rate_mail is 2/60 here; the rest are dropped silently
