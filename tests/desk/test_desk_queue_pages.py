"""The queue pages and their forms, on SQLite and PostgreSQL: every comment
state on the cards, actions without script (POST, CSRF, 303 back), the
409 on a stale card, other sites' comments out of reach, one audit entry
per action."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from rostra.db.base import utcnow
from rostra.http.deps import state_of
from rostra.models import AuditEntry, Ban, Comment, Site, SiteRole
from tests.comments.conftest import API, comment_row, post, quick_reader, user_id
from tests.desk.conftest import MOD
from tests.desk.pages_support import DeskClient, moderator
from tests.factories import ARTICLE, add_site, assert_page_inert

OTHER_SITE_ARTICLE = "https://other.example/a/story"


def _audit(app: FastAPI, action: str) -> list[AuditEntry]:
    with state_of(app).read_sessions() as db:
        query = select(AuditEntry).filter_by(action=action).order_by(AuditEntry.id)
        return list(db.scalars(query))


def _set(app: FastAPI, comment_id: int, **values: Any) -> None:
    with state_of(app).write_sessions() as db:
        db.execute(update(Comment).where(Comment.id == comment_id).values(**values))
        db.commit()


def _card(html: str, comment_id: int) -> str:
    found = re.search(rf'<li class="card[^"]*" id="card-{comment_id}".*?</div>\s*</li>', html, re.S)
    assert found, f"no card for {comment_id}"
    return found.group(0)


def _seen(html: str, comment_id: int) -> str:
    found = re.search(r'data-seen="([^"]*)"', _card(html, comment_id))
    assert found
    return found.group(1)


def _ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<li class="card[^"]*" id="card-(\d+)"', html)]


def _decide(mod: DeskClient, cid: int, action: str, seen: str, **form: str) -> Any:
    data = {"action": action, "seen": seen, "back": "/desk/queue/pending", **form}
    return mod.post(f"/desk/comments/{cid}/decision", data)


def test_every_comment_state_on_the_cards(
    app: FastAPI, client: TestClient, site: Site, alice: dict[str, str], bob: dict[str, str]
) -> None:
    mod = moderator(app, client, site)
    parent = post(client, bob, "The parent, deleted later.").json()["id"]
    held = post(client, alice, "Held <script>alert(1)</script> for review.", parent_id=parent)
    held_id = held.json()["id"]
    _set(
        app,
        held_id,
        status="pending",
        moderation_step="story_mode",
        moderation_reason="Comments on this story are reviewed first.",
    )
    r = client.delete(f"{API}/comments/{parent}", headers=bob)
    assert r.status_code in (200, 204), r.text
    flagged = post(client, bob, "Flagged by the words.").json()["id"]
    _set(
        app,
        flagged,
        status="pending",
        moderation_step="words",
        toxicity=0.91,
        moderation_reason="A suspect word: idiot.",
    )
    reported = post(client, alice, "Reported, edited and featured.").json()["id"]
    _set(app, reported, edited_at=utcnow(), is_featured=True)
    for n in range(2):
        r = client.post(
            f"{API}/comments/{reported}/reports",
            json={"reason": "off_topic", "note": f"Note {n} <b>x</b>"},
            headers=quick_reader(app, f"Rep {n}"),
        )
        assert r.status_code == 201, r.text
    staff = quick_reader(app, "Staffer")
    staff_id = user_id(client, staff)
    with state_of(app).write_sessions() as db:
        db.add(SiteRole(site_id=site.id, user_id=staff_id, role="staff"))
        db.commit()
    by_staff = post(client, staff, "From the newsroom.").json()["id"]
    banned_reader = quick_reader(app, "Banned Reader")
    by_banned = post(client, banned_reader, "Before the ban.").json()["id"]
    uid = user_id(client, banned_reader)
    r = client.post(
        f"{MOD}/users/{uid}/ban", json={"reason": "Spam", "duration": 3600}, headers=mod.bearer
    )
    assert r.status_code == 201

    old_hand = quick_reader(app, "Old Hand", created_at=utcnow() - timedelta(days=400))
    rejected = post(client, old_hand, "Rejected before.").json()["id"]
    r = client.post(f"{MOD}/comments/{rejected}/decision", headers=mod.bearer,
                    json={"action": "reject", "reason": "Personal attack"})  # fmt: skip
    assert r.status_code == 200, r.text
    nasty = quick_reader(app, '<img src=x onerror="alert(1)">')
    by_nasty = post(client, nasty, "A [link](javascript:alert(1)) and <b>tags</b>.").json()["id"]
    private = quick_reader(app, "Private Person", is_private=True)
    by_private = post(client, private, "Private but moderated.").json()["id"]

    pending = mod.get("/desk").text
    assert _ids(pending) == [held_id, flagged]
    card = _card(pending, held_id)
    assert "held" in card and "story_mode" in card and "reviewed first" in card
    assert "[deleted comment]" in card and "The parent, deleted later." not in card
    assert "<script>" not in card and "&lt;script&gt;" in card
    assert "Account new today" in card and "1 waiting" in card
    assert 'data-seen="pending|' in card
    card = _card(pending, flagged)
    assert "words" in card and "A suspect word" in card and "Toxicity 0.91" in card
    assert_page_inert(pending)

    assert _ids(mod.get("/desk/queue/flagged").text) == [flagged]
    page = mod.get("/desk/queue/reported").text
    assert _ids(page) == [reported]
    card = _card(page, reported)
    assert "Reported as off topic \u00d72" in card
    assert "Note 1 &lt;b&gt;x&lt;/b&gt;" in card
    assert "Editors' pick" in card and "edited" in card
    assert "Keep (dismiss reports)" in card and "Unfeature" in card

    recent = mod.get("/desk/queue/recent").text
    assert set(_ids(recent)) == {
        held_id, flagged, reported, by_staff, by_banned, by_private, rejected, by_nasty
    }  # fmt: skip
    assert_page_inert(recent)
    assert "&lt;img src=x" in _card(recent, by_nasty) and 'href="javascript' not in recent
    card = _card(recent, rejected)
    assert "rejected" in card and "Decided at <strong>moderator</strong>: Personal attack" in card
    assert "Account 13 months old" in card and "1 rejected" in card
    assert "Reject <kbd>r</kbd>" not in card and "Restore (approve)" in card
    assert "Private Person" in _card(recent, by_private)  # moderators see private authors
    assert parent not in _ids(recent)  # a deleted comment is no card
    assert 'class="badge staff"' in _card(recent, by_staff)
    assert 'class="badge staff"' not in _card(recent, reported)
    assert "suspended until" in _card(recent, by_banned)
    assert "Ban or suspend the author" not in _card(recent, by_banned)


def test_approve_reject_feature_from_the_forms_each_audited_once(
    app: FastAPI, client: TestClient, site: Site, alice: dict[str, str], bob: dict[str, str]
) -> None:
    mod = moderator(app, client, site)
    a = post(client, alice, "One.").json()["id"]
    b = post(client, bob, "Two.").json()["id"]
    c = post(client, bob, "Three.").json()["id"]
    for cid in (a, b, c):
        _set(app, cid, status="pending", moderation_step="story_mode")
    page = mod.get("/desk").text
    r = _decide(mod, a, "approve", _seen(page, a))
    assert r.status_code == 303 and r.headers["location"] == "/desk/queue/pending"
    r = _decide(mod, b, "reject", _seen(page, b))
    assert r.status_code == 422 and "Give a reason" in r.text  # a reason is required
    r = _decide(
        mod,
        b,
        "reject",
        _seen(page, b),
        reason="Spam",
        reason_text="  Selling watches.  ",
    )
    assert r.status_code == 303
    r = _decide(mod, c, "feature", _seen(page, c))  # approves, then features
    assert r.status_code == 303
    rows = {}
    for cid in (a, b, c):
        row = comment_row(app, cid)
        assert row is not None
        rows[cid] = row
    assert rows[a].status == "published"
    assert rows[b].status == "rejected" and rows[b].moderation_reason == "Selling watches."
    assert rows[c].status == "published" and rows[c].is_featured
    assert [e.target_id for e in _audit(app, "comment.approve")] == [a, c]
    assert [e.target_id for e in _audit(app, "comment.reject")] == [b]
    assert [e.target_id for e in _audit(app, "comment.feature")] == [c]
    assert _ids(mod.get("/desk").text) == []
    # JSON for the desk's script
    r = mod.post(
        f"/desk/comments/{c}/decision",
        {"action": "unfeature"},
        headers={"Accept": "application/json"},
    )
    assert r.status_code == 200 and r.json()["featured"] is False


def test_a_stale_card_answers_409_instead_of_deciding_twice(
    app: FastAPI, client: TestClient, site: Site, alice: dict[str, str]
) -> None:
    first = moderator(app, client, site, name="First")
    second = moderator(app, client, site, name="Second")
    cid = post(client, alice, "Contested.").json()["id"]
    _set(app, cid, status="pending", moderation_step="reports")
    seen = _seen(first.get("/desk").text, cid)
    assert seen == _seen(second.get("/desk").text, cid)
    assert _decide(first, cid, "approve", seen).status_code == 303
    r = _decide(second, cid, "reject", seen, reason="Off-topic")
    assert r.status_code == 409
    assert "already_decided" in r.text and "decided meanwhile by First" in r.text
    r = second.post(
        f"/desk/comments/{cid}/decision",
        {"action": "approve", "seen": seen},
        headers={"Accept": "application/json"},
    )
    assert r.status_code == 409 and r.json()["error"] == "already_decided"
    row = comment_row(app, cid)
    assert row is not None and row.status == "published"
    assert len(_audit(app, "comment.approve")) == 1 and _audit(app, "comment.reject") == []
    # deleted by its author while the card was shown
    other = post(client, alice, "Gone soon.").json()["id"]
    _set(app, other, status="pending", moderation_step="story_mode")
    seen = _seen(first.get("/desk").text, other)
    client.delete(f"{API}/comments/{other}", headers=alice)
    r = _decide(first, other, "approve", seen)
    assert r.status_code == 404  # removed (it had no replies): nothing to decide
    assert comment_row(app, other) is None


def test_ban_and_suspend_from_a_card_reject_the_comment_too(
    app: FastAPI, client: TestClient, site: Site, alice: dict[str, str], bob: dict[str, str]
) -> None:
    mod = moderator(app, client, site)
    a = post(client, alice, "Abuse.").json()["id"]
    b = post(client, bob, "More abuse.").json()["id"]
    for cid in (a, b):
        _set(app, cid, status="pending", moderation_step="toxicity")
    page = mod.get("/desk").text
    alice_id, bob_id = user_id(client, alice), user_id(client, bob)
    r = mod.post(
        f"/desk/users/{alice_id}/ban",
        {"reason": "", "site": "news", "comment_id": str(a), "seen": _seen(page, a)},
    )
    assert r.status_code == 422
    r = mod.post(
        f"/desk/users/{alice_id}/ban",
        {
            "reason": "Threats",
            "site": "news",
            "comment_id": str(a),
            "seen": _seen(page, a),
            "back": "/desk",
        },
    )
    assert r.status_code == 303
    r = mod.post(
        f"/desk/users/{bob_id}/ban",
        {
            "reason": "Insults",
            "site": "news",
            "duration": "86400",
            "comment_id": str(b),
            "seen": _seen(page, b),
        },
    )
    assert r.status_code == 303
    # a comment that is not the reader's
    r = mod.post(
        f"/desk/users/{bob_id}/ban",
        {"reason": "x", "site": "news", "comment_id": str(a), "seen": ""},
    )
    assert r.status_code == 404
    with state_of(app).read_sessions() as db:
        bans = {ban.user_id: ban for ban in db.scalars(select(Ban))}
    assert bans[alice_id].until is None and bans[alice_id].reason == "Threats"
    until = bans[bob_id].until
    assert until is not None and timedelta(hours=23) < until - utcnow() < timedelta(hours=25)
    for cid, why in ((a, "Banned: Threats"), (b, "Suspended: Insults")):
        row = comment_row(app, cid)
        assert row is not None and row.status == "rejected" and row.moderation_reason == why
    assert [e.target_id for e in _audit(app, "user.ban")] == [alice_id]
    assert [e.target_id for e in _audit(app, "user.suspend")] == [bob_id]
    assert len(_audit(app, "comment.reject")) == 2
    assert post(client, alice, expect=403).json()["error"] == "banned"


def test_bulk_decides_a_selection_and_skips_what_was_decided_meanwhile(
    app: FastAPI, client: TestClient, site: Site, alice: dict[str, str]
) -> None:
    mod = moderator(app, client, site)
    ids = [post(client, alice, f"Bulk {n}.").json()["id"] for n in range(3)]
    for cid in ids:
        _set(app, cid, status="pending", moderation_step="new_reader")
    page = mod.get("/desk").text
    selection = [f"{cid}|{_seen(page, cid)}" for cid in ids]
    _decide(mod, ids[0], "approve", _seen(page, ids[0]))
    r = mod.post(
        "/desk/bulk",
        {"action": "reject", "reason": "Spam", "ids": selection, "back": "/desk"},
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/desk?decided=2&skipped=1"
    assert "2 decided, 1 skipped" in mod.get(r.headers["location"]).text
    statuses = [getattr(comment_row(app, cid), "status", None) for cid in ids]
    assert statuses == ["published", "rejected", "rejected"]
    assert len(_audit(app, "comment.reject")) == 2
    r = mod.post("/desk/bulk", {"action": "approve", "ids": ["nonsense"]})
    assert r.status_code == 422


def test_banning_a_selections_authors_bans_each_once_and_rejects_their_comments(
    app: FastAPI, client: TestClient, site: Site, alice: dict[str, str], bob: dict[str, str]
) -> None:
    mod = moderator(app, client, site)
    spam = [post(client, alice, f"Cheap watches {n}.").json()["id"] for n in range(2)]
    spam.append(post(client, bob, "Cheap watches too.").json()["id"])
    decided = post(client, bob, "Decided meanwhile.").json()["id"]
    for cid in [*spam, decided]:
        _set(app, cid, status="pending", moderation_step="new_reader")
    html = mod.get("/desk").text
    selection = [f"{cid}|{_seen(html, cid)}" for cid in [*spam, decided]]
    _decide(mod, decided, "approve", _seen(html, decided))
    r = mod.post(
        "/desk/bulk/ban",
        {"reason": "Spam", "reason_text": "A wave of watch ads", "ids": selection},
        headers={"Accept": "application/json"},
    )
    assert r.status_code == 200, r.text
    alice_id, bob_id = user_id(client, alice), user_id(client, bob)
    answer = r.json()
    assert answer["decided"] == spam and answer["banned"] == sorted([alice_id, bob_id])
    assert [s["id"] for s in answer["skipped"]] == [decided]
    with state_of(app).read_sessions() as db:
        bans = list(db.scalars(select(Ban).order_by(Ban.id)))
    assert sorted(b.user_id for b in bans) == sorted([alice_id, bob_id])  # each once
    assert {(b.site_id, b.until, b.reason) for b in bans} == {
        (site.id, None, "A wave of watch ads")
    }
    for cid in spam:
        row = comment_row(app, cid)
        assert row is not None and row.status == "rejected"
        assert row.moderation_reason == "Banned: A wave of watch ads"
    row = comment_row(app, decided)
    assert row is not None and row.status == "published"  # its author's ban came from the others
    assert len(_audit(app, "user.ban")) == 2
    assert post(client, alice, expect=403).json()["error"] == "banned"

    # without script: the bulk form's "Suspend their authors" button
    carol = quick_reader(app, "Carol")
    late = post(client, carol, "Late spam.").json()["id"]
    _set(app, late, status="pending", moderation_step="new_reader")
    html = mod.get("/desk").text
    assert 'formaction="/desk/bulk/suspend"' in html and 'formaction="/desk/bulk/ban"' in html
    r = mod.post(
        "/desk/bulk/suspend",
        {"reason": "Spam", "duration": "86400", "ids": [f"{late}|{_seen(html, late)}"],
         "back": "/desk"},
    )  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == "/desk?decided=1&skipped=0"
    with state_of(app).read_sessions() as db:
        ban = db.scalars(select(Ban).where(Ban.user_id == user_id(client, carol))).one()
    assert ban.until is not None and timedelta(hours=23) < ban.until - utcnow()
    assert ban.reason == "Spam"
    row = comment_row(app, late)
    assert row is not None and row.moderation_reason == "Suspended: Spam"


def test_a_moderator_of_site_a_neither_sees_nor_acts_on_site_b(
    app: FastAPI, client: TestClient, site: Site, alice: dict[str, str]
) -> None:
    other = add_site(app, "other", ["https://other.example"])
    mod_b = moderator(app, client, other, name="Of B")
    mod_a = moderator(app, client, site, name="Of A")
    on_a = post(client, alice, "On A.").json()["id"]
    on_b = post(client, alice, "On B.", url=OTHER_SITE_ARTICLE).json()["id"]
    for cid in (on_a, on_b):
        _set(app, cid, status="pending", moderation_step="story_mode")
    assert _ids(mod_b.get("/desk").text) == [on_b]
    assert _ids(mod_b.get("/desk/queue/recent").text) == [on_b]
    assert mod_b.get("/desk?site=news").status_code == 404
    seen = _seen(mod_a.get("/desk").text, on_a)
    r = _decide(mod_b, on_a, "approve", seen)
    assert r.status_code == 403 and "not_moderator" in r.text
    r = mod_b.post("/desk/bulk", {"action": "approve", "ids": [f"{on_a}|{seen}"]})
    assert r.status_code == 403
    r = mod_b.post("/desk/bulk/ban", {"reason": "x", "ids": [f"{on_a}|{seen}"]})
    assert r.status_code == 403
    r = mod_b.post(f"/desk/users/{user_id(client, alice)}/ban", {"reason": "x", "site": "news"})
    assert r.status_code == 403
    r = mod_b.post(f"/desk/comments/{on_a}/claim", headers={"Accept": "application/json"})
    assert r.status_code == 403
    row = comment_row(app, on_a)
    assert row is not None and row.status == "pending"
    assert ARTICLE not in mod_b.get("/desk/queue/recent").text


def test_claims_mark_a_card_for_the_other_moderators(
    app: FastAPI, client: TestClient, site: Site, alice: dict[str, str]
) -> None:
    first = moderator(app, client, site, name="Ann Claimer")
    second = moderator(app, client, site, name="Ben")
    cid = post(client, alice, "Claimed.").json()["id"]
    _set(app, cid, status="pending", moderation_step="story_mode")
    js = {"Accept": "application/json"}
    r = first.post(f"/desk/comments/{cid}/claim", headers=js)
    assert r.status_code == 200 and r.json()["mine"] is True
    r = second.post(f"/desk/comments/{cid}/claim", headers=js)
    assert r.json()["mine"] is False and r.json()["claim"]["name"] == "Ann Claimer"
    assert "Being decided by Ann Claimer" in _card(second.get("/desk").text, cid)
    assert "Being decided by" not in _card(first.get("/desk").text, cid)
    assert second.post(f"/desk/comments/{cid}/release", headers=js).json()["released"] is False
    assert first.post(f"/desk/comments/{cid}/release", headers=js).json()["released"] is True
    assert "Being decided by" not in _card(second.get("/desk").text, cid)
    first.post(f"/desk/comments/{cid}/claim", headers=js)
    _decide(first, cid, "approve", _seen(first.get("/desk").text, cid))
    assert second.post(f"/desk/comments/{cid}/claim", headers=js).json()["mine"] is True


def test_claims_are_told_on_the_desk_channel(
    app: FastAPI, client: TestClient, site: Site, alice: dict[str, str]
) -> None:
    from rostra.models import LiveEvent

    first = moderator(app, client, site, name="Ann")
    cid = post(client, alice, "Claimed.").json()["id"]
    js = {"Accept": "application/json"}
    first.post(f"/desk/comments/{cid}/claim", headers=js)
    with state_of(app).read_sessions() as db:
        kinds = [e.kind for e in db.scalars(select(LiveEvent).order_by(LiveEvent.id))]
    assert "queue.claimed" in kinds


def test_bad_input_to_the_desk_forms_is_a_clear_4xx(
    app: FastAPI, client: TestClient, site: Site, alice: dict[str, str]
) -> None:
    mod = moderator(app, client, site)
    cid = post(client, alice, "Fine.").json()["id"]
    js = {"Accept": "application/json"}
    cases: list[tuple[str, dict[str, Any], int]] = [
        (f"/desk/comments/{2**70}/decision", {"action": "approve"}, 404),
        ("/desk/comments/0/decision", {"action": "approve"}, 404),
        (f"/desk/comments/{cid}/decision", {"action": "explode"}, 422),
        (f"/desk/comments/{cid}/decision", {}, 422),
        (f"/desk/comments/{cid}/decision", {"action": "reject", "reason_text": "x" * 501}, 422),
        (f"/desk/comments/{cid}/decision", {"action": "approve", "seen": "nonsense"}, 422),
        (f"/desk/comments/{cid}/decision", {"action": "approve", "seen": "rejected|"}, 409),
        (f"/desk/users/{2**70}/ban", {"reason": "x", "site": "news"}, 404),
        ("/desk/users/1/ban", {"reason": "x", "site": "news", "duration": "5"}, 422),
        ("/desk/users/1/ban", {"reason": "x", "site": "nowhere"}, 404),
        ("/desk/bulk", {"action": "approve"}, 422),
        ("/desk/bulk", {"action": "approve", "ids": [f"{2**70}|x"]}, 422),
        ("/desk/bulk/ban", {"ids": [f"{cid}|"]}, 422),  # no reason
        ("/desk/bulk/ban", {"reason": "x", "ids": ["nonsense"]}, 422),
        ("/desk/bulk/ban", {"reason": "x"}, 422),
        ("/desk/bulk/suspend", {"reason": "x", "ids": [f"{cid}|"]}, 422),  # no duration
        ("/desk/bulk/suspend", {"reason": "x", "ids": [f"{cid}|"], "duration": "5"}, 422),
        (f"/desk/comments/{2**70}/claim", {}, 404),
    ]
    for path, form, status in cases:
        r = mod.post(path, form, headers=js)
        assert r.status_code == status, (path, form, r.text)
        assert r.json()["error"], path
    assert mod.get("/desk/queue/recent?offset=-1").status_code == 422
    assert mod.get("/desk?site=" + "x" * 65).status_code == 422
