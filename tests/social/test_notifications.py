"""Notifications: made by jobs from comment events; replies, batched likes,
mentions, followed readers, moderation; blocks, privacy, held comments,
settings; the list, marking read, and the reader's live channel."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from rostra.http.deps import state_of
from rostra.http.live import log as live
from rostra.models import Site
from rostra.social import notify
from tests.comments.conftest import post
from tests.factories import ARTICLE, add_site, like_url
from tests.social.conftest import API, me, named


def _list(client: TestClient, who: dict[str, str], **params: Any) -> dict[str, Any]:
    r = client.get(f"{API}/notifications", headers=who, params=params)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def _kinds(client: TestClient, who: dict[str, str]) -> list[str]:
    return [n["kind"] for n in _list(client, who)["items"]]


def test_a_reply_notifies_by_job_and_live(
    app: FastAPI, client: TestClient, site: Site, jobs: Any
) -> None:
    a, b = named(app, "Anna"), named(app, "Boris")
    top = post(client, a, "Top.").json()
    reply = post(client, b, "A reply.", parent_id=top["id"]).json()
    assert _list(client, a)["unread_count"] == 0  # not made inside the request
    jobs()
    data = _list(client, a)
    assert data["unread_count"] == 1
    item = data["items"][0]
    assert item["kind"] == "reply" and item["read"] is False and item["count"] == 1
    assert item["actor"]["handle"] == "boris" and "email" not in item["actor"]
    assert item["comment"]["id"] == reply["id"] and item["comment"]["html"] == "<p>A reply.</p>"
    assert item["comment"]["article_url"].endswith(f"#rostra-comment-{reply['id']}")
    assert _list(client, b)["items"] == []  # nobody hears of their own comment
    with state_of(app).read_sessions() as db:
        events = live.after(db, live.user_channel(me(client, a)["id"]), 0, 100) or []
    told = [e for e in events if e.kind == "notification.created"]
    assert len(told) == 1 and '"unread_count":1' in told[0].data


def test_likes_are_batched_until_read(
    app: FastAPI, client: TestClient, site: Site, jobs: Any
) -> None:
    a = named(app, "Anna")
    likers = [named(app, f"Liker {n}") for n in range(12)]
    top = post(client, a, "Likeable.").json()
    for who in likers:
        assert client.put(like_url(top["id"]), headers=who).status_code == 200
    client.put(like_url(top["id"]), headers=likers[0])  # again: not a new like
    jobs()
    items = _list(client, a)["items"]
    assert len(items) == 1 and items[0]["kind"] == "like" and items[0]["count"] == 12
    assert items[0]["actor"]["handle"] == "liker_11"  # the latest
    r = client.post(f"{API}/notifications/read", json={"all": True}, headers=a)
    assert r.status_code == 200 and r.json() == {"unread_count": 0}
    client.delete(like_url(top["id"]), headers=likers[3])
    client.put(like_url(top["id"]), headers=likers[3])
    jobs()
    items = _list(client, a)["items"]
    assert [(n["count"], n["read"]) for n in items] == [(1, False), (12, True)]


def test_mentions_notify_once_and_respect_blocks(
    app: FastAPI, client: TestClient, site: Site, jobs: Any
) -> None:
    a, b, c, d = named(app, "Anna"), named(app, "Boris"), named(app, "Chen"), named(app, "Dana")
    private = named(app, "Pia")
    client.patch(f"{API}/me", json={"is_private": True}, headers=private)
    client.put(f"{API}/users/boris/block", headers=d)
    top = post(client, a, "Top.").json()
    body = (
        "Thanks @anna, @CHEN and @chen; @dana, @pia, @nobody_here, mail x@chen.example, "
        "`@boris` in code, [@boris](https://elsewhere.example/u/boris)"
    )
    reply = post(client, b, body, parent_id=top["id"]).json()
    jobs()
    assert _kinds(client, a) == ["reply"]  # a reply that mentions you is a reply
    assert _kinds(client, c) == ["mention"]
    assert _kinds(client, d) == []  # Dana blocked Boris
    assert _kinds(client, private) == ["mention"]  # being private hides you, not from you
    assert 'href="http://rostra.test/u/chen"' in reply["html"]
    assert ">@CHEN</a>" in reply["html"]
    assert "<code>@boris</code>" in reply["html"]
    assert notify.mentioned_handles(reply["html"], "http://rostra.test/u/") == [
        "anna",
        "chen",
        "dana",
        "pia",
        "nobody_here",
    ]
    # The link is in the stored HTML, so every surface shows it.
    for path in ("/thread", f"{API}/comments.html"):
        assert 'href="http://rostra.test/u/chen"' in client.get(path, params={"url": ARTICLE}).text


def test_followers_hear_of_comments_but_not_of_private_or_blocked_authors(
    app: FastAPI, client: TestClient, site: Site, jobs: Any
) -> None:
    a, b, c = named(app, "Anna"), named(app, "Boris"), named(app, "Chen")
    client.put(f"{API}/users/boris/follow", headers=a)
    client.put(f"{API}/users/boris/follow", headers=c)
    post(client, b, "Followed.")
    jobs()
    assert _kinds(client, a) == ["followed"] and _kinds(client, c) == ["followed"]
    client.put(f"{API}/users/boris/block", headers=c)
    client.patch(f"{API}/me", json={"notify": {"followed": False}}, headers=a)
    post(client, b, "Again.")
    jobs()
    assert _kinds(client, a) == ["followed"]  # switched off
    # Chen's old notification from Boris is hidden now that Chen blocked him.
    assert _list(client, c) == {"items": [], "unread_count": 0, "next_cursor": None}
    client.patch(f"{API}/me", json={"notify": {"followed": True}}, headers=a)
    client.patch(f"{API}/me", json={"is_private": True}, headers=b)
    post(client, b, "Private now.")
    jobs()
    assert _kinds(client, a) == ["followed"]


def test_held_comments_notify_nobody(app: FastAPI, client: TestClient, jobs: Any) -> None:
    add_site(app, "pre", ["https://pre.example"], moderation="pre")
    a, b = named(app, "Anna"), named(app, "Boris")
    client.put(f"{API}/users/boris/follow", headers=a)
    post(client, b, "Held, @anna.", url="https://pre.example/a", expect=202)
    jobs()
    assert _kinds(client, a) == []


def test_a_comment_removed_before_the_job_notifies_nobody(
    app: FastAPI, client: TestClient, site: Site, jobs: Any
) -> None:
    a, b = named(app, "Anna"), named(app, "Boris")
    top = post(client, a, "Top.").json()
    reply = post(client, b, "Oops.", parent_id=top["id"]).json()
    client.delete(f"{API}/comments/{reply['id']}", headers=b)
    jobs()
    assert _kinds(client, a) == []


def test_moderation_tells_the_author_with_the_reason(
    app: FastAPI, client: TestClient, site: Site, jobs: Any
) -> None:
    a, b = named(app, "Anna"), named(app, "Boris")
    client.put(f"{API}/users/anna/follow", headers=b)
    top = post(client, a, "Top.").json()
    jobs()
    with state_of(app).write_sessions() as db:
        notify.moderated(db, top["id"], "featured", "A fine point.")
        notify.moderated(db, top["id"], "removed", "Off topic.")
        db.commit()
    jobs()
    items = _list(client, a)["items"]
    assert [(n["kind"], n["action"], n["reason"]) for n in items] == [
        ("moderation", "removed", "Off topic."),
        ("moderation", "featured", "A fine point."),
    ]
    assert items[0]["actor"] is None
    assert _kinds(client, b) == ["followed"]


def test_marking_read_by_id_and_paging(
    app: FastAPI, client: TestClient, site: Site, jobs: Any
) -> None:
    a, b = named(app, "Anna"), named(app, "Boris")
    c = named(app, "Chen")
    top = post(client, a, "Top.").json()
    for n in range(5):
        post(client, b, f"Reply {n}.", parent_id=top["id"])
    jobs()
    items = _list(client, a)["items"]
    assert len(items) == 5
    first = items[0]["id"]
    r = client.post(f"{API}/notifications/read", json={"ids": [first, 2**40]}, headers=a)
    assert r.json() == {"unread_count": 4}
    # Another reader's ids change nothing.
    assert client.post(
        f"{API}/notifications/read", json={"ids": [items[1]["id"]]}, headers=c
    ).json() == {"unread_count": 0}
    assert len(_list(client, a, unread=True)["items"]) == 4
    seen, cursor = [], None
    while True:
        page = _list(client, a, limit=2, **({"cursor": cursor} if cursor else {}))
        seen += [n["id"] for n in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [n["id"] for n in items]
    for bad in ({}, {"ids": [1], "all": True}, {"all": False}, {"ids": "1"}):
        r = client.post(f"{API}/notifications/read", json=bad, headers=a)
        assert r.status_code == 422, bad
    assert client.get(f"{API}/notifications").status_code == 401
    assert client.post(f"{API}/notifications/read", json={"all": True}).status_code == 401


def test_moderators_decisions_reach_the_author_and_approval_the_readers(
    app: FastAPI, client: TestClient, jobs: Any
) -> None:
    from tests.desk.conftest import decide, with_role

    pre = add_site(app, "pre", ["https://pre.example"], moderation="pre")
    mod = with_role(client, app, pre, "moderator")
    a, b = named(app, "Anna"), named(app, "Boris")
    client.put(f"{API}/users/anna/follow", headers=b)
    held = post(client, a, "Held at first.", url="https://pre.example/a", expect=202).json()
    jobs()
    assert _kinds(client, b) == []  # held: nobody hears of it
    decide(client, mod, held["id"], "approve")
    jobs()
    assert _kinds(client, b) == ["followed"]  # published now: followers hear
    assert _kinds(client, a) == []
    decide(client, mod, held["id"], "feature")
    decide(client, mod, held["id"], "unfeature")
    decide(client, mod, held["id"], "reject", reason="Off topic.")
    jobs()
    items = _list(client, a)["items"]
    assert [(n["kind"], n["action"], n["reason"]) for n in items] == [
        ("moderation", "removed", "Off topic."),
        ("moderation", "featured", None),
    ]
    assert items[0]["comment"]["status"] == "rejected"
    assert items[0]["comment"]["html"]  # the author still sees their own comment
    # The follower's notification keeps its place, without the removed text.
    [seen] = _list(client, b)["items"]
    assert seen["comment"]["status"] == "rejected" and seen["comment"]["html"] == ""
