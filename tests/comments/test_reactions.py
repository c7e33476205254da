"""PUT/DELETE /comments/{id}/reactions/like."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.comments.conftest import API, comment_row, post, quick_reader
from tests.factories import add_site, like_url


def test_like_and_unlike_are_idempotent(
    client: TestClient, app: FastAPI, alice: dict[str, str], bob: dict[str, str]
) -> None:
    cid = post(client, alice).json()["id"]
    for _ in range(2):
        r = client.put(like_url(cid), headers=bob)
        assert (r.status_code, r.json()) == (200, {"liked": True, "like_count": 1})
    carol = quick_reader(app)
    assert client.put(like_url(cid), headers=carol).json() == {"liked": True, "like_count": 2}
    for _ in range(2):
        r = client.delete(like_url(cid), headers=bob)
        assert (r.status_code, r.json()) == (200, {"liked": False, "like_count": 1})
    row = comment_row(app, cid)
    assert row is not None and row.like_count == 1


def test_like_refusals(
    client: TestClient, app: FastAPI, alice: dict[str, str], bob: dict[str, str]
) -> None:
    cid = post(client, alice).json()["id"]
    for method in ("PUT", "DELETE"):
        r = client.request(method, like_url(cid), headers=alice)
        assert (r.status_code, r.json()["error"]) == (403, "own_comment")
        assert client.request(method, like_url(cid)).status_code == 401
        r = client.request(method, like_url(999_999), headers=bob)
        assert (r.status_code, r.json()["error"]) == (404, "not_found")
    assert client.post(like_url(cid), headers=bob).status_code == 405
    # A placeholder (deleted with replies) cannot be liked.
    post(client, bob, parent_id=cid)
    assert client.delete(f"{API}/comments/{cid}", headers=alice).status_code == 204
    r = client.put(like_url(cid), headers=bob)
    assert (r.status_code, r.json()["error"]) == (404, "not_found")


def test_pending_comment_cannot_be_liked(client: TestClient, app: FastAPI) -> None:
    add_site(app, "pre", ["https://pre.example"], moderation="pre")
    author, other = quick_reader(app), quick_reader(app)
    cid = post(client, author, url="https://pre.example/a", expect=202).json()["id"]
    r = client.put(like_url(cid), headers=other)
    assert (r.status_code, r.json()["error"]) == (404, "not_found")


def test_liked_comment_can_still_be_deleted(
    client: TestClient, app: FastAPI, alice: dict[str, str], bob: dict[str, str]
) -> None:
    cid = post(client, alice).json()["id"]
    client.put(like_url(cid), headers=bob)
    assert client.delete(f"{API}/comments/{cid}", headers=alice).status_code == 204
    assert client.delete(like_url(cid), headers=bob).status_code == 404
