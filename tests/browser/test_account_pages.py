"""The account pages that mail links open, in real Chromium (strict CSP, no script)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from rostra.http.deps import state_of
from rostra.models import OutboxEvent
from tests.browser.conftest import Rostra
from tests.conftest import run_jobs

pytestmark = pytest.mark.browser


def last_link(rostra: Rostra, to: str) -> str:
    run_jobs(rostra.app)  # a password reset's mail is written by its job
    with state_of(rostra.app).read_sessions() as db:
        rows = db.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.topic == "mail.send")
            .order_by(OutboxEvent.id.desc())
        )
        text = next(r.payload["text"] for r in rows if r.payload["to"] == to)
    match = re.search(r"(http://\S+/account/\S+token=\S+)", text)
    assert match, text
    return match.group(1)


def watch_console(page: Any) -> list[str]:
    """Console errors (a CSP violation shows here) and failed loads, but the
    favicon, which Chromium asks for on its own and Rostra does not serve."""
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and "Failed to load resource" not in m.text
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    return problems


def test_confirm_address_in_the_browser(page: Any, rostra: Rostra) -> None:
    reader = rostra.reader("Pages")
    problems = watch_console(page)
    page.goto(last_link(rostra, reader["email"]))
    page.get_by_role("button", name="Confirm my address").click()
    expect(page.get_by_role("heading")).to_have_text("Address confirmed")
    me = httpx.get(
        f"{rostra.url}/api/v1/me", headers={"Authorization": f"Bearer {reader['token']}"}
    ).json()
    assert me["email_verified"] is True
    assert problems == []  # e.g. no CSP violation for the stylesheet


def test_choose_a_new_password_in_the_browser(page: Any, rostra: Rostra) -> None:
    reader = rostra.reader()
    problems = watch_console(page)
    page.goto(f"{rostra.url}/account/reset-password")
    page.get_by_label("Your email address").fill(reader["email"])
    page.get_by_role("button", name="Mail me a link").click()
    expect(page.get_by_role("heading")).to_have_text("Check your mail")
    page.goto(last_link(rostra, reader["email"]))
    page.get_by_label("New password").fill("a fresh password")
    page.get_by_label("The same again").fill("a fresh password")
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_role("heading")).to_have_text("Password changed")
    old = httpx.get(
        f"{rostra.url}/api/v1/me", headers={"Authorization": f"Bearer {reader['token']}"}
    )
    assert old.status_code == 401  # signed out everywhere
    r = httpx.post(
        f"{rostra.url}/api/v1/auth/login",
        json={"email": reader["email"], "password": "a fresh password"},
    )
    assert r.status_code == 200
    assert problems == []
