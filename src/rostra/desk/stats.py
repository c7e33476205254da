"""The desk's dashboard: comments per hour over the last 48 hours, the share
held and rejected by reason, the queue's size and the median time to a
moderator's decision, the busiest stories. Read-only; the caller's role
decides which sites count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from statistics import median
from typing import Any

from sqlalchemy.orm import Session

from rostra.comments.moderate import story_mode
from rostra.desk import repository
from rostra.models import User
from rostra.moderation import service as moderation

HOURS = 48
BUSIEST = 10
#: The decisions the median is taken over, at most (the newest).
DECISIONS = 20_000
STATUSES = ("published", "pending", "rejected")


def _sites(db: Session, user: User, site_id: int | None) -> list[int] | None:
    if site_id is not None:
        moderation.require_moderator(db, user, site_id)
        return [site_id]
    sites = moderation.moderated_sites(db, user)
    if sites is not None and not sites:
        moderation.require_moderator(db, user, 0)  # raises not_moderator
    return sites


def _hour_of(text: str) -> datetime:
    return datetime.fromisoformat(text[:13] + ":00:00").replace(tzinfo=UTC)


def dashboard(db: Session, user: User, site_id: int | None, now: datetime) -> dict[str, Any]:
    site_ids = _sites(db, user, site_id)
    first = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=HOURS - 1)
    hours = {first + timedelta(hours=i): dict.fromkeys(STATUSES, 0) for i in range(HOURS)}
    total = 0
    for hour, status, n in repository.per_hour(db, site_ids, first):
        total += n
        bucket = hours.get(_hour_of(hour))
        if bucket is not None and status in bucket:
            bucket[status] += n
    found = sorted(
        repository.held_rejected(db, site_ids, first),
        key=lambda r: (-r[3], r[0], r[1], r[2] or ""),
    )
    reasons = [
        {
            "status": status,
            "step": step,
            "reason": reason,
            "count": n,
            "share": round(n / total, 4) if total else 0.0,
        }
        for status, step, reason, n in found
    ]
    pending, reported = repository.queue_sizes(db, site_ids)
    times = [
        (decided - written).total_seconds()
        for written, decided in repository.decision_times(db, site_ids, first, DECISIONS)
    ]
    busiest = [
        {
            "id": story.id,
            "site_id": story.site_id,
            "title": story.title,
            "url": story.url,
            "comments": n,
            "mode": story_mode(story),
            "surging": story.surge_started_at is not None,
        }
        for story, n in repository.busiest(db, site_ids, first, BUSIEST)
    ]
    return {
        "since": first,
        "comments": total,
        "per_hour": [{"hour": h, **counts} for h, counts in hours.items()],
        "held_rejected": reasons,
        "queue_pending": pending,
        "queue_reported": reported,
        "decisions": len(times),
        "median_decision_seconds": median(times) if times else None,
        "busiest": busiest,
    }
