"""Every query over sites."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from rostra.models import Site
from rostra.urls import origin_of


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
