"""Surges and auto-close (the moderation watch) on SQLite and PostgreSQL:
a story's comment rate over the sliding window switches it to premoderation
or slow mode as its site chooses, and back with hysteresis; each switch is
one audit entry by Rostra with the rate, and a live event for the desk;
stories close after their site's or their own number of days."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from rostra.db.base import utcnow
from rostra.desk import surge
from rostra.desk.tasks import TOPIC
from rostra.http.deps import state_of
from rostra.jobs.registry import RECURRING
from rostra.models import AuditEntry, Comment, LiveEvent, OutboxEvent, Site, Story
from tests.comments.conftest import post, story_row
from tests.conftest import run_jobs
from tests.desk.conftest import MOD, with_role
from tests.factories import ARTICLE, OTHER_ARTICLE


def _set_site(app: FastAPI, **values: Any) -> None:
    with state_of(app).write_sessions() as db:
        db.execute(update(Site).where(Site.name == "news").values(**values))
        db.commit()


def _burst(app: FastAPI, story_id: int, n: int, at: datetime, author_id: int | None) -> None:
    """``n`` comments on the story written at ``at`` (straight into the table:
    the watch counts rows, however they came)."""
    with state_of(app).write_sessions() as db:
        for i in range(n):
            db.add(
                Comment(
                    story_id=story_id, author_id=author_id, body=f"c{i}", html=f"<p>c{i}</p>",
                    status="published", created_at=at - timedelta(seconds=i),
                )
            )  # fmt: skip
        db.commit()


def _watch(app: FastAPI, now: datetime) -> surge.Watched:
    with state_of(app).write_sessions() as db:
        done = surge.watch(db, now)
        db.commit()
    return done


def _story(app: FastAPI, url: str = ARTICLE) -> Story:
    found = story_row(app, url)
    assert found is not None
    return found


def _audit(app: FastAPI, action: str) -> list[AuditEntry]:
    with state_of(app).read_sessions() as db:
        query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        return list(db.scalars(query))


def _desk_events(app: FastAPI, site_id: int) -> list[dict[str, Any]]:
    with state_of(app).read_sessions() as db:
        rows = db.scalars(
            select(LiveEvent)
            .where(LiveEvent.channel == f"desk:{site_id}", LiveEvent.kind == "story.surge")
            .order_by(LiveEvent.id)
        )
        return [dict(r.data) for r in rows]


def _first(client: TestClient, alice: dict[str, str], url: str = ARTICLE) -> tuple[int, int]:
    r = post(client, alice, url=url)
    return _story(client.app, url).id, int(r.json()["author"]["id"])  # type: ignore[arg-type]


def test_a_surge_premoderates_the_story_and_its_end_opens_it_again(
    client: TestClient, app: FastAPI, site: Site, alice: dict[str, str]
) -> None:
    _set_site(app, surge_threshold=2, surge_action="premoderate")
    story_id, author = _first(client, alice)
    quiet_id, _ = _first(client, alice, OTHER_ARTICLE)
    now = utcnow()
    # 10 comments in five minutes: 2 a minute, the threshold.
    _burst(app, story_id, 9, now, author)
    assert _watch(app, now).started == (story_id,)
    story = _story(app)
    assert story.premoderated and story.surge_started_at is not None and story.surge_rate == 2
    assert not _story(app, OTHER_ARTICLE).premoderated
    [entry] = _audit(app, "story.surge")
    assert entry.actor_id is None and entry.target_id == story_id
    assert "2 comments a minute" in entry.reason
    assert entry.data["action"] == "premoderate"
    [event] = _desk_events(app, site.id)
    assert event["story_id"] == story_id and event["surging"] is True
    assert event["mode"] == "premoderated"
    # A new comment is held while it surges; a second pass changes nothing.
    assert post(client, alice, "During the surge.", expect=202).json()["status"] == "pending"
    assert _watch(app, now + timedelta(seconds=30)) == surge.Watched()
    assert len(_audit(app, "story.surge")) == 1
    # Ten minutes on, the window is empty: the surge ends, the story opens.
    later = now + timedelta(minutes=10)
    assert _watch(app, later).ended == (story_id,)
    story = _story(app)
    assert not story.premoderated and story.surge_started_at is None
    [end] = _audit(app, "story.surge_end")
    assert end.actor_id is None and "0 comments a minute" in end.reason
    assert end.data["put_back"] == {"mode": "open"}
    assert [e["surging"] for e in _desk_events(app, site.id)] == [True, False]
    assert post(client, alice, "Calm again.").json()["status"] == "published"
    assert quiet_id != story_id


def test_hysteresis_keeps_a_surge_until_the_rate_falls_below_half_the_threshold(
    client: TestClient, app: FastAPI, site: Site, alice: dict[str, str]
) -> None:
    _set_site(app, surge_threshold=4, surge_action="flag_only")
    story_id, author = _first(client, alice)
    now = utcnow()
    _burst(app, story_id, 19, now, author)  # 20 in the window: 4 a minute
    assert _watch(app, now).started == (story_id,)
    # flag_only: the desk is told, nothing else changes.
    story = _story(app)
    assert not story.premoderated and story.slow_mode_seconds == 0
    assert story.surge_started_at is not None
    # Three minutes on, the comments of the last five minutes are those of
    # two minutes ago and more recent: below the threshold, above half.
    with state_of(app).write_sessions() as db:
        db.execute(update(Comment).where(Comment.story_id == story_id).values(created_at=now))
        db.execute(
            update(Comment)
            .where(Comment.story_id == story_id, Comment.id % 2 == 0)
            .values(created_at=now - timedelta(minutes=20))
        )
        db.commit()
    mid = now + timedelta(seconds=10)
    with state_of(app).read_sessions() as db:
        left = len(list(db.scalars(select(Comment.id).where(
            Comment.story_id == story_id, Comment.created_at >= mid - surge.WINDOW))))  # fmt: skip
    assert 2 <= surge.rate(left) < 4, left
    assert _watch(app, mid) == surge.Watched()
    assert _story(app).surge_started_at is not None
    _set_site(app, surge_threshold=10)  # now 2 a minute is below half of 10
    assert _watch(app, mid).ended == (story_id,)
    assert _story(app).surge_started_at is None
    assert [e["surging"] for e in _desk_events(app, site.id)] == [True, False]


def test_a_surge_in_slow_mode_is_put_back_unless_a_moderator_changed_it(
    client: TestClient, app: FastAPI, site: Site, alice: dict[str, str]
) -> None:
    _set_site(app, surge_threshold=1, surge_action="slow_mode", surge_slow_mode_seconds=120)
    mod = with_role(client, app, site, "moderator", "Mod")
    story_id, author = _first(client, alice)
    other_id, _ = _first(client, alice, OTHER_ARTICLE)
    now = utcnow()
    _burst(app, story_id, 6, now, author)
    _burst(app, other_id, 6, now, author)
    assert set(_watch(app, now).started) == {story_id, other_id}
    assert _story(app).slow_mode_seconds == 120
    r = post(client, alice, "Again.", expect=429)
    assert r.json()["error"] == "slow_mode"
    # A moderator sets the other story's slow mode themselves meanwhile.
    r = client.patch(f"{MOD}/stories/{other_id}", json={"slow_mode_seconds": 30}, headers=mod)
    assert r.status_code == 200
    assert set(_watch(app, now + timedelta(minutes=10)).ended) == {story_id, other_id}
    assert _story(app).slow_mode_seconds == 0
    assert _story(app, OTHER_ARTICLE).slow_mode_seconds == 30
    ends = {e.target_id: e.data["put_back"] for e in _audit(app, "story.surge_end")}
    assert ends == {story_id: {"slow_mode_seconds": 0}, other_id: {}}


def test_no_surge_without_a_threshold_and_none_on_a_closed_story(
    client: TestClient, app: FastAPI, site: Site, alice: dict[str, str]
) -> None:
    story_id, author = _first(client, alice)
    now = utcnow()
    _burst(app, story_id, 50, now, author)
    assert _watch(app, now) == surge.Watched()
    _set_site(app, surge_threshold=1, surge_action="premoderate")
    with state_of(app).write_sessions() as db:
        db.execute(update(Story).where(Story.id == story_id).values(is_closed=True))
        db.commit()
    assert _watch(app, now) == surge.Watched()
    assert _audit(app, "story.surge") == []


def test_the_watch_is_a_recurring_job_that_schedules_its_next_pass(
    client: TestClient, app: FastAPI, site: Site, alice: dict[str, str]
) -> None:
    assert TOPIC in RECURRING
    _set_site(app, surge_threshold=1, surge_action="premoderate")
    story_id, author = _first(client, alice)
    _burst(app, story_id, 6, utcnow(), author)
    with state_of(app).write_sessions() as db:
        db.add(OutboxEvent(topic=TOPIC, payload={}, available_at=utcnow()))
        db.commit()
    run_jobs(app)
    assert _story(app).premoderated
    with state_of(app).read_sessions() as db:
        rows = list(db.scalars(select(OutboxEvent).where(OutboxEvent.topic == TOPIC)))
    assert sorted(r.done_at is None for r in rows) == [False, True]  # one done, one waiting
    waiting = next(r for r in rows if r.done_at is None)
    assert waiting.available_at > utcnow() + timedelta(seconds=30)


def _published(app: FastAPI, url: str, days_ago: float, own: int | None = None) -> None:
    with state_of(app).write_sessions() as db:
        db.execute(
            update(Story)
            .where(Story.url == url)
            .values(published_at=utcnow() - timedelta(days=days_ago), auto_close_days=own)
        )
        db.commit()


def test_stories_close_after_their_sites_or_their_own_days_and_stay_open_when_reopened(
    client: TestClient, app: FastAPI, site: Site, alice: dict[str, str]
) -> None:
    mod = with_role(client, app, site, "moderator", "Mod")
    urls = [f"https://news.example/a/{n}" for n in ("old", "new", "never", "own", "undated")]
    for url in urls:
        post(client, alice, url=url)
    _published(app, urls[0], 10)
    _published(app, urls[1], 3)
    _published(app, urls[2], 10, own=0)
    _published(app, urls[3], 4, own=3)
    now = utcnow()
    # No site default: only the story with days of its own closes.
    assert _watch(app, now).closed == (_story(app, urls[3]).id,)
    _set_site(app, auto_close_days=7)
    assert _watch(app, now).closed == (_story(app, urls[0]).id,)
    assert [_story(app, u).is_closed for u in urls] == [True, False, False, True, False]
    entries = _audit(app, "story.auto_close")
    assert [e.actor_id for e in entries] == [None, None]
    assert entries[1].reason == "Closed 7 days after its publication."
    r = post(client, alice, "Too late.", url=urls[0], expect=403)
    assert r.json()["error"] == "story_closed"
    assert _watch(app, now) == surge.Watched()  # closed once
    # A moderator reopens it: its own auto-close goes off, the watch leaves it.
    old_id = _story(app, urls[0]).id
    r = client.patch(f"{MOD}/stories/{old_id}", json={"mode": "open"}, headers=mod)
    assert r.status_code == 200, r.text
    assert r.json()["auto_close_days"] == 0 and r.json()["is_closed"] is False
    assert _watch(app, now) == surge.Watched()
    assert post(client, alice, "Open again.", url=urls[0]).status_code == 201
    # The story's own setting through the API, logged.
    new_id = _story(app, urls[1]).id
    r = client.patch(f"{MOD}/stories/{new_id}", json={"auto_close_days": 2}, headers=mod)
    assert r.json()["auto_close_days"] == 2
    assert [e.data for e in _audit(app, "story.auto_close") if e.actor_id is not None] == [
        {"auto_close_days": 0}, {"auto_close_days": 2},
    ]  # fmt: skip
    assert _watch(app, now).closed == (new_id,)
    r = client.patch(f"{MOD}/stories/{new_id}", json={"auto_close_days": -1}, headers=mod)
    assert r.status_code == 422 and r.json()["field"] == "auto_close_days"
