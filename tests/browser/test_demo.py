"""The demo news site served by `rostra serve`: front page, articles, SSO."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import expect

from rostra.demo.articles import ARTICLES
from tests.browser.conftest import Rostra, thread

pytestmark = pytest.mark.browser


def test_front_page_counts_and_article_embed(page: Any, rostra: Rostra) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if "Security Policy" in m.text else None)
    page.goto(rostra.url + "/")
    expect(page.locator("a[data-rostra-count]")).to_have_count(len(ARTICLES))
    expect(page.locator("a[data-rostra-count]").first).to_have_text(re.compile(r"^\d+ comments?$"))
    page.locator(".story h2 a").first.click()
    expect(thread(page).locator("#heading")).to_contain_text("Comments")
    expect(page.locator("iframe.rostra-frame")).to_have_attribute("title", "Comments")
    assert errors == []


def test_demo_sso_login_and_logout(page: Any, rostra: Rostra) -> None:
    page.goto(rostra.url + "/demo/sso")
    expect(thread(page).locator("#signin")).to_be_visible()
    name = f"Subscriber {time.monotonic_ns() % 100000}"
    page.get_by_label("Name").fill(name)
    page.get_by_label("Email").fill(f"s{time.monotonic_ns()}@example.org")
    page.get_by_role("button", name="Sign in").click()
    expect(thread(page).locator("#authbar")).to_contain_text(f"Signed in as {name}")
    # Each page view carries a fresh single-use token; reloading signs in again silently.
    page.reload()
    expect(thread(page).locator("#authbar")).to_contain_text(f"Signed in as {name}")
    expect(thread(page).locator("#alert")).to_be_hidden()
    page.get_by_role("button", name="Sign out of the Courier").click()
    expect(page.get_by_label("Name")).to_be_visible()
    expect(thread(page).locator("#signin")).to_be_visible()


@pytest.mark.parametrize(("query", "sign_in"), [("", "Sign in"), ("?lang=uk", "Увійти")])
def test_article_page_layout(page: Any, rostra: Rostra, query: str, sign_in: str) -> None:
    """The section label stands clear of the masthead's rule, and with the
    register panel open the thread offers sign-in once, in both languages."""
    from tests.browser.conftest import ARTIFACTS

    page.goto(f"{rostra.url}/demo/articles/{ARTICLES[0].slug}{query}")
    rule = page.locator(".masthead").bounding_box()
    label = page.locator(".article .section").bounding_box()
    assert rule and label
    assert label["y"] - (rule["y"] + rule["height"]) >= 16
    t = thread(page)
    t.locator("#register").click()
    expect(t.locator(".auth input").first).to_be_focused()
    expect(t.get_by_text(sign_in, exact=True).filter(visible=True)).to_have_count(1)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"demo-article{query.replace('?lang=', '-')}.png"))
    t.locator("#authpanel").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"demo-register{query.replace('?lang=', '-')}.png"))
