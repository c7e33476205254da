"""The Moderation API and readers' reports, on SQLite and PostgreSQL: roles
per site, decisions and what each surface then shows, bans, story modes,
reports, and one audit entry per action."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from rostra.http.deps import state_of
from rostra.models import AuditEntry, LiveEvent, Site
from tests.comments.conftest import API, page, post, quick_reader, story_row, user_id
from tests.desk.conftest import MOD, decide, queue, with_role
from tests.factories import ARTICLE, add_site

OTHER_SITE_ARTICLE = "https://other.example/a/story"


def _audit(app: FastAPI, **where: Any) -> list[AuditEntry]:
    with state_of(app).read_sessions() as db:
        query = select(AuditEntry).filter_by(**where).order_by(AuditEntry.id)
        return list(db.scalars(query))


def _premoderate(client: TestClient, mod: dict[str, str], url: str = ARTICLE) -> int:
    """Make the story exist (a first comment) and premoderate it."""
    story = story_row(client.app, url)  # type: ignore[arg-type]
    assert story is not None
    r = client.patch(f"{MOD}/stories/{story.id}", json={"mode": "premoderated"}, headers=mod)
    assert r.status_code == 200, r.text
    assert r.json()["premoderated"] is True
    return story.id


def test_a_reader_or_anonymous_client_reaches_no_moderation_call(
    client: TestClient, app: FastAPI, site: Site, alice: dict[str, str], bob: dict[str, str]
) -> None:
    cid = post(client, alice).json()["id"]
    staff = with_role(client, app, site, "staff", "Staff")
    bob_id = user_id(client, bob)
    calls = [
        ("get", f"{MOD}/queue?queue=pending", None),
        ("post", f"{MOD}/comments/{cid}/decision", {"action": "reject"}),
        ("post", f"{MOD}/users/{bob_id}/ban", {"reason": "spam", "site": "news"}),
        ("patch", f"{MOD}/stories/1", {"mode": "closed"}),
        ("get", f"{MOD}/audit", None),
        ("put", f"{MOD}/sites/news/roles/{bob_id}", {"role": "moderator"}),
    ]
    for method, url, body in calls:
        kw: dict[str, Any] = {"json": body} if body is not None else {}
        assert client.request(method, url, **kw).status_code == 401, url
        for who in (bob, staff):
            r = client.request(method, url, headers=who, **kw)
            assert r.status_code == 403, (url, r.text)
            assert r.json()["error"] in ("not_moderator", "not_site_admin")
    assert page(client)["comments"][0]["status"] == "published"
    assert _audit(app) == []


def test_a_moderator_acts_only_on_their_own_sites_comments(
    client: TestClient, app: FastAPI, site: Site, alice: dict[str, str]
) -> None:
    other = add_site(app, "other", ["https://other.example"])
    elsewhere = with_role(client, app, other, "moderator", "Elsewhere")
    cid = post(client, alice).json()["id"]
    r = client.post(f"{MOD}/comments/{cid}/decision", json={"action": "reject"}, headers=elsewhere)
    assert r.status_code == 403 and r.json()["error"] == "not_moderator"
    assert queue(client, elsewhere, "recent") == []
    r = client.get(f"{MOD}/queue", params={"site": "news"}, headers=elsewhere)
    assert r.status_code == 403
    mine = post(client, alice, url=OTHER_SITE_ARTICLE).json()["id"]
    assert [c["comment"]["id"] for c in queue(client, elsewhere, "recent")] == [mine]


def test_a_held_comment_waits_for_review_and_approval_publishes_it(
    client: TestClient, app: FastAPI, site: Site, alice: dict[str, str], bob: dict[str, str]
) -> None:
    mod = with_role(client, app, site, "moderator")
    post(client, bob, "First.")
    story_id = _premoderate(client, mod)
    r = post(client, alice, "Please review me.", expect=202)
    held = r.json()
    assert held["status"] == "pending"
    assert held["moderation_reason"] == "Comments on this story are reviewed first."
    # The author sees it awaiting review; other readers and the anonymous page do not.
    mine = page(client, headers=alice)["comments"]
    assert [c["status"] for c in mine] == ["pending", "published"]
    assert [c["id"] for c in page(client, headers=bob)["comments"]] != [held["id"]]
    assert held["id"] not in [c["id"] for c in page(client)["comments"]]
    assert page(client)["story"]["comment_count"] == 1
    cards = queue(client, mod, "pending")
    assert [c["comment"]["id"] for c in cards] == [held["id"]]
    card = cards[0]
    assert card["story"] == {
        "id": story_id, "site_id": site.id, "url": ARTICLE, "title": card["story"]["title"],
        "mode": "premoderated",
    }  # fmt: skip
    assert card["author"]["display_name"] == "Alice"
    assert card["author"]["pending"] == 1 and card["author"]["published"] == 0
    assert card["moderation_step"] == "story_mode"
    out = decide(client, mod, held["id"], "approve")
    assert out["status"] == "published" and out["moderation_step"] == "moderator"
    shown = page(client)
    assert held["id"] in [c["id"] for c in shown["comments"]]
    assert shown["story"]["comment_count"] == 2
    assert queue(client, mod, "pending") == []
    entries = _audit(app, action="comment.approve")
    assert [(e.target_id, e.data) for e in entries] == [
        (held["id"], {"from": "pending", "to": "published"})
    ]
    assert len(_audit(app, action="story.mode")) == 1


def test_a_rejected_comment_shows_its_author_why(
    client: TestClient, app: FastAPI, site: Site, alice: dict[str, str], bob: dict[str, str]
) -> None:
    mod = with_role(client, app, site, "admin")
    cid = post(client, alice, "Something rude.").json()["id"]
    assert page(client)["story"]["comment_count"] == 1
    decide(client, mod, cid, "reject", reason="Personal attack")
    assert page(client)["comments"] == []
    assert page(client)["story"]["comment_count"] == 0
    assert page(client, headers=bob)["comments"] == []
    (own,) = page(client, headers=alice)["comments"]
    assert own["status"] == "rejected"
    assert own["moderation_reason"] == "Personal attack"
    # The author's stream hears it; the story's readers see it go.
    with state_of(app).read_sessions() as db:
        kinds = [(e.channel, e.kind) for e in db.scalars(select(LiveEvent).order_by(LiveEvent.id))]
    uid = user_id(client, alice)
    assert (f"user:{uid}", "comment.updated") in kinds
    assert any(k == "comment.deleted" and c.startswith("story:") for c, k in kinds)
    assert (f"desk:{site.id}", "queue.decided") in kinds
    # A rejected comment cannot be featured; a deleted one is not there.
    r = client.post(f"{MOD}/comments/{cid}/decision", json={"action": "feature"}, headers=mod)
    assert r.status_code == 409 and r.json()["error"] == "not_decidable"
    r = client.post(f"{MOD}/comments/999999/decision", json={"action": "approve"}, headers=mod)
    assert r.status_code == 404
    r = client.post(f"{MOD}/comments/{cid}/decision", json={"action": "hide"}, headers=mod)
    assert r.status_code == 422


def test_featured_comments_come_first_on_every_surface(
    client: TestClient, app: FastAPI, site: Site, alice: dict[str, str], bob: dict[str, str]
) -> None:
    mod = with_role(client, app, site, "moderator")
    first = post(client, alice, "The thoughtful one.").json()["id"]
    later = [post(client, bob, f"Later {n}.").json()["id"] for n in range(3)]
    decide(client, mod, first, "feature")
    for sort in ("newest", "oldest", "top"):
        got = page(client, sort=sort, limit=2)
        assert got["comments"][0]["id"] == first, sort
        assert got["comments"][0]["is_featured"] is True
        assert [c["id"] for c in got["comments"]].count(first) == 1
        rest = page(client, sort=sort, limit=2, cursor=got["next_cursor"])["comments"]
        assert first not in [c["id"] for c in rest]
    assert [c["id"] for c in page(client, sort="newest")["comments"]] == [first, *later[::-1]]
    for path in ("/thread", f"{API}/comments.html"):
        html = client.get(path, params={"url": ARTICLE, "sort": "newest"}).text
        assert html.index("The thoughtful one.") < html.index("Later 2.")
        assert "Editors&#39; pick" in html or "Editors' pick" in html
    decide(client, mod, first, "unfeature")
    assert page(client, sort="newest")["comments"][0]["id"] == later[-1]
    assert [e.action for e in _audit(app)] == ["comment.feature", "comment.unfeature"]


def test_staff_wear_a_badge_on_their_sites_comments(
    client: TestClient, app: FastAPI, site: Site, alice: dict[str, str]
) -> None:
    staff = with_role(client, app, site, "staff", "Reporter")
    post(client, staff, "From the newsroom.")
    post(client, alice, "From a reader.")
    by_name = {c["author"]["display_name"]: c["author"] for c in page(client)["comments"]}
    assert by_name["Reporter"]["is_staff"] is True
    assert by_name["Alice"]["is_staff"] is False
    html = client.get("/thread", params={"url": ARTICLE}).text
    assert html.count('class="rostra-staff"') == 1


def test_reports_are_once_per_reader_and_enough_of_them_hold_a_comment(
    client: TestClient, app: FastAPI, site: Site, alice: dict[str, str]
) -> None:
    mod = with_role(client, app, site, "moderator")
    cid = post(client, alice, "Contested.").json()["id"]
    readers = [quick_reader(app, f"Reader {n}") for n in range(3)]
    url = f"{API}/comments/{cid}/reports"
    assert client.post(url, json={"reason": "abuse"}).status_code == 401
    r = client.post(url, json={"reason": "abuse"}, headers=alice)
    assert r.status_code == 403 and r.json()["error"] == "own_comment"
    r = client.post(url, json={"reason": "rude"}, headers=readers[0])
    assert r.status_code == 422
    r = client.post(url, json={"reason": "abuse", "note": "x" * 501}, headers=readers[0])
    assert r.status_code == 422
    r = client.post(url, json={"reason": "abuse", "note": "Insults."}, headers=readers[0])
    assert r.status_code == 201 and r.json() == {"reported": True}
    r = client.post(url, json={"reason": "spam"}, headers=readers[0])
    assert r.status_code == 409 and r.json()["error"] == "already_reported"
    client.post(url, json={"reason": "spam"}, headers=readers[1])
    (card,) = queue(client, mod, "reported")
    assert card["reports"] == {"abuse": 1, "spam": 1}
    assert card["comment"]["status"] == "published"
    assert page(client)["story"]["comment_count"] == 1
    client.post(url, json={"reason": "abuse"}, headers=readers[2])
    # The third distinct reader holds it (the site's threshold is 3).
    assert page(client)["comments"] == []
    assert page(client)["story"]["comment_count"] == 0
    (card,) = queue(client, mod, "pending")
    assert card["moderation_step"] == "reports"
    (hold,) = _audit(app, action="comment.hold")
    assert hold.actor_id is None and hold.target_id == cid
    r = client.post(url, json={"reason": "abuse"}, headers=quick_reader(app))
    assert r.status_code == 404  # held: no longer there to report
    decide(client, mod, cid, "approve")
    assert queue(client, mod, "reported") == []
    assert page(client)["story"]["comment_count"] == 1


def test_a_banned_reader_cannot_post_on_the_site_until_the_ban_ends(
    client: TestClient, app: FastAPI, site: Site, alice: dict[str, str], bob: dict[str, str]
) -> None:
    add_site(app, "other", ["https://other.example"])
    mod = with_role(client, app, site, "moderator")
    bob_id = user_id(client, bob)
    r = client.post(f"{MOD}/users/{bob_id}/ban", json={"reason": ""}, headers=mod)
    assert r.status_code == 422
    r = client.post(f"{MOD}/users/{bob_id}/ban", json={"reason": "x", "duration": 5}, headers=mod)
    assert r.status_code == 422
    r = client.post(f"{MOD}/users/999999/ban", json={"reason": "Spam"}, headers=mod)
    assert r.status_code == 404
    r = client.post(
        f"{MOD}/users/{bob_id}/ban", json={"reason": "Spam", "site": "other"}, headers=mod
    )
    assert r.status_code == 403  # not a moderator there
    r = client.post(
        f"{MOD}/users/{bob_id}/ban", json={"reason": "Spam", "duration": 3600}, headers=mod
    )
    assert r.status_code == 201, r.text
    assert r.json()["site_id"] == site.id and r.json()["until"] is not None
    r = post(client, bob, expect=403)
    assert r.json()["error"] == "banned" and "Spam" in r.json()["detail"]
    post(client, bob, url=OTHER_SITE_ARTICLE)  # another site's
    post(client, alice)
    (entry,) = _audit(app, action="user.suspend")
    assert entry.target_id == bob_id and entry.reason == "Spam"


def test_story_modes_close_and_slow_down(
    client: TestClient, app: FastAPI, site: Site, alice: dict[str, str]
) -> None:
    mod = with_role(client, app, site, "moderator")
    post(client, alice)
    story = story_row(app)
    assert story is not None
    url = f"{MOD}/stories/{story.id}"
    r = client.patch(url, json={"mode": "closed"}, headers=mod)
    assert r.json()["is_closed"] is True
    assert post(client, alice, expect=403).json()["error"] == "story_closed"
    r = client.patch(url, json={"mode": "open", "slow_mode_seconds": 600}, headers=mod)
    assert r.json()["is_closed"] is False and r.json()["slow_mode_seconds"] == 600
    r = post(client, alice, expect=429)
    assert r.json()["error"] == "slow_mode" and int(r.headers["Retry-After"]) > 500
    post(client, quick_reader(app))  # another reader's first in the window
    r = client.patch(url, json={"title": "An editor's title"}, headers=mod)
    assert r.json()["title"] == "An editor's title"
    assert client.patch(url, json={"mode": "shut"}, headers=mod).status_code == 422
    assert client.patch(f"{MOD}/stories/999999", json={}, headers=mod).status_code == 404
    assert [e.action for e in _audit(app)] == ["story.mode", "story.mode", "story.edit"]


def test_site_admins_give_roles_and_the_audit_log_lists_each_action_once(
    client: TestClient, app: FastAPI, site: Site, alice: dict[str, str], bob: dict[str, str]
) -> None:
    admin = with_role(client, app, site, "admin", "Chief")
    bob_id = user_id(client, bob)
    r = client.put(f"{MOD}/sites/news/roles/{bob_id}", json={"role": "moderator"}, headers=admin)
    assert r.status_code == 204
    cid = post(client, alice).json()["id"]
    decide(client, bob, cid, "reject", reason="Off topic")
    decide(client, bob, cid, "approve")
    r = client.get(f"{MOD}/audit", headers=admin)
    entries = r.json()["entries"]
    assert [e["action"] for e in entries] == ["comment.approve", "comment.reject", "role.set"]
    assert entries[1]["reason"] == "Off topic" and entries[1]["actor_id"] == bob_id
    r = client.get(f"{MOD}/audit", params={"action": "comment.reject"}, headers=admin)
    assert [e["target_id"] for e in r.json()["entries"]] == [cid]
    r = client.get(f"{MOD}/audit", params={"limit": 1}, headers=admin)
    older = client.get(f"{MOD}/audit", params={"before": r.json()["next_before"]}, headers=admin)
    assert [e["action"] for e in older.json()["entries"]] == ["comment.reject", "role.set"]
    r = client.get(f"{MOD}/audit", params={"comment_id": cid, "actor_id": bob_id}, headers=bob)
    assert len(r.json()["entries"]) == 2
    r = client.put(f"{MOD}/sites/news/roles/{bob_id}", json={"role": None}, headers=admin)
    assert r.status_code == 204
    r = client.post(f"{MOD}/comments/{cid}/decision", json={"action": "reject"}, headers=bob)
    assert r.status_code == 403
    r = client.put(f"{MOD}/sites/nowhere/roles/{bob_id}", json={"role": None}, headers=admin)
    assert r.status_code == 404
    r = client.get(f"{MOD}/queue", params={"site": "nowhere"}, headers=admin)
    assert r.status_code == 404
