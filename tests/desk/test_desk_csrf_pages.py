"""CSRF refusal on EVERY desk form: the test finds the desk's POST routes in
the app itself, so a new form cannot skip it (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from rostra.http.deps import state_of
from rostra.models import AuditEntry, Ban, Comment, Site
from tests.comments.conftest import post
from tests.desk.pages_support import DeskClient, moderator, page_token, reader_desk


def _walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, set[str]]]:
    """Every route with its full path, into included routers (FastAPI keeps
    an included router whole, with the prefix it was included under)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, set(route.methods or ())
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _walk(inner.routes, prefix + route.include_context.prefix)


def desk_posts(app: FastAPI) -> list[str]:
    found = [p for p, methods in _walk(app.routes) if p.startswith("/desk") and "POST" in methods]
    assert "/desk/signin" in found and "/desk/signout" in found
    return sorted(found)


def _fill(path: str, comment_id: int, user_id: int) -> str:
    path = path.replace("{comment_id}", str(comment_id)).replace("{user_id}", str(user_id))
    return re.sub(r"\{[a-z_]+\}", "1", path)


def _nothing_changed(app: FastAPI, audit_before: int) -> None:
    with state_of(app).read_sessions() as db:
        assert db.scalar(select(func.count()).select_from(AuditEntry)) == audit_before
        assert db.scalar(select(func.count()).select_from(Ban)) == 0


def test_every_desk_post_refuses_a_missing_wrong_or_foreign_csrf_token(
    app: FastAPI, client: TestClient, site: Site, alice: dict[str, str]
) -> None:
    cid = post(client, alice).json()["id"]
    with state_of(app).read_sessions() as db:
        author = db.get(Comment, cid)
        assert author is not None and author.author_id is not None
        uid = author.author_id
        audit_before = db.scalar(select(func.count()).select_from(AuditEntry)) or 0
    mod = moderator(app, client, site, "admin")
    other = moderator(app, client, site, name="Other mod")
    anonymous = DeskClient(app, None)
    anonymous.get("/desk/signin")  # has a pre-session cookie, and so a token of its own
    form = {
        "action": "reject", "reason": "spam", "duration": "3600", "ids": str(cid),
        "email": "x@example.org", "password": "whatever 123", "comment_id": str(cid),
    }  # fmt: skip
    routes = desk_posts(app)
    for path in routes:
        url = _fill(path, cid, uid)
        who = anonymous if path == "/desk/signin" else mod
        if path == "/desk/signin":
            foreign = page_token(DeskClient(app, None).get("/desk/signin").text)
        else:
            foreign = other.csrf
        for token in (None, "", "0" * 64, foreign):
            sent = who.post(url, form, token=token if token != "" else "tampered")
            assert sent.status_code == 403, (path, token, sent.text)
            assert "csrf_failed" in sent.text, path
            json = who.post(url, form, token=None, headers={"Accept": "application/json"})
            assert json.status_code == 403 and json.json()["error"] == "csrf_failed", path
        _nothing_changed(app, audit_before)
    with state_of(app).read_sessions() as db:
        row = db.get(Comment, cid)
        assert row is not None and row.status == "published"


def test_anonymous_and_readers_reach_no_desk_post(
    app: FastAPI, client: TestClient, site: Site, alice: dict[str, str]
) -> None:
    cid = post(client, alice).json()["id"]
    reader = reader_desk(app)
    anonymous = DeskClient(app, None)
    for path in desk_posts(app):
        if path in ("/desk/signin", "/desk/signout"):
            continue
        url = _fill(path, cid, 1)
        assert anonymous.post(url, {"action": "reject"}, token="0" * 64).status_code == 401, path
        # a reader's own, valid token: still not a moderator
        assert reader.post(url, {"action": "reject"}).status_code == 403, path
    with state_of(app).read_sessions() as db:
        row = db.get(Comment, cid)
        assert row is not None and row.status == "published"
