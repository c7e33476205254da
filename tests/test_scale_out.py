"""Two `rostra serve` processes on one PostgreSQL and one Redis: one live
conversation across them, rate limits shared, and a Redis outage that costs
nothing but a moment of live updates.

The Redis here is a private one this test starts on a free port, so that it
can be stopped without disturbing the other tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from rostra.db.engine import normalise_url
from tests.comments.test_events import Stream
from tests.conftest import PG_ADMIN_URL
from tests.livesrv import free_port

ROOT = Path(__file__).resolve().parents[1]
ROSTRA = str(Path(sys.executable).parent / "rostra")
ARTICLE = "https://news.example/world/scale-out"
API = "/api/v1"


class RedisServer:
    def __init__(self, port: int, folder: Path) -> None:
        self.port = port
        self.folder = folder
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed (scripts/services installs it)")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                import redis

                if redis.Redis(port=self.port, socket_connect_timeout=0.2).ping():
                    return
            except Exception:
                time.sleep(0.1)
        raise RuntimeError("the test's Redis did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def database() -> Iterator[str]:
    name = f"rostra_scale_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalise_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(free_port(), tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _env(tmp_path: Path, database: str, redis_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROSTRA_")}
    env |= {
        "ROSTRA_DATA_DIR": str(tmp_path / "data"),
        "ROSTRA_DATABASE_URL": database,
        "ROSTRA_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "ROSTRA_DEMO": "false",
        "ROSTRA_RATE_POST": "5/60",
        "ROSTRA_SECRET_KEY": "scale-out-test",
    }
    return env


def _serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [ROSTRA, "serve", "--port", str(port), "--no-access-log"],
        env={**env, "ROSTRA_PUBLIC_URL": f"http://127.0.0.1:{port}"},
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("rostra serve exited")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError("rostra serve did not start")


def _reader(base: str, name: str) -> dict[str, str]:
    creds = {"email": f"{name}@example.org", "password": "a long password 1",
             "display_name": name}  # fmt: skip
    assert httpx.post(f"{base}{API}/auth/register", json=creds).status_code == 202
    r = httpx.post(f"{base}{API}/auth/login", json={k: creds[k] for k in ("email", "password")})
    return {"Authorization": f"Bearer {r.json()['token']}"}


def _post(base: str, who: dict[str, str], body: str) -> httpx.Response:
    return httpx.post(f"{base}{API}/comments", json={"url": ARTICLE, "body": body}, headers=who)


@pytest.mark.postgres
def test_one_conversation_across_two_processes(
    tmp_path: Path, database: str, redis_server: RedisServer
) -> None:
    env = _env(tmp_path, database, redis_server.port)
    subprocess.run([ROSTRA, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run(
        [ROSTRA, "site", "add", "news", "--origin", "https://news.example"],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    ports = free_port(), free_port()
    procs = [_serve(env, port) for port in ports]
    one, two = (f"http://127.0.0.1:{port}" for port in ports)
    try:
        olena, taras = _reader(one, "olena"), _reader(two, "taras")
        watching = Stream(two, ARTICLE, {})
        assert watching.next()[1] == "ready"

        # Posted through one process, seen live through the other.
        first = _post(one, olena, "From the first process")
        assert first.status_code == 201
        event_id, name, data = watching.next()
        assert (event_id, name) == ("1", "comment.created")
        assert data["comment"]["html"] == "<p>From the first process</p>"
        assert _post(two, taras, "From the second").status_code == 201
        assert watching.next()[2]["comment"]["html"] == "<p>From the second</p>"
        page = httpx.get(f"{one}{API}/comments", params={"url": ARTICLE}).json()
        assert page["story"]["comment_count"] == 2

        # A signed-in reader's overlay, cached in Redis by the second process,
        # follows a like and a block made through the first.
        def viewer() -> Any:
            params = {"url": ARTICLE}
            return httpx.get(f"{two}{API}/comments", params=params, headers=taras).json()["viewer"]

        for _ in range(3):  # whose the token is, its sign-in, the overlay: cached
            assert viewer()["liked"] == [] and viewer()["blocked"] == []
        liked = f"{one}{API}/comments/{first.json()['id']}/reactions/like"
        assert httpx.put(liked, headers=taras).status_code == 200
        assert watching.next()[1] == "comment.liked"
        assert viewer()["liked"] == [first.json()["id"]]
        olena_id = httpx.get(f"{one}{API}/me", headers=olena).json()
        assert httpx.put(f"{one}{API}/users/olena/block", headers=taras).status_code == 200
        assert viewer()["blocked"] == [olena_id["id"]]
        assert httpx.delete(f"{one}{API}/users/olena/block", headers=taras).status_code == 200
        assert viewer()["blocked"] == []

        # One allowance across both processes (ROSTRA_RATE_POST=5/60, per
        # account and per address: both readers post from 127.0.0.1).
        assert [_post(b, olena, f"n{i}").status_code for i, b in enumerate((two, one))] == [
            201, 201,
        ]  # fmt: skip
        assert _post(one, taras, "n2").status_code == 201
        assert _post(two, olena, "one too many").status_code == 429
        for _ in range(3):
            watching.next()

        # Redis goes away: reads and posts go on; live updates come from the
        # event log meanwhile.
        redis_server.stop()
        assert _post(two, taras, "While Redis is down").status_code == 201
        assert httpx.get(f"{one}{API}/comments", params={"url": ARTICLE}).status_code == 200
        assert viewer()["liked"] == [first.json()["id"]]  # from the database
        assert httpx.get(f"{one}{API}/counts", params={"url": ARTICLE}).json()["counts"] == {
            ARTICLE: 6
        }
        seen = Stream(one, ARTICLE, {"Last-Event-ID": "6"})  # 6: the like above
        assert seen.next()[1] == "ready"
        assert seen.next(timeout=15)[2]["comment"]["html"] == "<p>While Redis is down</p>"
        assert watching.next(timeout=15)[2]["comment"]["html"] == "<p>While Redis is down</p>"

        # Redis is back: events cross processes through it again.
        redis_server.start()
        time.sleep(1)
        assert _post(one, olena, "Redis is back").status_code == 201
        assert watching.next(timeout=15)[2]["comment"]["html"] == "<p>Redis is back</p>"
        assert seen.next(timeout=15)[2]["comment"]["html"] == "<p>Redis is back</p>"
        assert watching.quiet() and seen.quiet()
        watching.close()
        seen.close()
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise AssertionError("rostra serve did not stop within 15 s") from None
