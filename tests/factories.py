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


def seen_by(data: dict[str, Any], cap: int = 6) -> dict[str, Any]:
    """A page of ``GET /comments`` or ``/replies`` as a client shows it to the
    signed-in reader: the ``viewer`` overlay laid over the shared page by the
    rules of docs/api.md (what the embed's viewer.js does)."""
    v = data.get("viewer")
    if not v:
        return data
    liked = set(v["liked"])
    blocked = set(v["blocked"])
    mine = {m["id"]: m for m in v["mine"]}
    key = "comments" if "comments" in data else "replies"
    # id -> (node, the list holding it, level shown)
    nodes: dict[int, tuple[dict[str, Any], list[dict[str, Any]], int]] = {}

    def walk(items: list[dict[str, Any]], level: int) -> None:
        for n in items:
            n["liked"] = n["id"] in liked
            n["collapsed"] = n["author"] is not None and n["author"]["id"] in blocked
            if n["id"] in mine:
                n.update(mine[n["id"]], is_mine=True)
            nodes[n["id"]] = (n, items, level)
            walk(n["replies"], level + 1)

    walk(data[key], 0 if key == "comments" else 1)
    if key != "comments":
        return data
    for held in v["held"]:
        node = dict(held, replies=[])
        parent = nodes.get(node["parent_id"] or 0)
        if node["parent_id"] is None:
            data["comments"].insert(0, node)
            level = 0
        elif parent is not None and parent[2] < cap:
            _insert(parent[0]["replies"], node)
            level = parent[2] + 1
        elif parent is not None:
            _insert(parent[1], node)
            level = cap
            name = (parent[0]["author"] or {}).get("display_name")
            node["reply_to"] = {"id": parent[0]["id"], "display_name": name}
        elif node["thread_id"] in nodes:
            _insert(nodes[node["thread_id"]][0]["replies"], node)
            level = 1
            node["reply_to"] = {"id": node["parent_id"], "display_name": None}
        else:
            continue
        nodes[node["id"]] = (node, data["comments"] if level == 0 else [], level)
        # Replies shown elsewhere because this one was hidden come under it.
        for other, holder, _ in list(nodes.values()):
            if (other.get("reply_to") or {}).get("id") == node["id"] and level < cap:
                holder.remove(other)
                other["reply_to"] = None
                _insert(node["replies"], other)
                nodes[other["id"]] = (other, node["replies"], level + 1)
    return data


def _insert(items: list[dict[str, Any]], node: dict[str, Any]) -> None:
    """Into a list of replies (oldest first), by id, as the embed places it."""
    at = next((i for i, n in enumerate(items) if n["id"] > node["id"]), len(items))
    items.insert(at, node)
