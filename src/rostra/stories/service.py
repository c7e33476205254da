"""Rules for stories: one per article URL, made by its first comment;
closing and retitling (administrators); comment counts. Never commits.

Other domains reach stories through this module, not its repository.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from rostra.db.session import changed
from rostra.errors import InvalidUrl, NotFound
from rostra.http.live import log as live
from rostra.models import Site, Story
from rostra.sites import service as sites
from rostra.stories import repository, views
from rostra.stories.schemas import StoryPatchIn
from rostra.text import single_line
from rostra.urls import normalise, origin_of


def resolve(db: Session, url: str) -> tuple[Site, str]:
    """The site of an article URL and the URL's normalised form (see
    ``rostra.sites.service.resolve``)."""
    return sites.resolve(db, url)


def clean_title(value: str | None) -> str:
    return "" if value is None else single_line(value, "title")


def by_url(db: Session, url: str) -> Story | None:
    """The story of a normalised URL."""
    return repository.by_url(db, url)


def id_by_url(db: Session, url: str) -> int | None:
    return repository.id_by_url(db, url)


def get_or_create(db: Session, site_id: int, url: str, title: str) -> Story:
    return repository.get_or_create(db, site_id, url, title)


def site_id_of(db: Session, story_id: int) -> int:
    return repository.site_id_of(db, story_id)


def url_of(db: Session, story_id: int) -> str:
    return repository.url_of(db, story_id)


def story_changed(db: Session, story_id: int) -> None:
    """Record that what readers see of the story changes in this transaction
    (a comment, a like, its title): its cached pages are retired after the
    commit (``rostra.stories.cache``)."""
    changed(db, "story", story_id)


def change_comment_count(db: Session, story_id: int, delta: int) -> int:
    """Move the published count; returns the new count."""
    count = repository.change_comment_count(db, story_id, delta)
    story_changed(db, story_id)
    return count


def announce(
    db: Session, story_id: int, kind: str, data: dict[str, Any], *, url: str | None = None
) -> None:
    """Tell the story's live readers of a change, after the commit (on the
    channel named by its URL, ``rostra.http.live.log.story_channel``)."""
    channel = live.story_channel(url or repository.url_of(db, story_id))
    live.publish(db, channel, kind, data)


def get(db: Session, story_id: int) -> Story:
    story = repository.by_id(db, story_id)
    if story is None:
        raise NotFound("No such story.")
    return story


def patch(db: Session, story_id: int, data: StoryPatchIn) -> Story:
    story = get(db, story_id)
    if data.is_closed is not None:
        story.is_closed = data.is_closed
    if data.title is not None:
        story.title = clean_title(data.title)
    db.flush()
    story_changed(db, story.id)  # is_closed and the title are on cached pages
    announce(db, story.id, "story.updated", {"story": views.story(story)}, url=story.url)
    return story


def counts(db: Session, urls: Iterable[str]) -> dict[str, int | None]:
    """Published comment counts keyed by each URL as given: 0 for an article
    with no comments yet, None for a URL that is no article's (unreadable, or
    on no configured site). One bad link on a listing page must not hide the
    others' counts, nor be shown as an article with no comments."""
    given = list(urls)
    normalised: dict[str, str] = {}
    for url in given:
        try:
            normalised[url] = normalise(url)
        except InvalidUrl:
            continue
    found = repository.counts(db, normalised.values())
    # Only URLs without a story need the sites (a story's URL is on one).
    unknown = {url for url in normalised.values() if url not in found}
    origins = sites.all_origins(db) if unknown else set()
    answer: dict[str, int | None] = {}
    for url in given:
        story_url = normalised.get(url)
        if story_url is None:
            answer[url] = None
        elif story_url in found:
            answer[url] = found[story_url]
        else:
            answer[url] = 0 if origin_of(story_url) in origins else None
    return answer
