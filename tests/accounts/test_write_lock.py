"""On SQLite, the slow argon2 work runs without holding the one write lock:
a login attempt (even a failed one) or a password reset must not hold up
every comment being posted meanwhile."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rostra.accounts import passwords
from rostra.db.engine import WriterGate, writer_gate
from rostra.http.deps import state_of
from tests.accounts.conftest import mails, token_in
from tests.factories import register


@pytest.fixture
def gate(app: FastAPI) -> WriterGate:
    found = writer_gate(state_of(app).engine)
    if found is None:
        pytest.skip("PostgreSQL writers lock rows, not the database")
    return found


def _spy(monkeypatch: pytest.MonkeyPatch, gate: WriterGate, name: str) -> list[bool]:
    held: list[bool] = []
    real: Callable[..., Any] = getattr(passwords, name)

    def spy(*args: Any) -> Any:
        held.append(gate.busy)
        return real(*args)

    monkeypatch.setattr(passwords, name, spy)
    return held


def test_login_checks_the_password_outside_the_write_lock(
    client: TestClient,
    gate: WriterGate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    creds = register(client)
    held = _spy(monkeypatch, gate, "verify_password")
    assert client.post("/api/v1/auth/login", json=creds).status_code == 200
    assert (
        client.post("/api/v1/auth/login", json={**creds, "password": "wrong one!!"}).status_code
        == 401
    )
    assert held == [False, False]


def test_reset_hashes_outside_the_write_lock(
    client: TestClient,
    app: FastAPI,
    gate: WriterGate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    creds = register(client, email="lock@example.org")
    client.post("/api/v1/auth/password-reset", json={"email": creds["email"]})
    token = token_in(mails(app, "lock@example.org")[-1])
    held = _spy(monkeypatch, gate, "hash_password")
    r = client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": token, "password": "a brand new password"},
    )
    assert r.status_code == 200
    assert held == [False]
