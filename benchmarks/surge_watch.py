"""How long one pass of the moderation watch (surges and auto-close) takes.

Seeds a migrated, empty database with one site (surge threshold 30 a minute,
auto-close 30 days), 500 stories, 200,000 comments of the last two days and
20,000 of the last five minutes (half of them on five stories), then times
seven passes of ``rostra.desk.surge.watch``.

    ROSTRA_DATABASE_URL=URL .venv/bin/rostra migrate
    .venv/bin/python benchmarks/surge_watch.py URL
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import sessionmaker

from rostra.db.base import utcnow
from rostra.db.engine import make_engine
from rostra.desk import surge
from rostra.models import Comment, Site, Story


def main(url: str) -> None:
    sessions = sessionmaker(make_engine(url))
    now = utcnow()
    with sessions() as db:
        site = Site(
            name="bench", origins=["https://bench.example"], sso_secret="bench-secret",  # noqa: S106 - a throwaway database
            surge_threshold=30, surge_action="flag_only", auto_close_days=30,
        )  # fmt: skip
        db.add(site)
        db.flush()
        stories = [
            Story(
                site_id=site.id,
                url=f"https://bench.example/{i}",
                published_at=now - timedelta(days=i % 40),
            )
            for i in range(500)
        ]
        db.add_all(stories)
        db.flush()
        ids = [s.id for s in stories]
        base: dict[str, Any] = {"body": "x", "html": "x", "status": "published", "depth": 0,
                                "like_count": 0, "reply_count": 0}  # fmt: skip
        rows = [
            {
                **base,
                "story_id": ids[n % 500],
                "created_at": now - timedelta(minutes=10, seconds=n % 170_000),
            }
            for n in range(200_000)
        ] + [
            {
                **base,
                "story_id": ids[n % 5] if n % 2 == 0 else ids[n % 500],
                "created_at": now - timedelta(seconds=n % 290),
            }
            for n in range(20_000)
        ]
        for i in range(0, len(rows), 10_000):
            db.execute(insert(Comment), rows[i : i + 10_000])
        db.commit()
    times = []
    for i in range(7):
        with sessions() as db:
            started = time.perf_counter()
            done = surge.watch(db, now + timedelta(seconds=i))
            db.commit()
            times.append(time.perf_counter() - started)
        if i == 0:
            print(f"first pass: {len(done.started)} surging, {len(done.closed)} closed")
    print(
        f"watch pass: median {statistics.median(times[1:]) * 1000:.1f} ms over 6 passes "
        f"(the first, which closes the old stories: {times[0] * 1000:.1f} ms)"
    )


if __name__ == "__main__":
    main(sys.argv[1])
