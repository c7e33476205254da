"""One page for every reader, with the signed-in reader's own state beside it
(``viewer``), and the short-lived cache of sign-in tokens behind it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from rostra.accounts import repository as accounts_repository
from rostra.accounts.signins import account_changed
from rostra.accounts.tokens import hash_token, new_token
from rostra.app import create_app
from rostra.comments import views
from rostra.comments.threads import overlay
from rostra.config import Settings
from rostra.db.base import utcnow
from rostra.http.deps import state_of
from rostra.models import AuthSession, Comment, Site, SiteRole, User
from rostra.stories import service as stories
from rostra.urls import normalise
from tests.comments.conftest import API, page, post, quick_reader, set_user, user_id
from tests.factories import ARTICLE, add_site

NO_VIEWER = b'"viewer":null}'


def _raw(client: TestClient, path: str = "/comments", **kw: Any) -> bytes:
    headers = kw.pop("headers", None) or {}
    params = {"url": ARTICLE, **kw} if path == "/comments" else kw
    r = client.get(API + path, params=params, headers=headers)
    assert r.status_code == 200, r.text
    body: bytes = r.content
    return body


def _shared(body: bytes) -> bytes:
    """The page without its viewer object."""
    cut = body.rindex(b',"viewer":')
    return body[:cut] + b"," + NO_VIEWER


def test_every_reader_gets_the_same_page(
    client: TestClient, app: FastAPI, alice: dict[str, str], bob: dict[str, str]
) -> None:
    carol = quick_reader(app, "Carol")
    tops = [post(client, bob, f"top {i}").json()["id"] for i in range(3)]
    mine = post(client, alice, "mine", parent_id=tops[0]).json()["id"]
    client.put(f"{API}/comments/{tops[1]}/reactions/like", headers=alice)
    with state_of(app).write_sessions() as db:
        held = post(client, alice, "held", parent_id=tops[2]).json()["id"]
        db.execute(update(Comment).where(Comment.id == held).values(status="pending"))
        db.commit()
    anonymous = _raw(client)
    assert anonymous.endswith(NO_VIEWER)
    for headers in (alice, bob, carol):
        assert _shared(_raw(client, headers=headers)) == anonymous
    # Later pages too.
    cursor = client.get(f"{API}/comments", params={"url": ARTICLE, "limit": 2}).json()[
        "next_cursor"
    ]
    later = _raw(client, limit=2, cursor=cursor)
    assert _shared(_raw(client, limit=2, cursor=cursor, headers=alice)) == later
    # Alice's state, beside the page.
    viewer = client.get(f"{API}/comments", params={"url": ARTICLE}, headers=alice).json()["viewer"]
    assert viewer["id"] == user_id(client, alice)
    assert viewer["liked"] == [tops[1]]
    assert [m["id"] for m in viewer["mine"]] == [mine]
    assert viewer["mine"][0]["body"] == "mine" and viewer["mine"][0]["editable_until"]
    assert [h["id"] for h in viewer["held"]] == [held]
    assert viewer["held"][0]["status"] == "pending" and viewer["held"][0]["is_mine"]
    assert b"held" not in anonymous
    carols = client.get(f"{API}/comments", params={"url": ARTICLE}, headers=carol).json()
    assert carols["viewer"]["liked"] == carols["viewer"]["mine"] == carols["viewer"]["held"] == []
    # The replies of a thread: one list for all, the same overlay beside it.
    replies = client.get(f"{API}/comments/{tops[0]}/replies", headers=alice).json()
    assert replies["viewer"] == viewer and not replies["replies"][0]["is_mine"]
    assert client.get(f"{API}/comments/{tops[0]}/replies").json()["viewer"] is None


def test_the_author_of_a_held_thread_reads_its_replies(
    client: TestClient, app: FastAPI, alice: dict[str, str], bob: dict[str, str]
) -> None:
    top = post(client, alice, "held top").json()["id"]
    reply = post(client, alice, "my reply", parent_id=top).json()["id"]
    with state_of(app).write_sessions() as db:
        db.execute(update(Comment).where(Comment.id == top).values(status="pending"))
        db.commit()
    r = client.get(f"{API}/comments/{top}/replies", headers=alice)
    assert [c["id"] for c in r.json()["replies"]] == [reply]
    assert client.get(f"{API}/comments/{top}/replies", headers=bob).status_code == 404
    assert client.get(f"{API}/comments/{top}/replies").status_code == 404


def _viewer_of(client: TestClient, headers: dict[str, str]) -> object:
    return client.get(f"{API}/comments", params={"url": ARTICLE}, headers=headers).json()["viewer"]


def test_a_signed_out_token_reads_anonymously_at_once(
    client: TestClient, alice: dict[str, str]
) -> None:
    post(client, alice, "hello")
    assert _viewer_of(client, alice) is not None  # the token is cached now
    assert client.post(f"{API}/auth/logout", headers=alice).status_code == 204
    assert _viewer_of(client, alice) is None


def test_cached_sign_ins_end_with_the_change_that_ends_them(
    client: TestClient, app: FastAPI, alice: dict[str, str]
) -> None:
    post(client, alice, "hello")
    uid = user_id(client, alice)
    assert _viewer_of(client, alice) is not None  # whose the token is
    assert _viewer_of(client, alice) is not None  # its sign-in, cached now
    # Revoked behind the API's back: the cache does not know yet...
    with state_of(app).write_sessions() as db:
        accounts_repository.revoke_all_sessions(db, uid)
        db.commit()
    assert _viewer_of(client, alice) is not None
    # ...until a change records it, as a password reset or a suspension does.
    with state_of(app).write_sessions() as db:
        account_changed(db, uid)
        db.commit()
    assert _viewer_of(client, alice) is None


def test_a_new_name_is_seen_after_the_change_is_recorded(
    client: TestClient, app: FastAPI, alice: dict[str, str]
) -> None:
    post(client, alice, "hello")
    uid = user_id(client, alice)
    _viewer_of(client, alice)
    set_user(app, uid, display_name="Alicia")
    with state_of(app).write_sessions() as db:
        account_changed(db, uid)
        db.commit()
    held = post(client, alice, "second").json()["id"]
    with state_of(app).write_sessions() as db:
        db.execute(update(Comment).where(Comment.id == held).values(status="pending"))
        db.commit()
    viewer = _viewer_of(client, alice)
    assert isinstance(viewer, dict)
    assert viewer["held"][0]["author"]["display_name"] == "Alicia"


def _fresh_overlay(app: FastAPI, uid: int, url: str = ARTICLE) -> dict[str, Any]:
    """The reader's overlay built now from the database, no cache."""
    state = state_of(app)
    with state.read_sessions() as db:
        viewer = db.get(User, uid)
        assert viewer is not None
        story_id = stories.id_by_url(db, normalise(url))
        fresh: dict[str, Any] = json.loads(
            views.encode(overlay(db, state.settings, story_id, viewer))
        )
        return fresh


def _decide(client: TestClient, admin: dict[str, str], comment_id: int, action: str) -> None:
    r = client.post(
        f"{API}/moderation/comments/{comment_id}/decision",
        json={"action": action, "reason": "Off topic."},
        headers=admin,
    )
    assert r.status_code == 200, r.text


def _handle(client: TestClient, headers: dict[str, str]) -> str:
    handle: str = client.get(f"{API}/me", headers=headers).json()["handle"]
    return handle


CHANGES = [
    "like", "unlike", "edit", "delete", "reject", "approve", "feature", "block", "unblock",
    "rename", "private", "held-post",
]  # fmt: skip


@pytest.mark.parametrize("change", CHANGES)
def test_a_cached_overlay_never_outlives_a_change(
    client: TestClient, app: FastAPI, alice: dict[str, str], bob: dict[str, str], change: str
) -> None:
    """Alice's overlay is cached (her warm first page is answered from the
    cache alone); after each kind of write that changes it, or the page, her
    next answer is the page and the overlay as the database has them now."""
    from tests.comments.test_front import front_of

    admin = quick_reader(app, "Mo", is_admin=True)
    add_site(app, "pre", ["https://pre.example"], moderation="pre")
    held_url = "https://pre.example/held/thread"
    uid = user_id(client, alice)
    tops = [post(client, bob, f"top {i}").json()["id"] for i in range(2)]
    mine = post(client, alice, "mine", parent_id=tops[0]).json()["id"]
    client.put(f"{API}/comments/{tops[0]}/reactions/like", headers=alice)
    if change == "approve":
        _decide(client, admin, mine, "reject")
    if change == "unblock":
        client.put(f"{API}/users/{_handle(client, bob)}/block", headers=alice)
    if change == "rename":
        _decide(client, admin, mine, "reject")  # her name is on her held comment
    post(client, bob, "on the held story", url=held_url, expect=202)
    front = front_of(app)
    for url in (ARTICLE, held_url):
        _raw(client, url=url)  # the shared page
        for _ in range(3):  # whose the token is, its sign-in, the overlay
            _raw(client, url=url, headers=alice)
        before = front.warm_signed_in
        _raw(client, url=url, headers=alice)
        assert front.warm_signed_in == before + 1  # from the cache alone
    if change == "like":
        client.put(f"{API}/comments/{tops[1]}/reactions/like", headers=alice)
    elif change == "unlike":
        client.delete(f"{API}/comments/{tops[0]}/reactions/like", headers=alice)
    elif change == "edit":
        r = client.patch(f"{API}/comments/{mine}", json={"body": "edited"}, headers=alice)
        assert r.status_code == 200
    elif change == "delete":
        assert client.delete(f"{API}/comments/{mine}", headers=alice).status_code == 204
    elif change in ("reject", "approve"):
        _decide(client, admin, mine, change)
    elif change == "feature":
        _decide(client, admin, tops[0], "feature")
    elif change in ("block", "unblock"):
        method = "PUT" if change == "block" else "DELETE"
        r = client.request(method, f"{API}/users/{_handle(client, bob)}/block", headers=alice)
        assert r.status_code == 200
    elif change in ("rename", "private"):
        patch = {"display_name": "Alicia"} if change == "rename" else {"is_private": True}
        assert client.patch(f"{API}/me", json=patch, headers=alice).status_code == 200
    else:
        post(client, alice, "my held words", url=held_url, expect=202)
    for url in (ARTICLE, held_url):
        anonymous = json.loads(_raw(client, url=url))
        for _ in range(2):  # built again, then from the cache
            got = json.loads(_raw(client, url=url, headers=alice))
            assert got == {**anonymous, "viewer": _fresh_overlay(app, uid, url)}, url
    viewer = _viewer_of(client, alice)
    assert isinstance(viewer, dict)
    bob_id = user_id(client, bob)
    expected: dict[str, Callable[[], object]] = {
        "like": lambda: viewer["liked"] == [tops[1], tops[0]],
        "unlike": lambda: viewer["liked"] == [],
        "edit": lambda: viewer["mine"][0]["body"] == "edited",
        "delete": lambda: viewer["mine"] == [] and viewer["held"] == [],
        "reject": lambda: viewer["mine"] == [] and viewer["held"][0]["status"] == "rejected",
        "approve": lambda: [m["id"] for m in viewer["mine"]] == [mine] and viewer["held"] == [],
        "feature": lambda: page(client, headers=alice)["comments"][0]["is_featured"],
        "block": lambda: viewer["blocked"] == [bob_id],
        "unblock": lambda: viewer["blocked"] == [],
        "rename": lambda: viewer["held"][0]["author"]["display_name"] == "Alicia",
        "private": lambda: [m["id"] for m in viewer["mine"]] == [mine],
        "held-post": lambda: True,
    }
    assert expected[change]()
    if change == "held-post":
        theirs = client.get(f"{API}/comments", params={"url": held_url}, headers=alice).json()
        assert [h["body"] for h in theirs["viewer"]["held"]] == ["my held words"]
        assert b"my held words" not in _raw(client, url=held_url, headers=bob)
    if change == "block":
        shown = page(client, headers=alice)["comments"]
        assert all(c["collapsed"] for c in shown if c["author"]["id"] == bob_id)


def test_a_cached_overlay_ends_with_the_edit_window(
    client: TestClient, app: FastAPI, settings: Settings
) -> None:
    """``editable_until`` is shown only while it is ahead: a cached overlay
    is not used past the first one it names."""
    from tests.comments.test_front import front_of

    window = settings.model_copy(update={"edit_window_seconds": 5})
    short_app = create_app(window, migrate_on_start=False, run_jobs=False)
    try:
        with TestClient(short_app, base_url="http://rostra.test") as short:
            add_site(short_app, "short", ["https://short.example"])
            ana = quick_reader(short_app, "Ana")
            url = "https://short.example/a"
            post(short, ana, "quick", url=url)
            _raw(short, url=url)
            for _ in range(3):  # whose the token is, its sign-in, the overlay
                _raw(short, url=url, headers=ana)
            front = front_of(short_app)
            before = front.warm_signed_in
            viewer = json.loads(_raw(short, url=url, headers=ana))["viewer"]
            if viewer["mine"][0]["editable_until"] is None:  # pragma: no cover - a slow machine
                pytest.skip("the edit window passed before the overlay was cached")
            assert front.warm_signed_in == before + 1  # the cached overlay
            until = datetime.fromisoformat(viewer["mine"][0]["editable_until"])
            time.sleep(max(0.0, (until - utcnow()).total_seconds()) + 0.05)
            viewer = json.loads(_raw(short, url=url, headers=ana))["viewer"]
            assert viewer["mine"][0]["editable_until"] is None
    finally:
        state_of(short_app).writer.close()
        state_of(short_app).engine.dispose()


def test_a_cached_sign_in_ends_with_its_session(
    client: TestClient, app: FastAPI, alice: dict[str, str]
) -> None:
    post(client, alice, "hello")
    token, ends = new_token(), utcnow() + timedelta(seconds=1.5)
    with state_of(app).write_sessions() as db:
        db.add(
            AuthSession(
                user_id=user_id(client, alice), token_hash=hash_token(token), expires_at=ends
            )
        )
        db.commit()
    short = {"Authorization": f"Bearer {token}"}
    for _ in range(3):
        assert _viewer_of(client, short) is not None  # cached: sign-in and overlay
    # The session runs out (no write records it): its cached sign-in goes unused.
    time.sleep(max(0.0, (ends - utcnow()).total_seconds()) + 0.05)
    assert _viewer_of(client, short) is None


def test_the_overlay_says_the_sites_edit_window_and_badge_as_the_authors_other_views(
    client: TestClient, app: FastAPI
) -> None:
    """A site with an edit window of its own: the reader's overlay gives the
    same ``editable_until`` as the answer to their post, and a staff
    member's held comment wears the badge as their answer does."""
    site = add_site(app, moderation="pre")
    with state_of(app).write_sessions() as db:
        db.execute(update(Site).where(Site.id == site.id).values(edit_window_seconds=3600))
        db.commit()
    olha = quick_reader(app, "Olha")
    with state_of(app).write_sessions() as db:
        db.add(SiteRole(site_id=site.id, user_id=user_id(client, olha), role="staff"))
        db.commit()
    made = post(client, olha, "Held, from the newsroom.", expect=202).json()
    assert made["author"]["is_staff"] is True
    created = datetime.fromisoformat(made["created_at"])
    assert datetime.fromisoformat(made["editable_until"]) - created == timedelta(hours=1)
    for _ in range(2):  # built, then kept
        viewer = page(client, headers=olha)["viewer"]
        [held] = viewer["held"]
        assert held["editable_until"] == made["editable_until"]
        assert held["author"]["is_staff"] is True
