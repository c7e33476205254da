"""Lifting bans, searching the audit log and the dashboard's figures, on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from rostra.db.base import utcnow
from rostra.http.deps import state_of
from rostra.models import AuditEntry, Comment, Site
from tests.comments.conftest import post, quick_reader, story_row, user_id
from tests.desk.conftest import MOD, decide, with_role
from tests.factories import ARTICLE, OTHER_ARTICLE, add_site


def _audit(app: FastAPI, action: str) -> list[AuditEntry]:
    with state_of(app).read_sessions() as db:
        return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_a_moderator_lifts_a_ban_and_the_reader_posts_again(
    client: TestClient, app: FastAPI, site: Site, alice: dict[str, str], bob: dict[str, str]
) -> None:
    other = add_site(app, "other", ["https://other.example"])
    mod = with_role(client, app, site, "moderator", "Mod")
    elsewhere = with_role(client, app, other, "moderator", "Elsewhere")
    uid = user_id(client, alice)
    r = client.post(f"{MOD}/users/{uid}/ban", json={"reason": "abuse"}, headers=mod)
    assert r.status_code == 201
    r = client.post(f"{MOD}/users/{uid}/ban", json={"reason": "more", "duration": 3600},
                    headers=mod)  # fmt: skip
    assert r.status_code == 201
    assert post(client, alice, expect=403).json()["error"] == "banned"
    unban = f"{MOD}/users/{uid}/ban"
    assert client.delete(unban).status_code == 401
    for who in (bob, elsewhere):
        r = client.delete(unban, params={"site": "news"}, headers=who)
        assert r.status_code == 403 and r.json()["error"] == "not_moderator"
    r = client.delete(unban, params={"reason": "appeal upheld"}, headers=mod)
    assert r.status_code == 200, r.text
    assert r.json() == {"lifted": 2}
    assert post(client, alice).status_code == 201
    [entry] = _audit(app, "user.unban")
    assert entry.reason == "appeal upheld" and entry.target_id == uid
    assert len(entry.data["bans"]) == 2
    r = client.delete(unban, headers=mod)
    assert r.status_code == 404 and r.json()["error"] == "not_banned"
    r = client.delete(f"{MOD}/users/999999/ban", headers=mod)
    assert r.status_code == 404
    assert len(_audit(app, "user.unban")) == 1


def _entries(client: TestClient, who: dict[str, str], **params: Any) -> dict[str, Any]:
    r = client.get(f"{MOD}/audit", params=params, headers=who)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def test_the_audit_log_is_filtered_searched_and_paged(
    client: TestClient, app: FastAPI, site: Site, alice: dict[str, str]
) -> None:
    other = add_site(app, "other", ["https://other.example"])
    mod = with_role(client, app, site, "moderator", "Mod")
    admin = with_role(client, app, site, "admin", "Boss")
    other_mod = with_role(client, app, other, "moderator", "Elsewhere")
    ids = [post(client, alice, f"Comment {n}.").json()["id"] for n in range(6)]
    for cid in ids[:4]:
        decide(client, mod, cid, "reject", reason="Spam links" if cid % 2 else "Abuse of others")
    decide(client, admin, ids[4], "feature")
    cid_other = post(client, alice, url="https://other.example/a/b").json()["id"]
    decide(client, other_mod, cid_other, "reject", reason="Spam links")
    with state_of(app).write_sessions() as db:  # one of Rostra's own, yesterday
        db.add(AuditEntry(site_id=site.id, actor_id=None, action="comment.hold",
                          target_kind="comment", target_id=ids[5], reason="Reported by 3 readers.",
                          data={}, created_at=utcnow() - timedelta(days=1)))  # fmt: skip
        db.commit()
    everything = _entries(client, mod)["entries"]
    assert len(everything) == 6  # the other site's entry is not theirs
    assert [e["id"] for e in everything] == sorted((e["id"] for e in everything), reverse=True)
    assert {e["actor_handle"] for e in everything} >= {None}
    assert len(_entries(client, mod, action="comment.reject")["entries"]) == 4
    assert len(_entries(client, mod, actor="system")["entries"]) == 1
    handle = everything[-2]["actor_handle"]
    assert handle is not None
    by_handle = _entries(client, mod, actor=f"@{handle}")["entries"]
    assert by_handle and {e["actor_handle"] for e in by_handle} == {handle}
    r = client.get(f"{MOD}/audit", params={"actor": "@nobody-at-all"}, headers=mod)
    assert r.status_code == 404 and r.json()["field"] == "actor"
    spam = _entries(client, mod, q="SPAM links")["entries"]
    assert len(spam) == 2 and all("Spam" in e["reason"] for e in spam)
    assert _entries(client, mod, q="100%_")["entries"] == []
    today = (utcnow() - timedelta(hours=1)).isoformat()
    assert len(_entries(client, mod, since=today)["entries"]) == 5
    assert len(_entries(client, mod, until=today)["entries"]) == 1
    # Pages of two, back and forth.
    first = _entries(client, mod, limit=2)
    assert first["next_after"] is None and first["next_before"] == first["entries"][-1]["id"]
    second = _entries(client, mod, limit=2, before=first["next_before"])
    assert second["next_after"] == second["entries"][0]["id"]
    back = _entries(client, mod, limit=2, after=second["next_after"])
    assert [e["id"] for e in back["entries"]] == [e["id"] for e in first["entries"]]
    assert back["next_after"] is None
    seen: list[int] = []
    cursor = None
    while True:
        got = _entries(client, mod, limit=4, **({"before": cursor} if cursor else {}))
        seen += [e["id"] for e in got["entries"]]
        cursor = got["next_before"]
        if cursor is None:
            break
    assert seen == [e["id"] for e in everything]
    # Bad filters are refused, naming them.
    for params in ({"since": "yesterday"}, {"before": 0}, {"limit": 500}):
        r = client.get(f"{MOD}/audit", params=params, headers=mod)
        assert r.status_code == 422 and r.json()["field"] == next(iter(params)), params
    assert client.get(f"{MOD}/audit", headers=alice).status_code == 403


def test_the_dashboard_counts_the_seeded_comments(
    client: TestClient, app: FastAPI, site: Site, alice: dict[str, str], bob: dict[str, str]
) -> None:
    other = add_site(app, "other", ["https://other.example"])
    mod = with_role(client, app, site, "moderator", "Mod")
    ids = [post(client, alice, f"Published {n}.").json()["id"] for n in range(5)]
    busy = [post(client, bob, f"Other story {n}.", url=OTHER_ARTICLE).json()["id"]
            for n in range(2)]  # fmt: skip
    decide(client, mod, ids[0], "reject", reason="Spam")
    decide(client, mod, ids[1], "reject", reason="Spam")
    decide(client, mod, busy[0], "reject", reason="Abuse")
    r = client.patch(f"{MOD}/stories/{story_row(app).id}", json={"mode": "premoderated"},  # type: ignore[union-attr]
                     headers=mod)  # fmt: skip
    held = post(client, bob, "Held one.", expect=202).json()["id"]
    post(client, quick_reader(app), url="https://other.example/a/x")  # not this desk's
    now = utcnow()
    with state_of(app).write_sessions() as db:
        # Two comments written three hours ago, decided an hour later and two
        # hours later; one three days ago, outside the period.
        db.execute(
            update(Comment)
            .where(Comment.id == ids[0])
            .values(created_at=now - timedelta(hours=3), decided_at=now - timedelta(hours=2))
        )
        db.execute(
            update(Comment)
            .where(Comment.id == ids[1])
            .values(created_at=now - timedelta(hours=3), decided_at=now - timedelta(hours=1))
        )
        db.execute(update(Comment).where(Comment.id == ids[4]).values(
            created_at=now - timedelta(days=3)))  # fmt: skip
        db.execute(update(Comment).where(Comment.id == busy[0]).values(
            decided_at=None, decided_by_id=None))  # fmt: skip
        db.commit()
    r = client.get(f"{MOD}/dashboard", headers=mod)
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["comments"] == 7  # 5 + 2 + 1 held - 1 three days old
    assert len(got["per_hour"]) == 48
    last = got["per_hour"][-1]
    assert (last["published"], last["pending"], last["rejected"]) == (3, 1, 1)
    three_ago = got["per_hour"][-4]
    assert three_ago["rejected"] == 2
    assert sum(h["published"] + h["pending"] + h["rejected"] for h in got["per_hour"]) == 7
    reasons = {(x["status"], x["step"], x["reason"]): (x["count"], x["share"])
               for x in got["held_rejected"]}  # fmt: skip
    assert reasons == {
        ("rejected", "moderator", "Spam"): (2, round(2 / 7, 4)),
        ("rejected", "moderator", "Abuse"): (1, round(1 / 7, 4)),
        ("pending", "story_mode", None): (1, round(1 / 7, 4)),
    }
    assert (got["queue_pending"], got["queue_reported"]) == (1, 0)
    assert got["decisions"] == 2 and got["median_decision_seconds"] == 5400
    busiest = [(s["url"], s["comments"]) for s in got["busiest"]]
    assert busiest == [(ARTICLE, 5), (OTHER_ARTICLE, 2)]
    assert got["busiest"][0]["mode"] == "premoderated"
    # Named site; a reader and another site's moderator are refused.
    assert client.get(f"{MOD}/dashboard", params={"site": "news"}, headers=mod).json() == got
    assert client.get(f"{MOD}/dashboard", headers=alice).status_code == 403
    elsewhere = with_role(client, app, other, "moderator", "Elsewhere")
    r = client.get(f"{MOD}/dashboard", params={"site": "news"}, headers=elsewhere)
    assert r.status_code == 403
    assert client.get(f"{MOD}/dashboard", headers=elsewhere).json()["comments"] == 1
    assert held
