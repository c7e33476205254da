"""Story rows to the JSON the API documents (``schemas.StoryOut``), as plain
dicts for the hot read path (see ``rostra.comments.views``)."""

from __future__ import annotations

from typing import Any

from rostra.models import Story

JSON = dict[str, Any]


def story(row: Story) -> JSON:
    return {
        "id": row.id,
        "url": row.url,
        "title": row.title,
        "comment_count": row.comment_count,
        "is_closed": row.is_closed,
    }


def no_story(url: str) -> JSON:
    """An article nobody has commented on yet: it has no row until then."""
    return {"id": None, "url": url, "title": "", "comment_count": 0, "is_closed": False}
