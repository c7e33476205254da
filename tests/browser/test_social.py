"""The embed's social part in real Chromium, two readers in two browsers:
A follows B from the author menu on B's comment; B answers A; A's bell
counts it without a reload; A's Following tab lists it; its link (a deep
link, ARTICLE#rostra-comment-ID) opens the other article's thread at the
reply, highlighted, though its thread is not on the first page; the
unsubscribe link of the mail A got (a real SMTP server) works signed out.
Then the menu's block, the mention list and the sign-up handle field."""

from __future__ import annotations

import email
import random
import re
import string
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from rostra.backends.mail import SMTPMailer
from rostra.db.base import utcnow
from rostra.http.deps import state_of
from rostra.models import User
from tests.backends.test_mail import Sink
from tests.browser.conftest import ARTIFACTS, Rostra, sign_in, thread
from tests.conftest import run_jobs
from tests.livesrv import free_port

pytestmark = pytest.mark.browser


@pytest.fixture
def sink(rostra: Rostra) -> Iterator[Sink]:
    """A real SMTP server the live Rostra mails through, for this test."""
    from aiosmtpd.controller import Controller

    got = Sink()
    port = free_port()
    controller = Controller(got, hostname="127.0.0.1", port=port)
    controller.start()
    state = state_of(rostra.app)
    before = state.backends.mailer
    state.backends.mailer = SMTPMailer(f"smtp://127.0.0.1:{port}")
    try:
        yield got
    finally:
        state.backends.mailer = before
        controller.stop()


def _verify(rostra: Rostra, reader: dict[str, str]) -> None:
    with state_of(rostra.app).write_sessions() as db:
        db.execute(
            update(User).where(User.email == reader["email"]).values(email_verified_at=utcnow())
        )
        db.commit()
    with rostra.api() as c:
        r = c.patch("/api/v1/me", json={"mail_mode": "immediate"},
                    headers={"Authorization": f"Bearer {reader['token']}"})  # fmt: skip
        assert r.status_code == 200, r.text


def _mails(sink: Sink) -> list[EmailMessage]:
    out = []
    for envelope in sink.envelopes:
        msg = email.message_from_bytes(envelope.content, policy=default)
        assert isinstance(msg, EmailMessage)
        out.append(msg)
    return out


def test_follow_bell_feed_deep_link_and_unsubscribe(
    browser: Any, third_party_storage: None, rostra: Rostra, article: Any, sink: Sink
) -> None:
    first, _ = article()
    _, second_url = article()
    a, b = rostra.reader("Anna Follower"), rostra.reader("Bohdan Writer")
    filler = rostra.reader("Filler")
    _verify(rostra, a)
    mine = rostra.post(a["token"], second_url, "Anna asks: when do the trams run?")
    # Newer threads push Anna's off the first page (newest first, 20 a page).
    fillers = [rostra.post(filler["token"], second_url, f"Filler thread {n}.") for n in range(22)]
    run_jobs(rostra.app)  # the followed-reader and page jobs so far
    contexts = [browser.new_context(viewport={"width": 900, "height": 1000}) for _ in range(2)]
    try:
        pa, pb = (c.new_page() for c in contexts)
        pb.goto(first)
        sign_in(pb, b)
        tb = thread(pb)
        tb.get_by_label("Write a comment").fill("Bohdan's first comment.")
        tb.get_by_role("button", name="Post comment").click()
        expect(tb.locator("#list .body")).to_have_text("Bohdan's first comment.")
        run_jobs(rostra.app)  # before Anna follows him: it notifies nobody

        pa.goto(first)
        sign_in(pa, a)
        ta = thread(pa)
        bell = ta.locator("#bell")
        expect(bell).to_have_attribute("aria-label", "Notifications: 0 unread")
        # The author menu on Bohdan's comment: his handle beside his name, no email.
        author = ta.locator("#list button.author", has_text="Bohdan Writer")
        expect(ta.locator("#list .handle")).to_have_text(re.compile(r"^@bohdan_writer"))
        author.click()
        menu = ta.locator(".menu")  # the card, the menu (role=menu) and its notes
        expect(menu.get_by_role("menuitem", name="View profile (new tab)")).to_be_focused()
        expect(menu).to_contain_text("0 followers")
        expect(menu).not_to_contain_text("@example.org")
        menu.get_by_role("menuitem", name="Follow Bohdan Writer").click()
        expect(menu.get_by_role("status")).to_have_text("You follow Bohdan Writer.")
        expect(menu.get_by_role("menuitem", name="Unfollow Bohdan Writer")).to_be_focused()
        pa.keyboard.press("Escape")
        expect(menu).to_have_count(0)
        expect(author).to_be_focused()

        # Bohdan answers Anna on the other article; the jobs notify her.
        reply = rostra.post(b["token"], second_url, "Bohdan answers: from Monday.", mine["id"])
        run_jobs(rostra.app)
        expect(bell).to_have_attribute("aria-label", "Notifications: 1 unread")  # no reload
        expect(bell.locator(".n")).to_have_text("1")
        bell.click()
        notes = ta.locator("#notes")
        expect(notes.locator("li.unread")).to_have_count(1)
        expect(notes.locator("li.unread a")).to_have_text("Bohdan Writer replied to you")

        # The Following tab lists the reply, with its article's title.
        bell.click()
        ta.get_by_role("tab", name="Following").click()
        expect(ta.get_by_role("tab", name="Following")).to_have_attribute("aria-selected", "true")
        item = ta.locator("ol.feed li").first
        expect(item.locator(".body")).to_have_text("Bohdan answers: from Monday.")
        expect(ta.locator("#list")).to_be_hidden()
        link = item.locator("a.go")
        expect(link).to_have_attribute("href", f"{second_url}#rostra-comment-{reply['id']}")
        pa.screenshot(path=str(ARTIFACTS / "social-following-tab.png"), full_page=True)
        link.click()

        # The deep link: the other article, its thread opened at the reply.
        pa.wait_for_url(f"{second_url}#rostra-comment-{reply['id']}")
        target = ta.locator(f"#c{reply['id']}")
        expect(target).to_have_class(re.compile(r"\btarget\b"))
        expect(target).to_be_focused()
        expect(target).to_be_in_viewport()
        expect(ta.locator(f"#c{mine['id']}")).to_be_visible()
        assert ta.locator("#list > li.comment").count() > 20  # a further page was loaded
        pa.screenshot(path=str(ARTIFACTS / "social-deep-link.png"))
        # The page's address changing to another comment moves the thread there.
        pa.evaluate(f"location.hash = '#rostra-comment-{fillers[-1]['id']}'")
        expect(ta.locator(f"#c{fillers[-1]['id']}")).to_have_class(re.compile(r"\btarget\b"))
        expect(target).not_to_have_class(re.compile(r"\btarget\b"))

        # The reply mail, with an unsubscribe link that works signed out.
        mails = [m for m in _mails(sink) if m["To"] == a["email"] and "replied" in m["Subject"]]
        assert len(mails) == 1, [m["Subject"] for m in mails]
        text = mails[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
        found = re.search(r"(http://\S+/mail/unsubscribe\?\S+)", text)
        assert found, text
        assert "<" + found.group(1) + ">" in mails[0]["List-Unsubscribe"]
        stranger = browser.new_context()
        try:
            p = stranger.new_page()
            p.goto(found.group(1))
            p.get_by_role("button", name="Unsubscribe").click()
            expect(p.get_by_role("heading")).to_have_text("You are unsubscribed")
        finally:
            stranger.close()
        with rostra.api() as c:
            me = c.get("/api/v1/me", headers={"Authorization": f"Bearer {a['token']}"}).json()
        assert me["mail_mode"] == "off"
    finally:
        for c in contexts:
            c.close()


def test_block_collapses_at_once_and_private_readers_cannot_be_followed(
    page: Any, rostra: Rostra, article: Any
) -> None:
    where, url = article()
    me, rude, shy = (
        rostra.reader("Marta"),
        rostra.reader("Rude Reader"),
        rostra.reader("Shy Reader"),
    )
    with rostra.api() as c:
        r = c.patch("/api/v1/me", json={"is_private": True},
                    headers={"Authorization": f"Bearer {shy['token']}"})  # fmt: skip
        assert r.status_code == 200
    rude_c = rostra.post(rude["token"], url, "Something rude.")
    shy_c = rostra.post(shy["token"], url, "Something shy.")
    page.goto(where)
    sign_in(page, me)
    t = thread(page)
    t.locator(f"#c{shy_c['id']} button.author").click()
    menu = t.locator(".menu")
    expect(menu.get_by_role("menu")).to_have_accessible_name("About Shy Reader")
    expect(menu.locator(".private")).to_have_text(
        "This reader keeps their activity private: they cannot be followed."
    )
    expect(menu.get_by_role("menuitem", name="Follow Shy Reader")).to_be_hidden()
    page.keyboard.press("Escape")

    t.locator(f"#c{rude_c['id']} button.author").click()
    t.get_by_role("menu").get_by_role("menuitem", name="Block").click()
    rude_art = t.locator(f"#c{rude_c['id']}")
    expect(rude_art).to_have_class(re.compile(r"\bcollapsed\b"))
    expect(rude_art.locator(".body")).to_be_hidden()
    expect(t.locator(f"#c{shy_c['id']} .body")).to_be_visible()
    # Still collapsed after a reload (the server's viewer.blocked).
    page.reload()
    expect(rude_art.locator(".body")).to_be_hidden()
    rude_art.get_by_role("button", name="A reader you blocked: show the comment").click()
    expect(rude_art.locator(".body")).to_have_text("Something rude.")
    # Unblocking opens them at once.
    rude_art.locator("button.author").click()
    t.get_by_role("menu").get_by_role("menuitem", name="Unblock").click()
    expect(rude_art).not_to_have_class(re.compile(r"\bcollapsed\b"))
    expect(rude_art.locator(".unfold")).to_have_count(0)


def test_mention_completion_with_the_keyboard(page: Any, rostra: Rostra, article: Any) -> None:
    where, url = article()
    # A name no other test on this shared server has: the lookup sees every reader.
    name = "Oks" + "".join(random.choices(string.ascii_lowercase, k=8))
    me, other = rostra.reader("Writer Wanda"), rostra.reader(f"{name} Mentioned")
    rostra.reader(f"{name} Elsewhere")  # not in this thread: found through the API
    rostra.post(other["token"], url, "I am in this thread.")
    page.goto(where)
    sign_in(page, me)
    t = thread(page)
    box = t.get_by_label("Write a comment")
    box.click()
    box.press_sequentially(f"Thanks @{name.lower()}")
    options = t.get_by_role("listbox").get_by_role("option")
    expect(options).to_have_count(2)
    expect(options.first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-expanded", "true")
    box.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    chosen = options.nth(1).inner_text().split()[0]
    box.press("Enter")
    expect(box).to_have_value(f"Thanks {chosen} ")
    expect(t.get_by_role("listbox")).to_be_hidden()
    box.press_sequentially("and @zzqq")
    expect(t.get_by_role("listbox")).to_be_hidden()


def test_sign_up_handle_is_suggested_and_its_error_shown_at_the_field(
    page: Any, rostra: Rostra, article: Any
) -> None:
    taken = rostra.reader("Handle Owner")
    page.goto(article()[0])
    t = thread(page)
    t.locator("#register").click()
    t.get_by_label("Name shown with your comments").fill("Nova Reader")
    handle = t.get_by_label("Handle")
    expect(handle).to_have_value(re.compile(r"^nova_reader"))
    expect(handle).not_to_have_attribute("required", "")  # optional: the server picks one
    handle.fill("handle_owner")  # taken by the reader above
    t.get_by_label("Email").fill("nova-" + taken["email"])
    t.get_by_label("Password").fill("a long enough password")
    t.get_by_role("button", name="Create account").click()
    error = t.locator(".field-error")
    expect(error).to_have_text("That handle belongs to another reader; choose another.")
    expect(handle).to_have_attribute("aria-invalid", "true")
    expect(handle).to_be_focused()
    handle.fill("x!")
    t.get_by_role("button", name="Create account").click()
    expect(t.locator("#authbar")).not_to_contain_text("Signed in")
    handle.fill("nova_reader_two")
    t.get_by_role("button", name="Create account").click()
    expect(t.locator("#authbar")).to_contain_text("Signed in as Nova Reader")
    expect(t.locator("#bell")).to_be_visible()


def test_bell_items_open_in_place_mark_read_and_settings(
    page: Any, rostra: Rostra, article: Any
) -> None:
    where, url = article()
    me, fan = rostra.reader("Bella Bell"), rostra.reader("Fan Reader")
    mine = rostra.post(me["token"], url, "My comment.")
    for n in range(21):  # my thread is on the second page (newest first)
        rostra.post(fan["token"], url, f"Later thread {n}.")
    run_jobs(rostra.app)
    page.goto(where)
    sign_in(page, me)
    t = thread(page)
    bell = t.locator("#bell")
    expect(bell).to_have_attribute("aria-label", "Notifications: 0 unread")
    reply = rostra.post(fan["token"], url, "A reply to Bella.", mine["id"])
    with rostra.api() as c:
        for who in (fan, rostra.reader("Second Liker")):
            r = c.put(f"/api/v1/comments/{mine['id']}/reactions/like",
                      headers={"Authorization": f"Bearer {who['token']}"})  # fmt: skip
            assert r.status_code == 200, r.text
    run_jobs(rostra.app)
    expect(bell).to_have_attribute("aria-label", "Notifications: 2 unread")
    t.get_by_role("tab", name="Following").click()  # the thread is hidden meanwhile
    expect(t.locator("#list")).to_be_hidden()
    bell.click()
    notes = t.locator("#notes")
    expect(notes.get_by_role("heading", name="Notifications")).to_be_focused()
    items = notes.locator("li")
    expect(items).to_have_count(2)
    expect(items.nth(0).locator("a")).to_have_text("2 people liked your comment")
    expect(items.nth(1).locator("a")).to_have_text("Fan Reader replied to you")
    # An item of this article opens its comment here, further page and all.
    items.nth(1).locator("a").click()
    target = t.locator(f"#c{reply['id']}")
    expect(target).to_have_class(re.compile(r"\btarget\b"))
    expect(target).to_be_focused()
    expect(t.get_by_role("tab", name="All")).to_have_attribute("aria-selected", "true")
    expect(bell).to_have_attribute("aria-label", "Notifications: 1 unread")
    assert page.url == where  # the host page did not navigate
    expect(items.nth(1)).to_have_class("read")
    notes.get_by_role("button", name="Mark all read").click()
    expect(bell).to_have_attribute("aria-label", "Notifications: 0 unread")
    expect(notes.locator("li.unread")).to_have_count(0)
    # Settings: a kind switched off and the mail mode, saved at once.
    notes.get_by_role("button", name="Settings").click()
    t.get_by_label("Likes of my comments").uncheck()
    saved = notes.locator("form.note-settings [role=status]")
    expect(saved).to_have_text("Changes saved.")
    with rostra.api() as c:
        got = c.get("/api/v1/me", headers={"Authorization": f"Bearer {me['token']}"}).json()
    assert got["notify"]["like"] is False and got["notify"]["reply"] is True
    assert got["mail_mode"] == "digest"
    t.get_by_label("Email me replies and mentions").select_option("off")
    with rostra.api() as c:
        for _ in range(50):  # until the change is saved
            got = c.get("/api/v1/me", headers={"Authorization": f"Bearer {me['token']}"}).json()
            if got["mail_mode"] == "off":
                break
            page.wait_for_timeout(100)
    assert got["mail_mode"] == "off"
    page.keyboard.press("Escape")
    expect(notes).to_be_hidden()
    expect(bell).to_be_focused()


def test_signed_out_the_menu_shows_the_card_and_asks_to_sign_in(
    page: Any, rostra: Rostra, article: Any
) -> None:
    where, url = article()
    author = rostra.reader("Public Author")
    made = rostra.post(author["token"], url, "Read me.")
    page.goto(where)
    t = thread(page)
    expect(t.locator("#bell")).to_have_count(0)
    expect(t.get_by_role("tab", name="Following")).to_have_count(0)
    name = t.locator(f"#c{made['id']} button.author")
    expect(name).to_have_attribute("aria-expanded", "false")
    name.click()
    expect(name).to_have_attribute("aria-expanded", "true")
    menu = t.locator(".menu")
    expect(menu.locator(".card")).to_contain_text("Public Author @public_author")
    expect(menu.locator(".card")).to_contain_text("1 comment")
    profile = menu.get_by_role("menuitem", name="View profile (new tab)")
    expect(profile).to_have_attribute("href", "/u/public_author")
    expect(profile).to_have_attribute("target", "_blank")
    page.keyboard.press("ArrowDown")
    ask = menu.get_by_role("menuitem", name="Sign in to follow")
    expect(ask).to_be_focused()
    ask.click()
    expect(menu).to_have_count(0)
    expect(t.locator("form.auth-form")).to_be_visible()
