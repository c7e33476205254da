"""Every query over sites."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from rostra.models import Comment, Site, Story, User
from rostra.urls import origin_of


def by_id(db: Session, site_id: int) -> Site | None:
    return db.get(Site, site_id)


def by_name(db: Session, name: str) -> Site | None:
    return db.scalar(select(Site).where(Site.name == name))


def all_sites(db: Session) -> list[Site]:
    return list(db.scalars(select(Site).order_by(Site.name)))


def site_for_url(db: Session, url: str) -> Site | None:
    """The site one of whose origins the (normalised) URL is on.

    Sites are few (one per brand), so they are matched in Python rather than
    through a JSON query that would differ between SQLite and PostgreSQL.
    """
    origin = origin_of(url)
    for site in all_sites(db):
        if origin in site.origins:
            return site
    return None


def all_origins(db: Session) -> set[str]:
    return {origin for site in all_sites(db) for origin in site.origins}


def story_counts(db: Session) -> dict[int, int]:
    """How many stories each site has (sites with none are left out)."""
    rows = db.execute(select(Story.site_id, func.count()).group_by(Story.site_id))
    return {site_id: count for site_id, count in rows}


def contents(db: Session, site_id: int) -> tuple[int, int, int]:
    """(stories, comments, SSO readers) of a site: what goes with it."""
    stories = (
        db.scalar(select(func.count()).select_from(Story).where(Story.site_id == site_id)) or 0
    )
    comments = (
        db.scalar(
            select(func.count())
            .select_from(Comment)
            .join(Story, Comment.story_id == Story.id)
            .where(Story.site_id == site_id)
        )
        or 0
    )
    readers = (
        db.scalar(select(func.count()).select_from(User).where(User.sso_site_id == site_id)) or 0
    )
    return stories, comments, readers


def story_ids(db: Session, site_id: int) -> list[int]:
    return list(db.scalars(select(Story.id).where(Story.site_id == site_id)))


def delete_site(db: Session, site_id: int) -> None:
    """Delete the site row; the database deletes what refers to it (stories,
    their comments and likes, its SSO readers with their sign-ins, used SSO
    token ids), by the foreign keys' ON DELETE CASCADE."""
    db.execute(delete(Site).where(Site.id == site_id).execution_options(synchronize_session=False))
