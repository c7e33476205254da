"""What an article page's head says of itself: its title, canonical URL and
publication time, read with the standard library's ``html.parser`` (no
regular expression goes over HTML). Pure functions of the page's bytes; the
fetching, and its rules, are ``rostra.stories.metadata``'s."""

from __future__ import annotations

import codecs
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import urljoin

from rostra.errors import InvalidUrl
from rostra.urls import normalise, origin_of

MAX_TITLE = 300


@dataclass(frozen=True)
class PageMetadata:
    title: str | None
    canonical_url: str | None
    published_at: datetime | None


def on_origins(url: str, origins: Iterable[str]) -> bool:
    """Whether ``url`` is on one of ``origins`` (normalised origins)."""
    try:
        return origin_of(url) in set(origins)
    except InvalidUrl:
        return False


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        codec = codecs.lookup(name.strip()).name
    except LookupError:
        return None
    # A page cannot be UTF-16 and declare so in ASCII; HTML reads it as UTF-8.
    return "utf-8" if codec.startswith("utf-16") else codec


class _Done(Exception):
    """The head is over: nothing after it is read."""


class _Head(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.og_title: str | None = None
        self.title: str | None = None
        self.canonical: str | None = None
        self.published: str | None = None
        self.charset: str | None = None
        self._title_parts: list[str] | None = None
        self._svg = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            raise _Done
        a = {name: value or "" for name, value in attrs}
        if tag == "svg":
            self._svg += 1
        elif tag == "title" and not self._svg and self.title is None:
            self._title_parts = []
        elif tag == "meta":
            self._meta(a)
        elif tag == "link" and "canonical" in a.get("rel", "").lower().split():
            self.canonical = self.canonical if self.canonical is not None else a.get("href", "")

    def _meta(self, a: dict[str, str]) -> None:
        key = (a.get("property") or a.get("name") or "").strip().lower()
        if key == "og:title" and self.og_title is None:
            self.og_title = a.get("content", "")
        elif key == "article:published_time" and self.published is None:
            self.published = a.get("content", "")
        if a.get("charset"):
            self.charset = self.charset or a["charset"]
        elif a.get("http-equiv", "").lower() == "content-type":
            for param in a.get("content", "").split(";")[1:]:
                name, _, value = param.partition("=")
                if name.strip().lower() == "charset":
                    self.charset = self.charset or value.strip().strip("'\"")

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            raise _Done
        if tag == "svg" and self._svg:
            self._svg -= 1
        elif tag == "title" and self._title_parts is not None:
            self.title = "".join(self._title_parts)
            self._title_parts = None

    def handle_data(self, data: str) -> None:
        if self._title_parts is not None:
            self._title_parts.append(data)


def _head(text: str) -> _Head:
    head = _Head()
    try:
        head.feed(text)
        head.close()
    except _Done:
        pass
    if head._title_parts is not None and head.title is None:  # <title> never closed
        head.title = "".join(head._title_parts)
    return head


# Marks that reorder text (bidirectional overrides and isolates): in a title
# they could make it read as something else.
_BIDI = frozenset("\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean_title(raw: str | None) -> str | None:
    """A title as shown: one line, white space collapsed, control and
    reordering characters dropped, at most ``MAX_TITLE`` characters (entities
    are decoded by the parser). None when nothing is left."""
    if raw is None:
        return None
    kept = []
    for ch in raw:
        if ch.isspace():
            kept.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cs") or ch in _BIDI:
            continue
        else:
            kept.append(ch)
    text = " ".join("".join(kept).split())
    if len(text) > MAX_TITLE:
        text = text[: MAX_TITLE - 1].rstrip() + "…"
    return text or None


def parse_time(raw: str | None) -> datetime | None:
    """An ISO 8601 time (``2026-11-23T08:00:00+01:00``, ``…Z``, a bare
    date) in UTC; a time with no zone is taken as UTC. None if unreadable."""
    value = (raw or "").strip()
    if not value or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _canonical(href: str | None, page_url: str, origins: Iterable[str]) -> str | None:
    if not href or not href.strip():
        return None
    try:
        url = normalise(urljoin(page_url, href.strip()))
    except (InvalidUrl, ValueError):
        return None
    return url if on_origins(url, origins) else None


def decode(data: bytes, charset: str | None) -> str:
    """The page's text, in the charset its Content-Type names, else the one
    its ``<meta charset>`` names, else UTF-8; undecodable bytes replaced."""
    codec = _codec(charset)
    if codec:
        return data.decode(codec, errors="replace")
    text = data.decode("utf-8", errors="replace")
    declared = _codec(_head(text).charset)
    if declared and declared != "utf-8":
        return data.decode(declared, errors="replace")
    return text


def parse(text: str, page_url: str, origins: Iterable[str]) -> PageMetadata:
    """What the page says of itself: ``og:title``, else ``<title>``; its
    ``<link rel=canonical>`` if on the site's origins; its
    ``article:published_time``."""
    origins = tuple(origins)
    head = _head(text)
    title = clean_title(head.og_title) or clean_title(head.title)
    return PageMetadata(
        title=title,
        canonical_url=_canonical(head.canonical, page_url, origins),
        published_at=parse_time(head.published),
    )
