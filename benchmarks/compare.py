"""Rostra and Isso side by side: same machine, same run, same load generator (wrk).

Each server runs as one process on SQLite, seeded with the same thread
(100 top-level comments with one reply each, plus 10 small stories for
counts). wrk then drives each scenario against each server in turn, and the
table reports requests per second, latency percentiles and the ratio
Rostra / Isso. A scenario that saw non-2xx answers is marked invalid rather
than reported as fast.

    benchmarks/run                       # installs wrk and Isso, then runs this
    benchmarks/run --duration 20 --connections 32
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ISSO_VENV = HERE / ".isso-venv"
HOST = "http://bench.example"
ARTICLE = "/news/2026/bench-thread"
TOP_LEVEL = 100
COUNT_PATHS = [f"/news/2026/story-{i}" for i in range(10)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str, proc: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited early ({url})")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit(f"server did not start: {url}")


@dataclass
class Server:
    name: str
    base: str
    proc: subprocess.Popen[bytes]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def start_rostra(tmp: Path) -> tuple[Server, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROSTRA_")}
    env |= {
        "ROSTRA_DATA_DIR": str(tmp / "rostra"),
        "ROSTRA_RATE_LIMIT_ENABLED": "false",
        "ROSTRA_DEMO": "false",
    }
    rostra = str(ROOT / ".venv" / "bin" / "rostra")
    subprocess.run(
        [rostra, "site", "add", "bench", "--origin", HOST],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    proc = subprocess.Popen(
        [rostra, "serve", "--port", str(port), "--no-access-log"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    wait_up(base + "/healthz", proc)
    api = base + "/api/v1"
    httpx.post(
        api + "/auth/register",
        json={
            "email": "bench@example.org",
            "password": "benchmark password",
            "display_name": "Bench",
        },
    )
    token = httpx.post(
        api + "/auth/login", json={"email": "bench@example.org", "password": "benchmark password"}
    ).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=api, headers=auth, timeout=30) as c:
        for i in range(TOP_LEVEL):
            top = c.post(
                "/comments",
                json={
                    "url": HOST + ARTICLE,
                    "title": "Bench",
                    "body": f"Comment {i} with *some* text.",
                },
            )
            top.raise_for_status()
            c.post(
                "/comments",
                json={
                    "url": HOST + ARTICLE,
                    "parent_id": top.json()["id"],
                    "body": f"Reply to {i}.",
                },
            ).raise_for_status()
        for path in COUNT_PATHS:
            c.post(
                "/comments", json={"url": HOST + path, "title": path, "body": "First."}
            ).raise_for_status()
    return Server("Rostra", base, proc), token


def start_isso(tmp: Path) -> Server:
    port = free_port()
    conf = tmp / "isso.cfg"
    conf.write_text(
        f"[general]\ndbpath = {tmp / 'isso.db'}\nhost = {HOST}/\n"
        "[moderation]\nenabled = false\n[guard]\nenabled = false\n"
        "[server]\nlisten = http://127.0.0.1:0/\n"
    )
    env = dict(os.environ, ISSO_SETTINGS=str(conf))
    proc = subprocess.Popen(
        [
            str(ISSO_VENV / "bin" / "gunicorn"),
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "1",
            "--threads",
            "8",
            "isso.run",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    wait_up(base + "/info", proc)
    headers = {"Content-Type": "application/json"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as c:
        for i in range(TOP_LEVEL):
            # Isso answers every post with an edit-rights cookie; sending them
            # all back would outgrow the server's header limit.
            c.cookies.clear()
            top = c.post(
                "/new",
                params={"uri": ARTICLE},
                json={
                    "text": f"Comment {i} with *some* text.",
                    "author": "Bench",
                    "title": "Bench",
                },
            )
            top.raise_for_status()
            c.cookies.clear()
            c.post(
                "/new",
                params={"uri": ARTICLE},
                json={"text": f"Reply to {i}.", "author": "Bench", "parent": top.json()["id"]},
            ).raise_for_status()
        for path in COUNT_PATHS:
            c.cookies.clear()
            c.post(
                "/new",
                params={"uri": path},
                json={"text": "First.", "author": "Bench", "title": path},
            ).raise_for_status()
    return Server("Isso", base, proc)


def lua_post(tmp: Path, name: str, body: str, headers: dict[str, str]) -> Path:
    lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(body)}"]
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    path = tmp / f"{name}.lua"
    path.write_text("\n".join(lines) + "\n")
    return path


def lua_get(tmp: Path, name: str, headers: dict[str, str]) -> Path:
    lines = [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    path = tmp / f"{name}.lua"
    path.write_text("\n".join(lines) + "\n")
    return path


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def warm_up(url: str, connections: int, script: Path | None = None) -> None:
    """Two seconds of load whose figures are thrown away (a slow server may
    finish no request in them, so they are not even parsed)."""
    cmd = ["wrk", "-t1", f"-c{connections}", "-d2s", "--timeout", "10s"]
    if script:
        cmd += ["-s", str(script)]
    subprocess.run([*cmd, url], capture_output=True, check=True)


def wrk(url: str, duration: int, connections: int, script: Path | None = None) -> Result:
    # A 10 s timeout, so that slow answers count in the latency figures
    # instead of vanishing as socket errors.
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "--latency"]
    if script:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    errors += sum(int(x) for x in errs.groups()) if errs else 0
    return Result(rps, p50, p99, errors)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "latest.md")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: run benchmarks/run, which installs it")

    tmp = Path(tempfile.mkdtemp(prefix="rostra-bench-"))
    rostra, token = start_rostra(tmp)
    isso = start_isso(tmp)
    json_ct = {"Content-Type": "application/json"}
    counts_q = "&".join(f"url={HOST}{p}" for p in COUNT_PATHS)
    scenarios = {
        "read a 200-comment thread (anonymous)": (
            (f"{rostra.base}/api/v1/comments?url={HOST}{ARTICLE}&limit=100&sort=oldest", None),
            (f"{isso.base}/?uri={ARTICLE}&sort=oldest", None),
        ),
        "read it signed in (Rostra's cache bypassed)": (
            (
                f"{rostra.base}/api/v1/comments?url={HOST}{ARTICLE}&limit=100&sort=oldest",
                lua_get(tmp, "rostra-read-auth", {"Authorization": f"Bearer {token}"}),
            ),
            (f"{isso.base}/?uri={ARTICLE}&sort=oldest", None),
        ),
        "counts for 10 articles": (
            (f"{rostra.base}/api/v1/counts?{counts_q}", None),
            (f"{isso.base}/count", lua_post(tmp, "isso-count", json.dumps(COUNT_PATHS), json_ct)),
        ),
        "post a comment": (
            (
                f"{rostra.base}/api/v1/comments",
                lua_post(
                    tmp,
                    "rostra-post",
                    json.dumps(
                        {"url": HOST + "/news/2026/write-bench", "title": "W", "body": "Posted."}
                    ),
                    json_ct | {"Authorization": f"Bearer {token}"},
                ),
            ),
            (
                f"{isso.base}/new?uri=/news/2026/write-bench",
                lua_post(
                    tmp,
                    "isso-post",
                    json.dumps({"text": "Posted.", "author": "Bench", "title": "W"}),
                    json_ct,
                ),
            ),
        ),
    }
    rows = []
    try:
        for name, (r_target, i_target) in scenarios.items():
            results = []
            for url, script in (r_target, i_target):
                warm_up(url, args.connections, script)
                results.append(wrk(url, args.duration, args.connections, script))
            rows.append((name, *results))
            print(f"{name}: Rostra {results[0]}, Isso {results[1]}", file=sys.stderr)
    finally:
        rostra.stop()
        isso.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} by `benchmarks/run --duration {args.duration} "
        f"--connections {args.connections}` on {os.cpu_count()} cores; wrk, 1 thread; "
        "each server one process on SQLite (Rostra: uvicorn; Isso 0.14.0: gunicorn, 8 threads).",
        "",
        "| scenario | Rostra req/s | Isso req/s | Rostra / Isso | Rostra p50 / p99 ms "
        "| Isso p50 / p99 ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r, i in rows:
        ratio = (
            "invalid (errors)"
            if r.errors or i.errors
            else f"{r.rps / i.rps:.2f}\N{MULTIPLICATION SIGN}"
        )
        lines.append(
            f"| {name} | {r.rps:,.0f} | {i.rps:,.0f} | {ratio} | "
            f"{r.p50_ms:.1f} / {r.p99_ms:.1f} | {i.p50_ms:.1f} / {i.p99_ms:.1f} |"
        )
    report = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report)
    print(report)


if __name__ == "__main__":
    main()
