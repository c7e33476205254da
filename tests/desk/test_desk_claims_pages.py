"""Claims are shared across processes: two apps on one database and one
Redis (as two `rostra serve` processes would be), a card claimed through one
shows "Being decided by" on the other's queue; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rostra.app import create_app
from rostra.backends.cache import MemoryCache
from rostra.config import Settings
from rostra.desk import claims
from rostra.http.deps import state_of
from rostra.models import SiteRole, User
from tests.comments.conftest import post, quick_reader, user_id
from tests.conftest import empty_tables
from tests.desk.pages_support import DeskClient
from tests.factories import add_site

REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture
def two_apps(settings: Settings) -> Iterator[tuple[FastAPI, FastAPI]]:
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping()
    except Exception:
        pytest.skip("no Redis on 127.0.0.1:6379")
    shared = settings.model_copy(
        update={"redis_url": REDIS, "redis_prefix": f"rostra-test-{uuid.uuid4().hex[:8]}:"}
    )
    apps = [create_app(shared, migrate_on_start=False, run_jobs=False) for _ in range(2)]
    try:
        yield apps[0], apps[1]
    finally:
        for each in apps:
            state_of(each).writer.close()
        empty_tables(state_of(apps[0]).engine)
        for each in apps:
            state_of(each).engine.dispose()


def test_a_claim_made_through_one_process_shows_on_another(
    two_apps: tuple[FastAPI, FastAPI],
) -> None:
    one, two = two_apps
    site = add_site(one)
    with TestClient(one, base_url="http://rostra.test") as api:
        alice = quick_reader(one, "Alice")
        cid = post(api, alice, "Claimed across processes.").json()["id"]
        headers = quick_reader(one, "Ann Across")
        with state_of(one).write_sessions() as db:
            db.add(SiteRole(site_id=site.id, user_id=user_id(api, headers), role="moderator"))
            db.commit()
    ann_on_one = DeskClient(one, headers)
    ann_on_two = DeskClient(two, headers)
    ben = quick_reader(one, "Ben")
    with (
        TestClient(one, base_url="http://rostra.test") as api,
        state_of(one).write_sessions() as db,
    ):
        db.add(SiteRole(site_id=site.id, user_id=user_id(api, ben), role="moderator"))
        db.commit()
    ben_on_two = DeskClient(two, ben)
    r = ann_on_one.post(f"/desk/comments/{cid}/claim", headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.json()["mine"] is True
    page = ben_on_two.get("/desk/queue/recent").text
    assert "Being decided by Ann Across" in page
    # released through the other process
    r = ann_on_two.post(f"/desk/comments/{cid}/release", headers={"Accept": "application/json"})
    assert r.json()["released"] is True
    assert "Being decided by" not in ben_on_two.get("/desk/queue/recent").text


class RivalBetween(MemoryCache):
    """A real cache in which another moderator's claim lands just after this
    one's read of the claim found nothing: the moment two desks focus a card
    together, made to happen every time."""

    def __init__(self, rival: bytes) -> None:
        super().__init__()
        self.rival: bytes | None = rival

    def get(self, key: str) -> bytes | None:
        found = super().get(key)
        if self.rival is not None and key.startswith("desk:claim:"):
            self.set(key, self.rival, claims.TTL)
            self.rival = None
        return found


def test_a_claim_taken_between_the_read_and_the_write_stays_the_first_ones(
    two_apps: tuple[FastAPI, FastAPI],
) -> None:
    one, _ = two_apps
    site = add_site(one)
    with TestClient(one, base_url="http://rostra.test") as api:
        alice = quick_reader(one, "Alice")
        cid = post(api, alice, "Claimed at once.").json()["id"]
        ann, ben = (quick_reader(one, name) for name in ("Ann Race", "Ben Race"))
        ann_id, ben_id = user_id(api, ann), user_id(api, ben)
    with state_of(one).write_sessions() as db:
        for who in (ann_id, ben_id):
            db.add(SiteRole(site_id=site.id, user_id=who, role="moderator"))
        db.commit()
        ann_user, ben_user = db.get(User, ann_id), db.get(User, ben_id)
        assert ann_user is not None and ben_user is not None
        rival = claims.Claim(cid, ben_id, ben_user.display_name, time.time() + claims.TTL)
        cache = RivalBetween(json.dumps(rival.data()).encode())
        got = claims.claim(db, cache, ann_user, cid)
        assert got.user_id == ben_id and got.name == "Ben Race"  # Ann is told it is Ben's
        assert claims.held(cache, [cid])[cid].user_id == ben_id  # and Ben keeps it
        db.rollback()
