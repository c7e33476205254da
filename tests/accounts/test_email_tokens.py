"""Email verification and password reset, end to end through the outbox."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from rostra.db.base import utcnow
from rostra.http.deps import state_of
from rostra.models import EmailToken, User
from tests.accounts.conftest import mails, token_in
from tests.factories import bearer, login, reader, register

VERIFY = "/api/v1/auth/verify-email"
RESET = "/api/v1/auth/password-reset"
CONFIRM = "/api/v1/auth/password-reset/confirm"


def test_verification_end_to_end(client: TestClient, app: FastAPI) -> None:
    headers = reader(client, email="v@example.org")
    token = token_in(mails(app, "v@example.org")[-1])
    r = client.post(VERIFY, json={"token": token})
    assert r.status_code == 200 and r.json() == {"status": "verified"}
    assert client.get("/api/v1/me", headers=headers).json()["email_verified"] is True
    again = client.post(VERIFY, json={"token": token})  # single use
    assert again.status_code == 422
    assert again.json()["error"] == "invalid_token" and again.json()["field"] == "token"


def test_unknown_and_expired_verification_tokens(
    client: TestClient, app: FastAPI, db: Session
) -> None:
    assert client.post(VERIFY, json={"token": "made-up"}).json()["error"] == "invalid_token"
    register(client, email="late@example.org")
    token = token_in(mails(app)[-1])
    db.execute(update(EmailToken).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.commit()
    assert client.post(VERIFY, json={"token": token}).json()["error"] == "invalid_token"


def test_reset_token_cannot_verify_and_vice_versa(client: TestClient, app: FastAPI) -> None:
    creds = register(client, email="mix@example.org")
    verify_token = token_in(mails(app)[-1])
    client.post(RESET, json={"email": creds["email"]})
    reset_token = token_in(mails(app)[-1])
    assert client.post(VERIFY, json={"token": reset_token}).status_code == 422
    r = client.post(CONFIRM, json={"token": verify_token, "password": "brand new pass"})
    assert r.json()["error"] == "invalid_token"


def test_resend_verification(client: TestClient, app: FastAPI) -> None:
    headers = reader(client, email="again@example.org")
    r = client.post(f"{VERIFY}/resend", headers=headers)
    assert r.status_code == 202 and r.json()["status"] == "accepted"
    first, second = mails(app, "again@example.org")
    assert token_in(first) != token_in(second)
    assert client.post(VERIFY, json={"token": token_in(second)}).status_code == 200
    # Once verified, nothing more is sent.
    assert client.post(f"{VERIFY}/resend", headers=headers).status_code == 202
    assert len(mails(app, "again@example.org")) == 2


def test_resend_needs_sign_in(client: TestClient) -> None:
    r = client.post(f"{VERIFY}/resend")
    assert r.status_code == 401 and r.json()["error"] == "not_authenticated"


def test_password_reset_end_to_end_signs_out_everywhere(
    client: TestClient, app: FastAPI, db: Session
) -> None:
    creds = register(client, email="reset@example.org")
    sessions = [bearer(login(client, creds["email"], creds["password"])) for _ in range(2)]
    r = client.post(RESET, json={"email": "Reset@Example.org"})
    assert r.status_code == 202
    mail = mails(app, "reset@example.org")[-1]
    assert "/account/reset-password?token=" in mail["text"]
    token = token_in(mail)
    r = client.post(CONFIRM, json={"token": token, "password": "a brand new password"})
    assert r.status_code == 200
    for headers in sessions:
        assert client.get("/api/v1/me", headers=headers).status_code == 401
    old = client.post("/api/v1/auth/login", json=creds)
    assert old.status_code == 401
    login(client, creds["email"], "a brand new password")
    # Single use, and following the mailed link proves the address.
    assert (
        client.post(CONFIRM, json={"token": token, "password": "another new one"}).json()["error"]
        == "invalid_token"
    )
    db.expire_all()
    user = db.scalar(select(User).where(User.email == "reset@example.org"))
    assert user is not None and user.email_verified


def test_reset_with_weak_password_keeps_the_token(client: TestClient, app: FastAPI) -> None:
    creds = register(client, email="weak@example.org")
    client.post(RESET, json={"email": creds["email"]})
    token = token_in(mails(app)[-1])
    for password in ("short", "weak@example.org"):
        r = client.post(CONFIRM, json={"token": token, "password": password})
        assert r.status_code == 422 and r.json()["error"] == "weak_password"
    assert (
        client.post(CONFIRM, json={"token": token, "password": "long enough now"}).status_code
        == 200
    )


def test_newer_reset_kills_older_links(client: TestClient, app: FastAPI) -> None:
    creds = register(client)
    client.post(RESET, json={"email": creds["email"]})
    client.post(RESET, json={"email": creds["email"]})
    older, newer = (token_in(m) for m in mails(app)[-2:])
    assert (
        client.post(CONFIRM, json={"token": newer, "password": "new password 1"}).status_code == 200
    )
    assert (
        client.post(CONFIRM, json={"token": older, "password": "new password 2"}).json()["error"]
        == "invalid_token"
    )


def test_expired_reset_token(client: TestClient, app: FastAPI, db: Session) -> None:
    creds = register(client)
    client.post(RESET, json={"email": creds["email"]})
    token = token_in(mails(app)[-1])
    db.execute(
        update(EmailToken)
        .where(EmailToken.purpose == "password-reset")
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db.commit()
    r = client.post(CONFIRM, json={"token": token, "password": "new password 1"})
    assert r.json()["error"] == "invalid_token"


def test_reset_for_unknown_or_passwordless_address_says_the_same(
    client: TestClient, app: FastAPI, db: Session
) -> None:
    creds = register(client)
    db.add(User(email="sso-only@example.org", display_name="SSO"))
    db.commit()
    before = len(mails(app))
    known = client.post(RESET, json={"email": creds["email"]})
    unknown = client.post(RESET, json={"email": "nobody@example.org"})
    sso = client.post(RESET, json={"email": "sso-only@example.org"})
    assert known.status_code == unknown.status_code == sso.status_code == 202
    assert known.json() == unknown.json() == sso.json()
    assert [m["to"] for m in mails(app)[before:]] == [creds["email"]]


def test_reset_request_does_the_same_work_for_any_address(client: TestClient, app: FastAPI) -> None:
    """Known or unknown, the request writes one job and nothing else; only the
    job, later, finds out whether there is an account to mail."""
    from rostra.models import EmailToken, OutboxEvent

    creds = register(client, email="known@example.org")

    def written() -> tuple[int, int]:
        with state_of(app).read_sessions() as db:
            return (
                len(db.scalars(select(OutboxEvent.id)).all()),
                len(db.scalars(select(EmailToken.id)).all()),
            )

    for address in (creds["email"], "stranger@example.org"):
        jobs, tokens = written()
        assert client.post(RESET, json={"email": address}).status_code == 202
        assert written() == (jobs + 1, tokens)
