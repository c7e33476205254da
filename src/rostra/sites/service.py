"""Rules for sites: which site an article URL belongs to, and configuring
sites (the CLI and the demo): adding, editing, rotating the SSO secret,
removing. Never commits.

A running server sees a change at its next query; only the security
middleware's memory of which origins are configured lags (a new origin is
allowed within 5 seconds, a removed one refused within 30: see
``rostra.http.security.OriginMemory``).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from rostra.db.session import changed
from rostra.errors import Invalid, InvalidUrl, NotFound
from rostra.models import Site
from rostra.sites import repository
from rostra.sites.errors import OriginTaken, SiteExists, SiteNotEmpty, UrlNotAllowed
from rostra.text import single_line
from rostra.urls import bare_origin, normalise

MAX_TITLE = 200
MODERATION = {"post": "comments appear at once", "pre": "comments wait for a moderator"}

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def by_name(db: Session, name: str) -> Site | None:
    return repository.by_name(db, name)


def by_id(db: Session, site_id: int) -> Site | None:
    return repository.by_id(db, site_id)


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
    """``value`` as a normalised origin, or 422 saying what an origin looks like."""
    origin = bare_origin(value)
    if origin is None:
        raise Invalid(
            f"{value!r} is not an origin{_origin_hint(value)}. An origin is http:// or "
            "https://, a host and an optional port, with no path: "
            "https://ledger.example or http://localhost:9000.",
            field="origin",
        )
    return origin


def _origin_hint(value: str) -> str:
    text = value.strip()
    parts = urlsplit(text if "://" in text else "//" + text)
    if "://" not in text and parts.hostname and " " not in text:
        return f" (no scheme: did you mean https://{parts.netloc}?)"
    if parts.scheme and parts.scheme.lower() not in ("http", "https"):
        return f" ({parts.scheme} is not http or https)"
    if parts.hostname and parts.path not in ("", "/"):
        return f" (it has a path: the origin is {parts.scheme}://{parts.netloc})"
    return ""


def clean_title(value: str) -> str:
    title = single_line(value, "title")
    if len(title) > MAX_TITLE:
        raise Invalid(f"A site's title is at most {MAX_TITLE} characters.", field="title")
    return title


def get(db: Session, name: str) -> Site:
    site = repository.by_name(db, name)
    if site is None:
        known = ", ".join(s.name for s in repository.all_sites(db)) or "none yet"
        raise NotFound(f"No site is named {name!r} (sites: {known}).")
    return site


def add_site(
    db: Session,
    name: str,
    origins: list[str],
    *,
    title: str = "",
    require_verified_email: bool = False,
    moderation: str = "post",
    fetch_metadata: bool = True,
) -> Site:
    if not _NAME.match(name):
        raise Invalid("A site name is 1-64 lower-case letters, digits, '-' or '_'.", field="name")
    if repository.by_name(db, name):
        raise SiteExists(f"A site named {name!r} exists already.")
    if moderation not in ("post", "pre"):
        raise Invalid("moderation is 'post' or 'pre'.", field="moderation")
    site = Site(
        name=name,
        title=clean_title(title) or name,
        origins=[],
        sso_secret=secrets.token_urlsafe(32),
        require_verified_email=require_verified_email,
        moderation=moderation,
        fetch_metadata=fetch_metadata,
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


@dataclass(frozen=True)
class SiteChanges:
    """What ``rostra site edit`` asks for; None (or empty) leaves a field be.
    ``origins`` replaces the list; ``add_origins`` and ``remove_origins``
    then change it."""

    origins: list[str] | None = None
    add_origins: list[str] = field(default_factory=list)
    remove_origins: list[str] = field(default_factory=list)
    title: str | None = None
    require_verified_email: bool | None = None
    moderation: str | None = None
    fetch_metadata: bool | None = None

    def empty(self) -> bool:
        return self == SiteChanges()


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def edit_site(db: Session, name: str, changes: SiteChanges) -> tuple[Site, list[str]]:
    """Apply ``changes`` to site ``name``; returns it and a line per field
    that changed (``"title: 'A' -> 'B'"``). Every value is checked before any
    is changed."""
    site = get(db, name)
    if changes.empty():
        raise Invalid(
            "Nothing to change: give --origin, --add-origin, --remove-origin, --title, "
            "--[no-]require-verified-email, --[no-]premoderate or --[no-]fetch-metadata.",
        )
    origins = list(site.origins)
    if changes.origins is not None:
        origins = [clean_origin(o) for o in changes.origins]
    origins += [clean_origin(o) for o in changes.add_origins]
    for value in changes.remove_origins:
        origin = clean_origin(value)
        if origin not in origins:
            raise Invalid(
                f"{origin} is not an origin of site {name!r} (it has {' '.join(origins)}).",
                field="origin",
            )
        origins = [o for o in origins if o != origin]
    title = None if changes.title is None else clean_title(changes.title) or site.name
    if changes.moderation is not None and changes.moderation not in MODERATION:
        raise Invalid("moderation is 'post' or 'pre'.", field="moderation")
    said: list[str] = []
    before = list(site.origins)
    set_origins(db, site, origins)
    if site.origins != before:
        said.append(f"origins: {' '.join(before)} -> {' '.join(site.origins)}")
    if title is not None and title != site.title:
        said.append(f"title: {site.title!r} -> {title!r}")
        site.title = title
    flags = (
        ("require verified email", "require_verified_email", changes.require_verified_email),
        ("fetch metadata", "fetch_metadata", changes.fetch_metadata),
    )
    for label, attr, wanted in flags:
        if wanted is not None and wanted != getattr(site, attr):
            said.append(f"{label}: {_yes(getattr(site, attr))} -> {_yes(wanted)}")
            setattr(site, attr, wanted)
    if changes.moderation is not None and changes.moderation != site.moderation:
        said.append(f"moderation: {site.moderation} -> {changes.moderation}")
        site.moderation = changes.moderation
    db.flush()
    changed(db, "site", site.name)
    return site, said


def rotate_secret(db: Session, name: str) -> Site:
    """A new SSO secret for the site: tokens signed with the old one are
    refused from the next request on."""
    site = get(db, name)
    site.sso_secret = secrets.token_urlsafe(32)
    db.flush()
    return site


@dataclass(frozen=True)
class SiteContents:
    stories: int
    comments: int
    sso_readers: int

    def __str__(self) -> str:
        return (
            f"{self.stories} {'story' if self.stories == 1 else 'stories'}, "
            f"{self.comments} {'comment' if self.comments == 1 else 'comments'} and "
            f"{self.sso_readers} SSO {'reader' if self.sso_readers == 1 else 'readers'}"
        )


def contents(db: Session, site: Site) -> SiteContents:
    return SiteContents(*repository.contents(db, site.id))


def story_counts(db: Session) -> dict[int, int]:
    return repository.story_counts(db)


def remove_site(db: Session, name: str, *, force: bool = False) -> SiteContents:
    """Delete site ``name`` and, with ``force``, everything that is its: its
    stories with their comments and likes, its SSO readers with their
    sign-ins. Without ``force`` a site with stories or SSO readers is kept
    (409 ``site_not_empty``). Returns what was deleted."""
    site = get(db, name)
    found = contents(db, site)
    if (found.stories or found.sso_readers) and not force:
        raise SiteNotEmpty(
            f"Site {name!r} has {found}; `rostra site remove {name} --force` deletes "
            "the site with all of them."
        )
    for story_id in repository.story_ids(db, site.id):
        changed(db, "story", story_id)  # their cached pages go too
    repository.delete_site(db, site.id)
    db.expunge(site)
    changed(db, "site", name)
    return found
