"""GET /comments and /comments/{id}/replies: order, paging, nesting, visibility."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rostra.comments.schemas import CommentPage, RepliesPage
from rostra.http.deps import state_of
from rostra.models import Site
from tests.comments.conftest import API, count_queries, page, post, quick_reader
from tests.factories import ARTICLE


def ids(comments: list[dict[str, Any]]) -> list[int]:
    return [c["id"] for c in comments]


def test_article_without_comments(client: TestClient, site: Site) -> None:
    data = page(client, ARTICLE + "?utm_source=newsletter")
    assert data == {
        "story": {
            "id": None,
            "url": ARTICLE,
            "canonical_url": None,
            "title": "",
            "published_at": None,
            "comment_count": 0,
            "is_closed": False,
        },
        "comments": [],
        "next_cursor": None,
        "viewer": None,
    }


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("https://elsewhere.example/a", "url_not_allowed"),
        ("javascript:alert(1)", "invalid_url"),
        ("news.example/a", "invalid_url"),
        ("", "invalid_url"),
    ],
)
def test_bad_urls(client: TestClient, site: Site, url: str, code: str) -> None:
    r = client.get(f"{API}/comments", params={"url": url})
    assert r.status_code == 422
    assert (r.json()["error"], r.json()["field"]) == (code, "url")


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "best"},
        {"limit": 0},
        {"limit": 101},
        {"limit": "ten"},
    ],
)
def test_bad_parameters(client: TestClient, site: Site, params: dict[str, Any]) -> None:
    r = client.get(f"{API}/comments", params={"url": ARTICLE, **params})
    assert r.status_code == 422
    assert (r.json()["error"], r.json()["field"]) == ("validation_error", next(iter(params)))
    r = client.get(f"{API}/comments")
    assert (r.status_code, r.json()["field"]) == (422, "url")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "!!!!",
        "e30",
        base64.urlsafe_b64encode(b'{"k":"newest","v":"x","i":1}').decode(),
        base64.urlsafe_b64encode(b'{"k":"top","v":1,"i":1}').decode(),  # another sort's cursor
        base64.urlsafe_b64encode(b'{"k":"newest","v":1e400,"i":1}').decode(),
        base64.urlsafe_b64encode(b'{"k":"newest","v":99999999999999999999,"i":1}').decode(),
        base64.urlsafe_b64encode(b"[1,2,3]").decode(),
        "\u00e9t\u00e9",
        "x" * 600,
    ],
)
def test_malformed_cursor(client: TestClient, alice: dict[str, str], cursor: str) -> None:
    post(client, alice)
    r = client.get(f"{API}/comments", params={"url": ARTICLE, "cursor": cursor})
    assert r.status_code == 422, r.text
    assert (r.json()["error"], r.json()["field"]) == ("validation_error", "cursor")


def test_sorting_three_ways(client: TestClient, app: FastAPI, alice: dict[str, str]) -> None:
    made = [post(client, alice, f"comment {i}").json()["id"] for i in range(4)]
    likers = [quick_reader(app) for _ in range(3)]
    # made[1] gets 3 likes, made[3] 2, made[0] 1, made[2] none.
    for target, n in ((made[1], 3), (made[3], 2), (made[0], 1)):
        for headers in likers[:n]:
            r = client.put(f"{API}/comments/{target}/reactions/like", headers=headers)
            assert r.status_code == 200
    assert ids(page(client, sort="newest")["comments"]) == made[::-1]
    assert ids(page(client)["comments"]) == made[::-1]  # newest is the default
    assert ids(page(client, sort="oldest")["comments"]) == made
    assert ids(page(client, sort="top")["comments"]) == [made[1], made[3], made[0], made[2]]


@pytest.mark.parametrize("sort", ["newest", "oldest", "top"])
def test_cursor_paging_has_no_gaps_or_duplicates(
    client: TestClient, app: FastAPI, alice: dict[str, str], sort: str
) -> None:
    made = [post(client, alice, f"comment {i}").json()["id"] for i in range(11)]
    liker = quick_reader(app)
    for target in made[::3]:  # ties in like_count are broken by id
        client.put(f"{API}/comments/{target}/reactions/like", headers=liker)
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"sort": sort, "limit": 3}
        if cursor:
            params["cursor"] = cursor
        data = page(client, **params)
        CommentPage.model_validate(data)
        seen += ids(data["comments"])
        pages += 1
        # A comment posted while paging must not shift what is still to come.
        if pages == 2:
            post(client, alice, "late arrival")
        cursor = data["next_cursor"]
        if cursor is None:
            break
    assert pages == 4
    assert len(seen) == len(set(seen))
    assert set(made) <= set(seen)


def test_deep_nesting_comes_back_nested(
    client: TestClient, app: FastAPI, alice: dict[str, str], bob: dict[str, str]
) -> None:
    # With the display cap above the chain, it is sent as stored; the cap
    # itself is tested in test_display_depth.py.
    state = state_of(app)
    state.settings = state.settings.model_copy(update={"max_display_depth": 31})
    parent = post(client, alice, "depth 0").json()["id"]
    chain = [parent]
    for depth in range(1, 31):
        parent = post(
            client, bob if depth % 2 else alice, f"depth {depth}", parent_id=parent
        ).json()["id"]
        chain.append(parent)
    data = page(client)
    CommentPage.model_validate(data)
    node = data["comments"][0]
    for depth, expected in enumerate(chain):
        assert (node["id"], node["depth"], node["html"]) == (
            expected,
            depth,
            f"<p>depth {depth}</p>",
        )
        if depth < 30:
            assert len(node["replies"]) == 1
            node = node["replies"][0]
    assert node["replies"] == []
    assert data["story"]["comment_count"] == 31


def test_siblings_in_order_and_per_thread(client: TestClient, alice: dict[str, str]) -> None:
    a = post(client, alice, "a").json()["id"]
    b = post(client, alice, "b").json()["id"]
    a1 = post(client, alice, "a1", parent_id=a).json()["id"]
    b1 = post(client, alice, "b1", parent_id=b).json()["id"]
    a2 = post(client, alice, "a2", parent_id=a).json()["id"]
    a11 = post(client, alice, "a11", parent_id=a1).json()["id"]
    data = page(client, sort="oldest")
    first, second = data["comments"]
    assert ids(first["replies"]) == [a1, a2]
    assert ids(first["replies"][0]["replies"]) == [a11]
    assert ids(second["replies"]) == [b1]
    assert first["reply_count"] == 2 and first["replies_cursor"] is None


def test_long_thread_pages_its_replies(
    client: TestClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    top = post(client, alice, "top").json()["id"]
    made, parent = [], top
    for i in range(63):
        # A long reply chain mixed with direct replies.
        parent_id = parent if i % 2 else top
        made.append(post(client, bob, f"r{i}", parent_id=parent_id).json()["id"])
        parent = made[-1]
    data = page(client)
    root = data["comments"][0]
    assert root["replies_cursor"] is not None

    def flatten(nodes: list[dict[str, Any]]) -> Iterator[int]:
        for n in nodes:
            yield n["id"]
            yield from flatten(n["replies"])

    first = sorted(flatten(root["replies"]))
    assert first == made[:50]
    rest: list[int] = []
    cursor = root["replies_cursor"]
    while cursor:
        r = client.get(f"{API}/comments/{top}/replies", params={"cursor": cursor, "limit": 5})
        assert r.status_code == 200
        RepliesPage.model_validate(r.json())
        for reply in r.json()["replies"]:
            assert reply["replies"] == [] and reply["parent_id"] is not None
        rest += ids(r.json()["replies"])
        cursor = r.json()["next_cursor"]
    assert rest == made[50:]
    # Without a cursor the whole thread comes, oldest first.
    r = client.get(f"{API}/comments/{top}/replies", params={"limit": 100})
    assert ids(r.json()["replies"]) == made and r.json()["next_cursor"] is None


def test_replies_of_unknown_or_nested_comment(client: TestClient, alice: dict[str, str]) -> None:
    top = post(client, alice).json()["id"]
    reply = post(client, alice, parent_id=top).json()["id"]
    for cid in (999_999, reply, 2**40):
        r = client.get(f"{API}/comments/{cid}/replies")
        assert r.status_code == 404 and r.json()["error"] == "not_found"
    r = client.get(f"{API}/comments/{top}/replies", params={"cursor": "nope"})
    assert (r.status_code, r.json()["field"]) == (422, "cursor")


def test_viewer_fields(client: TestClient, alice: dict[str, str], bob: dict[str, str]) -> None:
    mine = post(client, alice, "*mine*").json()["id"]
    theirs = post(client, bob, "theirs").json()["id"]
    client.put(f"{API}/comments/{theirs}/reactions/like", headers=alice)
    by_id = {c["id"]: c for c in page(client, headers=alice)["comments"]}
    assert by_id[mine]["is_mine"] and by_id[mine]["body"] == "*mine*"
    assert by_id[mine]["editable_until"] is not None and not by_id[mine]["liked"]
    assert not by_id[theirs]["is_mine"] and by_id[theirs]["body"] is None
    assert by_id[theirs]["editable_until"] is None and by_id[theirs]["liked"]
    anonymous = {c["id"]: c for c in page(client)["comments"]}
    assert not any(c["is_mine"] or c["liked"] or c["body"] for c in anonymous.values())
    assert anonymous[theirs]["like_count"] == 1
    # A stale token on a public read is ignored, not refused.
    stale = page(client, headers={"Authorization": "Bearer revoked"})
    assert ids(stale["comments"]) == ids(page(client)["comments"])


def test_queries_do_not_grow_with_the_page(
    client: TestClient, app: FastAPI, alice: dict[str, str]
) -> None:
    sizes = iter(range(100, 1, -1))

    def queries() -> int:
        # A page size not asked for before: built, not taken from the cache.
        with count_queries(app) as seen:
            page(client, headers=alice, limit=next(sizes))
        return len(seen)

    readers = [quick_reader(app) for _ in range(2)]
    top = post(client, alice).json()["id"]
    post(client, readers[0], parent_id=top)
    queries()  # whose the token is, and the story's id, are cached from now on
    queries()  # the token's sign-in too
    # Moves the story's generation on: the reader's overlay is built again too.
    client.put(f"{API}/comments/{top}/reactions/like", headers=readers[1])
    small = queries()
    for headers in readers:
        for _ in range(3):
            t = post(client, headers).json()["id"]
            r = post(client, alice, parent_id=t).json()["id"]
            post(client, headers, parent_id=r)
            client.put(f"{API}/comments/{t}/reactions/like", headers=alice)
    assert queries() == small


def test_a_warm_signed_in_read_costs_no_query(
    client: TestClient, app: FastAPI, alice: dict[str, str], bob: dict[str, str]
) -> None:
    top = post(client, bob, "top").json()["id"]
    post(client, alice, "reply", parent_id=top)
    client.put(f"{API}/comments/{top}/reactions/like", headers=alice)
    page(client, headers=alice)  # the page, whose the token is and the story's id
    with count_queries(app) as seen:
        page(client, headers=alice)  # the token's sign-in; the overlay is cached now
    statements = [s for s in seen if not s.startswith("BEGIN")]
    assert len(statements) == 1 and "auth_sessions" in statements[0]  # the sign-in only
    with count_queries(app) as seen:
        warm = page(client, headers=alice)
    assert [s for s in seen if not s.startswith("BEGIN")] == []
    assert warm["comments"][0]["liked"] and warm["comments"][0]["replies"][0]["is_mine"]
    # A like moves the story on: the overlay is read again, in one query.
    client.put(f"{API}/comments/{top}/reactions/like", headers=quick_reader(app))
    page(client)  # the shared page, built again
    with count_queries(app) as seen:
        again = page(client, headers=alice)
    statements = [s for s in seen if not s.startswith("BEGIN")]
    # The reader's row, the overlay, then the site's edit window and the
    # reader's role there (what the overlay's own comments show).
    assert len(statements) == 5, statements
    assert "FROM users" in statements[0] and "reactions" in statements[1]
    assert "site_roles" in statements[4]
    assert again["comments"][0]["like_count"] == 2 and again["viewer"]["liked"] == [top]
    with count_queries(app) as seen:
        page(client)
    assert [s for s in seen if not s.startswith("BEGIN")] == []


@pytest.mark.parametrize("status", ["pending", "rejected"])
def test_hidden_replies_only_for_their_author(
    client: TestClient, app: FastAPI, alice: dict[str, str], bob: dict[str, str], status: str
) -> None:
    from sqlalchemy import update

    from rostra.models import Comment

    top = post(client, alice, "top").json()["id"]
    hidden = post(client, bob, "held back", parent_id=top).json()["id"]
    under = post(client, alice, "under it", parent_id=hidden).json()["id"]
    visible = post(client, alice, "visible", parent_id=top).json()["id"]
    with state_of(app).write_sessions() as db:
        db.execute(update(Comment).where(Comment.id == hidden).values(status=status))
        db.commit()
    page(client, headers=bob)  # no cache may leak one viewer's page to another
    for headers in (None, alice):
        root = page(client, headers=headers)["comments"][0]
        # The reply under the hidden one is kept, placed under the top-level comment.
        assert ids(root["replies"]) == [under, visible]
        r = client.get(f"{API}/comments/{top}/replies", headers=headers or {})
        assert ids(r.json()["replies"]) == [under, visible]
    root = page(client, headers=bob)["comments"][0]
    assert ids(root["replies"]) == [hidden, visible]
    assert root["replies"][0]["status"] == status and root["replies"][0]["body"] == "held back"
    assert ids(root["replies"][0]["replies"]) == [under]


def test_hidden_replies_do_not_use_up_the_first_fifty(
    client: TestClient, app: FastAPI, alice: dict[str, str], bob: dict[str, str]
) -> None:
    from sqlalchemy import update

    from rostra.models import Comment

    top = post(client, alice, "top").json()["id"]
    held = [post(client, bob, f"held {i}", parent_id=top).json()["id"] for i in range(5)]
    shown = [post(client, alice, f"shown {i}", parent_id=top).json()["id"] for i in range(50)]
    with state_of(app).write_sessions() as db:
        db.execute(update(Comment).where(Comment.id.in_(held)).values(status="pending"))
        db.commit()
    root = page(client)["comments"][0]
    assert ids(root["replies"]) == shown and root["replies_cursor"] is None
