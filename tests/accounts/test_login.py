"""Sign-in, sign-out, /me, and what a session token can and cannot do."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from rostra.accounts import service
from rostra.accounts.tokens import hash_token
from rostra.config import Settings
from rostra.db.base import utcnow
from rostra.http.deps import state_of
from rostra.models import AuthSession, User
from tests.factories import bearer, login, reader, register

LOGIN = "/api/v1/auth/login"


def test_login_answers_token_and_me(client: TestClient, db: Session) -> None:
    creds = register(client, email="ivan@example.org", display_name="Ivan")
    r = client.post(
        LOGIN,
        json={"email": " IVAN@example.org", "password": creds["password"]},
        headers={"User-Agent": "Browser/1.0"},
    )
    assert r.status_code == 200
    data = r.json()
    assert set(data["user"]) == {
        "id",
        "email",
        "display_name",
        "avatar_url",
        "email_verified",
        "is_admin",
        "created_at",
        "handle",
        "handle_changed_at",
        "is_private",
        "notify",
        "mail_mode",
    }
    assert data["user"]["email"] == "ivan@example.org"
    assert data["user"]["display_name"] == "Ivan"
    assert data["user"]["handle"] == "ivan"  # suggested from the name
    assert data["user"]["mail_mode"] == "digest"
    assert data["user"]["is_admin"] is False
    session = db.scalar(select(AuthSession))
    assert session is not None
    assert session.token_hash == hash_token(data["token"])  # stored hashed, not raw
    assert session.user_agent == "Browser/1.0"
    days = (session.expires_at - utcnow()).days
    assert 88 <= days <= 90  # settings.session_days (90 by default)


def test_session_lifetime_follows_settings(client: TestClient, app: FastAPI, db: Session) -> None:
    creds = register(client)
    state_of(app).settings = state_of(app).settings.model_copy(update={"session_days": 2})
    login(client, creds["email"], creds["password"])
    session = db.scalar(select(AuthSession))
    assert session is not None
    assert timedelta(days=1) < session.expires_at - utcnow() <= timedelta(days=2)


def test_wrong_password_and_unknown_email_look_the_same(client: TestClient) -> None:
    creds = register(client)
    wrong = client.post(LOGIN, json={"email": creds["email"], "password": "wrong password"})
    unknown = client.post(
        LOGIN, json={"email": "nobody@example.org", "password": creds["password"]}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"] == "invalid_credentials"


def test_sso_only_user_cannot_sign_in_with_password(client: TestClient, db: Session) -> None:
    db.add(User(email="sso@example.org", display_name="SSO", password_hash=None))
    db.commit()
    r = client.post(LOGIN, json={"email": "sso@example.org", "password": "any password 1"})
    assert r.status_code == 401 and r.json()["error"] == "invalid_credentials"


def test_suspended_user_gets_403_only_with_the_right_password(
    client: TestClient, db: Session
) -> None:
    creds = register(client)
    db.execute(update(User).values(is_suspended=True))
    db.commit()
    r = client.post(LOGIN, json=creds)
    assert r.status_code == 403 and r.json()["error"] == "account_suspended"
    wrong = client.post(LOGIN, json={**creds, "password": "wrong password"})
    assert wrong.json()["error"] == "invalid_credentials"


def test_old_hash_is_upgraded_on_sign_in(client: TestClient, db: Session) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    db.add(
        User(email="old@example.org", display_name="Old", password_hash=weak.hash("old password 1"))
    )
    db.commit()
    assert (
        client.post(
            LOGIN, json={"email": "old@example.org", "password": "old password 1"}
        ).status_code
        == 200
    )
    db.expire_all()
    user = db.scalar(select(User))
    assert user is not None and user.password_hash is not None
    assert not PasswordHasher().check_needs_rehash(user.password_hash)
    assert (
        client.post(
            LOGIN, json={"email": "old@example.org", "password": "old password 1"}
        ).status_code
        == 200
    )


def test_me(client: TestClient) -> None:
    headers = reader(client, email="me@example.org")
    r = client.get("/api/v1/me", headers=headers)
    assert r.status_code == 200
    assert r.json()["email"] == "me@example.org"
    assert r.json()["email_verified"] is False


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer nonsense"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer caf\u00e9".encode()},
    ],
)
def test_me_needs_a_valid_token(client: TestClient, headers: dict[str, Any]) -> None:
    r = client.get("/api/v1/me", headers=headers)
    assert r.status_code == 401
    assert r.json()["error"] == "not_authenticated"
    assert r.headers["www-authenticate"] == "Bearer"


def test_logout_revokes_only_that_session(client: TestClient) -> None:
    creds = register(client)
    first = bearer(login(client, creds["email"], creds["password"]))
    second = bearer(login(client, creds["email"], creds["password"]))
    r = client.post("/api/v1/auth/logout", headers=first)
    assert r.status_code == 204 and r.content == b""
    assert client.get("/api/v1/me", headers=first).status_code == 401
    assert client.post("/api/v1/auth/logout", headers=first).status_code == 401
    assert client.get("/api/v1/me", headers=second).status_code == 200


def test_logout_needs_a_token(client: TestClient) -> None:
    r = client.post("/api/v1/auth/logout")
    assert r.status_code == 401 and r.json()["error"] == "not_authenticated"


def test_expired_session_is_refused(client: TestClient, db: Session) -> None:
    headers = reader(client)
    db.execute(update(AuthSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_create_session_for_other_callers(
    client: TestClient, db: Session, settings: Settings
) -> None:
    """The SSO sign-in calls create_session(db, settings, user, user_agent) directly."""
    user = User(email=None, display_name="From SSO")
    db.add(user)
    db.flush()
    token = service.create_session(db, settings, user, user_agent="x" * 500)
    db.commit()
    assert isinstance(token, str) and len(token) >= 40
    r = client.get("/api/v1/me", headers=bearer(token))
    assert r.status_code == 200 and r.json()["email"] is None
    session = db.scalar(select(AuthSession))
    assert session is not None and len(session.user_agent) == 255
