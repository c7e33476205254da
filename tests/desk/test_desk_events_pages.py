"""GET /desk/events through a real server (SQLite and PostgreSQL): the
cookie session lets a moderator follow the queues of their own sites only;
held, reported, decided, deleted and claimed comments reach them."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rostra.desk import csrf, session
from rostra.http.deps import state_of
from rostra.models import Site, SiteRole
from tests.comments.conftest import API, quick_reader, user_id
from tests.comments.test_events import Stream
from tests.factories import ARTICLE, add_site
from tests.livesrv import live_server

OTHER_SITE_ARTICLE = "https://other.example/a/story"


class DeskStream(Stream):
    """``Stream``, on ``/desk/events`` with a desk cookie."""

    def __init__(self, base: str, token: str | None) -> None:
        import queue

        self.events = queue.Queue()
        self.status = 0
        self.headers = {}
        parts = urlsplit(base)
        self._sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
        lines = ["GET /desk/events HTTP/1.1", f"Host: {parts.netloc}", "Accept: text/event-stream"]
        if token:
            lines.append(f"Cookie: {session.COOKIE}={token}")
        self._sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self._file = self._sock.makefile("rb")
        self._read_head()
        self._thread = threading.Thread(target=self._run, daemon=True)
        if self.status == 200:
            self._thread.start()


@contextmanager
def desk_stream(base: str, token: str | None) -> Iterator[DeskStream]:
    s = DeskStream(base, token)
    try:
        yield s
    finally:
        s.close()


def _moderator(app: FastAPI, client: TestClient, on: Site, name: str) -> tuple[dict[str, str], str]:
    headers = quick_reader(app, name)
    with state_of(app).write_sessions() as db:
        db.add(SiteRole(site_id=on.id, user_id=user_id(client, headers), role="moderator"))
        db.commit()
    return headers, headers["Authorization"].split(" ", 1)[1]


def _form(base: str, path: str, token: str, secret: str, **data: str) -> httpx.Response:
    return httpx.post(
        f"{base}{path}", data={**data, "csrf": csrf.token_for(secret, token)},
        cookies={session.COOKIE: token}, headers={"Accept": "application/json"}, timeout=10,
    )  # fmt: skip


def test_the_desk_stream_carries_its_own_sites_queue(
    app: FastAPI, client: TestClient, site: Site
) -> None:
    other = add_site(app, "other", ["https://other.example"], moderation="pre")
    with state_of(app).write_sessions() as db:
        found = db.get(Site, site.id)
        assert found is not None
        found.moderation = "pre"
        db.commit()
    _, mine = _moderator(app, client, site, "Mine")
    _, theirs = _moderator(app, client, other, "Theirs")
    alice = quick_reader(app, "Alice")
    reader_token = quick_reader(app, "Reader")["Authorization"].split(" ", 1)[1]
    secret = state_of(app).settings.secret_key
    with live_server(app) as base:
        with desk_stream(base, None) as anonymous:
            assert anonymous.status == 303
        with desk_stream(base, reader_token) as reader:
            assert reader.status == 403
        with desk_stream(base, mine) as a, desk_stream(base, theirs) as b:
            assert a.status == b.status == 200
            _, kind, ready = a.next()
            assert kind == "ready" and ready["sites"] == [site.id]
            assert b.next()[2]["sites"] == [other.id]
            r = httpx.post(f"{base}{API}/comments", json={"url": ARTICLE, "body": "Held."},
                           headers=alice, timeout=10)  # fmt: skip
            assert r.status_code == 202, r.text
            cid = r.json()["id"]
            _, kind, data = a.next()
            assert kind == "queue.held" and data["id"] == cid
            r = _form(base, f"/desk/comments/{cid}/claim", mine, secret)
            assert r.status_code == 200, r.text
            _, kind, data = a.next()
            assert kind == "queue.claimed" and data["id"] == cid and data["name"] == "Mine"
            r = _form(base, f"/desk/comments/{cid}/decision", mine, secret, action="approve")
            assert r.status_code == 200, r.text
            _, kind, data = a.next()
            assert kind == "queue.decided" and data["id"] == cid and data["action"] == "approve"
            r = httpx.post(f"{base}{API}/comments", json={"url": ARTICLE, "body": "Then gone."},
                           headers=alice, timeout=10)  # fmt: skip
            gone = r.json()["id"]
            assert a.next()[1] == "queue.held"
            r = httpx.delete(f"{base}{API}/comments/{gone}", headers=alice, timeout=10)
            assert r.status_code in (200, 204), r.text
            _, kind, data = a.next()
            assert kind == "queue.removed" and data["id"] == gone
            assert b.quiet()  # nothing of another site's queue
            r = httpx.post(f"{base}{API}/comments",
                           json={"url": OTHER_SITE_ARTICLE, "body": "Theirs."},
                           headers=alice, timeout=10)  # fmt: skip
            assert r.status_code == 202
            assert b.next()[1] == "queue.held"
            assert a.quiet()
