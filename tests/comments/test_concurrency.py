"""Concurrent writers: counters and first-time inserts stay right.

Each thread has its own client (and so its own database session); on
PostgreSQL they really interleave, on SQLite they queue for the write lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from functools import partial

from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from tests.comments.conftest import API, comment_row, post, quick_reader, rows, story_row


def _put(client: TestClient, url: str, headers: dict[str, str]) -> Response:
    r: Response = client.put(url, headers=headers)
    return r


def together(app: FastAPI, calls: Sequence[Callable[[TestClient], Response]]) -> list[int]:
    statuses: list[int] = []
    start = threading.Barrier(len(calls))

    def run(call: Callable[[TestClient], Response]) -> None:
        with TestClient(app, base_url="http://rostra.test") as own:
            start.wait()
            statuses.append(call(own).status_code)

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def test_first_comments_race_to_create_the_story(app: FastAPI, alice: dict[str, str]) -> None:
    readers = [quick_reader(app) for _ in range(6)]
    calls = [partial(post, headers=h, expect=None, title="T") for h in readers]
    assert together(app, calls) == [201] * 6
    story = story_row(app)
    assert rows(app) == (6, 1)
    assert story is not None and story.comment_count == 6


def test_likes_and_replies_race(app: FastAPI, client: TestClient, alice: dict[str, str]) -> None:
    cid = post(client, alice).json()["id"]
    likers = [quick_reader(app) for _ in range(4)]
    like = f"{API}/comments/{cid}/reactions/like"
    calls: list[Callable[[TestClient], Response]] = []
    for h in likers:  # each reader likes twice at once, and replies once
        calls += [partial(_put, url=like, headers=h)] * 2
        calls.append(partial(post, headers=h, body="re", parent_id=cid, expect=None))
    assert sorted(together(app, calls)) == [200] * 8 + [201] * 4
    row = comment_row(app, cid)
    assert row is not None and (row.like_count, row.reply_count) == (4, 4)
    story = story_row(app)
    assert story is not None and story.comment_count == 5


def test_deletes_and_replies_in_one_thread(
    app: FastAPI, client: TestClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    top = post(client, alice, "top").json()["id"]
    middle = post(client, alice, "middle", parent_id=top).json()["id"]
    leaves = [post(client, bob, f"leaf {i}", parent_id=middle).json()["id"] for i in range(3)]
    assert client.delete(f"{API}/comments/{middle}", headers=alice).status_code == 204
    calls: list[Callable[[TestClient], Response]] = []
    for leaf in leaves:  # the last of these also removes the placeholder above
        calls.append(partial(_delete, url=f"{API}/comments/{leaf}", headers=bob))
        calls.append(partial(post, headers=alice, body="more", parent_id=top, expect=None))
    assert sorted(together(app, calls)) == [201] * 3 + [204] * 3
    # By what it was, not by id: SQLite may give a later reply the id of a
    # deleted comment (its ids have no AUTOINCREMENT).
    gone = comment_row(app, middle)
    assert gone is None or (gone.body, gone.parent_id) == ("more", top)
    row = comment_row(app, top)
    assert row is not None and row.reply_count == 3
    story = story_row(app)
    assert story is not None and story.comment_count == 4
    assert rows(app) == (4, 1)


def _delete(client: TestClient, url: str, headers: dict[str, str]) -> Response:
    r: Response = client.delete(url, headers=headers)
    return r
