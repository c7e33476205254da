"""Service functions other parts call directly: createadmin, passwords."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from rostra.accounts import passwords, repository, service
from rostra.errors import Invalid
from rostra.models import User
from tests.accounts.conftest import mails
from tests.factories import login, register


def test_create_admin_creates_a_verified_admin(client: TestClient, db: Session) -> None:
    user = service.create_admin(db, " Chief@Example.org ", "editor password", "Chief")
    db.commit()
    assert user.email == "chief@example.org"
    assert user.is_admin and user.email_verified
    token = login(client, "chief@example.org", "editor password")
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["is_admin"] is True and me["email_verified"] is True


def test_create_admin_promotes_an_existing_reader(client: TestClient, db: Session) -> None:
    creds = register(client, email="promote@example.org", display_name="Reader")
    user = service.create_admin(db, creds["email"], "the new password", "Ignored")
    db.commit()
    assert user.is_admin and user.display_name == "Reader"
    login(client, creds["email"], "the new password")


@pytest.mark.parametrize(
    ("email", "password", "name", "field"),
    [
        ("not an email", "long password", "A", "email"),
        ("a@example.org", "short", "A", "password"),
        ("a@example.org", "a@example.org", "A", "password"),
        ("a@example.org", "long password", " ", "display_name"),
    ],
)
def test_create_admin_rules(db: Session, email: str, password: str, name: str, field: str) -> None:
    with pytest.raises(Invalid) as caught:
        service.create_admin(db, email, password, name)
    assert caught.value.field == field


def test_verify_password_without_hash_is_false() -> None:
    assert passwords.verify_password(None, "anything at all") is False
    assert passwords.verify_password("not a hash", "anything at all") is False
    good = passwords.hash_password("right password")
    assert passwords.verify_password(good, "right password") is True
    assert passwords.verify_password(good, "wrong password") is False


def test_sign_up_race_on_one_address_is_not_a_500(
    client: TestClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two sign-ups for one address at once: the unique index decides, and the
    loser is answered like any repeated registration."""
    creds = register(client, email="race@example.org")
    real = repository.local_user_by_email
    calls = iter([None])  # the first lookup misses, as if the other insert was not yet seen
    monkeypatch.setattr(
        repository, "local_user_by_email", lambda db, email: next(calls, real(db, email))
    )
    r = client.post("/api/v1/auth/register", json={**creds, "display_name": "Second"})
    assert r.status_code == 202
    assert "tried to register" in mails(app, "race@example.org")[-1]["subject"]


class CountingHasher:
    """Wraps the real hasher and counts argon2 calls."""

    def __init__(self, real: PasswordHasher) -> None:
        self.real = real
        self.calls: list[str] = []

    def hash(self, password: str) -> str:
        self.calls.append("hash")
        return self.real.hash(password)

    def verify(self, hash: str, password: str) -> bool:
        self.calls.append("verify")
        return self.real.verify(hash, password)

    def check_needs_rehash(self, hash: str) -> bool:
        return self.real.check_needs_rehash(hash)


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    passwords._dummy_hash()  # made once per process, outside the counted calls
    hasher = CountingHasher(passwords.hasher)
    monkeypatch.setattr(passwords, "hasher", hasher)
    return hasher


def test_every_login_failure_costs_one_argon2_verify(
    client: TestClient, db: Session, counting: CountingHasher
) -> None:
    creds = register(client)
    db.add(User(email="sso-only@example.org", display_name="S"))
    db.commit()
    for body in (
        {"email": "nobody@example.org", "password": "some password"},
        {"email": "sso-only@example.org", "password": "some password"},
        {**creds, "password": "wrong password"},
    ):
        counting.calls.clear()
        assert client.post("/api/v1/auth/login", json=body).status_code == 401
        assert counting.calls == ["verify"], body


def test_register_hashes_for_new_and_known_addresses(
    client: TestClient, counting: CountingHasher
) -> None:
    body = {"email": "twice@example.org", "password": "long password", "display_name": "T"}
    for _ in range(2):
        counting.calls.clear()
        assert client.post("/api/v1/auth/register", json=body).status_code == 202
        assert counting.calls == ["hash"]
