"""The caches never show stale data: random sequences of posts, replies,
edits, deletions, likes and unlikes (seeded, so a failure replays), and
after every one of them the cached answers equal what the database says
now.

The truth is built fresh from the database on every check: the page as
anyone sees it (``threads.page`` with no viewer), the page as each reader
sees it (``threads.page`` with that reader, which nests their own state
in), and each story's published count. The cached answers are what the API
sends: the shared page (first and next), the shared page with the reader's
``viewer`` laid over it (``seen_by``), and ``GET /counts``."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rostra.comments import threads
from rostra.http.deps import state_of
from rostra.models import User
from tests.comments.conftest import API, quick_reader, user_id
from tests.factories import ARTICLE, OTHER_ARTICLE, seen_by

URLS = (ARTICLE, OTHER_ARTICLE)
LIMIT = 3
STEPS = 40


class World:
    def __init__(self, client: TestClient, app: FastAPI, rng: random.Random) -> None:
        self.client, self.app, self.rng = client, app, rng
        self.readers = [quick_reader(app, name) for name in ("Ana", "Bo", "Cy")]
        self.ids = [user_id(client, r) for r in self.readers]
        self.comments: dict[int, tuple[int, str]] = {}  # id -> (author index, url)

    def step(self) -> str:
        live = list(self.comments)
        choices = ["post", "post", "reply", "edit", "delete", "like", "like", "unlike"]
        op = self.rng.choice(choices if live else ["post"])
        who = self.rng.randrange(len(self.readers))
        headers = self.readers[who]
        if op in ("post", "reply"):
            parent = self.rng.choice(live) if op == "reply" and live else None
            url = self.comments[parent][1] if parent else self.rng.choice(URLS)
            body = {"url": url, "body": f"{op} {self.rng.random()}", "parent_id": parent}
            r = self.client.post(f"{API}/comments", json=body, headers=headers)
            if r.status_code in (201, 202):
                self.comments[r.json()["id"]] = (who, url)
            return f"{op} by {who} -> {r.status_code}"
        target = self.rng.choice(live)
        author, _ = self.comments[target]
        if op in ("edit", "delete"):
            headers = self.readers[author]
        if op == "edit":
            r = self.client.patch(
                f"{API}/comments/{target}",
                json={"body": f"edit {self.rng.random()}"},
                headers=headers,
            )
        elif op == "delete":
            r = self.client.delete(f"{API}/comments/{target}", headers=headers)
            if r.status_code == 204:
                del self.comments[target]
        else:
            method = "PUT" if op == "like" else "DELETE"
            r = self.client.request(
                method, f"{API}/comments/{target}/reactions/like", headers=headers
            )
        return f"{op} {target} by {who} -> {r.status_code}"

    def truth(self, url: str, cursor: str | None, who: int | None) -> dict[str, Any]:
        state = state_of(self.app)
        with state.read_sessions() as db:
            viewer = db.get(User, self.ids[who]) if who is not None else None
            data = threads.page(db, state.settings, url, "newest", LIMIT, cursor, viewer)
            # The reader's state is compared, not the time it was read at.
            fresh: dict[str, Any] = json.loads(json.dumps(data))
            return fresh

    def check(self, what: str) -> None:
        for url in URLS:
            cursor = None
            for _ in range(2):  # the first page and the next
                params = {"url": url, "limit": LIMIT, **({"cursor": cursor} if cursor else {})}
                anonymous = self.client.get(f"{API}/comments", params=params).json()
                assert anonymous == self.truth(url, cursor, None), what
                for who, headers in enumerate(self.readers):
                    got = self.client.get(f"{API}/comments", params=params, headers=headers)
                    laid = seen_by(got.json())
                    laid["viewer"] = None
                    assert laid == self.truth(url, cursor, who), f"{what}, reader {who}"
                cursor = anonymous["next_cursor"]
                if cursor is None:
                    break
        counts = self.client.get(f"{API}/counts", params=[("url", u) for u in URLS]).json()
        for url in URLS:
            assert counts["counts"][url] == self.truth(url, None, None)["story"]["comment_count"]


@pytest.mark.parametrize("seed", [1, 2])
def test_random_writes_never_leave_a_stale_page_or_count(
    client: TestClient, app: FastAPI, site: Any, seed: int
) -> None:
    world = World(client, app, random.Random(seed))
    history: list[str] = []
    for _ in range(STEPS):
        history.append(world.step())
        world.check(" / ".join(history[-5:]))
