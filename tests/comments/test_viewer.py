"""One page for every reader, with the signed-in reader's own state beside it
(``viewer``), and the short-lived cache of sign-in tokens behind it."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from rostra.accounts import repository as accounts_repository
from rostra.accounts.signins import account_changed
from rostra.http.deps import state_of
from rostra.models import Comment
from tests.comments.conftest import API, post, quick_reader, set_user, user_id
from tests.factories import ARTICLE

NO_VIEWER = b'"viewer":null}'


def _raw(client: TestClient, path: str = "/comments", **kw: object) -> bytes:
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
    assert _viewer_of(client, alice) is not None
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
