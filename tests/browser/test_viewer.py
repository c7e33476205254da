"""A signed-in reader gets the page every reader gets, with their own state
laid over it in the embed: what they like, what is theirs, what is held."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from rostra.http.deps import state_of
from tests.browser.conftest import Rostra, sign_in, thread

pytestmark = pytest.mark.browser


def test_liked_mine_and_held_are_shown_to_their_reader(
    page: Any, rostra: Rostra, article: Any
) -> None:
    from sqlalchemy import update

    from rostra.models import Comment

    where, url = article()
    marta, ivan = rostra.reader("Marta"), rostra.reader("Ivan")
    liked = rostra.post(ivan["token"], url, "Ivan, liked by Marta")
    other = rostra.post(ivan["token"], url, "Ivan, not liked")
    mine = rostra.post(marta["token"], url, "Marta's own")
    held_top = rostra.post(marta["token"], url, "Marta, held at the top")
    held_reply = rostra.post(marta["token"], url, "Marta, a held reply", other["id"])
    with rostra.api() as c:
        r = c.put(
            f"/api/v1/comments/{liked['id']}/reactions/like",
            headers={"Authorization": f"Bearer {marta['token']}"},
        )
        assert r.status_code == 200, r.text
    with state_of(rostra.app).write_sessions() as db:
        for held in (held_top, held_reply):
            db.execute(update(Comment).where(Comment.id == held["id"]).values(status="pending"))
        db.commit()

    page.goto(where)
    t = thread(page)
    expect(t.locator("li.comment")).to_have_count(3)  # the cached page, as anyone sees it
    expect(t.locator(f"#c{liked['id']} button.like")).to_have_attribute("aria-pressed", "false")
    expect(t.locator(f"#c{mine['id']} [data-action=edit]")).to_have_count(0)

    sign_in(page, marta)
    expect(t.locator("li.comment")).to_have_count(5)
    expect(t.locator(f"#c{liked['id']} button.like")).to_have_attribute("aria-pressed", "true")
    expect(t.locator(f"#c{other['id']} button.like")).to_have_attribute("aria-pressed", "false")
    # Her own: no like button, but edit and delete.
    expect(t.locator(f"#c{mine['id']} button.like")).to_have_count(0)
    expect(t.locator(f"#c{mine['id']} [data-action=edit]")).to_have_count(1)
    expect(t.locator(f"#c{mine['id']} [data-action=delete]")).to_have_count(1)
    expect(t.locator(f"#c{liked['id']} [data-action=delete]")).to_have_count(0)
    # Held: marked, the top one first, the reply under the comment it answers.
    expect(t.locator("#list > li.comment").first).to_have_attribute("data-id", str(held_top["id"]))
    expect(t.locator(f"#c{held_top['id']} .mark.pending")).to_have_text("Awaiting moderation")
    reply = t.locator(f"li.comment[data-id='{other['id']}'] > ol.replies > li.comment")
    expect(reply).to_have_attribute("data-id", str(held_reply["id"]))
    expect(t.locator(f"#c{held_reply['id']} .mark.pending")).to_have_text("Awaiting moderation")
    # Editing her held comment works from the overlay's Markdown.
    t.locator(f"#c{held_top['id']} [data-action=edit]").click()
    expect(t.get_by_label("Edit your comment")).to_have_value("Marta, held at the top")
    # Unliking in place.
    t.locator(f"#c{liked['id']} button.like").click()
    expect(t.locator(f"#c{liked['id']} button.like")).to_have_attribute("aria-pressed", "false")
    expect(t.locator(f"#c{liked['id']} button.like .n")).to_have_text(" 0")
