"""Follows, privacy and blocks, profiles and the Following feed."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from rostra.config import Settings
from rostra.http.deps import state_of
from rostra.models import Site
from tests.comments.conftest import post
from tests.factories import ARTICLE, OTHER_ARTICLE, add_site, assert_limited
from tests.social.conftest import API, named


def _follow(client: TestClient, who: dict[str, str], handle_: str, expect: int = 200) -> Any:
    r = client.put(f"{API}/users/{handle_}/follow", headers=who)
    assert r.status_code == expect, r.text
    return r.json()


def _feed(client: TestClient, who: dict[str, str], **params: Any) -> dict[str, Any]:
    r = client.get(f"{API}/feed", headers=who, params=params)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def test_follow_and_unfollow_count_and_are_idempotent(
    app: FastAPI, client: TestClient, site: Site
) -> None:
    a = named(app, "Anna")
    named(app, "Boris")
    assert _follow(client, a, "boris") == {"following": True, "follower_count": 1}
    assert _follow(client, a, "@Boris") == {"following": True, "follower_count": 1}
    profile = client.get(f"{API}/users/boris", headers=a).json()
    assert profile["following"] is True and profile["follower_count"] == 1
    assert client.get(f"{API}/users/anna").json()["following_count"] == 1
    r = client.delete(f"{API}/users/boris/follow", headers=a)
    assert r.json() == {"following": False, "follower_count": 0}
    assert client.delete(f"{API}/users/boris/follow", headers=a).status_code == 200
    r = _follow(client, a, "anna", expect=403)
    assert r["error"] == "own_account"
    assert client.put(f"{API}/users/nobody_here/follow", headers=a).status_code == 404
    assert client.put(f"{API}/users/boris/follow").status_code == 401
    assert client.put(f"{API}/users/{'x' * 65}/follow", headers=a).status_code == 422


def test_the_feed_lists_followed_readers_newest_first_across_stories(
    app: FastAPI, client: TestClient, site: Site
) -> None:
    a, b, c = named(app, "Anna"), named(app, "Boris"), named(app, "Chen")
    _follow(client, a, "boris")
    first = post(client, b, "On the crossing.").json()
    post(client, c, "Not followed.")
    reply = post(client, b, "A reply, elsewhere.", url=OTHER_ARTICLE, parent_id=None).json()
    answer = post(client, b, "Answering Chen.", parent_id=first["id"]).json()
    items = _feed(client, a)["items"]
    assert [i["id"] for i in items] == [answer["id"], reply["id"], first["id"]]
    assert all(i["author"]["handle"] == "boris" for i in items)
    top = next(i for i in items if i["id"] == first["id"])
    assert top["story"]["url"] == ARTICLE and top["story"]["title"]
    assert top["article_url"] == f"{ARTICLE}#rostra-comment-{first['id']}"
    assert top["thread_url"] == f"http://rostra.test/thread/{first['id']}#comment-{first['id']}"
    nested = next(i for i in items if i["id"] == answer["id"])
    assert nested["thread_url"].endswith(f"/thread/{first['id']}#comment-{answer['id']}")
    assert "email" not in str(items)
    # Pages: no gaps, no repeats.
    seen, cursor = [], None
    while True:
        page = _feed(client, a, limit=2, **({"cursor": cursor} if cursor else {}))
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [i["id"] for i in items]
    assert client.get(f"{API}/feed", headers=a, params={"cursor": "junk"}).status_code == 422
    assert client.get(f"{API}/feed").status_code == 401


def test_the_feed_keeps_to_the_site_asked_for(app: FastAPI, client: TestClient, site: Site) -> None:
    add_site(app, "other", ["https://other.example"])
    a, b = named(app, "Anna"), named(app, "Boris")
    _follow(client, a, "boris")
    here = post(client, b, "Here.").json()
    there = post(client, b, "There.", url="https://other.example/a").json()
    assert [i["id"] for i in _feed(client, a, url=ARTICLE)["items"]] == [here["id"]]
    assert {i["id"] for i in _feed(client, a)["items"]} == {here["id"], there["id"]}
    r = client.get(f"{API}/feed", headers=a, params={"url": "https://nowhere.example/x"})
    assert r.status_code == 422 and r.json()["error"] == "url_not_allowed"


def test_held_and_deleted_comments_stay_out_of_feeds_and_profiles(
    app: FastAPI, client: TestClient
) -> None:
    add_site(app)
    add_site(app, "pre", ["https://pre.example"], moderation="pre")
    a, b = named(app, "Anna"), named(app, "Boris")
    _follow(client, a, "boris")
    gone = post(client, b, "Soon gone.").json()
    kept = post(client, b, "Kept.").json()
    post(client, b, "Placeholder kept.", parent_id=gone["id"])
    assert client.delete(f"{API}/comments/{gone['id']}", headers=b).status_code == 204
    held = post(client, b, "Held.", url="https://pre.example/a", expect=202).json()
    assert held["status"] == "pending"
    ids = [i["id"] for i in _feed(client, a)["items"]]
    assert gone["id"] not in ids and held["id"] not in ids and kept["id"] in ids
    for viewer in (None, b):  # not even on the author's own profile
        profile = client.get(f"{API}/users/boris", headers=viewer or {}).json()
        shown = [c["id"] for c in profile["recent_comments"]]
        assert gone["id"] not in shown and held["id"] not in shown
    assert profile["comment_count"] == 2
    assert "Held." not in client.get("/u/boris").text


def test_a_private_reader_cannot_be_followed_and_shows_no_activity(
    app: FastAPI, client: TestClient, site: Site
) -> None:
    a, b = named(app, "Anna"), named(app, "Boris")
    _follow(client, a, "boris")
    post(client, b, "Before going private.")
    assert client.patch(f"{API}/me", json={"is_private": True}, headers=b).status_code == 200
    assert _feed(client, a)["items"] == []
    assert _follow(client, named(app, "Chen"), "boris", expect=403)["error"] == "cannot_follow"
    profile = client.get(f"{API}/users/boris", headers=a).json()
    assert profile["is_private"] is True and profile["can_follow"] is False
    assert profile["comment_count"] is None and profile["likes_received"] is None
    assert profile["recent_comments"] == [] and profile["follower_count"] == 0
    # A private reader may follow; whom they follow counts nowhere.
    _follow(client, b, "anna")
    assert client.get(f"{API}/users/anna").json()["follower_count"] == 0
    page = client.get("/u/boris")
    assert page.status_code == 200 and "Before going private" not in page.text
    assert "keeps their activity private" in page.text
    # Back to public: the old follow counts again.
    client.patch(f"{API}/me", json={"is_private": False}, headers=b)
    assert [i["author"]["handle"] for i in _feed(client, a)["items"]] == ["boris"]


def test_blocks_collapse_comments_and_stop_follows(
    app: FastAPI, client: TestClient, site: Site
) -> None:
    a, b = named(app, "Anna"), named(app, "Boris")
    _follow(client, a, "boris")
    _follow(client, b, "anna")
    comment = post(client, b, "Something rude.").json()
    reply = post(client, b, "More.", parent_id=comment["id"]).json()
    r = client.put(f"{API}/users/boris/block", headers=a)
    assert r.status_code == 200 and r.json() == {"blocked": True}
    assert client.put(f"{API}/users/boris/block", headers=a).json() == {"blocked": True}
    # Blocking ended the follows both ways, and Boris cannot follow again.
    assert client.get(f"{API}/users/anna").json()["follower_count"] == 0
    assert _feed(client, a)["items"] == []
    assert _follow(client, b, "anna", expect=403)["error"] == "cannot_follow"
    assert client.get(f"{API}/users/anna", headers=b).json()["can_follow"] is False
    # Collapsed for Anna, in the page and in further replies; not for others.
    page = client.get(f"{API}/comments", params={"url": ARTICLE}, headers=a).json()
    top = page["comments"][0]
    assert top["collapsed"] is True and top["replies"][0]["collapsed"] is True
    replies = client.get(f"{API}/comments/{comment['id']}/replies", headers=a).json()
    assert replies["replies"][0]["id"] == reply["id"]
    assert replies["replies"][0]["collapsed"] is True
    anon = client.get(f"{API}/comments", params={"url": ARTICLE}).json()
    assert anon["comments"][0]["collapsed"] is False
    own = client.get(f"{API}/comments", params={"url": ARTICLE}, headers=b).json()
    assert own["comments"][0]["collapsed"] is False
    assert client.get(f"{API}/users/boris", headers=a).json()["blocked"] is True
    # Unblocked: no longer collapsed; Anna may follow Boris again.
    assert client.delete(f"{API}/users/boris/block", headers=a).json() == {"blocked": False}
    page = client.get(f"{API}/comments", params={"url": ARTICLE}, headers=a).json()
    assert page["comments"][0]["collapsed"] is False
    assert _follow(client, b, "anna")["following"] is True
    assert client.put(f"{API}/users/anna/block", headers=a).json()["error"] == "own_account"


def test_profiles_show_counts_comments_and_staff_badge(
    app: FastAPI, client: TestClient, site: Site
) -> None:
    a = named(app, "Anna", is_admin=True)
    b = named(app, "Boris")
    comments = [post(client, a, f"Comment <b>{n}</b>").json() for n in range(12)]
    client.put(f"{API}/comments/{comments[0]['id']}/reactions/like", headers=b)
    client.put(f"{API}/comments/{comments[1]['id']}/reactions/like", headers=b)
    profile = client.get(f"{API}/users/anna").json()
    assert profile["is_staff"] is True and profile["handle"] == "anna"
    assert profile["comment_count"] == 12 and profile["likes_received"] == 2
    assert len(profile["recent_comments"]) == 10
    assert profile["recent_comments"][0]["id"] == comments[-1]["id"]
    assert profile["joined_at"] and "email" not in profile
    assert profile["following"] is False and profile["can_follow"] is False  # signed out
    assert client.get(f"{API}/users/anna", headers=b).json()["can_follow"] is True
    page = client.get("/u/anna")
    assert page.status_code == 200
    assert "@anna" in page.text and "Staff" in page.text and "12 comments" in page.text
    assert "&lt;b&gt;11&lt;/b&gt;" in page.text  # raw HTML in a comment is shown as text
    assert f'href="{ARTICLE}#rostra-comment-{comments[-1]["id"]}"' in page.text
    assert f"/thread/{comments[-1]['id']}#comment-{comments[-1]['id']}" in page.text
    assert "quick" not in page.text  # no email address (quick readers' addresses)
    missing = client.get("/u/nobody_here")
    assert missing.status_code == 404
    assert client.get(f"{API}/users/nobody_here").json()["error"] == "not_found"


def test_comments_carry_the_authors_handle_on_every_surface(
    app: FastAPI, client: TestClient, site: Site
) -> None:
    a = named(app, "Anna")
    post(client, a, "Hello.")
    page = client.get(f"{API}/comments", params={"url": ARTICLE}).json()
    assert page["comments"][0]["author"]["handle"] == "anna"
    fragment = client.get(f"{API}/comments.html", params={"url": ARTICLE})
    assert 'href="http://rostra.test/u/anna">@anna</a>' in fragment.text
    nojs = client.get("/thread", params={"url": ARTICLE})
    assert 'href="/u/anna">@anna</a>' in nojs.text


def test_social_calls_are_rate_limited(
    app: FastAPI, client: TestClient, site: Site, settings: Settings
) -> None:
    limited = settings.model_copy(
        update={
            "rate_limit_enabled": True,
            "rate_follow": "3/60",
            "rate_settings": "2/60",
            "rate_read_social": "4/60",
        }
    )
    state_of(app).settings = limited
    a, b = named(app, "Anna"), named(app, "Boris")
    for _ in range(2):
        _follow(client, a, "boris")
    assert client.put(f"{API}/users/boris/block", headers=a).status_code == 200
    assert_limited(client.delete(f"{API}/users/boris/block", headers=a))
    assert_limited(client.put(f"{API}/users/boris/follow", headers=a))
    for _ in range(2):
        assert client.patch(f"{API}/me", json={"mail_mode": "off"}, headers=a).status_code == 200
    assert_limited(client.patch(f"{API}/me", json={"mail_mode": "off"}, headers=a))
    for _ in range(4):
        assert client.get(f"{API}/users/boris").status_code == 200
    assert_limited(client.get(f"{API}/users/boris"))
    assert_limited(client.get("/u/boris"))
    assert_limited(client.get(f"{API}/feed", headers=b))
    assert_limited(client.get(f"{API}/auth/handle-suggestion", params={"display_name": "X"}))
