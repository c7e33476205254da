"""GET /counts from the cache: warm answers need no database, and every
write that changes a count (or what a URL without a story counts) is seen
by the next read."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from rostra.http.deps import state_of
from rostra.models import Comment
from rostra.stories import service as stories
from tests.comments.conftest import API, count_queries, post
from tests.factories import ARTICLE, OTHER_ARTICLE, add_site

NONE_YET = "https://news.example/none-yet"
ELSEWHERE = "https://later.example/a"
URLS = [ARTICLE, OTHER_ARTICLE, NONE_YET, ELSEWHERE, "not a url"]


def counts(client: TestClient) -> dict[str, Any]:
    r = client.get(f"{API}/counts", params=[("url", u) for u in URLS])
    assert r.status_code == 200, r.text
    answer: dict[str, Any] = r.json()["counts"]
    return answer


def _statements(seen: list[str]) -> list[str]:
    return [s for s in seen if not s.startswith("BEGIN")]


def test_warm_counts_need_no_query(client: TestClient, app: FastAPI, alice: dict[str, str]) -> None:
    post(client, alice)
    post(client, alice, url=OTHER_ARTICLE)
    first = counts(client)  # finds the stories' ids
    assert counts(client) == first  # keeps their counts
    with count_queries(app) as seen:
        assert counts(client) == first
    assert _statements(seen) == []
    assert first == {ARTICLE: 1, OTHER_ARTICLE: 1, NONE_YET: 0, ELSEWHERE: None, "not a url": None}


def test_every_write_corrects_the_counts(
    client: TestClient, app: FastAPI, alice: dict[str, str], bob: dict[str, str]
) -> None:
    top = post(client, alice).json()["id"]
    expected = {ARTICLE: 1, OTHER_ARTICLE: 0, NONE_YET: 0, ELSEWHERE: None, "not a url": None}
    for _ in range(3):
        assert counts(client) == expected
    reply = post(client, bob, parent_id=top).json()["id"]
    expected[ARTICLE] = 2
    assert counts(client) == expected
    client.patch(f"{API}/comments/{reply}", json={"body": "edited"}, headers=bob)
    client.put(f"{API}/comments/{top}/reactions/like", headers=bob)
    assert counts(client) == expected
    assert client.delete(f"{API}/comments/{reply}", headers=bob).status_code == 204
    expected[ARTICLE] = 1
    assert counts(client) == expected
    # A first comment makes a story of a URL counted 0 until now.
    post(client, alice, url=NONE_YET)
    expected[NONE_YET] = 1
    assert counts(client) == expected
    # A new site makes a URL that was no article's an article with no comments.
    add_site(app, "later", ["https://later.example"])
    expected[ELSEWHERE] = 0
    assert counts(client) == expected
    # A count moved by the service (as moderation does) is seen at once.
    with state_of(app).write_sessions() as db:
        db.execute(update(Comment).where(Comment.id == top).values(status="pending"))
        story_id = stories.id_by_url(db, ARTICLE)
        assert story_id is not None
        stories.change_comment_count(db, story_id, -1)
        db.commit()
    expected[ARTICLE] = 0
    assert counts(client) == expected


def test_a_count_changed_behind_the_api_stays_cached(
    client: TestClient, app: FastAPI, alice: dict[str, str]
) -> None:
    """Proof that the answers above come from the cache: a change that no
    commit hook hears is not seen."""
    from rostra.models import Story

    post(client, alice)
    counts(client)
    before = counts(client)
    with state_of(app).write_sessions() as db:
        db.execute(update(Story).values(comment_count=99))
        db.commit()
    assert counts(client) == before
