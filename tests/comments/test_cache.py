"""The anonymous first page is cached; every write shows on the next read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from rostra.backends.cache import MemoryCache
from rostra.http.deps import state_of
from rostra.models import Comment
from tests.comments.conftest import API, count_queries, page, post, quick_reader, user_id
from tests.factories import ARTICLE


def test_first_page_is_served_from_the_cache(
    client: TestClient, app: FastAPI, alice: dict[str, str]
) -> None:
    post(client, alice, "cached")
    first = page(client)
    # Change a row behind the API's back: a cached page does not see it...
    with state_of(app).write_sessions() as db:
        db.execute(update(Comment).values(html="<p>sneaky</p>"))
        db.commit()
    assert page(client) == first
    # ...nor does a signed-in reader, who gets the same page with their own
    # state beside it; a page of another size is another entry.
    assert page(client, headers=alice)["comments"][0]["html"] == "<p>cached</p>"
    assert page(client, headers=alice)["comments"][0]["is_mine"]
    assert page(client, limit=5)["comments"][0]["html"] == "<p>sneaky</p>"


def _write_steps() -> list[tuple[str, Callable[..., Any], Callable[[dict[str, Any]], Any]]]:
    def posted(client: TestClient, ctx: dict[str, Any]) -> None:
        ctx["new"] = post(client, ctx["alice"], "fresh").json()["id"]

    def edited(client: TestClient, ctx: dict[str, Any]) -> None:
        r = client.patch(
            f"{API}/comments/{ctx['first']}", json={"body": "edited"}, headers=ctx["alice"]
        )
        assert r.status_code == 200

    def liked(client: TestClient, ctx: dict[str, Any]) -> None:
        r = client.put(f"{API}/comments/{ctx['first']}/reactions/like", headers=ctx["bob"])
        assert r.status_code == 200

    def deleted(client: TestClient, ctx: dict[str, Any]) -> None:
        r = client.delete(f"{API}/comments/{ctx['first']}", headers=ctx["alice"])
        assert r.status_code == 204

    def renamed(client: TestClient, ctx: dict[str, Any]) -> None:
        r = client.patch(f"{API}/me", json={"display_name": "Alicia"}, headers=ctx["alice"])
        assert r.status_code == 200

    def made_staff(client: TestClient, ctx: dict[str, Any]) -> None:
        r = client.put(
            f"{API}/moderation/sites/news/roles/{ctx['alice_id']}",
            json={"role": "staff"},
            headers=ctx["admin"],
        )
        assert r.status_code == 204, r.text

    return [
        ("post", posted, lambda d: d["story"]["comment_count"] == 2),
        ("rename", renamed, lambda d: d["comments"][0]["author"]["display_name"] == "Alicia"),
        ("staff", made_staff, lambda d: d["comments"][0]["author"]["is_staff"]),
        ("edit", edited, lambda d: d["comments"][0]["html"] == "<p>edited</p>"),
        ("like", liked, lambda d: d["comments"][0]["like_count"] == 1),
        ("delete", deleted, lambda d: d["comments"] == [] and d["story"]["comment_count"] == 0),
    ]


@pytest.mark.parametrize(
    ("name", "write", "visible"), _write_steps(), ids=[s[0] for s in _write_steps()]
)
def test_write_is_visible_on_the_next_read(
    client: TestClient,
    app: FastAPI,
    alice: dict[str, str],
    bob: dict[str, str],
    name: str,
    write: Callable[..., Any],
    visible: Callable[[dict[str, Any]], Any],
) -> None:
    ctx = {"alice": alice, "bob": bob, "first": post(client, alice, "first").json()["id"]}
    ctx |= {"alice_id": user_id(client, alice), "admin": quick_reader(app, is_admin=True)}
    for sort in ("newest", "oldest", "top"):
        page(client, sort=sort)  # warm the cache
    write(client, ctx)
    for sort in ("newest", "oldest", "top"):
        assert visible(page(client, sort=sort)), (name, sort)


def test_closing_the_story_is_visible(
    client: TestClient, app: FastAPI, alice: dict[str, str]
) -> None:
    post(client, alice)
    story_id = page(client)["story"]["id"]
    admin = quick_reader(app, is_admin=True)
    r = client.patch(f"{API}/stories/{story_id}", json={"is_closed": True}, headers=admin)
    assert r.status_code == 200
    assert page(client)["story"]["is_closed"] is True


def test_lost_generation_starts_afresh(
    client: TestClient, app: FastAPI, alice: dict[str, str]
) -> None:
    post(client, alice)
    page(client)
    story_id = page(client)["story"]["id"]
    cache = state_of(app).backends.cache
    assert isinstance(cache, MemoryCache)
    cache._data.pop(f"story:{story_id}:gen:current")  # evicted
    post(client, alice, "after eviction")
    assert page(client)["story"]["comment_count"] == 2
    assert page(client, url=ARTICLE)["comments"][0]["html"] == "<p>after eviction</p>"


def test_cache_hit_needs_no_query(client: TestClient, app: FastAPI, alice: dict[str, str]) -> None:
    post(client, alice)
    first = page(client)
    with count_queries(app) as seen:
        assert page(client) == first
    assert seen == []
    post(client, alice, "new")  # and the next read still sees a write
    assert page(client)["story"]["comment_count"] == 2


class BrokenCache:
    def get(self, key: str) -> bytes | None:
        raise ConnectionError("cache down")

    def get_many(self, keys: list[str]) -> list[bytes | None]:
        raise ConnectionError("cache down")

    def set(self, key: str, value: bytes, ttl: int) -> None:
        raise ConnectionError("cache down")

    def incr(self, key: str) -> int:
        raise ConnectionError("cache down")

    def add(self, key: str, value: bytes, ttl: int) -> bool:
        raise ConnectionError("cache down")

    def delete(self, key: str) -> None:
        raise ConnectionError("cache down")


def test_a_failing_cache_degrades_to_none(
    client: TestClient, app: FastAPI, alice: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    post(client, alice)
    page(client)
    monkeypatch.setattr(state_of(app).backends, "cache", BrokenCache())
    post(client, alice, "while the cache is down")  # 201: the commit is what counts
    assert page(client)["story"]["comment_count"] == 2


def test_memory_cache_add_sets_only_what_is_absent_or_expired() -> None:
    cache = MemoryCache()
    assert cache.add("claim", b"ann", ttl=60) is True
    assert cache.add("claim", b"ben", ttl=60) is False
    assert cache.get("claim") == b"ann"
    cache.delete("claim")
    cache.delete("claim")  # deleting what is gone is no error
    assert cache.add("claim", b"ben", ttl=60) is True
    cache.set("spent", b"x", ttl=-1)  # expired already
    assert cache.add("spent", b"fresh", ttl=60) is True
    assert cache.get("spent") == b"fresh"
