"""Starting the three servers: Rostra (under a chosen ASGI server, one
process on SQLite or N on PostgreSQL + Redis), Isso (gunicorn, from its own
virtualenv) and nginx (Debian's, serving the bytes Rostra answered).

ASGI servers other than uvicorn (which Rostra depends on) are installed on
first use with pip into ``benchmarks/.servers/NAME``, never into the
project's virtualenv; they run with the project's Python, the project's
packages first on the path and the server's own after them.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from harness.plan import HOST
from harness.procs import Proc, free_port

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
ROSTRA = str(ROOT / ".venv" / "bin" / "rostra")
ISSO_VENV = BENCH / ".isso-venv"
ISSO_PYTHON = str(ISSO_VENV / "bin" / "python")
SERVERS_DIR = BENCH / ".servers"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/0"
APP = "rostra.cli.asgi:app"


@dataclass(frozen=True)
class AsgiServer:
    """How to run ``rostra.cli.asgi:app`` under one server."""

    name: str
    requirement: str | None  # None: already in the project's virtualenv
    module: str

    def args(self, port: int, workers: int) -> list[str]:
        host = "127.0.0.1"
        if self.name == "uvicorn":
            return [
                *("--host", host, "--port", str(port), "--workers", str(workers)),
                *("--loop", "uvloop", "--http", "httptools"),
                *("--no-access-log", "--log-level", "warning", APP),
            ]
        if self.name == "granian":
            # Granian refuses requests beyond its backpressure (by default
            # backlog / workers = 1,024 at once per worker); an open event
            # stream is a request, and the fan-out holds 5,000.
            return [
                *("--interface", "asgi", "--host", host, "--port", str(port)),
                *("--workers", str(workers), "--loop", "uvloop"),
                *("--backlog", "4096", "--backpressure", "10000"),
                *("--log-level", "warning", "--no-access-log", APP),
            ]
        if self.name == "hypercorn":
            return [
                *("--bind", f"{host}:{port}", "--workers", str(workers), "--worker-class"),
                *("uvloop", "--backlog", "4096", "--log-level", "warning", APP),
            ]
        raise ValueError(self.name)

    @property
    def target(self) -> Path:
        return SERVERS_DIR / self.name

    def ensure(self) -> None:
        if self.requirement is None or (self.target / ".installed").exists():
            return
        print(f"installing {self.requirement} into {self.target}", file=sys.stderr)
        subprocess.run(
            [
                PYTHON,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--target",
                str(self.target),
                self.requirement,
            ],
            check=True,
        )
        (self.target / ".installed").write_text(self.requirement + "\n")

    def env(self, base: dict[str, str]) -> dict[str, str]:
        if self.requirement is None:
            return base
        site = sysconfig.get_paths()["purelib"]
        return base | {"PYTHONPATH": os.pathsep.join([site, str(self.target)])}

    def version(self) -> str:
        done = subprocess.run(
            [PYTHON, "-c", f"import importlib.metadata as m; print(m.version({self.name!r}))"],
            env=self.env(dict(os.environ)),
            capture_output=True,
            text=True,
            check=False,
        )
        return f"{self.name} {done.stdout.strip() or '?'}"


ASGI_SERVERS = {
    s.name: s
    for s in (
        AsgiServer("uvicorn", None, "uvicorn"),
        AsgiServer("granian", "granian==2.8.7", "granian"),
        AsgiServer("hypercorn", "hypercorn==0.18.0", "hypercorn"),
    )
}


@contextlib.contextmanager
def scratch_database(name: str) -> Iterator[str]:
    """A PostgreSQL database of its own for the run, dropped afterwards."""
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        con.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def clear_redis(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=prefix + "*", count=1000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start : start + 500])
    client.close()


@dataclass
class Rostra:
    """Rostra's data directory, settings and processes for one run."""

    tmp: Path
    server: AsgiServer
    workers: int
    database_url: str | None = None  # None: SQLite in the data directory
    redis_prefix: str | None = None
    port: int = field(default_factory=free_port)
    procs: list[Proc] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ROSTRA_")}
        env |= {
            "ROSTRA_DATA_DIR": str(self.tmp / "rostra"),
            "ROSTRA_DEMO": "false",
            "ROSTRA_RATE_LIMIT_ENABLED": "false",
            # The load comes from a handful of accounts posting generated text
            # in bursts: the spam and toxicity rules would hold or nudge it
            # (the pipeline's own speed: rostra moderation evaluate).
            "ROSTRA_MODERATION_PIPELINE": "false",
            # Every stream of the fan-out comes from 127.0.0.1.
            "ROSTRA_MAX_STREAMS_PER_ADDRESS": "100000",
            "ROSTRA_PUBLIC_URL": self.base,
            "PYTHONPATH": str(BENCH),
        }
        if self.database_url:
            env["ROSTRA_DATABASE_URL"] = self.database_url
        if self.redis_prefix:
            env |= {
                "ROSTRA_REDIS_URL": REDIS_URL,
                "ROSTRA_REDIS_PREFIX": self.redis_prefix,
                # As the README's scaled-out deployment: jobs in a worker of their own.
                "ROSTRA_RUN_JOBS_IN_PROCESS": "false",
            }
        return env

    def seed(self, plan_path: Path) -> dict[str, object]:
        import json

        subprocess.run([ROSTRA, "migrate"], env=self.env, check=True, capture_output=True)
        done = subprocess.run(
            [PYTHON, "-m", "harness.seed_rostra", str(plan_path)],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            raise SystemExit(f"seeding Rostra failed:\n{done.stderr[-3000:]}")
        summary: dict[str, object] = json.loads(done.stdout)
        return summary

    def start(self) -> None:
        self.server.ensure()
        env = self.server.env({k: v for k, v in self.env.items() if k != "PYTHONPATH"})
        cmd = [PYTHON, "-m", self.server.module, *self.server.args(self.port, self.workers)]
        self.procs.append(Proc.start("rostra", cmd, self.tmp / "rostra.log", env))
        if self.redis_prefix:
            worker = [ROSTRA, "worker"]
            self.procs.append(Proc.start("rostra-worker", worker, self.tmp / "worker.log", env))
        self.procs[0].wait_http(self.base + "/healthz")

    def stop(self) -> None:
        for proc in self.procs:
            proc.stop()


@dataclass
class Isso:
    tmp: Path
    workers: int
    port: int = field(default_factory=free_port)
    procs: list[Proc] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def conf(self) -> Path:
        return self.tmp / "isso.cfg"

    def seed(self, plan_path: Path) -> dict[str, object]:
        import json

        self.conf.write_text(
            f"[general]\ndbpath = {self.tmp / 'isso.db'}\nhost = {HOST}/\n"
            "[moderation]\nenabled = false\n[guard]\nenabled = false\n"
            f"[server]\nlisten = {self.base}/\n"
        )
        done = subprocess.run(
            [ISSO_PYTHON, str(BENCH / "isso_seed.py"), str(self.conf), str(plan_path)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            raise SystemExit(f"seeding Isso failed:\n{done.stderr[-3000:]}")
        summary: dict[str, object] = json.loads(done.stdout)
        return summary

    def start(self) -> None:
        cmd = [str(ISSO_VENV / "bin" / "gunicorn"), "-b", f"127.0.0.1:{self.port}"]
        cmd += ["-w", str(self.workers), "--threads", "8", "isso.run"]
        env = dict(os.environ, ISSO_SETTINGS=str(self.conf))
        self.procs.append(Proc.start("isso", cmd, self.tmp / "isso.log", env))
        self.procs[0].wait_http(self.base + "/info")

    def stop(self) -> None:
        for proc in self.procs:
            proc.stop()

    @staticmethod
    def version() -> str:
        done = subprocess.run(
            [
                ISSO_PYTHON,
                "-c",
                "import importlib.metadata as m; "
                "print('isso', m.version('isso'), '/ gunicorn', m.version('gunicorn'))",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        return done.stdout.strip() or "isso ?"


@dataclass(frozen=True)
class Exact:
    """One answer of Rostra's, as it was sent: the plain bytes and, when
    Rostra compressed it for a client that accepts gzip, the gzip bytes."""

    content_type: str
    plain: bytes
    gzipped: bytes | None


def fetch_exact(url: str, headers: dict[str, str]) -> Exact:
    plain = httpx.get(url, headers=headers | {"Accept-Encoding": "identity"}, timeout=60)
    plain.raise_for_status()
    with httpx.stream("GET", url, headers=headers | {"Accept-Encoding": "gzip"}, timeout=60) as r:
        raw = b"".join(r.iter_raw())
        encoding = r.headers.get("content-encoding")
    if encoding == "gzip" and gzip.decompress(raw) != plain.content:
        raise SystemExit(f"Rostra's gzip and plain answers differ for {url}")
    return Exact(plain.headers["content-type"], plain.content, raw if encoding == "gzip" else None)


@dataclass
class Nginx:
    """Debian's nginx serving files: ``/NAME.json`` (and ``.json.gz``,
    sent as is to a client that accepts gzip: gzip_static, the way a cached
    pre-compressed page would be sent). As many worker processes as Rostra
    runs; access log off; keep-alive without a request limit."""

    tmp: Path
    workers: int
    port: int = field(default_factory=free_port)
    procs: list[Proc] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def root(self) -> Path:
        return self.tmp / "nginx"

    def add(self, name: str, exact: Exact) -> str:
        www = self.root / "www"
        www.mkdir(parents=True, exist_ok=True)
        (www / f"{name}.json").write_bytes(exact.plain)
        if exact.gzipped is not None:
            (www / f"{name}.json.gz").write_bytes(exact.gzipped)
        return f"{self.base}/{name}.json"

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        user = "user root root;\n" if os.geteuid() == 0 else ""
        conf = self.root / "nginx.conf"
        conf.write_text(
            f"{user}worker_processes {self.workers};\ndaemon off;\n"
            f"pid {self.root / 'nginx.pid'};\nerror_log {self.root / 'error.log'} warn;\n"
            "worker_rlimit_nofile 20000;\n"
            "events { worker_connections 10000; }\n"
            "http {\n  access_log off;\n  sendfile on;\n  tcp_nodelay on;\n"
            "  keepalive_requests 100000000;\n  keepalive_timeout 75s;\n"
            "  gzip_static on;\n"
            "  types { application/json json; }\n  default_type application/json;\n"
            f"  server {{\n    listen 127.0.0.1:{self.port};\n"
            f"    root {self.root / 'www'};\n  }}\n}}\n"
        )
        cmd = ["nginx", "-p", str(self.root), "-e", str(self.root / "error.log")]
        cmd += ["-c", str(conf)]
        self.procs.append(Proc.start("nginx", cmd, self.tmp / "nginx.log"))
        self.procs[0].wait_http(self.base + "/")

    def stop(self) -> None:
        for proc in self.procs:
            proc.stop()

    @staticmethod
    def version() -> str:
        done = subprocess.run(["nginx", "-v"], capture_output=True, text=True, check=False)
        return done.stderr.strip().replace("nginx version: ", "")
