"""/docs works offline and under the strict CSP: assets are served by Rostra."""

from __future__ import annotations

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
