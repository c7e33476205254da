"""POST /auth/register: the account, its mail, and saying nothing to strangers."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rostra.models import EmailToken, User
from tests.accounts.conftest import mails, token_in

URL = "/api/v1/auth/register"


def body(**kw: object) -> dict[str, object]:
    return {
        "email": "olena@example.org",
        "password": "a long password",
        "display_name": "Olena K.",
        **kw,
    }


def test_register_creates_unverified_account_with_argon2id_hash(
    client: TestClient, db: Session
) -> None:
    r = client.post(URL, json=body(email="  Olena@Example.ORG "))
    assert r.status_code == 202
    assert r.json()["status"] == "accepted" and r.json()["detail"]
    user = db.scalar(select(User))
    assert user is not None
    assert user.email == "olena@example.org"
    assert user.display_name == "Olena K."
    assert user.password_hash is not None and user.password_hash.startswith("$argon2id$")
    assert "a long password" not in user.password_hash
    assert not user.email_verified and not user.is_admin


def test_register_enqueues_verification_mail_with_link_and_token(
    client: TestClient, app: FastAPI, db: Session
) -> None:
    client.post(URL, json=body())
    [mail] = mails(app)
    assert mail["to"] == "olena@example.org"
    token = token_in(mail)
    assert f"http://rostra.test/account/verify-email?token={token}" in mail["text"]
    assert token in mail["text"].split("link", 1)[1]  # the raw code is there too
    assert "Olena K." in mail["html"]
    # Only the hash of the token is stored.
    stored = db.scalar(select(EmailToken))
    assert stored is not None and stored.purpose == "verify-email"
    assert token not in stored.token_hash


def test_register_existing_address_same_answer_different_mail(
    client: TestClient, app: FastAPI, db: Session
) -> None:
    first = client.post(URL, json=body())
    again = client.post(
        URL,
        json=body(email="OLENA@example.org", password="another password", display_name="Impostor"),
    )
    assert (first.status_code, first.json()) == (again.status_code, again.json())
    assert db.scalar(select(func.count()).select_from(User)) == 1
    user = db.scalar(select(User))
    assert user is not None and user.display_name == "Olena K."
    verify, warning = mails(app)
    assert "verify-email?token=" in verify["text"]
    assert "tried to register" in warning["subject"]
    assert "token=" not in warning["text"]
    assert warning["to"] == "olena@example.org"
    assert "Olena K." in warning["text"]  # the owner's name, not the impostor's


def test_registered_reader_can_sign_in_at_once(client: TestClient) -> None:
    client.post(URL, json=body())
    r = client.post(
        "/api/v1/auth/login", json={"email": "olena@example.org", "password": "a long password"}
    )
    assert r.status_code == 200
    assert r.json()["user"]["email_verified"] is False


def test_weak_passwords(client: TestClient, db: Session) -> None:
    for password in ("short", "123456789", "olena@example.org", "OLENA@EXAMPLE.ORG"):
        r = client.post(URL, json=body(password=password))
        assert r.status_code == 422, password
        assert r.json()["error"] == "weak_password"
        assert r.json()["field"] == "password"
    assert db.scalar(select(func.count()).select_from(User)) == 0


def test_weak_password_same_answer_for_existing_address(client: TestClient) -> None:
    client.post(URL, json=body())
    existing = client.post(URL, json=body(password="short"))
    new = client.post(URL, json=body(email="new@example.org", password="short"))
    assert existing.json() == new.json()
    assert existing.status_code == new.status_code == 422


def test_display_name_rules(client: TestClient) -> None:
    assert client.post(URL, json=body(display_name="   ")).status_code == 422
    assert client.post(URL, json=body(display_name="x" * 81)).json()["field"] == "display_name"
    r = client.post(URL, json=body(display_name="two\nlines"))
    assert r.json()["error"] == "invalid_characters"
    ok = client.post(URL, json=body(display_name="  " + "x" * 80 + "  "))
    assert ok.status_code == 202


def test_invalid_emails(client: TestClient) -> None:
    for email in (
        "",
        "plain",
        "a@b",
        "@example.org",
        "a@@example.org",
        "a b@example.org",
        "a,b@example.org",
        "a@example..org",
        "<a@example.org>",
        "x" * 65 + "@example.org",
        "a@" + "b" * 320 + ".org",
    ):
        r = client.post(URL, json=body(email=email))
        assert r.status_code == 422, email
        assert r.json()["error"] == "validation_error", email
        assert r.json()["field"] == "email", email
