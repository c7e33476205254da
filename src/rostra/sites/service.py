"""Rules for sites: which site an article URL belongs to, and configuring
sites (the CLI and the demo). Never commits."""

from __future__ import annotations

import re
import secrets

from sqlalchemy.orm import Session

from rostra.db.session import changed
from rostra.errors import Invalid, InvalidUrl
from rostra.models import Site
from rostra.sites import repository
from rostra.sites.errors import OriginTaken, SiteExists, UrlNotAllowed
from rostra.urls import bare_origin, normalise

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def by_name(db: Session, name: str) -> Site | None:
    return repository.by_name(db, name)


def all_sites(db: Session) -> list[Site]:
    return repository.all_sites(db)


def all_origins(db: Session) -> set[str]:
    return repository.all_origins(db)


def resolve(db: Session, url: str) -> tuple[Site, str]:
    """The site of an article URL and the URL's normalised form.

    422 ``invalid_url`` for a URL that is not absolute http(s), 422
    ``url_not_allowed`` for one on no configured site.
    """
    normalised = normalise(url)
    site = repository.site_for_url(db, normalised)
    if site is None:
        raise UrlNotAllowed()
    return site, normalised


def site_of(db: Session, url: str) -> Site | None:
    """The site of an article URL, or None for one that is unreadable or on no site."""
    try:
        return resolve(db, url)[0]
    except (InvalidUrl, UrlNotAllowed):
        return None


def clean_origin(value: str) -> str:
    origin = bare_origin(value)
    if origin is None:
        raise Invalid(
            f"{value!r} is not an origin: give http(s)://host[:port] only, with no path.",
            field="origin",
        )
    return origin


def add_site(
    db: Session,
    name: str,
    origins: list[str],
    *,
    title: str = "",
    require_verified_email: bool = False,
    moderation: str = "post",
) -> Site:
    if not _NAME.match(name):
        raise Invalid("A site name is 1-64 lower-case letters, digits, '-' or '_'.", field="name")
    if repository.by_name(db, name):
        raise SiteExists(f"A site named {name!r} exists already.")
    if moderation not in ("post", "pre"):
        raise Invalid("moderation is 'post' or 'pre'.", field="moderation")
    site = Site(
        name=name,
        title=title or name,
        origins=[],
        sso_secret=secrets.token_urlsafe(32),
        require_verified_email=require_verified_email,
        moderation=moderation,
    )
    set_origins(db, site, origins)
    db.add(site)
    db.flush()
    return site


def set_origins(db: Session, site: Site, origins: list[str]) -> None:
    cleaned = sorted({clean_origin(o) for o in origins})
    if not cleaned:
        raise Invalid("A site needs at least one origin.", field="origin")
    for other in repository.all_sites(db):
        clash = set(other.origins) & set(cleaned)
        if other.id != site.id and clash:
            raise OriginTaken(f"{', '.join(sorted(clash))} already belongs to site {other.name!r}.")
    site.origins = cleaned
    changed(db, "site", site.name)
