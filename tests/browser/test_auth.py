"""Signing in inside the embed: forms, every tab and article at once, SSO."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Rostra, sign_in, thread

pytestmark = pytest.mark.browser


def test_sign_in_and_out_reach_every_tab_without_reload(
    context: Any, rostra: Rostra, article: Any
) -> None:
    reader = rostra.reader("Ivo")
    one, two = context.new_page(), context.new_page()
    one.goto(article()[0])
    two.goto(article()[0])  # another article of the same site
    expect(thread(two).locator("#signin")).to_be_visible()
    loads = []
    two.on("framenavigated", lambda f: loads.append(f.url))
    # Signing in on a background tab (the last opened is in front) can stall
    # in headless Chromium: act on the tab in front, as a reader would.
    one.bring_to_front()
    sign_in(one, reader)
    expect(thread(two).locator("#authbar")).to_contain_text("Signed in as Ivo")
    expect(thread(two).get_by_label("Write a comment")).to_be_visible()
    thread(one).locator("#signout").click()
    expect(thread(one).locator("#signin")).to_be_visible()
    expect(thread(two).locator("#signin")).to_be_visible()
    expect(thread(two).get_by_label("Write a comment")).to_have_count(0)
    assert loads == []  # neither the page nor its iframe was reloaded


def test_register_then_comment_at_once(page: Any, article: Any) -> None:
    page.goto(article()[0])
    t = thread(page)
    t.locator("#register").click()
    t.get_by_label("Name shown with your comments").fill("New Reader")
    t.get_by_label("Email").fill(f"new{time.monotonic_ns()}@example.org")
    t.get_by_label("Password").fill("a long enough password")
    t.get_by_role("button", name="Create account").click()
    expect(t.locator("#authbar")).to_contain_text("Signed in as New Reader")
    t.get_by_label("Write a comment").fill("My first comment")
    t.get_by_role("button", name="Post comment").click()
    expect(t.locator("#list .author")).to_have_text("New Reader")


def test_wrong_password_shows_the_api_detail(page: Any, rostra: Rostra, article: Any) -> None:
    reader = rostra.reader()
    page.goto(article()[0])
    t = thread(page)
    t.locator("#signin").click()
    t.get_by_label("Email").fill(reader["email"])
    t.get_by_label("Password").fill("not the password at all")
    t.locator("form.auth-form button[type=submit]").click()
    expect(t.locator(".auth [role=alert]")).to_be_visible()
    expect(t.locator("#signout")).to_have_count(0)
    t.get_by_role("button", name="Close").click()  # still signed out
    expect(t.locator("#signin")).to_be_visible()
    expect(t.locator("#signin")).to_be_focused()


@pytest.mark.parametrize(
    ("lang", "sign_in", "register", "close"),
    [("en", "Sign in", "Register", "Close"), ("uk", "Увійти", "Зареєструватися", "Закрити")],
)
def test_an_open_panel_offers_each_way_once(
    page: Any, article: Any, lang: str, sign_in: str, register: str, close: str
) -> None:
    """Signed out, the bar and the note under it offer sign-in; once a panel
    is open they step aside and the panel alone says where to go next."""
    from tests.browser.conftest import ARTIFACTS

    page.goto(article(lang=lang)[0])
    t = thread(page)
    offers = t.get_by_role("button", name=sign_in, exact=True)
    expect(offers).to_have_count(2)  # the bar's and the note's
    t.locator("#register").click()
    expect(t.locator(".auth input").first).to_be_focused()
    expect(offers).to_have_count(1)  # the panel's own link to the sign-in form
    expect(t.locator(".auth").get_by_role("button", name=sign_in, exact=True)).to_be_visible()
    expect(t.get_by_text(sign_in, exact=True).filter(visible=True)).to_have_count(1)
    expect(t.locator("#compose .ask")).to_be_hidden()
    expect(t.get_by_role("button", name=register, exact=True)).to_have_count(0)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"register-panel-{lang}.png"))
    # The sign-in form: its heading and its button, and a way to register.
    offers.click()
    expect(t.get_by_role("button", name=register, exact=True)).to_have_count(1)
    expect(t.locator(".auth").get_by_role("button", name=register, exact=True)).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / f"sign-in-panel-{lang}.png"))
    t.get_by_role("button", name=close, exact=True).click()
    expect(offers).to_have_count(2)
    expect(t.locator("#compose .ask")).to_be_visible()
    expect(t.locator("#signin")).to_be_focused()


def test_forgot_password(page: Any, rostra: Rostra, article: Any) -> None:
    page.goto(article()[0])
    t = thread(page)
    t.locator("#signin").click()
    t.get_by_role("button", name="Forgot password?").click()
    t.get_by_label("Email").fill("someone@example.org")
    t.get_by_role("button", name="Send reset link").click()
    expect(t.locator(".auth [role=status]")).to_contain_text("If an account exists")


def _sso(secret: str, sub: str, name: str) -> str:
    now = int(time.time())
    return jwt.encode(
        {
            "sub": sub,
            "name": name,
            "email": f"{sub}@example.org",
            "iat": now,
            "exp": now + 300,
            "jti": f"{sub}-{time.monotonic_ns()}",
        },
        secret,
        algorithm="HS256",
    )


def test_sso_valid_token_signs_in(context: Any, rostra: Rostra, article: Any) -> None:
    token = _sso(rostra.sso_secret, f"sub{time.monotonic_ns()}", "Gazette Subscriber")
    page = context.new_page()
    page.goto(article(sso=token)[0])
    t = thread(page)
    expect(t.locator("#authbar")).to_contain_text("Signed in as Gazette Subscriber")
    t.get_by_label("Write a comment").fill("Commenting through SSO")
    t.get_by_role("button", name="Post comment").click()
    expect(t.locator("#list .author")).to_have_text("Gazette Subscriber")
    # Rostra.logout() from the host page signs the reader out of the embed.
    page.evaluate("window.Rostra.logout()")
    expect(t.locator("#signin")).to_be_visible()


def test_sso_by_script_call(page: Any, rostra: Rostra, article: Any) -> None:
    page.goto(article()[0])
    expect(thread(page).locator("#signin")).to_be_visible()
    page.evaluate("t => window.Rostra.login(t)", _sso(rostra.sso_secret, "scripted", "Scripted"))
    expect(thread(page).locator("#authbar")).to_contain_text("Signed in as Scripted")


def test_sso_forged_token_is_refused(page: Any, article: Any) -> None:
    forged = _sso("a-secret-that-is-not-the-sites-secret-x", "mallory", "Mallory")
    warnings: list[str] = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    page.goto(article(sso=forged)[0])
    t = thread(page)
    # The reader gets a plain message; the server's reason goes to the console.
    expect(t.locator("#alert")).to_have_text("Could not sign you in automatically.")
    expect(t.locator("#signin")).to_be_visible()
    expect(t.locator("#authbar")).not_to_contain_text("Mallory")
    assert any("Rostra SSO" in w and "signature" in w for w in warnings), warnings


def test_host_sign_in_and_out_leave_focus_and_scroll_alone(
    page: Any, rostra: Rostra, article: Any
) -> None:
    token = _sso(rostra.sso_secret, f"sub{time.monotonic_ns()}", "Quiet Subscriber")
    page.goto(article(sso=token, tall="1")[0])  # the thread starts 3000px down
    t = thread(page)
    expect(t.locator("#authbar")).to_contain_text("Signed in as Quiet Subscriber")
    expect(t.locator("#status")).to_have_text("Signed in as Quiet Subscriber.")
    assert page.evaluate("window.scrollY") == 0
    assert page.evaluate("document.activeElement.tagName") != "IFRAME"
    page.evaluate("window.Rostra.logout()")
    expect(t.locator("#signin")).to_be_visible()
    expect(t.locator("#status")).to_have_text("Signed out.")
    assert page.evaluate("window.scrollY") == 0
    assert page.evaluate("document.activeElement.tagName") != "IFRAME"
    # A second logout, with nobody signed in, does nothing: no reload, no
    # announcement. (The forged login after it is processed after it.)
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url) if "/api/v1/" in r.url else None)
    page.evaluate("window.Rostra.logout()")
    page.evaluate("t => window.Rostra.login(t)", _sso("not-the-secret-not-the-secret-xx", "x", "X"))
    expect(t.locator("#alert")).to_be_visible()
    assert [u for u in seen if "/auth/sso" not in u] == [], seen
    expect(t.locator("#status")).to_have_text("Signed out.")


def test_reader_sign_in_moves_focus(page: Any, rostra: Rostra, article: Any) -> None:
    page.goto(article()[0])
    sign_in(page, rostra.reader())
    expect(thread(page).locator("#signout")).to_be_focused()
    thread(page).locator("#signout").click()
    expect(thread(page).locator("#signin")).to_be_focused()


def test_blocked_storage_keeps_the_token_for_the_page(
    browser: Any, rostra: Rostra, article: Any
) -> None:
    ctx = browser.new_context()
    try:
        # Storage that reads but refuses every write, as when it is full or blocked.
        ctx.add_init_script(
            "Storage.prototype.setItem = function () {"
            " throw new DOMException('refused', 'QuotaExceededError'); }"
        )
        page = ctx.new_page()
        page.goto(article()[0])
        sign_in(page, rostra.reader("Private"))
        t = thread(page)
        expect(t.locator("#authbar .notice")).to_have_text(
            "You will stay signed in on this page only."
        )
        t.get_by_label("Write a comment").fill("Posted without storage")
        t.get_by_role("button", name="Post comment").click()
        expect(t.locator("#list .author")).to_have_text("Private")
    finally:
        ctx.close()


def test_half_written_comment_survives_sign_in_elsewhere(
    context: Any, rostra: Rostra, article: Any
) -> None:
    where, url = article()
    author = rostra.reader("Opener")
    rostra.post(author["token"], url, "First comment")
    one = context.new_page()
    one.goto(where)
    sign_in(one, rostra.reader("Drafter"))
    t = thread(one)
    two = context.new_page()
    two.goto(article()[0])  # another article of the same site
    expect(thread(two).locator("#authbar")).to_contain_text("Signed in as Drafter")
    t.get_by_label("Write a comment").fill("Half a thought")
    t.get_by_role("button", name="Reply").first.click()
    t.get_by_label("Reply to Opener").fill("Half a reply")
    # Another account signs in from the second tab: the first tab re-renders.
    two.evaluate(
        "t => window.Rostra.login(t)",
        _sso(rostra.sso_secret, f"sub{time.monotonic_ns()}", "Switcher"),
    )
    expect(t.locator("#authbar")).to_contain_text("Signed in as Switcher")
    expect(t.get_by_label("Write a comment")).to_have_value("Half a thought")
    expect(t.get_by_label("Reply to Opener")).to_have_value("Half a reply")
    # Signed out and in again elsewhere: the text waits for the next sign-in.
    thread(two).locator("#signout").click()
    expect(t.locator("#signin")).to_be_visible()
    expect(t.get_by_label("Write a comment")).to_have_count(0)
    sign_in(two, rostra.reader("Returner"))
    expect(t.locator("#authbar")).to_contain_text("Signed in as Returner")
    expect(t.get_by_label("Write a comment")).to_have_value("Half a thought")
    expect(t.get_by_label("Reply to Opener")).to_have_value("Half a reply")
    # A posted draft is gone for good.
    t.get_by_role("button", name="Post comment").click()
    expect(t.locator("#list .body", has_text="Half a thought")).to_have_count(1)
    expect(t.get_by_label("Write a comment")).to_have_value("")


def test_sso_profile_change_reaches_the_embed(page: Any, rostra: Rostra, article: Any) -> None:
    sub = f"sub{time.monotonic_ns()}"
    page.goto(article(sso=_sso(rostra.sso_secret, sub, "Ann"))[0])
    t = thread(page)
    expect(t.locator("#authbar")).to_contain_text("Signed in as Ann")
    expect(t.locator("#status")).to_have_text("Signed in as Ann.")
    loads: list[str] = []
    page.on("framenavigated", lambda f: loads.append(f.url))
    exchanges: list[str] = []
    page.on("request", lambda r: exchanges.append(r.url) if "/auth/sso" in r.url else None)
    # The same profile again: nothing to exchange.
    page.evaluate("t => window.Rostra.login(t)", _sso(rostra.sso_secret, sub, "Ann"))
    page.evaluate("t => window.Rostra.login(t)", _sso(rostra.sso_secret, sub, "Ann B."))
    expect(t.locator("#authbar")).to_contain_text("Signed in as Ann B.")
    assert len(exchanges) == 1, exchanges
    # Quietly: no reload, no new announcement, focus left alone.
    expect(t.locator("#status")).to_have_text("Signed in as Ann.")
    assert page.evaluate("document.activeElement.tagName") != "IFRAME"
    assert loads == []
    # The new session works.
    t.get_by_label("Write a comment").fill("Renamed")
    t.get_by_role("button", name="Post comment").click()
    expect(t.locator("#list .author")).to_have_text("Ann B.")
