"""Plain factory functions and shared checks for tests: sites, readers,
signed-in clients, rate-limit answers, inert HTML."""

from __future__ import annotations

import itertools
import re
from html.parser import HTMLParser
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from rostra.http.deps import state_of
from rostra.models import Site
from rostra.sites import service as sites

ARTICLE = "https://news.example/world/2026/river-crossing"
OTHER_ARTICLE = "https://news.example/politics/budget-vote"
_seq = itertools.count(1)


def add_site(app: FastAPI, name: str = "news", origins: list[str] | None = None, **kw: Any) -> Site:
    with state_of(app).write_sessions() as db:
        site = sites.add_site(db, name, origins or ["https://news.example"], **kw)
        db.commit()
        return site


def register(
    client: TestClient,
    email: str | None = None,
    password: str = "correct horse 1",
    display_name: str | None = None,
) -> dict[str, Any]:
    n = next(_seq)
    email = email or f"reader{n}@example.org"
    r = client.post(
        "/api/v1/auth/register",
        json={"email": email, "password": password, "display_name": display_name or f"Reader {n}"},
    )
    assert r.status_code == 202, r.text
    return {"email": email, "password": password}


def login(client: TestClient, email: str, password: str) -> str:
    r = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    token: str = r.json()["token"]
    return token


def reader(client: TestClient, **kw: Any) -> dict[str, str]:
    """Register and sign in a new reader; returns the Authorization header."""
    creds = register(client, **kw)
    return {"Authorization": f"Bearer {login(client, creds['email'], creds['password'])}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def like_url(comment_id: int) -> str:
    return f"/api/v1/comments/{comment_id}/reactions/like"


def assert_limited(r: Any, window: int = 60) -> None:
    """A 429 ``rate_limited`` answer saying when to try again."""
    assert r.status_code == 429, r.text
    assert r.json()["error"] == "rate_limited"
    assert 1 <= int(r.headers["retry-after"]) <= window


# What a comment's HTML may hold (rostra.comments.render's allow-list).
COMMENT_ELEMENTS = {
    "p": set(),
    "br": set(),
    "em": set(),
    "strong": set(),
    "blockquote": set(),
    "ul": set(),
    "li": set(),
    "code": set(),
    "pre": set(),
    "a": {"href", "target", "rel"},
    "ol": {"start"},
}


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def assert_inert(html: str) -> None:
    """A comment's HTML: only allowed elements and attributes; links only to
    http(s) and mail, with rel="nofollow ugc noopener"."""
    parser = _Elements()
    parser.feed(html)
    for tag, attrs in parser.found:
        assert tag in COMMENT_ELEMENTS, html
        assert set(attrs) <= COMMENT_ELEMENTS[tag], html
        href = attrs.get("href")
        if href is not None:
            assert href.startswith(("http://", "https://", "mailto:")), html
        if tag == "a":
            assert attrs.get("rel") == "nofollow ugc noopener", html


def assert_page_inert(html: str) -> None:
    """A whole page: no inline script, no event-handler attribute, no
    javascript: URL (whatever the comments on it said)."""
    for chunk in html.split("<script")[1:]:
        tag = chunk.split(">", 1)[0]
        assert "src=" in tag or 'type="application/json"' in tag, "an inline script got through"
    assert not re.search(r"<[^>]+\son\w+=", html), "an event handler attribute got through"
    assert not re.search(r"""(href|src)\s*=\s*["']?\s*javascript:""", html, re.I)
