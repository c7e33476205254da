"""Story rows to the JSON the API documents (``schemas.StoryOut``), as plain
dicts for the hot read path (see ``rostra.comments.views``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rostra.models import Story

JSON = dict[str, Any]


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def story(row: Story) -> JSON:
    return {
        "id": row.id,
        "url": row.url,
        "canonical_url": row.canonical_url,
        "title": row.title,
        "published_at": _iso(row.published_at),
        "comment_count": row.comment_count,
        "is_closed": row.is_closed,
    }


def story_admin(row: Story) -> JSON:
    """``schemas.StoryAdminOut``: the story and where its metadata came from."""
    return {
        **story(row),
        "title_source": row.title_source,
        "canonical_source": row.canonical_source,
        "metadata_fetched_at": _iso(row.metadata_fetched_at),
        "metadata_error": row.metadata_error,
        "premoderated": row.premoderated,
        "slow_mode_seconds": row.slow_mode_seconds,
        "auto_close_days": row.auto_close_days,
        "surge_started_at": _iso(row.surge_started_at),
        "surge_rate": row.surge_rate,
    }


def no_story(url: str) -> JSON:
    """An article nobody has commented on yet: it has no row until then."""
    return {
        "id": None,
        "url": url,
        "canonical_url": None,
        "title": "",
        "published_at": None,
        "comment_count": 0,
        "is_closed": False,
    }
