"""Rules for configuring sites (used by the CLI and the demo)."""

from __future__ import annotations

import re
import secrets

from sqlalchemy.orm import Session

from rostra.errors import Conflict, Invalid
from rostra.models import Site
from rostra.sites import repository
from rostra.stories.urls import normalise, origin_of

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def clean_origin(value: str) -> str:
    origin = origin_of(value)
    if normalise(value) not in (origin, origin + "/"):
        raise Invalid(
            f"{value!r} is not an origin: give scheme://host[:port] only.", field="origin"
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
        raise Conflict(f"A site named {name!r} exists already.", code="site_exists")
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
            raise Conflict(
                f"{', '.join(sorted(clash))} already belongs to site {other.name!r}.",
                code="origin_taken",
            )
    site.origins = cleaned
