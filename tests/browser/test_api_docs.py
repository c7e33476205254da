"""/docs works offline and under the strict CSP: assets are served by Rostra."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Rostra
from tests.browser.test_account_pages import watch_console

pytestmark = pytest.mark.browser


def test_api_docs_render_every_call(page: Any, rostra: Rostra) -> None:
    problems = watch_console(page)
    page.goto(f"{rostra.url}/docs")
    expect(page.locator(".opblock").first).to_be_visible(timeout=15000)
    summaries = page.locator(".opblock-summary-path").all_inner_texts()
    for path in ("/api/v1/comments", "/api/v1/counts", "/api/v1/auth/login", "/api/v1/me"):
        assert any(s.replace("\u200b", "") == path for s in summaries), summaries
    assert problems == []


def test_authorize_then_try_it_out(page: Any, rostra: Rostra) -> None:
    """The Authorize button takes a sign-in token; "Try it out" on GET /me
    then sends it and shows the reader's account."""
    reader = rostra.reader("Docs Reader")
    problems = watch_console(page)
    page.goto(f"{rostra.url}/docs")
    page.locator(".auth-wrapper button.authorize").click()
    dialog = page.locator(".modal-ux")
    expect(dialog).to_contain_text("bearer")
    dialog.locator("#auth-bearer-value").fill(reader["token"])
    dialog.get_by_role("button", name="Apply credentials").click()
    expect(dialog).to_contain_text("Authorized")
    expect(dialog.get_by_role("button", name="Remove authorization")).to_be_visible()
    dialog.get_by_role("button", name="Close").click()
    expect(page.locator(".auth-wrapper button.authorize")).to_have_class(re.compile(r"\blocked\b"))
    me = page.locator("#operations-accounts-me_api_v1_me_get")
    expect(me.locator(".authorization__btn")).to_be_visible()  # the lock: a token is taken
    me.locator(".opblock-summary").click()
    me.locator("button.try-out__btn").click()
    me.locator("button.execute").click()
    response = me.locator(".live-responses-table .response").first
    expect(response.locator(".response-col_status")).to_have_text("200")
    expect(response.locator(".response-col_description")).to_contain_text("Docs Reader")
    # The curl shown sends the token as a bearer token.
    expect(me.locator(".curl-command")).to_contain_text(f"Authorization: Bearer {reader['token']}")
    assert problems == []
