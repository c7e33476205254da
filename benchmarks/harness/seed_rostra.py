"""Fill Rostra's database with a plan, through Rostra's own rules.

Run in the project's virtualenv, with the same ROSTRA_* environment as the
server, before the server starts:

    python -m harness.seed_rostra PLAN.json

Every comment goes through ``rostra.comments.service.prepare`` and
``create`` (the code a POST runs: rendering, thread ids, reply and comment
counters, outbox events), many to a transaction instead of one request
each, so that whatever those rules keep in step tomorrow is kept here too.
Authors are SSO readers of the bench site (no password to hash). The
planned timestamps are written afterwards. Prints a JSON summary.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select, update

from harness.plan import Plan
from rostra.app import load_tasks
from rostra.comments import service as comments
from rostra.comments.schemas import CommentIn
from rostra.config import load_settings
from rostra.db import migrate
from rostra.db.base import utcnow
from rostra.db.engine import make_engine
from rostra.db.session import make_sessionmaker
from rostra.models import Comment, User
from rostra.sites import service as sites

SITE = "bench"
BATCH = 2_000


def main(plan_path: Path) -> None:
    started = time.monotonic()
    load_tasks()  # what the comment rules enqueue must have its handler registered
    plan = Plan.read(plan_path)
    settings = load_settings()
    engine = make_engine(settings.database_url)
    migrate.upgrade(engine)
    session = make_sessionmaker(engine)
    with session() as db:
        # The bench host serves no article pages: nothing to fetch titles from.
        site = sites.add_site(db, SITE, [plan.host], title="Benchmark news", fetch_metadata=False)
        authors = [
            User(
                display_name=name,
                sso_site_id=site.id,
                sso_subject=f"author-{i}",
                email=f"author-{i}@bench.example",
                email_verified_at=utcnow(),
            )
            for i, name in enumerate(plan.authors)
        ]
        db.add_all(authors)
        db.commit()
        author_ids = [u.id for u in authors]
    summary: dict[str, dict[str, int]] = {}
    for story in plan.stories:
        ids: list[int] = []
        with session() as db:
            users = list(db.scalars(select(User).where(User.id.in_(author_ids)).order_by(User.id)))
            for n, planned in enumerate(story.comments):
                data = CommentIn(
                    url=story.url,
                    title=story.title,
                    body=planned.body,
                    parent_id=None if planned.parent is None else ids[planned.parent],
                )
                user = users[planned.author]
                comment = comments.create(db, user, comments.prepare(db, settings, user, data))
                ids.append(comment.id)
                if (n + 1) % BATCH == 0:
                    db.commit()
            db.execute(
                update(Comment),
                [
                    {"id": cid, "created_at": datetime.fromtimestamp(c.created, UTC)}
                    for cid, c in zip(ids, story.comments, strict=True)
                ],
            )
            db.commit()
        summary[story.name] = {"comments": len(ids), "first_id": ids[0], "last_id": ids[-1]}
    engine.dispose()
    json.dump({"seconds": round(time.monotonic() - started, 1), "stories": summary}, sys.stdout)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
