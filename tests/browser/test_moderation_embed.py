"""What readers see of moderation in the embed (mod.js, report.js, tabs.js),
in Chromium against a live server: the editors' picks tab and marks, the
staff badge, reports, the author's held and removed comments, the nudge."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from rostra.http.deps import state_of
from rostra.models import Site, SiteRole
from rostra.moderation.scorer import build_scorer
from tests.browser.conftest import ARTIFACTS, Rostra, sign_in, thread

pytestmark = pytest.mark.browser


def _decide(rostra: Rostra, admin: str, cid: int, action: str, reason: str = "") -> None:
    with rostra.api() as c:
        r = c.post(
            f"/api/v1/moderation/comments/{cid}/decision",
            json={"action": action, "reason": reason},
            headers={"Authorization": f"Bearer {admin}"},
        )
        assert r.status_code == 200, r.text


def _staff(rostra: Rostra, name: str) -> dict[str, str]:
    reader = rostra.reader(name)
    with rostra.api() as c:
        me = c.get("/api/v1/me", headers={"Authorization": f"Bearer {reader['token']}"}).json()
    with state_of(rostra.app).write_sessions() as db:
        site = db.scalars(select(Site).where(Site.name == "gazette")).one()
        db.add(SiteRole(site_id=site.id, user_id=me["id"], role="staff"))
        db.commit()
    return reader


def _ready(t: Any) -> None:
    """mod.js has run: every published comment of another reader has its Report button."""
    expect(t.locator("button.report").first).to_be_visible()


def test_a_staff_comment_arriving_live_wears_the_badge(
    page: Any, rostra: Rostra, article: Any
) -> None:
    """The page has no comment of the staff member yet: the badge comes with
    the live event, not from an earlier comment of theirs on the page."""
    ivan, olha = rostra.reader("Ivan"), _staff(rostra, "Olha at the desk")
    where, url = article()
    rostra.post(ivan["token"], url, "A reader's remark.")
    page.goto(where)
    t = thread(page)
    _ready(t)
    expect(t.locator(".mark.staff")).to_have_count(0)
    made = rostra.post(olha["token"], url, "The newsroom answers, live.")
    expect(t.locator("#newer")).to_have_text("1 new comment")
    t.locator("#newer").click()
    expect(t.locator(f"#c{made['id']} .mark.staff")).to_have_text("Staff")
    expect(t.locator(".mark.staff")).to_have_count(1)


def test_picks_tab_shows_only_with_picks_first_and_follows_decisions_live(
    page: Any, rostra: Rostra, article: Any
) -> None:
    admin = rostra.admin_token()
    ivan, olha = rostra.reader("Ivan"), _staff(rostra, "Olha from the newsroom")
    # A story without a pick: no tab bar; the staff badge on the staff comment only.
    plain, plain_url = article()
    rostra.post(ivan["token"], plain_url, "Nothing special.")
    rostra.post(olha["token"], plain_url, "The newsroom again.")
    page.goto(plain)
    t = thread(page)
    _ready(t)
    expect(t.locator(".mark.staff")).to_have_text(["Staff"])
    expect(t.locator("[role=tablist]")).to_have_count(0)
    expect(t.locator(".mark.pick")).to_have_count(0)

    where, url = article()
    first = rostra.post(ivan["token"], url, "The first, soon a pick.")
    staff = rostra.post(olha["token"], url, "A note from the newsroom.")
    last = rostra.post(ivan["token"], url, "The newest, not a pick.")
    rostra.post(ivan["token"], url, "A reply under the pick.", first["id"])
    _decide(rostra, admin, first["id"], "feature")
    page.goto(where)
    t = thread(page)
    tabs = t.locator("[role=tablist]")
    expect(tabs).to_be_visible()
    expect(tabs.locator("[role=tab]")).to_have_text(["All", "Editors' picks"])
    expect(t.get_by_role("tab", name="All")).to_have_attribute("aria-selected", "true")
    # The pick comes first in "All", whatever the order, marked.
    top = t.locator("#list > li.comment")
    expect(top.first).to_have_attribute("data-id", str(first["id"]))
    expect(t.locator(f"#c{first['id']} .mark.pick")).to_have_text("Editors' pick")
    expect(t.locator(".mark.pick")).to_have_count(1)
    expect(top).to_have_count(3)

    # By keyboard: the picks tab shows the pick's thread only.
    t.get_by_role("tab", name="All").focus()
    page.keyboard.press("ArrowRight")
    picks = t.get_by_role("tab", name="Editors' picks")
    expect(picks).to_be_focused()
    expect(picks).to_have_attribute("aria-selected", "true")
    expect(t.locator(f"#c{first['id']}")).to_be_visible()
    expect(t.locator("#list .body", has_text="A reply under the pick.")).to_be_visible()
    expect(t.locator(f"#c{last['id']}")).to_be_hidden()
    expect(t.locator(f"#c{staff['id']}")).to_be_hidden()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "moderation-picks-tab.png"))
    page.keyboard.press("Home")
    expect(t.get_by_role("tab", name="All")).to_have_attribute("aria-selected", "true")
    expect(t.locator(f"#c{last['id']}")).to_be_visible()

    # Live: a second pick is marked where it is; the badge stays on it.
    _decide(rostra, admin, staff["id"], "feature")
    expect(t.locator(f"#c{staff['id']} .mark.pick")).to_be_visible()
    expect(t.locator(f"#c{staff['id']} .mark.staff")).to_have_text("Staff")
    picks.click()
    expect(t.locator(f"#c{staff['id']}")).to_be_visible()
    expect(t.locator(f"#c{last['id']}")).to_be_hidden()
    # Unfeatured, both: the tab goes and the whole thread is back.
    _decide(rostra, admin, staff["id"], "unfeature")
    _decide(rostra, admin, first["id"], "unfeature")
    expect(t.locator("[role=tablist]")).to_be_hidden()
    expect(t.locator(".mark.pick")).to_have_count(0)
    expect(t.locator(f"#c{last['id']}")).to_be_visible()
    expect(t.locator(f"#c{staff['id']} .mark.staff")).to_have_text("Staff")
    # A reply from the newsroom arriving live wears the badge too.
    reply = rostra.post(olha["token"], url, "The newsroom answers.", last["id"])
    expect(t.locator(f"#c{reply['id']} .mark.staff")).to_have_text("Staff")


def test_report_dialog_by_keyboard_once_per_reader(page: Any, rostra: Rostra, article: Any) -> None:
    where, url = article()
    ivan, marta = rostra.reader("Ivan"), rostra.reader("Marta")
    theirs = rostra.post(ivan["token"], url, "Something contentious.")
    mine = rostra.post(marta["token"], url, "Marta's own comment.")
    page.goto(where)
    t = thread(page)
    _ready(t)
    # Anonymous: Report asks for sign-in first.
    t.locator(f"#c{theirs['id']} button.report").click()
    expect(t.locator("form.auth-form")).to_be_visible()
    expect(t.locator("[role=dialog]")).to_have_count(0)
    t.get_by_label("Email").fill(marta["email"])
    t.get_by_label("Password").fill(marta["password"])
    t.locator("form.auth-form button[type=submit]").click()
    t.locator("#signout").wait_for()
    _ready(t)
    # Never on one's own comment.
    expect(t.locator(f"#c{mine['id']} button.report")).to_have_count(0)
    report = t.locator(f"#c{theirs['id']} button.report")
    report.focus()
    page.keyboard.press("Enter")
    dialog = t.get_by_role("dialog", name="Report this comment")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Abuse or harassment")).to_be_focused()
    expect(dialog.locator("input[type=radio]")).to_have_count(5)
    for label in ("Spam", "Off-topic", "Misinformation", "Something else"):
        expect(dialog.get_by_label(label)).to_be_visible()
    # Esc closes it; focus goes back to the button.
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(report).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    # Tab stays inside: radios (one stop), note, Cancel, Send, then round again.
    page.keyboard.press("Tab")
    expect(dialog.get_by_label("Note for the moderators")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Send report")).to_be_focused()
    page.keyboard.press("Tab")
    expect(dialog.get_by_label("Abuse or harassment")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(dialog.get_by_role("button", name="Send report")).to_be_focused()
    # No reason: asked for one. "Something else" without a note: asked for a note.
    page.keyboard.press("Enter")
    expect(dialog.get_by_role("alert")).to_have_text("Choose a reason.")
    dialog.get_by_label("Something else").check()
    dialog.get_by_role("button", name="Send report").click()
    expect(dialog.get_by_role("alert")).to_contain_text("Something else")
    expect(dialog.get_by_label("Note for the moderators")).to_be_focused()
    page.keyboard.type("It quotes a made-up study.")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "moderation-report-dialog.png"))
    dialog.get_by_role("button", name="Send report").click()
    expect(dialog).to_have_count(0)
    thanks = t.get_by_role("status").filter(has_text="Thanks, a moderator will look at it.")
    expect(thanks).to_be_focused()
    # The moderators have it, with its reason and note.
    with rostra.api() as c:
        r = c.get(
            "/api/v1/moderation/queue",
            params={"queue": "reported"},
            headers={"Authorization": f"Bearer {rostra.admin_token()}"},
        )
        cards = [x for x in r.json()["cards"] if x["comment"]["id"] == theirs["id"]]
        assert cards and cards[0]["reports"] == {"other": 1}, r.text
    # A second report of the same comment: the server's answer.
    report.click()
    dialog.get_by_label("Spam").check()
    dialog.get_by_role("button", name="Send report").click()
    expect(dialog.get_by_role("alert")).to_have_text("You reported this comment already.")
    page.keyboard.press("Escape")
    # Over the rate limit: the server's answer, and the dialog stays to try later.
    more = [rostra.post(ivan["token"], url, f"Another one, {n}.") for n in range(2)]
    page.reload()
    _ready(t)
    settings = state_of(rostra.app).settings
    was = settings.rate_limit_enabled, settings.rate_report
    settings.rate_limit_enabled, settings.rate_report = True, "1/3600"
    try:
        for n, other in enumerate(more):
            t.locator(f"#c{other['id']} button.report").click()
            dialog.get_by_label("Spam").check()
            dialog.get_by_role("button", name="Send report").click()
            if n == 0:
                expect(thanks).to_be_visible()
        expect(dialog.get_by_role("alert")).to_contain_text("Too many attempts. Try again in")
        expect(dialog.get_by_role("button", name="Send report")).to_be_enabled()
    finally:
        settings.rate_limit_enabled, settings.rate_report = was


def test_held_and_removed_comments_are_seen_by_their_author_only_live(
    browser: Any, third_party_storage: None, rostra: Rostra, publisher: str
) -> None:
    # The same publisher reached as 127.0.0.1 is the pre-moderated site.
    where = f"{publisher.replace('localhost', '127.0.0.1')}/articles/mod-embed-{id(browser)}"
    admin = rostra.admin_token()
    marta, ivan = rostra.reader("Marta"), rostra.reader("Ivan")
    contexts = [browser.new_context() for _ in range(2)]
    try:
        mine, theirs = (c.new_page() for c in contexts)
        for p, who in ((mine, marta), (theirs, ivan)):
            p.goto(where)
            sign_in(p, who)
        me, other = thread(mine), thread(theirs)
        # Posted and held (202): awaiting review at once, for her only.
        me.get_by_label("Write a comment").fill("First thoughts, held.")
        me.get_by_role("button", name="Post comment").click()
        first = me.locator("li.comment", has_text="First thoughts, held.")
        expect(first.locator(".mark.pending")).to_have_text("Awaiting moderation")
        expect(first.locator("[data-action=reply]")).to_have_count(0)  # no replies while held
        cid = int(first.get_attribute("data-id") or 0)
        # Approved: published for her in place, and new for Ivan.
        _decide(rostra, admin, cid, "approve")
        expect(first.locator(".mark.pending")).to_have_count(0)
        expect(first.locator("[data-action=reply]")).to_have_count(1)
        expect(other.locator("#newer")).to_have_text("1 new comment")
        other.locator("#newer").click()
        expect(other.locator(f"#c{cid}")).to_be_visible()
        # A held one rejected with a reason: she sees why; Ivan never sees it.
        me.get_by_label("Write a comment").fill("Second thoughts, held.")
        me.get_by_role("button", name="Post comment").click()
        second = me.locator("li.comment", has_text="Second thoughts, held.")
        expect(second.locator(".mark.pending")).to_be_visible()
        sid = int(second.get_attribute("data-id") or 0)
        _decide(rostra, admin, sid, "reject", "Off topic for this story.")
        expect(second.locator(".reason")).to_have_text("Removed: Off topic for this story.")
        # A published one removed: gone for Ivan, shown to her with the reason.
        _decide(rostra, admin, cid, "reject", "A personal attack.")
        expect(other.locator(f"#c{cid}")).to_have_count(0)
        expect(me.locator(f"#c{cid} .reason")).to_have_text("Removed: A personal attack.")
        expect(me.locator(f"#c{cid} button.report")).to_have_count(0)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        mine.screenshot(path=str(ARTIFACTS / "moderation-removed-for-author.png"))
        # After a reload too; and Ivan's thread never had either.
        for p in (mine, theirs):
            p.reload()
        expect(me.locator(f"#c{cid} .reason")).to_have_text("Removed: A personal attack.")
        expect(me.locator(f"#c{sid} .reason")).to_have_text("Removed: Off topic for this story.")
        expect(other.locator("#empty")).to_be_visible()
        expect(other.locator("li.comment")).to_have_count(0)
    finally:
        for c in contexts:
            c.close()


@contextmanager
def _pipeline(rostra: Rostra, **site: Any) -> Iterator[None]:
    """The moderation pipeline on, with these settings on the gazette site."""
    state = state_of(rostra.app)
    with state.write_sessions() as db:
        row = db.scalars(select(Site).where(Site.name == "gazette")).one()
        was = {k: getattr(row, k) for k in site}
        for k, v in site.items():
            setattr(row, k, v)
        db.commit()
    # The scorer's model loads once, here rather than in the first post.
    build_scorer(state.settings.toxicity_scorer).score("Warming up.")
    state.settings.moderation_pipeline = True
    try:
        yield
    finally:
        state.settings.moderation_pipeline = False
        with state.write_sessions() as db:
            row = db.scalars(select(Site).where(Site.name == "gazette")).one()
            for k, v in was.items():
                setattr(row, k, v)
            db.commit()


def test_nudge_then_post_anyway_and_a_word_list_rejection(
    page: Any, rostra: Rostra, article: Any
) -> None:
    where, _ = article()
    marta = rostra.reader("Marta")
    page.goto(where)
    sign_in(page, marta)
    t = thread(page)
    box = t.get_by_label("Write a comment")
    # Every text scores above a nudge threshold of 0, none reaches a hold of 1.1.
    with _pipeline(rostra, nudge_threshold=0.0, hold_threshold=1.1, banned_words=["turnip"]):
        box.fill("You are all wrong about the bridge.")
        t.get_by_role("button", name="Post comment").click()
        form = t.locator("#compose form.composer")
        expect(form.get_by_role("alert")).to_contain_text("Could you rephrase it")
        anyway = form.get_by_role("button", name="Post anyway")
        expect(anyway).to_be_visible()
        expect(t.locator("#list li.comment")).to_have_count(0)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "moderation-nudge.png"))
        # Editing the text takes the offer back; the edited text is asked about once.
        box.fill("Most of you are wrong about the bridge.")
        expect(anyway).to_have_count(0)
        t.get_by_role("button", name="Post comment").click()
        expect(anyway).to_be_visible()
        anyway.click()
        posted = t.locator("#list li.comment", has_text="Most of you are wrong about the bridge.")
        expect(posted).to_be_visible()
        expect(posted.locator(".mark")).to_have_count(0)
        expect(box).to_have_value("")
        # A banned word (checked before the score): refused at once (202), with the reason.
        box.fill("A turnip of a plan.")
        t.get_by_role("button", name="Post comment").click()
        refused = t.locator("#list li.comment", has_text="A turnip of a plan.")
        expect(refused.locator(".mark.pending")).to_have_text(
            "Not published: removed by a moderator"
        )
        expect(refused.locator(".reason")).to_contain_text("Removed: It contains")
