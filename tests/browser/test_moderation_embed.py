"""What readers see of moderation in the embed (mod.js, report.js, tabs.js),
in Chromium against a live server: the editors' picks tab and marks, the
staff badge, reports, the author's held and removed comments, the nudge."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from rostra.http.deps import state_of
from rostra.models import Site, SiteRole
from tests.browser.conftest import Rostra, thread

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
