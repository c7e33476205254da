"""The writer that commits units of work for requests (``rostra.db.writes``):
on SQLite many units in one transaction with a savepoint each, on
PostgreSQL a transaction per unit. Either way a unit's caller learns its
answer only after the commit and after the unit's own after-commit steps;
a unit that fails keeps nothing and runs nothing, and leaves the others be."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rostra.db.session import after_commit, changed
from rostra.db.writes import GroupCommit, Writer
from rostra.errors import Invalid
from rostra.http.deps import state_of
from rostra.models import Comment, LiveEvent, Site, Story
from tests.comments.conftest import quick_reader
from tests.factories import ARTICLE, add_site
from tests.livesrv import live_server


@pytest.fixture
def writer(app: FastAPI) -> Iterator[Writer]:
    found = state_of(app).writer
    yield found
    found.close()


def _submit(writer: Writer, unit: Callable[[Session], str]) -> Future[str]:
    if isinstance(writer, GroupCommit):
        return writer.submit(unit)
    pool = ThreadPoolExecutor(1)
    future = pool.submit(writer.run_sync, unit)  # type: ignore[attr-defined]
    pool.shutdown(wait=False)
    return future


def _site_names(app: FastAPI) -> set[str]:
    with state_of(app).read_sessions() as db:
        return set(db.scalars(select(Site.name)))


class Steps:
    """What the units' after-commit steps saw."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.ran: list[str] = []
        self.committed: list[bool] = []
        self.stories: list[set[object]] = []
        state_of(app).hooks.on("story", self.stories.append)

    def unit(self, name: str, fail: bool = False) -> Callable[[Session], str]:
        def unit(db: Session) -> str:
            db.add(Site(name=name, title="", origins=[f"https://{name}.example"], sso_secret="s"))
            db.flush()
            after_commit(db, lambda: self._ran(name))
            changed(db, "story", name)
            if fail:
                raise Invalid(f"{name} refused after writing")
            return name

        return unit

    def _ran(self, name: str) -> None:
        self.ran.append(name)
        # A step runs after the commit: another session sees the row.
        self.committed.append(name in _site_names(self.app))


def test_units_waiting_are_committed_together_and_a_failing_one_alone_is_undone(
    app: FastAPI, writer: Writer
) -> None:
    steps = Steps(app)
    names = [f"unit-{i}" for i in range(20)]
    release, holding = threading.Event(), threading.Event()

    def hold(db: Session) -> str:
        holding.set()
        release.wait(10)  # the others queue behind this one meanwhile
        return "hold"

    first = _submit(writer, hold)
    assert holding.wait(10)
    futures = [_submit(writer, steps.unit(n, fail=(n == "unit-5"))) for n in names]
    release.set()
    assert first.result(10) == "hold"
    for name, future in zip(names, futures, strict=True):
        if name == "unit-5":
            with pytest.raises(Invalid):
                future.result(10)
        else:
            assert future.result(10) == name
    kept = [n for n in names if n != "unit-5"]
    assert _site_names(app) == set(kept)
    # Each kept unit's steps ran once, after the commit; the failed one's never.
    assert sorted(steps.ran) == sorted(kept)
    assert all(steps.committed)
    assert sorted(k for keys in steps.stories for k in keys) == sorted(kept)  # type: ignore[type-var]
    if isinstance(writer, GroupCommit):
        # The held unit was a group alone; the twenty waiting were one more
        # (of which nineteen were kept).
        assert (writer.groups, writer.units) == (2, 20)


def test_concurrent_posts_land_once_each_and_a_refused_one_answers_for_itself(
    app: FastAPI, client: TestClient
) -> None:
    """Through a real server: posts, replies, a reply to a comment that is
    not there (refused inside the unit of work) and retried keyed posts,
    all at once."""
    add_site(app)
    readers = [quick_reader(app) for _ in range(8)]
    top = client.post(
        "/api/v1/comments", headers=readers[0], json={"url": ARTICLE, "body": "top"}
    ).json()["id"]
    with live_server(app) as base:

        def post(i: int) -> tuple[int, int, dict[str, object]]:
            headers = dict(readers[i % 8])
            body: dict[str, object] = {"url": ARTICLE, "body": f"comment {i}"}
            if i % 5 == 1:
                body["parent_id"] = top
            if i % 5 == 2:
                body["parent_id"] = 99_999  # no such comment: 422 from inside the unit
            if i % 5 == 3:
                headers["Idempotency-Key"] = f"key-{i}"  # sent twice, at once
            r = httpx.post(f"{base}/api/v1/comments", headers=headers, json=body, timeout=60)
            return i, r.status_code, r.json()

        calls = list(range(60)) + [i for i in range(60) if i % 5 == 3]
        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(post, calls))
    posted: dict[int, int] = {}
    for i, status, answer in answers:
        if i % 5 == 2:
            assert (status, answer["error"]) == (422, "parent_not_found")
            continue
        assert status == 201, answer
        if i in posted:  # the keyed retry answers the first answer
            assert answer["id"] == posted[i]
        posted[i] = int(str(answer["id"]))
    assert len(set(posted.values())) == len(posted) == 48
    with state_of(app).read_sessions() as db:
        rows = list(db.scalars(select(Comment).order_by(Comment.id)))
        story = db.scalar(select(Story))
        created = db.scalar(
            select(func.count()).select_from(LiveEvent).where(LiveEvent.kind == "comment.created")
        )
    assert len(rows) == 49 and story is not None and story.comment_count == 49
    assert {r.id for r in rows} == {top, *posted.values()}
    by_id = {r.id: r for r in rows}
    assert by_id[top].reply_count == 12
    for i, comment_id in posted.items():
        row = by_id[comment_id]
        assert row.body == f"comment {i}"
        assert row.thread_id == (top if i % 5 == 1 else comment_id)
        assert row.depth == (1 if i % 5 == 1 else 0)
    # One live event per comment: the steps after the commit ran once each.
    assert created == 49
