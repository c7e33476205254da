"""The pages mail links open: confirm an address, choose a new password."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.accounts.conftest import mails, token_in
from tests.factories import login, register


def link_path(mail: dict[str, str]) -> str:
    match = re.search(r"http://rostra\.test(/account/\S+)", mail["text"])
    assert match, mail["text"]
    return match.group(1)


def test_verify_email_page_flow(client: TestClient, app: FastAPI) -> None:
    creds = register(client, email="page@example.org")
    headers = {"Authorization": f"Bearer {login(client, **creds)}"}
    mail = mails(app)[-1]
    page = client.get(link_path(mail))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    assert "<script" not in page.text  # no script at all, inline or not
    assert f'value="{token_in(mail)}"' in page.text
    # Opening the link alone (as a mail scanner would) changes nothing.
    assert client.get("/api/v1/me", headers=headers).json()["email_verified"] is False
    done = client.post("/account/verify-email", data={"token": token_in(mail)})
    assert done.status_code == 200 and "Address confirmed" in done.text
    assert client.get("/api/v1/me", headers=headers).json()["email_verified"] is True
    again = client.post("/account/verify-email", data={"token": token_in(mail)})
    assert again.status_code == 422 and "already used" in again.text


def test_verify_page_without_token(client: TestClient) -> None:
    assert client.get("/account/verify-email").status_code == 400
    assert client.post("/account/verify-email", data={}).status_code == 422


def test_page_escapes_what_it_echoes(client: TestClient) -> None:
    r = client.get("/account/verify-email", params={"token": '"><script>alert(1)</script>'})
    assert "<script>" not in r.text and "&lt;script&gt;" in r.text


def test_reset_password_page_flow(client: TestClient, app: FastAPI) -> None:
    creds = register(client, email="pw@example.org")
    client.post("/api/v1/auth/password-reset", json={"email": creds["email"]})
    mail = mails(app)[-1]
    page = client.get(link_path(mail))
    assert page.status_code == 200 and 'type="password"' in page.text
    token = token_in(mail)
    differ = client.post(
        "/account/reset-password",
        data={"token": token, "password": "new password 1", "password_again": "new password 2"},
    )
    assert differ.status_code == 400 and "differ" in differ.text
    weak = client.post(
        "/account/reset-password",
        data={"token": token, "password": "short", "password_again": "short"},
    )
    assert weak.status_code == 422 and "at least 10" in weak.text
    done = client.post(
        "/account/reset-password",
        data={"token": token, "password": "new password 1", "password_again": "new password 1"},
    )
    assert done.status_code == 200 and "Password changed" in done.text
    login(client, creds["email"], "new password 1")
    reused = client.post(
        "/account/reset-password",
        data={"token": token, "password": "new password 3", "password_again": "new password 3"},
    )
    assert reused.status_code == 422


def test_request_reset_from_the_page(client: TestClient, app: FastAPI) -> None:
    creds = register(client, email="forgot@example.org")
    # The "someone tried to register" mail links here, without a token.
    register(client, email="forgot@example.org")
    assert link_path(mails(app)[-1]) == "/account/reset-password"
    form = client.get("/account/reset-password")
    assert form.status_code == 200 and 'name="email"' in form.text
    r = client.post("/account/reset-password/request", data={"email": creds["email"]})
    assert r.status_code == 200 and "Check your mail" in r.text
    assert "reset-password?token=" in mails(app)[-1]["text"]
    unknown = client.post("/account/reset-password/request", data={"email": "no@example.org"})
    assert unknown.text == r.text
    bad = client.post("/account/reset-password/request", data={"email": "not an address"})
    assert bad.status_code == 422 and "not a valid email" in bad.text
