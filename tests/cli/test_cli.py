"""The `rostra` command, run as an operator would, against a throwaway data dir."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from click.testing import CliRunner

from rostra.cli.main import main
from rostra.config import Settings
from rostra.http.deps import state_of
from tests.livesrv import free_port

# The newest migration, by its number (docs/development.md).
HEAD = max(
    p.name.split("_")[3]
    for p in (Path(__file__).parents[2] / "src/rostra/migrations/versions").glob("2*.py")
)


def run(env: dict[str, str], *args: str, input: str | None = None) -> str:
    result = CliRunner().invoke(main, list(args), env=env, input=input)
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def test_help_lists_the_commands() -> None:
    out = CliRunner().invoke(main, ["--help"]).output
    for command in ("serve", "migrate", "createadmin", "site", "worker"):
        assert command in out


def test_migrate(env: dict[str, str]) -> None:
    assert f"database at revision {HEAD}" in run(env, "migrate")


def test_site_add_and_list(env: dict[str, str]) -> None:
    out = run(
        env,
        "site",
        "add",
        "ledger",
        "--origin",
        "https://Ledger.example/",
        "--origin",
        "https://www.ledger.example",
        "--require-verified-email",
    )
    assert "site ledger added: https://ledger.example https://www.ledger.example" in out
    assert "SSO secret:" in out
    listing = run(env, "site", "list").splitlines()
    columns = "NAME  TITLE  ORIGINS  VERIFIED EMAIL  MODERATION  FETCH METADATA  STORIES"
    assert re.split(r"\s{2,}", listing[0]) == columns.split("  ")
    assert listing[1].split() == [
        "ledger",
        "ledger",
        "https://ledger.example,https://www.ledger.example",
        "required",
        "post",
        "yes",
        "0",
    ]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["site", "add", "Bad Name", "--origin", "https://a.example"], "site name"),
        (["site", "add", "a", "--origin", "https://a.example/path"], "not an origin"),
        (["site", "add", "a", "--origin", "ftp://a.example"], "http"),
    ],
)
def test_site_add_refuses_bad_input(env: dict[str, str], args: list[str], says: str) -> None:
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code != 0
    assert says in result.output


def test_site_origin_cannot_belong_to_two_sites(env: dict[str, str]) -> None:
    run(env, "site", "add", "one", "--origin", "https://a.example")
    result = CliRunner().invoke(
        main, ["site", "add", "two", "--origin", "https://a.example"], env=env
    )
    assert result.exit_code != 0
    assert "already belongs to site 'one'" in result.output


def test_createadmin_makes_an_admin_who_can_sign_in(env: dict[str, str]) -> None:
    out = run(
        env,
        "createadmin",
        "--email",
        "Editor@Example.org",
        "--name",
        "Editor",
        "--password",
        "a long admin password",
    )
    assert "administrator editor@example.org" in out
    from fastapi.testclient import TestClient

    from rostra.app import create_app
    from rostra.config import load_settings

    os.environ.update(env)
    try:
        app = create_app(load_settings(demo=False), run_jobs=False)
    finally:
        for name in env:
            os.environ.pop(name, None)
    with TestClient(app) as client:
        r = client.post(
            "/api/v1/auth/login",
            json={"email": "editor@example.org", "password": "a long admin password"},
        )
        assert r.status_code == 200, r.text
        assert r.json()["user"]["is_admin"] is True
    state_of(app).engine.dispose()


def test_serve_starts_the_server_with_the_demo(tmp_path: Path) -> None:
    """`rostra serve` as the Quick start runs it: SQLite in a fresh data dir."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROSTRA_")}
    env["ROSTRA_DATA_DIR"] = str(tmp_path / "data")
    proc = subprocess.Popen(
        [sys.executable, "-m", "rostra", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                if r.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "server did not start in 30 s"
            time.sleep(0.2)
        front = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert front.status_code == 200
        assert (tmp_path / "data" / "rostra.db").exists()
        counts = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/counts",
            params={"url": f"http://127.0.0.1:{port}/demo/articles/x"},
            timeout=5,
        )
        assert counts.status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_comments_rerender(env: dict[str, str], settings: Settings) -> None:
    """Comments stored under older rendering rules (here: no line breaks, no
    bare links) are rendered again from their Markdown, batch by batch; the
    stories' cached pages are retired, across processes through Redis."""
    import uuid

    import redis
    from fastapi.testclient import TestClient
    from sqlalchemy import select, update

    from rostra.app import create_app
    from rostra.models import Comment
    from tests.comments.conftest import post, quick_reader
    from tests.factories import ARTICLE, OTHER_ARTICLE, add_site

    redis_url = os.environ.get("ROSTRA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    prefix = f"rostra-test:{uuid.uuid4().hex[:12]}:"
    shared = settings.model_copy(update={"redis_url": redis_url, "redis_prefix": prefix})
    app = create_app(shared, migrate_on_start=False, run_jobs=False)
    try:
        with TestClient(app, base_url="http://rostra.test") as client:
            add_site(app)
            alice = quick_reader(app, "Alice")
            bodies = ["one\ntwo", "see https://example.org/x", "plain", "![](https://x.example)"]
            ids = [post(client, alice, b).json()["id"] for b in bodies]
            ids.append(post(client, alice, "elsewhere\nhere", url=OTHER_ARTICLE).json()["id"])
            doomed = post(client, alice, "to delete").json()
            post(client, alice, "reply keeps it", parent_id=doomed["id"])
            client.delete(f"/api/v1/comments/{doomed['id']}", headers=alice)
            # As an older version rendered them.
            old = {
                ids[0]: "<p>one\ntwo</p>",
                ids[1]: "<p>see https://example.org/x</p>",
                ids[3]: "<p>!<a></a></p>",
                ids[4]: "<p>elsewhere\nhere</p>",
            }
            with state_of(app).write_sessions() as db:
                for cid, html in old.items():
                    db.execute(update(Comment).where(Comment.id == cid).values(html=html))
                db.commit()
            # Anonymous first pages are cached now, with the old HTML.
            before = client.get("/api/v1/comments", params={"url": ARTICLE}).json()
            assert "<p>one\ntwo</p>" in [c["html"] for c in before["comments"]]
            out = run(
                {**env, "ROSTRA_REDIS_URL": redis_url, "ROSTRA_REDIS_PREFIX": prefix},
                "comments",
                "rerender",
                "--batch",
                "2",
            )
            assert "6 comments rendered again: 4 changed, on 2 stories" in out
            with state_of(app).read_sessions() as db:
                stored = {cid: h for cid, h in db.execute(select(Comment.id, Comment.html))}
                edited = db.scalars(select(Comment.edited_at)).all()
            assert stored[ids[0]] == "<p>one<br>\ntwo</p>"
            assert '<a href="https://example.org/x"' in stored[ids[1]]
            assert stored[ids[2]] == "<p>plain</p>"
            assert ">https://x.example</a>" in stored[ids[3]]
            assert stored[doomed["id"]] == ""  # a deleted placeholder stays empty
            assert edited == [None] * len(edited)  # not an edit
            after = client.get("/api/v1/comments", params={"url": ARTICLE}).json()
            assert "<p>one<br>\ntwo</p>" in [c["html"] for c in after["comments"]]
            # Run again: nothing left to change.
            again = run(
                {**env, "ROSTRA_REDIS_URL": redis_url, "ROSTRA_REDIS_PREFIX": prefix},
                "comments",
                "rerender",
            )
            assert "6 comments rendered again: 0 changed, on 0 stories" in again
    finally:
        state_of(app).engine.dispose()
        keys = list(redis.Redis.from_url(redis_url).scan_iter(match=prefix + "*"))
        if keys:
            redis.Redis.from_url(redis_url).delete(*keys)


def test_createadmin_with_a_site_gives_a_role_there_only(env: dict[str, str]) -> None:
    run(env, "site", "add", "ledger", "--origin", "https://ledger.example")
    run(env, "site", "add", "other", "--origin", "https://other.example")
    result = CliRunner().invoke(
        main,
        ["createadmin", "--email", "d@x.org", "--name", "D", "--password", "a long password!",
         "--site", "nowhere"],
        env=env,
    )  # fmt: skip
    assert result.exit_code != 0 and "nowhere" in result.output
    out = run(
        env, "createadmin", "--email", "desk@ledger.example", "--name", "Night desk",
        "--password", "a long desk password", "--site", "ledger", "--role", "moderator",
    )  # fmt: skip
    assert "moderator of ledger: desk@ledger.example" in out
    from fastapi.testclient import TestClient

    from rostra.app import create_app
    from rostra.config import load_settings

    os.environ.update(env)
    try:
        app = create_app(load_settings(demo=False), run_jobs=False)
    finally:
        for name in env:
            os.environ.pop(name, None)
    with TestClient(app) as client:
        r = client.post(
            "/api/v1/auth/login",
            json={"email": "desk@ledger.example", "password": "a long desk password"},
        )
        assert r.status_code == 200, r.text
        assert r.json()["user"]["is_admin"] is False
        headers = {"Authorization": f"Bearer {r.json()['token']}"}
        queue = "/api/v1/moderation/queue"
        assert client.get(queue, params={"site": "ledger"}, headers=headers).status_code == 200
        assert client.get(queue, params={"site": "other"}, headers=headers).status_code == 403
        r = client.get("/api/v1/moderation/audit", headers=headers)
        assert [e["action"] for e in r.json()["entries"]] == ["role.set"]
    state_of(app).engine.dispose()


def test_moderation_evaluate_prints_the_figures_and_writes_decisions(
    env: dict[str, str], tmp_path: Path
) -> None:
    data = tmp_path / "set.csv"
    data.write_text(
        "text,label\nThanks for the report.,0\nYou are a stupid idiot.,1\n"
        "What a sc\u00fcmbag.,1\nThe vote is on Friday.,0\n",
        encoding="utf-8",
    )
    run(env, "site", "add", "ledger", "--origin", "https://ledger.example")
    out = run(env, "moderation", "set", "ledger", "--ban", "scumbag", "--hold", "0.5")
    assert "banned scumbag" in out and "hold 0.5" in out
    decisions = tmp_path / "out.csv"
    out = run(
        env, "moderation", "evaluate", str(data), "--site", "ledger", "--decisions", str(decisions)
    )
    assert "precision 1.000" in out and "recall 1.000" in out and "false-hold rate 0.000" in out
    assert "comments/s" in out
    lines = decisions.read_text("utf-8").splitlines()
    assert lines[0] == "text,label,decision,step,score"
    assert lines[3].startswith("What a sc\u00fcmbag.,1,rejected,words,")
    assert lines[2].startswith("You are a stupid idiot.,1,pending,toxicity,")
    bad = tmp_path / "bad.csv"
    bad.write_text("body,label\nx,0\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["moderation", "evaluate", str(bad)], env=env)
    assert result.exit_code != 0 and "text,label" in result.output
    result = CliRunner().invoke(main, ["moderation", "set", "ledger", "--nudge", "0.9"], env=env)
    assert result.exit_code != 0 and "nudge threshold" in result.output


def test_moderation_set_changes_the_surge_edit_window_and_auto_close_settings(
    env: dict[str, str],
) -> None:
    run(env, "site", "add", "ledger", "--origin", "https://ledger.example")
    out = run(
        env, "moderation", "set", "ledger", "--edit-window", "300", "--surge-threshold", "25",
        "--surge-action", "slow_mode", "--surge-slow-mode", "90", "--auto-close-days", "14",
    )  # fmt: skip
    assert "edit window 300" in out and "surge 25/min (slow_mode)" in out
    assert "auto-close 14" in out
    result = CliRunner().invoke(
        main, ["moderation", "set", "ledger", "--surge-action", "panic"], env=env
    )
    assert result.exit_code != 0 and "surge-action" in result.output
    out = run(env, "moderation", "set", "ledger", "--surge-threshold", "0")
    assert "surge off;" in out and "edit window 300" in out


def test_the_shipped_labelled_set_meets_the_targets(env: dict[str, str]) -> None:
    """The defaults in the README come from this run (data/moderation/README.md)."""
    labelled = Path(__file__).parents[2] / "data/moderation/labelled.csv"
    out = run(env, "moderation", "evaluate", str(labelled))
    figures = dict(line.rsplit(" ", 1) for line in out.splitlines()[1:])
    assert float(figures["recall"]) >= 0.85
    assert float(figures["false-hold rate"]) <= 0.10


def _open_stream(port: int, url: str) -> tuple[socket.socket, int]:
    """A live stream on a raw socket: (the socket, its status); the body follows."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    query = urlencode({"url": url})
    sock.sendall(f"GET /api/v1/events?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        part = sock.recv(1)
        assert part, "the stream closed before its head"
        head += part
    return sock, int(head.split()[1])


def _read_until(sock: socket.socket, needle: bytes, seconds: float = 10) -> bytes:
    sock.settimeout(seconds)
    got = b""
    while needle not in got:
        part = sock.recv(65536)
        assert part, f"closed before {needle!r}: {got!r}"
        got += part
    return got


def test_serve_stops_gracefully_ending_live_streams(tmp_path: Path) -> None:
    """SIGTERM to `rostra serve`: a request in flight is answered, open live
    streams end at once with the chunked body's last chunk (so clients
    reconnect elsewhere), and the process exits well before its 10 s bound.
    On the way: an event reaches a stream, and a client that goes away frees
    its place (the per-address limit is 2 here)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    article = "https://news.example/world/stop"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROSTRA_")}
    env |= {
        "ROSTRA_DATA_DIR": str(tmp_path / "data"),
        "ROSTRA_DEMO": "false",
        "ROSTRA_MODERATION_PIPELINE": "false",
        "ROSTRA_MAX_STREAMS_PER_ADDRESS": "2",
    }
    run(env, "site", "add", "news", "--origin", "https://news.example")
    proc = subprocess.Popen(
        [sys.executable, "-m", "rostra", "serve", "--port", str(port), "--no-access-log"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    opened: list[socket.socket] = []
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
            time.sleep(0.2)
        creds = {"email": "stop@example.org", "password": "a long password 1"}
        r = httpx.post(f"{base}/api/v1/auth/register", json=creds | {"display_name": "Stop"})
        assert r.status_code == 202, r.text
        token = httpx.post(f"{base}/api/v1/auth/login", json=creds).json()["token"]

        first, status = _open_stream(port, article)
        opened.append(first)
        assert status == 200
        _read_until(first, b"event: ready")
        posted = httpx.post(f"{base}/api/v1/comments", json={"url": article, "body": "Live"},
                            headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        assert posted.status_code == 201, posted.text
        assert b"<p>Live</p>" in _read_until(first, b"comment.created")

        second, status = _open_stream(port, article)
        opened.append(second)
        assert status == 200
        third, status = _open_stream(port, article)
        third.close()
        assert status == 429  # the limit holds...
        second.close()
        deadline = time.monotonic() + 10
        while True:  # ...and a stream whose client went away gives its place back
            again, status = _open_stream(port, article)
            opened.append(again)
            if status == 200:
                break
            assert time.monotonic() < deadline, "a closed stream kept its place"
            time.sleep(0.1)
        _read_until(again, b"event: ready")

        # A POST in flight: its head and half its body sent before the signal.
        body = json.dumps({"url": article, "body": "Across the stop"}).encode()
        inflight = socket.create_connection(("127.0.0.1", port), timeout=10)
        opened.append(inflight)
        inflight.sendall(
            f"POST /api/v1/comments HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}"
            f"\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body[:10]
        )
        time.sleep(0.3)
        stopped = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        inflight.sendall(body[10:])
        assert _read_until(inflight, b"\r\n\r\n").startswith(b"HTTP/1.1 201")
        for stream in (first, again):
            ended = b"\r\n" + _read_until(stream, b"0\r\n\r\n", seconds=5)
            assert ended.endswith(b"\r\n0\r\n\r\n")  # the last chunk, then nothing
        proc.wait(timeout=10)
        assert time.monotonic() - stopped < 5, "the stop waited for the streams"
    finally:
        for sock in opened:
            sock.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
