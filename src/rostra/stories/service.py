"""Rules for stories: one per article URL, made by its first comment;
where its title and canonical URL come from; closing and retitling
(administrators); comment counts. Never commits.

A story's title comes from, in rising order of precedence:

1. ``client``: the title sent with a comment, a placeholder kept only until
   the article's page has been read (and not taken at all when the site does
   not fetch metadata);
2. ``page``: the page's ``og:title`` or ``<title>``, read by the
   ``story.metadata`` job (``rostra.stories.tasks``, rules in
   ``rostra.stories.metadata``), enqueued when the story is made;
3. ``editor``: an administrator's (``PATCH /stories/{id}``), which the page
   never overrides. The canonical URL is the page's unless an editor set one.

Other domains reach stories through this module, not its repository.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from rostra.db.base import utcnow
from rostra.db.session import changed
from rostra.errors import InvalidUrl, NotFound
from rostra.http.live import log as live
from rostra.jobs import outbox
from rostra.models import Site, Story
from rostra.sites import service as sites
from rostra.sites.errors import UrlNotAllowed
from rostra.stories import repository, views
from rostra.stories.cache import StoryPages
from rostra.stories.errors import MetadataFetchOff
from rostra.stories.head import PageMetadata
from rostra.stories.schemas import StoryPatchIn
from rostra.text import single_line
from rostra.urls import normalise, origin_of

METADATA_TOPIC = "story.metadata"
CLIENT, PAGE, EDITOR = "client", "page", "editor"
NO_TITLE = "The page has no og:title or <title>; the title is left as it was."


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


@dataclass(frozen=True)
class PostingTarget:
    """What posting a comment needs of its story."""

    id: int
    site_id: int
    is_closed: bool
    premoderated: bool
    slow_mode_seconds: int
    #: No title from anyone yet: a client's placeholder would be taken.
    wants_title: bool


def target_of(story: Story) -> PostingTarget:
    return PostingTarget(
        story.id,
        story.site_id,
        story.is_closed,
        story.premoderated,
        story.slow_mode_seconds,
        story.title == "" and story.title_source == CLIENT,
    )


def posting_target(db: Session, url: str) -> PostingTarget | None:
    """The story of a normalised URL, as far as posting needs it."""
    row = repository.posting_row(db, url)
    return None if row is None else PostingTarget(*row)


def offer_title_to(db: Session, story: PostingTarget, title: str, *, fetch_metadata: bool) -> None:
    """``offer_title`` for a posting target, its site's switch already known."""
    wanted = title and story.wants_title and fetch_metadata
    if wanted and repository.set_client_title(db, story.id, title):
        story_changed(db, story.id)


def _site(db: Session, site_id: int) -> Site:
    site = sites.by_id(db, site_id)
    if site is None:  # stories are deleted with their site
        raise RuntimeError(f"site {site_id} of a story is missing")
    return site


def get_or_create(db: Session, site_id: int, url: str, title: str) -> Story:
    """The story of ``url``, made if needed with ``title`` as its
    placeholder; a new story's page is fetched by a job (if its site
    fetches metadata; if not, the client's title is not taken)."""
    story = repository.by_url(db, url)
    if story is not None:
        offer_title(db, story, title)
        return story
    site = _site(db, site_id)
    story, created = repository.get_or_create(
        db, site_id, url, title if site.fetch_metadata else ""
    )
    if not created:
        offer_title(db, story, title)
        return story
    changed(db, "story-made")  # what URLs without a story count is retired
    if site.fetch_metadata:
        _enqueue_fetch(db, story.id)
    return story


def offer_title(db: Session, story: Story, title: str) -> None:
    """A client's title, taken as the placeholder of a story that has no
    title yet from anyone, on a site that fetches metadata."""
    if not title or story.title or story.title_source != CLIENT:
        return
    if _site(db, story.site_id).fetch_metadata:
        story.title = title
        db.flush()
        story_changed(db, story.id)


def _enqueue_fetch(db: Session, story_id: int) -> None:
    outbox.enqueue(db, METADATA_TOPIC, {"story_id": story_id})


def site_id_of(db: Session, story_id: int) -> int:
    return repository.site_id_of(db, story_id)


def url_of(db: Session, story_id: int) -> str:
    return repository.url_of(db, story_id)


def story_changed(db: Session, story_id: int) -> None:
    """Record that what readers see of the story changes in this transaction
    (a comment, a like, its title): its cached pages are retired after the
    commit (``rostra.stories.cache``)."""
    changed(db, "story", story_id)


def author_changed(db: Session, user_id: int, site_id: int | None = None) -> None:
    """Record that what a user's comments show of them (name, handle,
    avatar; their staff badge on ``site_id``) changes in this transaction:
    the cached pages of the stories with their comments are retired."""
    for story_id in repository.ids_commented_by(db, user_id, site_id):
        story_changed(db, story_id)


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
    """An administrator's change. A title or canonical URL set here wins over
    the page's for good; an empty one gives it back to the page (fetched
    again)."""
    story = get(db, story_id)
    site = _site(db, story.site_id)
    title = None if data.title is None else clean_title(data.title)
    canonical = None
    if data.canonical_url:
        canonical = _canonical_on_site(site, data.canonical_url)
    refetch = False
    if data.is_closed is not None:
        story.is_closed = data.is_closed
    if title:
        story.title, story.title_source = title, EDITOR
    elif title is not None:
        if story.title_source == EDITOR:
            story.title, story.title_source = "", CLIENT
        refetch = True
    if canonical:
        story.canonical_url, story.canonical_source = canonical, EDITOR
    elif data.canonical_url is not None:
        if story.canonical_source == EDITOR:
            story.canonical_url, story.canonical_source = None, None
        refetch = True
    if refetch and site.fetch_metadata:
        _enqueue_fetch(db, story.id)
    db.flush()
    story_changed(db, story.id)  # is_closed and the title are on cached pages
    announce(db, story.id, "story.updated", {"story": views.story(story)}, url=story.url)
    return story


def set_mode(db: Session, story_id: int, mode: str | None, slow_mode_seconds: int | None) -> Story:
    """A moderator's change of the story's mode (open, premoderated,
    closed) or slow mode; the caller checks the role and logs it."""
    story = get(db, story_id)
    if mode is not None:
        story.is_closed = mode == "closed"
        story.premoderated = mode == "premoderated"
    if slow_mode_seconds is not None:
        story.slow_mode_seconds = slow_mode_seconds
    db.flush()
    story_changed(db, story.id)
    announce(db, story.id, "story.updated", {"story": views.story(story)}, url=story.url)
    return story


def set_auto_close(db: Session, story_id: int, days: int | None) -> Story:
    """Close the story ``days`` after its publication (0: never; None: as
    its site says); the caller checks the role and logs it."""
    story = get(db, story_id)
    story.auto_close_days = days
    db.flush()
    return story


def auto_close_days(story: Story, site: Site) -> int:
    return site.auto_close_days if story.auto_close_days is None else story.auto_close_days


def is_past_auto_close(story: Story, site: Site, now: datetime) -> bool:
    days = auto_close_days(story, site)
    return (
        bool(days)
        and story.published_at is not None
        and (story.published_at + timedelta(days=days) <= now)
    )


def close_old(db: Session, site: Site, now: datetime, limit: int) -> list[Story]:
    """Close the open stories of the site past their auto-close day (at
    most ``limit``); returns them. The caller logs each."""
    closed = []
    for story in repository.auto_close_candidates(db, site.id, site.auto_close_days, now, limit):
        if is_past_auto_close(story, site, now):
            story.is_closed = True
            closed.append(story)
    db.flush()
    for story in closed:
        story_changed(db, story.id)
        announce(db, story.id, "story.updated", {"story": views.story(story)}, url=story.url)
    return closed


def set_surge(
    db: Session, story: Story, rate: float | None, undo: dict[str, Any] | None, now: datetime
) -> None:
    """Mark the story as surging at ``rate`` (None: not any more)."""
    story.surge_started_at = None if rate is None else now
    story.surge_rate = rate
    story.surge_undo = undo
    db.flush()


def _canonical_on_site(site: Site, value: str) -> str:
    url = normalise(value, field="canonical_url")
    if origin_of(url) not in site.origins:
        raise UrlNotAllowed(
            f"The canonical URL must be on the story's site ({', '.join(site.origins)}).",
            field="canonical_url",
        )
    return url


def request_metadata(db: Session, story_id: int) -> Story:
    """Fetch the story's page again (an administrator asks): 409
    ``metadata_fetch_off`` when its site does not fetch."""
    story = get(db, story_id)
    if not _site(db, story.site_id).fetch_metadata:
        raise MetadataFetchOff()
    _enqueue_fetch(db, story.id)
    return story


@dataclass(frozen=True)
class FetchTarget:
    url: str
    origins: tuple[str, ...]


def fetch_target(db: Session, story_id: int) -> FetchTarget | None:
    """What the metadata job fetches for a story; None when there is nothing
    to do (the story went with its site, or the site stopped fetching)."""
    story = repository.by_id(db, story_id)
    if story is None:
        return None
    site = sites.by_id(db, story.site_id)
    if site is None or not site.fetch_metadata:
        return None
    return FetchTarget(story.url, tuple(site.origins))


def record_metadata(db: Session, story_id: int, found: PageMetadata) -> None:
    """What the page said, kept by the precedence in this module's docstring."""
    story = repository.by_id(db, story_id, lock=True)
    if story is None:
        return
    if found.title and story.title_source != EDITOR:
        story.title, story.title_source = found.title, PAGE
    if story.canonical_source != EDITOR:
        story.canonical_url = found.canonical_url
        story.canonical_source = PAGE if found.canonical_url else None
    story.published_at = found.published_at
    story.metadata_fetched_at = utcnow()
    story.metadata_error = None if found.title else NO_TITLE
    db.flush()
    story_changed(db, story.id)
    announce(db, story.id, "story.updated", {"story": views.story(story)}, url=story.url)


def record_metadata_error(db: Session, story_id: int, error: str) -> None:
    """Why the last fetch failed (the story is otherwise left as it was)."""
    story = repository.by_id(db, story_id, lock=True)
    if story is not None:
        story.metadata_error = error[:500]
        db.flush()


def site_fetching_changed(db: Session, site_id: int, fetch: bool) -> int:
    """After a site's switch changed: switched on, every story of the site is
    fetched; switched off, the titles clients sent are dropped (only
    administrators title its stories now). Returns how many stories."""
    if fetch:
        ids = repository.ids_of_site(db, site_id)
        for story_id in ids:
            _enqueue_fetch(db, story_id)
        return len(ids)
    ids = repository.drop_client_titles(db, site_id)
    for story_id in ids:
        story_changed(db, story_id)
    return len(ids)


def encode_counts(answer: dict[str, int | None]) -> bytes:
    """The body of ``GET /counts``."""
    return json.dumps({"counts": answer}, ensure_ascii=False, separators=(",", ":")).encode()


def warm_counts(
    pages: StoryPages, urls: list[str]
) -> tuple[dict[str, int | None], dict[str, bytes]] | None:
    """``counts`` when the cache knows every one of them (no database: for
    the lean front, ``rostra.http.front``), with the generations they were
    found under (``Counts.generations``); else None."""
    normalised: dict[str, str] = {}
    for url in urls:
        try:
            normalised[url] = normalise(url)
        except InvalidUrl:
            continue
    cached = pages.counts(sorted(set(normalised.values())))
    if any(u not in cached.found for u in normalised.values()):
        return None
    answer = {url: cached.found[normalised[url]] if url in normalised else None for url in urls}
    return answer, cached.generations


def counts(db: Session, urls: Iterable[str], pages: StoryPages) -> dict[str, int | None]:
    """Published comment counts keyed by each URL as given: 0 for an article
    with no comments yet, None for a URL that is no article's (unreadable, or
    on no configured site). One bad link on a listing page must not hide the
    others' counts, nor be shown as an article with no comments.

    From the cache when it knows them all (``rostra.stories.cache``), else
    the rest in one query (and the sites, if a URL has no story)."""
    given = list(urls)
    normalised: dict[str, str] = {}
    for url in given:
        try:
            normalised[url] = normalise(url)
        except InvalidUrl:
            continue
    wanted = sorted(set(normalised.values()))
    cached = pages.counts(wanted)
    by_url: dict[str, int | None] = dict(cached.found)
    rest = [u for u in wanted if u not in by_url]
    if rest:
        found = repository.counts(db, rest)
        # Only URLs without a story need the sites (a story's URL is on one).
        unknown = {url for url in rest if url not in found}
        origins = sites.all_origins(db) if unknown else set()
        for url in rest:
            if url in found:
                story_id, by_url[url] = found[url]
                if not cached.knew_story(url):
                    # Its count is kept from the next request on, under its generation.
                    cached.keys.pop(url, None)
                    pages.remember_story_id(url, story_id)
            else:
                by_url[url] = 0 if origin_of(url) in origins else None
        pages.put_counts(cached.keys, by_url)
    return {url: None if url not in normalised else by_url[normalised[url]] for url in given}
