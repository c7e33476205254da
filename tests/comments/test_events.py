"""GET /api/v1/events through a real server: every change of a story reaches
its open streams, held comments reach only their author, a reconnect with
Last-Event-ID gets exactly what it missed, and bad requests are refused."""

from __future__ import annotations

import contextlib
import json
import queue
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from rostra.http.deps import state_of
from rostra.models import SiteRole
from tests.comments.conftest import API, quick_reader
from tests.factories import ARTICLE, add_site, like_url
from tests.livesrv import live_server

OTHER = "https://news.example/world/2026/elsewhere"


class Stream:
    """An SSE client on a thread, on a plain socket (so that closing it is
    immediate and the server sees the client go): events land in a queue as
    (id, name, data)."""

    def __init__(self, base: str, url: str, headers: dict[str, str]) -> None:
        self.events: queue.Queue[tuple[str, str, Any]] = queue.Queue()
        self.status = 0
        self.headers: dict[str, str] = {}
        parts = urlsplit(base)
        self._sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
        query = urlencode({"url": url})
        lines = [f"GET {API}/events?{query} HTTP/1.1", f"Host: {parts.netloc}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self._sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self._file = self._sock.makefile("rb")
        self._read_head()
        self._thread = threading.Thread(target=self._run, daemon=True)
        if self.status == 200:  # else the body is a JSON refusal, read by body()
            self._thread.start()

    def _read_head(self) -> None:
        status = self._file.readline().decode()
        self.status = int(status.split()[1])
        while (line := self._file.readline().decode().strip()) != "":
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()

    def body(self) -> Any:
        """The JSON body of a refusal (sent with a Content-Length)."""
        return json.loads(self._file.read(int(self.headers["content-length"])))

    def _chunks(self) -> Iterator[bytes]:
        while size := int(self._file.readline().strip() or b"0", 16):
            yield self._file.read(size)
            self._file.readline()

    def _run(self) -> None:
        self._sock.settimeout(None)
        buffer = b""
        try:
            for chunk in self._chunks():
                buffer += chunk
                *blocks, buffer = buffer.split(b"\n\n")
                for block in blocks:
                    fields = {}
                    for line in block.decode().splitlines():
                        if line and not line.startswith(":"):
                            name, _, value = line.partition(":")
                            fields[name] = value.removeprefix(" ")
                    if "event" in fields:
                        data = json.loads(fields.get("data", "null"))
                        self.events.put((fields.get("id", ""), fields["event"], data))
        except (OSError, ValueError):
            pass

    def next(self, timeout: float = 10) -> tuple[str, str, Any]:
        return self.events.get(timeout=timeout)

    def quiet(self, seconds: float = 0.5) -> bool:
        try:
            self.events.get(timeout=seconds)
        except queue.Empty:
            return True
        return False

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        if self._thread.is_alive():
            self._thread.join(timeout=5)


@contextmanager
def server(app: FastAPI) -> Iterator[str]:
    with live_server(app) as base:
        yield base


@contextmanager
def stream(base: str, url: str = ARTICLE, **headers: str) -> Iterator[Stream]:
    s = Stream(base, url, headers)
    try:
        yield s
    finally:
        s.close()


def _post(base: str, who: dict[str, str], body: str, **fields: Any) -> httpx.Response:
    return httpx.post(f"{base}{API}/comments", json={"url": ARTICLE, "body": body, **fields},
                      headers=who, timeout=10)  # fmt: skip


def test_a_story_streams_every_change(app: FastAPI) -> None:
    add_site(app)
    alice, bob = quick_reader(app, "Alice"), quick_reader(app, "Bob")
    with server(app) as base, stream(base) as anon:
        assert anon.status == 200
        assert anon.headers["content-type"].startswith("text/event-stream")
        assert anon.headers["x-accel-buffering"] == "no"
        assert "no-cache" in anon.headers["cache-control"]
        assert anon.next() == ("0", "ready", {"url": ARTICLE, "viewer": None})

        made = _post(base, alice, "First *words*").json()
        event_id, name, data = anon.next()
        assert (event_id, name) == ("1", "comment.created")
        assert data["comment_count"] == 1
        comment = data["comment"]
        assert comment["id"] == made["id"] and comment["html"] == "<p>First <em>words</em></p>"
        assert comment["author"]["display_name"] == "Alice"
        assert comment["body"] is None and comment["is_mine"] is False  # nobody's own view

        reply = _post(base, bob, "A reply", parent_id=made["id"]).json()
        assert anon.next()[1:] == ("comment.created", {**anon_view(app, reply), "comment_count": 2})

        httpx.patch(f"{base}{API}/comments/{made['id']}", json={"body": "Changed"}, headers=alice)
        _, name, data = anon.next()
        assert name == "comment.updated" and data["comment"]["html"] == "<p>Changed</p>"

        httpx.put(f"{base}{like_url(made['id'])}", headers=bob)
        assert anon.next()[1:] == ("comment.liked", {"id": made["id"], "like_count": 1})

        httpx.delete(f"{base}{API}/comments/{made['id']}", headers=alice)
        assert anon.next()[1:] == (
            "comment.deleted",
            {"id": made["id"], "placeholder": True, "comment_count": 1},
        )
        assert anon.quiet()


def anon_view(app: FastAPI, answer: dict[str, Any]) -> dict[str, Any]:
    """The event data of a created comment, from the author's answer to the post."""
    public = {**answer, "body": None, "is_mine": False, "editable_until": None}
    return {"comment": public}


def test_held_comments_reach_only_their_author(app: FastAPI) -> None:
    add_site(app, moderation="pre")
    alice, bob = quick_reader(app, "Alice"), quick_reader(app, "Bob")
    with (
        server(app) as base,
        stream(base) as anon,
        stream(base, **alice) as own,
        stream(base, **bob) as other,
    ):
        assert anon.next()[1] == own.next()[1] == other.next()[1] == "ready"
        r = _post(base, alice, "Wait for me")
        assert r.status_code == 202
        event_id, name, data = own.next()
        assert name == "comment.held"
        assert event_id == "0.1"  # the story's channel, then the reader's own
        assert data["story_url"] == ARTICLE
        assert data["comment"]["status"] == "pending" and data["comment"]["body"] == "Wait for me"
        assert anon.quiet() and other.quiet()


def test_a_reconnect_gets_exactly_what_it_missed(app: FastAPI) -> None:
    add_site(app)
    alice = quick_reader(app, "Alice")
    with server(app) as base:
        with stream(base) as first:
            first.next()
            _post(base, alice, "one")
            last_id, _, _ = first.next()
        for n in ("two", "three"):
            _post(base, alice, n)
        with stream(base, **{"Last-Event-ID": last_id}) as again:
            assert again.next()[1] == "ready"
            got = [again.next() for _ in range(2)]
            assert [(i, d["comment"]["html"]) for i, _, d in got] == [
                ("2", "<p>two</p>"),
                ("3", "<p>three</p>"),
            ]
            assert again.quiet()
        # An id from further back than the log reaches, or never given: reload.
        with stream(base, **{"Last-Event-ID": "99"}) as lost:
            assert lost.next()[1] == "ready"
            assert lost.next()[:2] == ("3", "reload")


def test_another_story_hears_nothing(app: FastAPI) -> None:
    add_site(app)
    alice = quick_reader(app, "Alice")
    with server(app) as base, stream(base, OTHER) as elsewhere:
        elsewhere.next()
        _post(base, alice, "Not for you")
        assert elsewhere.quiet()


@pytest.mark.parametrize(
    ("url", "code"),
    [("notaurl", "invalid_url"), ("https://unknown.example/a", "url_not_allowed")],
)
def test_a_stream_of_no_article_is_refused(app: FastAPI, url: str, code: str) -> None:
    add_site(app)
    with server(app) as base:
        r = httpx.get(f"{base}{API}/events", params={"url": url}, timeout=10)
        assert r.status_code == 422 and r.json()["error"] == code


def test_streams_per_address_are_capped(app: FastAPI) -> None:
    add_site(app)
    state_of(app).hub.max_per_address = 2
    with server(app) as base, stream(base) as one, stream(base) as two:
        one.next(), two.next()
        with stream(base) as third:
            assert third.status == 429
            body = third.body()
            assert body["error"] == "too_many_streams" and third.headers["retry-after"]
        one.close()  # the server sees the client go, and frees its place
        deadline = time.monotonic() + 5
        while state_of(app).hub.per_address and time.monotonic() < deadline:
            if sum(state_of(app).hub.per_address.values()) < 2:
                break
            time.sleep(0.05)
        with stream(base) as fourth:
            assert fourth.status == 200 and fourth.next()[1] == "ready"


def test_streams_are_opened_by_the_lean_front(app: FastAPI) -> None:
    """An open stream is served before routing (``rostra.http.front``), so it
    holds no request's routing and dependency state; what it refuses (here
    a URL of no site) the route refuses with the documented error."""
    from tests.comments.test_front import front_of

    add_site(app)
    alice = quick_reader(app, "Alice")
    with server(app) as base:
        with stream(base) as anon:
            assert anon.next()[1] == "ready"
            front = front_of(app)
            before = front.answered
        with (
            stream(base, **alice) as mine,
            stream(base, **{"Authorization": "Bearer nobody"}) as nobody,
        ):
            assert mine.next()[2]["viewer"] is not None
            assert nobody.next()[2]["viewer"] is None  # an unknown token is ignored
            assert front.answered == before + 2
        r = httpx.get(
            f"{base}{API}/events", params={"url": "https://elsewhere.example/a"}, timeout=10
        )
        assert r.status_code == 422 and front.answered == before + 2


def _raw_stream(base: str, url: str = ARTICLE) -> socket.socket:
    """A stream asked for on a socket that reads nothing until told (its
    receive buffer kept tiny, so the server soon cannot write to it)."""
    parts = urlsplit(base)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((parts.hostname, parts.port))
    query = urlencode({"url": url})
    sock.sendall(f"GET {API}/events?{query} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode())
    return sock


def _ids_until_the_end(sock: socket.socket) -> list[int]:
    """The ids of the events a stream sends until it ends (its last chunk)."""
    sock.settimeout(10)
    reader = sock.makefile("rb")
    while reader.readline().strip():  # the head
        pass
    body = b""
    while size := int(reader.readline().strip() or b"0", 16):
        body += reader.read(size)
        reader.readline()
    return [
        int(block.split(b"\n", 1)[0].removeprefix(b"id: "))
        for block in body.split(b"\n\n")
        if b"event: test.event" in block
    ]


def test_a_client_that_stops_reading_is_dropped_and_the_others_miss_nothing(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Frames are written as they come; one the server cannot take at once
    (the client reads nothing) is finished later, and the frames behind it
    wait, up to MAX_QUEUED: then that stream ends, once what it was given
    is written, with every event up to there in order. The other streams get
    every event meanwhile."""
    from rostra.http.live import hub as hub_module
    from rostra.http.live import log

    monkeypatch.setattr(hub_module, "MAX_QUEUED", 3)
    add_site(app)
    state = state_of(app)
    with server(app) as base:
        stalled = _raw_stream(base)
        deadline = time.monotonic() + 10
        while not state.hub.subscriptions and time.monotonic() < deadline:
            time.sleep(0.02)
        with stream(base) as reader:
            assert reader.next()[1] == "ready"
            channel = next(iter(state.hub.topics))
            slow = next(iter(state.hub.topics[channel].subs))  # the first to follow it
            pad = "x" * 65536
            sent = 0
            while not slow.closed and sent < 300:
                with state.write_sessions() as db:
                    log.publish(db, channel, "test.event", {"n": sent + 1, "pad": pad})
                    db.commit()
                sent += 1
                assert reader.next()[:2] == (str(sent), "test.event")
            assert slow.closed, "a stream that reads nothing is never dropped"
            got = _ids_until_the_end(stalled)
            assert got == list(range(1, len(got) + 1)) and 0 < len(got) < sent
        stalled.close()


def test_a_stopping_server_ends_its_streams(app: FastAPI) -> None:
    """As a stop signal does (rostra.app), before the server waits for its
    open answers: each stream's answer ends, and its subscription is gone."""
    from rostra.http.live.hub import close_all_streams

    add_site(app)
    hub = state_of(app).hub
    with server(app) as base:
        sock = _raw_stream(base)
        deadline = time.monotonic() + 10
        while not hub.subscriptions and time.monotonic() < deadline:
            time.sleep(0.02)
        assert hub.subscriptions
        close_all_streams()
        assert _ids_until_the_end(sock) == []  # the answer's last chunk came
        while hub.subscriptions and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not hub.subscriptions and not hub.per_address
        sock.close()


def test_a_staff_authors_comment_wears_the_badge_in_every_view_of_it(app: FastAPI) -> None:
    """The answer to the post, the live event, the edit's event and the
    page all say ``is_staff`` alike: a reader who has no other comment of
    that author on screen sees the badge without reloading."""
    site = add_site(app)
    olha, ivan = quick_reader(app, "Olha"), quick_reader(app, "Ivan")
    with httpx.Client() as c, server(app) as base:
        me = c.get(f"{base}{API}/me", headers=olha).json()
        with state_of(app).write_sessions() as db:
            db.add(SiteRole(site_id=site.id, user_id=me["id"], role="staff"))
            db.commit()
        with stream(base) as anon:
            anon.next()  # ready
            made = _post(base, olha, "From the newsroom.").json()
            assert made["author"]["is_staff"] is True
            _, name, data = anon.next()
            assert name == "comment.created" and data["comment"]["author"]["is_staff"] is True
            edited = c.patch(
                f"{base}{API}/comments/{made['id']}", json={"body": "Edited."}, headers=olha
            )
            assert edited.json()["author"]["is_staff"] is True
            _, name, data = anon.next()
            assert name == "comment.updated" and data["comment"]["author"]["is_staff"] is True
            plain = _post(base, ivan, "A reader.").json()
            assert plain["author"]["is_staff"] is False
            assert anon.next()[2]["comment"]["author"]["is_staff"] is False
        page = c.get(f"{base}{API}/comments", params={"url": ARTICLE}).json()
        badges = {x["id"]: x["author"]["is_staff"] for x in page["comments"]}
        assert badges == {made["id"]: True, plain["id"]: False}
