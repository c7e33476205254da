"""The reader's account page (/account) in real Chromium: sign in on the page,
the Following feed with its article links, the signed-out state, and a
hostile comment that stays text."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Rostra
from tests.browser.test_account_pages import watch_console

pytestmark = pytest.mark.browser

HOSTILE = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2"> **bold** plain'


def _handle(rostra: Rostra, token: str) -> str:
    me = httpx.get(f"{rostra.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    return str(me.json()["handle"])


def test_sign_in_follow_and_read_the_feed(page: Any, rostra: Rostra, article: Any) -> None:
    reader = rostra.reader("Account Reader")
    writer = rostra.reader("Feed Writer")
    problems = watch_console(page)
    page.goto(f"{rostra.url}/account")
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    page.get_by_label("Email address").fill(reader["email"])
    page.get_by_label("Password").fill("wrong password!")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    page.get_by_label("Password").fill(reader["password"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#me-name")).to_have_text("Account Reader")
    mine = _handle(rostra, page.evaluate("localStorage.getItem('rostra.token')"))
    expect(page.get_by_role("link", name="@" + mine)).to_have_attribute("href", f"/u/{mine}")
    expect(page.get_by_role("status")).to_contain_text("Nothing here yet")

    them = _handle(rostra, writer["token"])
    r = httpx.put(f"{rostra.url}/api/v1/users/{them}/follow",
                  headers={"Authorization": f"Bearer {reader['token']}"})  # fmt: skip
    assert r.status_code == 200, r.text
    url, _ = article()
    made = rostra.post(writer["token"], url, "Trams run again from Monday.")
    hostile = rostra.post(writer["token"], url, HOSTILE)
    fillers = [rostra.post(writer["token"], url, f"Filler {n}.") for n in range(10)]

    page.reload()  # the token survives: signed in at once
    feed = page.locator("#feed > li")
    expect(feed).to_have_count(10)
    expect(feed.first).to_contain_text("Filler 9.")
    expect(feed.first).to_contain_text("Feed Writer")
    page.get_by_role("button", name="Load more").click()
    expect(feed).to_have_count(12)
    expect(page.get_by_role("button", name="Load more")).to_be_hidden()

    first = page.locator(f'#feed > li[data-id="{made["id"]}"]')
    expect(first).to_contain_text("Trams run again from Monday.")
    link = first.locator("a.go")
    expect(link).to_contain_text("In “")
    href = link.get_attribute("href")
    assert href.endswith(f"#rostra-comment-{made['id']}"), href
    assert href.split("#", 1)[0] == url

    bad = page.locator(f'#feed > li[data-id="{hostile["id"]}"]')
    expect(bad).to_contain_text("<script>window.pwned=1</script>")
    assert bad.locator("script, img").count() == 0
    assert page.evaluate("window.pwned") is None
    assert len(fillers) == 10
    assert [p for p in problems if "/auth/login" not in p] == []  # the wrong password's 401

    # A deleted comment leaves the feed (its placeholder stays in the thread only).
    gone = httpx.delete(f"{rostra.url}/api/v1/comments/{made['id']}",
                        headers={"Authorization": f"Bearer {writer['token']}"})  # fmt: skip
    assert gone.status_code == 204, gone.text
    page.reload()
    expect(feed).to_have_count(10)
    page.get_by_role("button", name="Load more").click()
    expect(feed).to_have_count(11)
    expect(page.locator(f'#feed > li[data-id="{made["id"]}"]')).to_have_count(0)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    assert page.evaluate("localStorage.getItem('rostra.token')") is None
    still = httpx.get(f"{rostra.url}/api/v1/me",
                      headers={"Authorization": f"Bearer {reader['token']}"})  # fmt: skip
    assert still.status_code == 200  # the API-made token is another sign-in: still valid


def test_signed_out_and_a_stale_token(page: Any, rostra: Rostra) -> None:
    problems = watch_console(page)
    page.goto(f"{rostra.url}/account")
    expect(page.locator("#signed-out")).to_be_visible()
    expect(page.locator("#signed-in")).to_be_hidden()
    page.evaluate("localStorage.setItem('rostra.token', 'not-a-token')")
    page.reload()
    expect(page.locator("#signed-out")).to_be_visible()
    assert page.evaluate("localStorage.getItem('rostra.token')") is None
    assert [p for p in problems if "401" not in p] == []
