"""The moderation desk in real Chromium, worked by keyboard only: a
moderator approves, rejects with a reason, features and bans; a second
moderator's browser sees the card being decided marked and the decided
cards leave its queue without a reload; a reader's report and a
machine-flagged comment arrive in the queues live."""

from __future__ import annotations

import itertools
import os
import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from rostra.accounts import passwords
from rostra.accounts.tokens import hash_token, new_token
from rostra.db.base import utcnow
from rostra.http.deps import state_of
from rostra.models import AuthSession, Ban, Comment, Site, SiteRole, Story, User
from rostra.models.site import DEFAULT_REJECTION_REASONS
from rostra.moderation.scorer import build_scorer
from rostra.sites import service as sites
from tests.browser.conftest import ARTIFACTS, Rostra

pytestmark = pytest.mark.browser
PASSWORD = "desk password for tests"
_seq = itertools.count(1)


def _person(rostra: Rostra, name: str, site_id: int | None = None, role: str = "") -> User:
    """A person made in the database: a moderator with a password, or a
    reader with a sign-in token (``user.token``)."""
    n = f"{os.getpid()}-{next(_seq)}"
    token = new_token()
    with state_of(rostra.app).write_sessions() as db:
        user = User(
            email=f"desk{n}@example.org",
            display_name=name,
            handle=f"desk{n}".replace("-", "_"),
            password_hash=passwords.hash_password(PASSWORD) if role else None,
        )
        db.add(user)
        db.flush()
        if role and site_id is not None:
            db.add(SiteRole(site_id=site_id, user_id=user.id, role=role))
        db.add(
            AuthSession(
                user_id=user.id,
                token_hash=hash_token(token),
                expires_at=utcnow() + timedelta(days=1),
            )
        )
        db.commit()
        db.expunge(user)
    user.token = token  # type: ignore[attr-defined]
    return user


def _api(rostra: Rostra, method: str, path: str, token: str, **kw: Any) -> httpx.Response:
    with rostra.api() as c:
        return c.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kw)


def _post(rostra: Rostra, who: User, url: str, body: str, expect_status: int) -> int:
    r = _api(rostra, "POST", "/api/v1/comments", who.token, json={"url": url, "body": body})  # type: ignore[attr-defined]
    assert r.status_code == expect_status, r.text
    return int(r.json()["id"])


def _comment(rostra: Rostra, comment_id: int) -> Comment:
    with state_of(rostra.app).read_sessions() as db:
        row = db.get(Comment, comment_id)
        assert row is not None
        db.expunge(row)
        return row


def _sign_in_by_keyboard(page: Any, rostra: Rostra, who: User) -> None:
    page.goto(f"{rostra.url}/desk")
    expect(page.get_by_role("heading", name="Sign in to the moderation desk")).to_be_visible()
    expect(page.get_by_label("Email address")).to_be_focused()  # autofocus
    page.keyboard.type(who.email or "")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("#queue")).to_have_attribute("data-live", "on")


def _card(page: Any, comment_id: int) -> Any:
    return page.locator(f"#card-{comment_id}")


def test_a_moderator_works_the_queue_by_keyboard_while_another_watches_live(
    browser: Any, rostra: Rostra
) -> None:
    n = f"{os.getpid()}-{next(_seq)}"
    origin = f"https://desk-{n}.example"
    with state_of(rostra.app).write_sessions() as db:
        site = sites.add_site(db, f"desk-{n}", [origin], title="Desk Gazette", fetch_metadata=False)
        site.suspect_words = ["scoundrel"]
        db.commit()
        site_id = site.id
    ann = _person(rostra, "Ann Editor", site_id, "moderator")
    ben = _person(rostra, "Ben Night", site_id, "moderator")
    readers = [_person(rostra, f"Reader {i}") for i in range(7)]
    held_story, open_story = f"{origin}/news/held", f"{origin}/news/open"
    _post(rostra, readers[0], held_story, "The opening comment.", 201)
    with state_of(rostra.app).read_sessions() as db:
        story_id = db.scalar(select(Story.id).where(Story.url == held_story))
    r = _api(
        rostra,
        "PATCH",
        f"/api/v1/moderation/stories/{story_id}",
        ann.token,  # type: ignore[attr-defined]
        json={"mode": "premoderated"},
    )
    assert r.status_code == 200, r.text
    held = [
        _post(rostra, readers[i + 1], held_story, text, 202)
        for i, text in enumerate(
            ["Approve me, please.", "Buy cheap watches here.", "A thoughtful point.", "Spam spam."]
        )
    ]
    published = _post(rostra, readers[5], open_story, "A published remark.", 201)

    contexts = [browser.new_context(viewport={"width": 1100, "height": 900}) for _ in range(2)]
    errors: list[str] = []
    try:
        one, two = (c.new_page() for c in contexts)
        for page in (one, two):
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        _sign_in_by_keyboard(one, rostra, ann)
        _sign_in_by_keyboard(two, rostra, ben)
        for page in (one, two):
            expect(page.locator("#cards > li.card")).to_have_count(4)
        expect(_card(one, held[0])).to_have_class(re.compile(r"\bcurrent\b"))

        # ? lists the keys
        one.keyboard.press("?")
        expect(one.locator("#help")).to_be_visible()
        one.keyboard.press("Escape")
        expect(one.locator("#help")).to_be_hidden()

        # a: approve the first card; it leaves both queues
        one.keyboard.press("a")
        expect(_card(one, held[0])).to_have_count(0)
        expect(_card(two, held[0])).to_have_count(0)
        assert _comment(rostra, held[0]).status == "published"

        # the next card is Ann's now: Ben's desk says so
        expect(_card(one, held[1])).to_be_focused()
        expect(_card(two, held[1]).locator(".claim")).to_have_text("Being decided by Ann Editor")

        # r, then 2: reject with the site's second reason
        one.keyboard.press("r")
        expect(one.locator("#reject-dialog")).to_be_visible()
        one.keyboard.press("2")
        expect(_card(one, held[1])).to_have_count(0)
        expect(_card(two, held[1])).to_have_count(0)
        row = _comment(rostra, held[1])
        assert row.status == "rejected" and row.moderation_reason == DEFAULT_REJECTION_REASONS[1]

        # f: an Editors' pick straight from the queue (approved, then featured)
        one.keyboard.press("f")
        expect(_card(one, held[2])).to_have_count(0)
        expect(_card(two, held[2])).to_have_count(0)
        row = _comment(rostra, held[2])
        assert row.status == "published" and row.is_featured

        # b: ban the author, with a reason typed in the dialog
        one.keyboard.press("b")
        expect(one.locator("#ban-reason")).to_be_focused()
        one.keyboard.type("Posts nothing but spam")
        one.keyboard.press("Enter")
        expect(_card(one, held[3])).to_have_count(0)
        expect(_card(two, held[3])).to_have_count(0)
        expect(one.locator("#empty")).to_be_visible()
        with state_of(rostra.app).read_sessions() as db:
            ban = db.scalars(select(Ban).where(Ban.user_id == readers[4].id)).one()
            assert ban.site_id == site_id and ban.until is None
            assert ban.reason == "Posts nothing but spam"
        assert _comment(rostra, held[3]).status == "rejected"

        # a reader's report arrives in Ben's Reported queue, live
        two.goto(f"{rostra.url}/desk/queue/reported")
        expect(two.locator("#queue")).to_have_attribute("data-live", "on")
        expect(two.locator("#cards > li.card")).to_have_count(0)
        r = _api(
            rostra,
            "POST",
            f"/api/v1/comments/{published}/reports",
            readers[6].token,  # type: ignore[attr-defined]
            json={"reason": "misinformation", "note": "The figures are wrong."},
        )
        assert r.status_code == 201, r.text
        card = _card(two, published)
        expect(card).to_be_visible()
        expect(card).to_contain_text("Reported as misinformation")
        expect(card).to_contain_text("The figures are wrong.")

        # a machine-flagged comment arrives in Ann's Pending queue, live
        settings = state_of(rostra.app).settings
        # The scorer's model loads once per process, slowly on a busy machine: before the post.
        build_scorer(settings.toxicity_scorer).score("warm up")
        settings.moderation_pipeline = True
        try:
            flagged = _post(rostra, readers[6], open_story, "You are a scoundrel.", 202)
        finally:
            settings.moderation_pipeline = False
        card = _card(one, flagged)
        expect(card).to_be_visible()
        expect(card).to_contain_text("words")
        expect(one.locator("#empty")).to_be_hidden()
        one.screenshot(path=str(ARTIFACTS / "desk-queue.png"))
        assert _comment(rostra, flagged).moderation_step == "words"

        # two more arrive; x, j, x selects both, a approves the selection
        more = [_post(rostra, readers[i], held_story, f"Late {i}.", 202) for i in (5, 6)]
        expect(one.locator("#cards > li.card")).to_have_count(3)
        expect(_card(one, flagged)).to_be_focused()
        one.keyboard.press("j")
        one.keyboard.press("x")
        one.keyboard.press("j")
        one.keyboard.press("x")
        expect(one.locator("#cards > li.card.selected")).to_have_count(2)
        one.keyboard.press("a")
        for cid in more:
            expect(_card(one, cid)).to_have_count(0)
            assert _comment(rostra, cid).status == "published"
        # s: suspend the flagged comment's author for the first duration offered
        expect(_card(one, flagged)).to_be_focused()
        one.keyboard.press("s")
        expect(one.locator("#ban-duration")).to_be_focused()
        one.keyboard.press("Tab")
        one.keyboard.type("Name-calling")
        one.keyboard.press("Enter")
        expect(_card(one, flagged)).to_have_count(0)
        with state_of(rostra.app).read_sessions() as db:
            ban = db.scalars(select(Ban).where(Ban.user_id == readers[6].id)).one()
            assert ban.until is not None and ban.reason == "Name-calling"
        assert _comment(rostra, flagged).status == "rejected"

        # r, then typing: a reason of the moderator's own, Enter rejects
        own = _post(rostra, readers[5], held_story, "Her address is 12 Elm Street.", 202)
        expect(_card(one, own)).to_be_focused()
        one.keyboard.press("r")
        one.keyboard.type("Shares a private address")
        one.keyboard.press("Enter")
        expect(_card(one, own)).to_have_count(0)
        row = _comment(rostra, own)
        assert row.status == "rejected" and row.moderation_reason == "Shares a private address"
        assert not [e for e in errors if "Content Security Policy" in e], errors
    finally:
        for c in contexts:
            c.close()
        with state_of(rostra.app).write_sessions() as db:
            found = db.get(Site, site_id)
            if found is not None:
                found.suspect_words = []
                db.commit()


def test_a_queue_refresh_on_its_way_during_a_decision_does_not_bring_the_card_back(
    browser: Any, rostra: Rostra
) -> None:
    """A new held comment makes the desk fetch its queue again; if that
    answer was made before the moderator's decision and arrives after it,
    the decided card stays gone (and the new one arrives)."""
    n = f"{os.getpid()}-{next(_seq)}"
    origin = f"https://race-{n}.example"
    with state_of(rostra.app).write_sessions() as db:
        site = sites.add_site(db, f"race-{n}", [origin], title="Race", fetch_metadata=False)
        site.moderation = "pre"
        db.commit()
        site_id = site.id
    ann = _person(rostra, "Ann Race", site_id, "moderator")
    readers = [_person(rostra, f"Racer {i}") for i in range(3)]
    story = f"{origin}/news/race"
    first, second = (_post(rostra, readers[i], story, f"Held {i}.", 202) for i in (0, 1))

    context = browser.new_context(viewport={"width": 1100, "height": 900})
    held_back: list[tuple[Any, Any]] = []

    def hold(route: Any) -> None:
        # The server answers now (the first card still waits); the page gets
        # the answer only when the test lets it through.
        held_back.append((route, route.fetch()))

    try:
        page = context.new_page()
        _sign_in_by_keyboard(page, rostra, ann)
        expect(page.locator("#cards > li.card")).to_have_count(2)
        expect(_card(page, first)).to_have_class(re.compile(r"\bcurrent\b"))
        page.route(re.compile(r".*/desk.*[?&]fragment=1.*"), hold)
        third = _post(rostra, readers[2], story, "Held 2.", 202)
        deadline = 100
        while not held_back and deadline:
            page.wait_for_timeout(100)
            deadline -= 1
        assert held_back, "the desk did not fetch its queue after a held comment"
        assert f'id="card-{first}"' in held_back[0][1].text()  # made before the decision
        page.keyboard.press("a")
        expect(_card(page, first)).to_have_count(0)
        assert _comment(rostra, first).status == "published"
        for route, response in held_back:
            route.fulfill(response=response)
        page.unroute(re.compile(r".*/desk.*[?&]fragment=1.*"))
        expect(_card(page, third)).to_be_visible()
        expect(_card(page, second)).to_be_visible()
        page.wait_for_timeout(300)  # anything else the late answer would do
        expect(_card(page, first)).to_have_count(0)
    finally:
        context.close()


def test_a_selections_authors_are_banned_by_keyboard(browser: Any, rostra: Rostra) -> None:
    n = f"{os.getpid()}-{next(_seq)}"
    origin = f"https://wave-{n}.example"
    with state_of(rostra.app).write_sessions() as db:
        site = sites.add_site(db, f"wave-{n}", [origin], title="Wave", fetch_metadata=False)
        site.moderation = "pre"
        db.commit()
        site_id = site.id
    ann = _person(rostra, "Ann Wave", site_id, "moderator")
    spammers = [_person(rostra, f"Spammer {i}") for i in range(2)]
    story = f"{origin}/news/wave"
    held = [_post(rostra, spammers[i % 2], story, f"Cheap watches {i}.", 202) for i in range(3)]
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    try:
        page = context.new_page()
        _sign_in_by_keyboard(page, rostra, ann)
        expect(page.locator("#cards > li.card")).to_have_count(3)
        for _ in held:
            page.keyboard.press("x")
            page.keyboard.press("j")
        expect(page.locator("#cards > li.card.selected")).to_have_count(3)
        page.keyboard.press("b")
        expect(page.locator("#ban-title")).to_have_text("Ban the selected cards' authors")
        expect(page.locator("#ban-reason")).to_be_focused()
        page.keyboard.type("Watch adverts")
        page.keyboard.press("Enter")
        expect(page.locator("#cards > li.card")).to_have_count(0)
        expect(page.locator("#live-note")).to_have_text("2 authors banned, 3 rejected.")
        with state_of(rostra.app).read_sessions() as db:
            bans = list(db.scalars(select(Ban).where(Ban.site_id == site_id)))
        assert sorted(b.user_id for b in bans) == sorted(s.id for s in spammers)
        assert {b.reason for b in bans} == {"Watch adverts"}
        for cid in held:
            assert _comment(rostra, cid).moderation_reason == "Banned: Watch adverts"
    finally:
        context.close()
