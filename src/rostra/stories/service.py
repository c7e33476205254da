"""Rules for stories: which site an article URL belongs to; closing and
retitling (administrators). Never commits."""

from __future__ import annotations

from sqlalchemy.orm import Session

from rostra.errors import Invalid, NotFound
from rostra.models import Site, Story
from rostra.sites.repository import site_for_url
from rostra.stories import repository
from rostra.stories.schemas import StoryPatchIn
from rostra.stories.urls import normalise
from rostra.text import check_text


def resolve(db: Session, url: str) -> tuple[Site, str]:
    """The site of an article URL and the URL's normalised form.

    422 ``invalid_url`` for a URL that is not absolute http(s), 422
    ``url_not_allowed`` for one on no configured site.
    """
    normalised = normalise(url)
    site = site_for_url(db, normalised)
    if site is None:
        raise Invalid(
            "The article URL belongs to no site configured on this server.",
            field="url",
            code="url_not_allowed",
        )
    return site, normalised


def clean_title(value: str | None) -> str:
    if value is None:
        return ""
    title = check_text(value, "title").strip()
    if "\n" in title or "\t" in title:
        raise Invalid("'title' must be a single line.", field="title", code="invalid_characters")
    return title


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
    return story
