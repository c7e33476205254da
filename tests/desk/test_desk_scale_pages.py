"""The desk across two `rostra serve` processes on one PostgreSQL and one
Redis: a moderator signed in through one follows the queue through the other;
a held comment, a claim and a decision made on either reach them, and the
second decision on a card answers 409 whichever process it reaches."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import httpx
import pytest

from rostra.desk import session
from tests.desk.test_desk_events_pages import desk_stream
from tests.livesrv import free_port
from tests.test_scale_out import (  # noqa: F401 (fixtures)
    API,
    ARTICLE,
    ROSTRA,
    RedisServer,
    _env,
    _reader,
    _serve,
    database,
    redis_server,
)

PASSWORD = "a long desk password 9"


def _sign_in(base: str) -> str:
    """Sign in through the desk's form; the desk cookie's value."""
    with httpx.Client(base_url=base, follow_redirects=False, timeout=15) as browser:
        form = browser.get("/desk/signin")
        token = re.search(r'name="csrf" value="([0-9a-f]+)"', form.text)
        assert token, form.text
        r = browser.post("/desk/signin", data={
            "email": "night@desk.example", "password": PASSWORD, "csrf": token.group(1),
        })  # fmt: skip
        assert r.status_code == 303, r.text
        value = browser.cookies.get(session.COOKIE)
        assert value
        return value


def _js(base: str, path: str, cookie: str, csrf: str, **data: str) -> httpx.Response:
    return httpx.post(
        f"{base}{path}", data=data, cookies={session.COOKIE: cookie}, timeout=15,
        headers={"Accept": "application/json", "X-CSRF-Token": csrf},
    )  # fmt: skip


@pytest.mark.postgres
def test_the_desk_across_two_processes(
    tmp_path: Path,
    database: str,  # noqa: F811 (the fixture imported above)
    redis_server: RedisServer,  # noqa: F811 (the fixture imported above)
) -> None:
    env = _env(tmp_path, database, redis_server.port)
    for args in (
        ["migrate"],
        ["site", "add", "news", "--origin", "https://news.example", "--premoderate"],
        ["createadmin", "--email", "night@desk.example", "--name", "Night desk",
         "--password", PASSWORD, "--site", "news", "--role", "moderator"],
    ):  # fmt: skip
        subprocess.run([ROSTRA, *args], env=env, check=True, capture_output=True)
    ports = free_port(), free_port()
    procs = [_serve(env, port) for port in ports]
    one, two = (f"http://127.0.0.1:{port}" for port in ports)
    try:
        cookie = _sign_in(one)
        page = httpx.get(f"{two}/desk", cookies={session.COOKIE: cookie}, timeout=15)
        assert page.status_code == 200, page.text  # the sign-in holds on the other process
        csrf = re.search(r'<meta name="csrf-token" content="([0-9a-f]+)">', page.text)
        assert csrf
        reader = _reader(two, "olena")
        with desk_stream(two, cookie) as queue:
            assert queue.status == 200 and queue.next()[1] == "ready"
            r = httpx.post(f"{one}{API}/comments", json={"url": ARTICLE, "body": "Held here."},
                           headers=reader, timeout=15)  # fmt: skip
            assert r.status_code == 202, r.text
            cid = r.json()["id"]
            _, kind, data = queue.next(timeout=15)
            assert kind == "queue.held" and data["id"] == cid
            assert _js(one, f"/desk/comments/{cid}/claim", cookie, csrf.group(1)).status_code == 200
            _, kind, data = queue.next(timeout=15)
            assert kind == "queue.claimed" and data["name"] == "Night desk"
            html = httpx.get(f"{two}/desk", cookies={session.COOKIE: cookie}, timeout=15).text
            seen = re.search(rf'id="card-{cid}"[^>]*data-seen="([^"]*)"', html)
            assert seen
            r = _js(two, f"/desk/comments/{cid}/decision", cookie, csrf.group(1),
                    action="approve", seen=seen.group(1))  # fmt: skip
            assert r.status_code == 200, r.text
            _, kind, data = queue.next(timeout=15)
            assert kind == "queue.decided" and data["id"] == cid
            r = _js(one, f"/desk/comments/{cid}/decision", cookie, csrf.group(1),
                    action="reject", reason_text="Too late", seen=seen.group(1))  # fmt: skip
            assert r.status_code == 409 and r.json()["error"] == "already_decided"
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
