"""Edited comments pass the pipeline's content steps (with it on), on SQLite
and PostgreSQL: an edit that turns abusive is held or rejected like a new
comment, leaves the public page, reaches the desk and the audit log."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from rostra.http.deps import state_of
from rostra.models import AuditEntry, LiveEvent, Site
from rostra.moderation import settings as moderation
from tests.comments.conftest import API, page, post, story_row
from tests.desk.conftest import queue, with_role

ABUSIVE = "You are a complete idiot and a moron, shut up."


def _rules(app: FastAPI, **kw: object) -> None:
    with state_of(app).write_sessions() as db:
        site = db.scalar(select(Site).where(Site.name == "news"))
        assert site is not None
        moderation.change(db, site, dict(kw))
        db.commit()


def _edit(client: TestClient, who: dict[str, str], cid: int, body: str) -> dict[str, object]:
    r = client.patch(f"{API}/comments/{cid}", json={"body": body}, headers=who)
    assert r.status_code == 200, r.text
    data: dict[str, object] = r.json()
    return data


def test_an_edit_that_turns_abusive_is_held_and_leaves_the_page(
    client: TestClient, app: FastAPI, site: Site, alice: dict[str, str], bob: dict[str, str]
) -> None:
    mod = with_role(client, app, site, "moderator", "Mod")
    cid = post(client, alice, "A measured point about the budget.").json()["id"]
    assert page(client)["story"]["comment_count"] == 1
    got = _edit(client, alice, cid, ABUSIVE)
    assert got["status"] == "pending" and "abusive" in str(got["moderation_reason"])
    assert page(client)["comments"] == []
    assert page(client)["story"]["comment_count"] == 0
    # Its author still sees it, awaiting review, in their own state.
    assert [c["id"] for c in page(client, headers=alice)["viewer"]["held"]] == [cid]
    assert [c["comment"]["id"] for c in queue(client, mod, "pending")] == [cid]
    with state_of(app).read_sessions() as db:
        [entry] = db.scalars(select(AuditEntry).where(AuditEntry.action == "comment.hold"))
        kinds = [(e.channel, e.kind) for e in db.scalars(select(LiveEvent))]
    assert entry.actor_id is None and entry.data["edited"] is True
    assert (f"desk:{site.id}", "queue.held") in kinds
    story = story_row(app)
    assert story is not None and story.comment_count == 0


def test_an_edit_with_a_banned_word_is_rejected_and_a_clean_edit_stays_published(
    client: TestClient, app: FastAPI, site: Site, alice: dict[str, str]
) -> None:
    _rules(app, banned_words=["scumbag"], suspect_words=["traitor"])
    cid = post(client, alice, "A fine first draft.").json()["id"]
    got = _edit(client, alice, cid, "A fine second draft.")
    assert got["status"] == "published" and got["edited_at"] is not None
    got = _edit(client, alice, cid, "The mayor is a scumb4g.")
    assert got["status"] == "rejected"
    assert "scumbag" in str(got["moderation_reason"])
    assert page(client)["comments"] == []
    # A held comment edited into a clean one still waits for a moderator.
    held = post(client, alice, "A traitor, they say.", expect=202).json()["id"]
    assert _edit(client, alice, held, "A patriot, they say.")["status"] == "pending"
    # A held comment edited into a banned word is rejected.
    assert _edit(client, alice, held, "A scumbag, they say.")["status"] == "rejected"


def test_a_featured_comment_edited_into_abuse_loses_its_pick(
    client: TestClient, app: FastAPI, site: Site, alice: dict[str, str]
) -> None:
    mod = with_role(client, app, site, "moderator", "Mod")
    cid = post(client, alice, "A thoughtful reply.").json()["id"]
    r = client.post(
        f"{API}/moderation/comments/{cid}/decision", json={"action": "feature"}, headers=mod
    )
    assert r.status_code == 200
    got = _edit(client, alice, cid, ABUSIVE)
    assert got["status"] == "pending" and got["is_featured"] is False
