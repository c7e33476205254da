"""Every rule of the pipeline through POST /comments, on SQLite and
PostgreSQL: word lists, the toxicity nudge and hold, spam signals, the
story's mode, new readers' holds; each decision recorded on the comment."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from rostra.db.base import utcnow
from rostra.http.deps import state_of
from rostra.models import Site
from rostra.moderation import settings as moderation
from tests.comments.conftest import comment_row, page, post, quick_reader, set_user, user_id
from tests.desk.conftest import MOD, queue, with_role
from tests.factories import ARTICLE, OTHER_ARTICLE

ABUSIVE = "You are a complete idiot and a moron, shut up."


def _rules(app: FastAPI, **kw: Any) -> None:
    with state_of(app).write_sessions() as db:
        site = db.get(Site, 1) or db.query(Site).one()
        moderation.set_site_rules(db, site, **kw)
        db.commit()


def test_banned_words_reject_and_suspect_words_hold(
    client: TestClient, app: FastAPI, site: Site, alice: dict[str, str]
) -> None:
    _rules(app, banned=["scumbag"], suspect=["traitor"])
    r = post(client, alice, "What a sc\u00fcmb4g.", expect=202)
    assert r.json()["status"] == "rejected"
    assert "scumbag" in r.json()["moderation_reason"]
    r = post(client, alice, "The minister is a tr4itor to the town.", expect=202)
    assert r.json()["status"] == "pending"
    row = comment_row(app, r.json()["id"])
    assert row is not None and row.moderation_step == "words" and row.toxicity is not None
    assert post(client, alice, "A classy traitorous-sounding headline.").status_code == 201
    assert page(client)["story"]["comment_count"] == 1
    mod = with_role(client, app, site, "moderator")
    (card,) = queue(client, mod, "flagged")
    assert card["comment"]["id"] == r.json()["id"]
    assert card["moderation_step"] == "words" and 0 <= card["toxicity"] <= 1


def test_a_toxic_comment_is_held_and_a_borderline_one_asks_once(
    client: TestClient, app: FastAPI, site: Site, alice: dict[str, str], bob: dict[str, str]
) -> None:
    r = post(client, alice, ABUSIVE, expect=202)
    assert r.json()["status"] == "pending"
    assert comment_row(app, r.json()["id"]).moderation_step == "toxicity"  # type: ignore[union-attr]
    _rules(app, nudge=0.2, hold=1.0)
    r = post(client, alice, "Shut up, you fool, nobody cares.", expect=422)
    assert r.json()["error"] == "rephrase_suggested" and r.json()["field"] == "body"
    r = post(client, alice, "Shut up, you fool, nobody cares.", confirmed=True)
    assert r.json()["status"] == "published"
    # Asked once: the same text sent again, as the embed's composer does, posts.
    nudged = "Be quiet, you fool, nobody cares."
    assert post(client, alice, nudged, expect=422).json()["error"] == "rephrase_suggested"
    assert post(client, alice, nudged).json()["status"] == "published"
    assert post(client, bob, nudged, expect=422).status_code == 422  # asked per author
    assert post(client, alice, "Thanks for the careful reporting.").status_code == 201
    r = client.post(f"{MOD}/comments/1/decision", json={"action": "approve"}, headers=alice)
    assert r.status_code == 403


def test_spam_signals_hold(
    client: TestClient, app: FastAPI, site: Site, alice: dict[str, str], bob: dict[str, str]
) -> None:
    # A link from an account made today waits; from an older account it does not.
    r = post(client, alice, "Cheap pills at https://spam.example now", expect=202)
    assert comment_row(app, r.json()["id"]).moderation_step == "spam"  # type: ignore[union-attr]
    set_user(app, user_id(client, bob), created_at=utcnow() - timedelta(days=30))
    post(client, bob, "The report is at https://council.example/flood.pdf")
    # The same text on another story.
    post(client, bob, "Read my blog for the real story about this.")
    r = post(
        client, bob, "Read my blog for the real story about this.", url=OTHER_ARTICLE, expect=202
    )
    assert r.json()["moderation_reason"] == "The same text was posted on another story."
    # A burst: the fifth comment within a minute.
    carol = quick_reader(app, "Carol")
    set_user(app, user_id(client, carol), created_at=utcnow() - timedelta(days=30))
    codes = [post(client, carol, f"Point number {n}.", expect=None).status_code for n in range(5)]
    assert codes == [201, 201, 201, 201, 202]


def test_premoderated_story_and_new_readers(
    client: TestClient, app: FastAPI, site: Site, alice: dict[str, str], bob: dict[str, str]
) -> None:
    _rules(app, new_reader_holds=1)
    r = post(client, alice, "My first comment here.", expect=202)
    assert r.json()["moderation_reason"] == "A new reader's first comments are reviewed."
    mod = with_role(client, app, site, "moderator")
    client.post(
        f"{MOD}/comments/{r.json()['id']}/decision", json={"action": "approve"}, headers=mod
    )
    assert post(client, alice, "My second comment.").status_code == 201
    story = page(client)["story"]["id"]
    client.patch(f"{MOD}/stories/{story}", json={"mode": "premoderated"}, headers=mod)
    r = post(client, alice, "On a premoderated story.", expect=202)
    assert comment_row(app, r.json()["id"]).moderation_step == "story_mode"  # type: ignore[union-attr]
    # An earlier step keeps its own reason.
    r = post(client, bob, ABUSIVE, expect=202)
    assert comment_row(app, r.json()["id"]).moderation_step == "toxicity"  # type: ignore[union-attr]
    assert ARTICLE in page(client)["story"]["url"]


def test_thresholds_must_be_in_order(app: FastAPI, site: Site) -> None:
    import pytest

    from rostra.moderation.errors import ThresholdsOutOfOrder

    with pytest.raises(ThresholdsOutOfOrder):
        _rules(app, nudge=0.9, hold=0.5)
