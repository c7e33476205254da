"""Rostra, Isso and nginx side by side: same machine, same run, same seeded
threads, same load generator. ``benchmarks/run`` installs what this needs
and then runs it; see README's Benchmarks section.

    benchmarks/run                      # everything, about 30 minutes
    benchmarks/run --quick              # a smoke run, about 2 minutes
    benchmarks/run --only read counts --rostra-only
    benchmarks/run --shape workers --workers 2 --server granian
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shlex
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from harness import plan as planning
from harness import report, wrk
from harness.fanout import NotAvailable, Sample, Streams, summarise
from harness.procs import (
    PeakSampler,
    Proc,
    cpu_seconds,
    raise_open_files,
    settle,
    tree_memory,
)
from harness.servers import (
    ASGI_SERVERS,
    BENCH,
    ROOT,
    Exact,
    Isso,
    Nginx,
    Rostra,
    clear_redis,
    fetch_exact,
    scratch_database,
)

SCENARIOS = ["read", "read-signed-in", "counts", "post-1", "post-8", "sustained", "fanout"]
PAGE = 20  # the embed's first screen: rostra.embed.endpoints.PAGE_SIZE, newest first
READER = {"email": "reader@bench.example", "password": "bench reader password"}


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="benchmarks/run", description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=float, help="seconds per measurement (default 10)")
    p.add_argument("--warmup", type=float, help="seconds of load thrown away first (default 2)")
    p.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="measure each read, count and post N times and keep the run of median rate "
        "(steadier figures on a machine that other work shares)",
    )
    p.add_argument("--connections", type=int, default=32, help="wrk connections for reads")
    p.add_argument(
        "--only",
        nargs="+",
        choices=SCENARIOS,
        metavar="SCENARIO",
        help=f"run only these: {', '.join(SCENARIOS)} (memory is always measured)",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="short runs and small threads (10, 100, 1,000), 100 and 500 streams, "
        "no sustained posting; writes results/quick.md",
    )
    p.add_argument(
        "--shape",
        choices=["single", "workers"],
        default="single",
        help="single: one process on SQLite; workers: N processes on PostgreSQL "
        "127.0.0.1:5432 (a scratch database) + Redis 127.0.0.1:6379",
    )
    p.add_argument("--workers", type=int, default=2, help="processes for --shape workers")
    p.add_argument(
        "--server",
        choices=sorted(ASGI_SERVERS),
        default="uvicorn",
        help="the ASGI server that runs rostra.cli.asgi:app",
    )
    p.add_argument("--sizes", type=int, nargs="+", help="thread sizes (default 10 100 1000 20000)")
    p.add_argument("--sustained-total", type=int, default=100_000)
    p.add_argument("--sustained-bucket", type=int, default=10_000)
    p.add_argument("--streams", type=int, nargs="+", help="open streams (default 1000 5000)")
    p.add_argument("--fanout-posts", type=int, default=3, help="POSTs measured per stream count")
    p.add_argument("--rostra-only", action="store_true", help="skip Isso and nginx")
    p.add_argument(
        "--sustained-isso",
        action="store_true",
        help="run the sustained posting on Isso too (at Isso's rate, most of an hour)",
    )
    p.add_argument(
        "--wait-idle",
        type=float,
        default=0,
        metavar="MINUTES",
        help="first wait, up to MINUTES, for the 1-minute load average to fall "
        "below half the cores (other work on the machine lowers every figure)",
    )
    p.add_argument("--out", type=Path, help="Markdown file (JSON beside it)")
    p.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = p.parse_args()
    quick = args.quick
    args.duration = args.duration or (3.0 if quick else 10.0)
    args.warmup = args.warmup if args.warmup is not None else (1.0 if quick else 2.0)
    args.sizes = args.sizes or ([10, 100, 1000] if quick else [10, 100, 1000, 20000])
    args.streams = args.streams or ([100, 500] if quick else [1000, 5000])
    if quick:
        args.fanout_posts = min(args.fanout_posts, 2)
    chosen = args.only or [s for s in SCENARIOS if not (quick and s == "sustained")]
    if quick and args.only and "sustained" in args.only:
        args.sustained_total, args.sustained_bucket = 2_000, 500
    args.scenarios = chosen
    args.out = args.out or BENCH / "results" / ("quick.md" if quick else "latest.md")
    args.workers = 1 if args.shape == "single" else args.workers
    return args


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


class Run:
    """One benchmark run: the servers, the reader's token and the results."""

    def __init__(self, args: argparse.Namespace, tmp: Path, db_url: str | None) -> None:
        self.args = args
        self.tmp = tmp
        self.plan = planning.make(args.sizes)
        self.plan_path = tmp / "plan.json"
        self.plan.write(self.plan_path)
        prefix = f"rostra-bench-{os.getpid()}:" if args.shape == "workers" else None
        self.rostra = Rostra(tmp, ASGI_SERVERS[args.server], args.workers, db_url, prefix)
        self.peers = not args.rostra_only
        self.isso = Isso(tmp, args.workers)
        self.nginx = Nginx(tmp, args.workers)
        self.token = ""
        self.api = self.rostra.base + "/api/v1"
        self.scripts = 0
        self.report = report.Report(meta={})
        self.sampler: PeakSampler | None = None
        self.after_load: dict[str, list[Any]] = {}

    # --- set-up ------------------------------------------------------------

    def servers(self) -> dict[str, list[Proc]]:
        found = {"rostra": self.rostra.procs}
        if self.peers:
            found |= {"isso": self.isso.procs, "nginx": self.nginx.procs}
        return found

    def seed_and_start(self) -> None:
        log(
            f"seeding {sum(len(s.comments) for s in self.plan.stories):,} comments "
            f"in {len(self.plan.stories)} stories into Rostra" + (" and Isso" if self.peers else "")
        )
        summaries: dict[str, Any] = {}

        def seed(name: str, server: Any) -> None:
            # A thread swallows SystemExit: say why here, or nobody will.
            try:
                summaries[name] = server.seed(self.plan_path)
            except BaseException as exc:  # reported here, then seeding fails
                log(f"{name}: {exc}")

        jobs = [threading.Thread(target=seed, args=("rostra", self.rostra))]
        if self.peers:
            jobs.append(threading.Thread(target=seed, args=("isso", self.isso)))
        for job in jobs:
            job.start()
        for job in jobs:
            job.join()
        if "rostra" not in summaries or (self.peers and "isso" not in summaries):
            raise SystemExit("seeding failed (see above)")
        log(
            f"seeded: Rostra in {summaries['rostra']['seconds']} s"
            + (f", Isso in {summaries['isso']['seconds']} s" if self.peers else "")
        )
        self.rostra.start()
        if self.peers:
            self.isso.start()
        self.sign_in()

    def sign_in(self) -> None:
        """The signed-in reader: registered and signed in over the API, who
        has liked a few comments of every thread (the overlay a signed-in
        first screen carries)."""
        with httpx.Client(base_url=self.api, timeout=30) as c:
            c.post("/auth/register", json=READER | {"display_name": "Bench reader"})
            login = c.post("/auth/login", json=READER)
            login.raise_for_status()
            self.token = login.json()["token"]
            c.headers["Authorization"] = f"Bearer {self.token}"
            for size in self.args.sizes:
                page = c.get("/comments", params=self.read_params(size)).json()
                for comment in page["comments"][:3]:
                    c.put(f"/comments/{comment['id']}/reactions/like").raise_for_status()

    # --- requests ----------------------------------------------------------

    def read_params(self, size: int) -> dict[str, str]:
        # As thread.js sends them: url, sort, limit.
        return {"url": self.plan.story(f"thread-{size}").url, "sort": "newest", "limit": str(PAGE)}

    def rostra_read(self, size: int) -> str:
        return f"{self.api}/comments?{urlencode(self.read_params(size))}"

    def isso_read(self, size: int) -> str:
        # Isso's first screen of the same shape: 20 top-level comments, newest
        # first, with up to 50 replies each (Rostra's REPLIES_PER_THREAD).
        path = self.plan.story(f"thread-{size}").path
        return f"{self.isso.base}/?uri={quote(path)}&sort=newest&limit={PAGE}&nested_limit=50"

    def count_urls(self) -> list[planning.PlannedStory]:
        return [s for s in self.plan.stories if s.name.startswith("count-")]

    def rostra_counts(self) -> str:
        # As loader.js sends them: url=…&url=…
        return f"{self.api}/counts?" + "&".join(
            f"url={quote(s.url, safe='')}" for s in self.count_urls()
        )

    def auth(self) -> tuple[tuple[str, str], ...]:
        return (("Authorization", f"Bearer {self.token}"),)

    def post_request(self, server: str, story: str) -> wrk.Request:
        s = self.plan.story(story)
        text = (
            "Comment {n} from the load test. The council meeting is on Thursday, "
            "and the *minutes* are public."
        )
        if server == "rostra":
            body = json.dumps({"url": s.url, "title": s.title, "body": "BODY"})
            return wrk.Request(
                f"{self.api}/comments",
                "POST",
                (("Content-Type", "application/json"), *self.auth()),
                body.replace("BODY", text),
            )
        body = json.dumps({"text": "BODY", "author": "Load test", "title": s.title})
        return wrk.Request(
            f"{self.isso.base}/new?uri={quote(s.path)}",
            "POST",
            (("Content-Type", "application/json"),),
            body.replace("BODY", text),
        )

    def script(self, name: str) -> Path:
        self.scripts += 1
        return self.tmp / f"{self.scripts:03d}-{name}.lua"

    # --- measuring ---------------------------------------------------------

    def load(self, row: report.Row, server: str, request: wrk.Request, connections: int) -> None:
        log(f"  {row.key} on {server}: {connections} connections, {self.args.duration:g} s")
        procs = self.servers()[server]

        def quiet() -> None:
            waited = settle(procs)
            if waited > 2:
                log(f"    waited {waited:.0f} s for {server} to finish the requests left in flight")

        results = []
        for _ in range(self.args.repeat):
            result = wrk.run(
                request,
                self.script(f"{row.key}-{server}"),
                connections,
                self.args.duration,
                self.args.warmup,
                settle=quiet,
                cpu=lambda: cpu_seconds([pid for proc in procs for pid in proc.pids()]),
            )
            results.append(result)
            log(
                f"    {result.rps:,.0f}/s, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms"
                + (f", server CPU {result.cpu_ms:.2f} ms each" if result.cpu_ms else "")
                + ("" if result.valid else f"  INVALID: {result.problem}")
            )
        row.results[server] = median(results)

    def reads(self, signed_in: bool) -> None:
        kind = "signed in" if signed_in else "anonymous"
        for size in self.args.sizes:
            key = f"read{'-signed-in' if signed_in else ''}-{size}"
            story = self.plan.story(f"thread-{size}")
            row = report.Row(key, f"thread of {size:,}, {kind}")
            self.report.reads.append(row)
            headers = self.auth() if signed_in else ()
            url = self.rostra_read(size)
            problem = check_rostra_page(url, dict(headers), story)
            if problem:
                row.notes["rostra"] = f"wrong answer: {problem}"
            else:
                self.load(row, "rostra", wrk.Request(url, headers=headers), self.args.connections)
            if not self.peers:
                continue
            if signed_in:
                # Isso has no sign-in: its reader is the anonymous one.
                anon = self.report.row(f"read-{size}")
                row.results["isso"] = anon.results.get("isso") if anon else None
                if anon and "isso" in anon.notes:
                    row.notes["isso"] = anon.notes["isso"]
            else:
                problem = check_isso_page(self.isso_read(size), story)
                if problem:
                    row.notes["isso"] = f"wrong answer: {problem}"
                else:
                    self.load(row, "isso", wrk.Request(self.isso_read(size)), self.args.connections)
            self.static(row, url, dict(headers))

    def static(self, row: report.Row, rostra_url: str, headers: dict[str, str]) -> None:
        """nginx serving the bytes Rostra answered for the same request."""
        try:
            exact: Exact = fetch_exact(rostra_url, headers | dict(wrk.COMMON_HEADERS))
        except (httpx.HTTPError, SystemExit) as exc:
            row.notes["nginx"] = f"no Rostra answer to copy ({exc})"
            return
        url = self.nginx.add(row.key, exact)
        got = httpx.get(url, headers=dict(wrk.COMMON_HEADERS), timeout=10)
        if got.content != exact.plain or got.headers.get("content-type") != exact.content_type:
            row.notes["nginx"] = "nginx did not serve Rostra's bytes"
            return
        self.load(row, "nginx", wrk.Request(url), self.args.connections)

    def counts(self) -> None:
        row = report.Row("counts", "counts for 10 URLs")
        self.report.reads.append(row)
        stories = self.count_urls()
        url = self.rostra_counts()
        got = httpx.get(url, timeout=30)
        want = {s.url: len(s.comments) for s in stories}
        if got.status_code != 200 or got.json().get("counts") != want:
            row.notes["rostra"] = f"wrong answer: {got.status_code} {got.text[:200]}"
        else:
            self.load(row, "rostra", wrk.Request(url), self.args.connections)
        if not self.peers:
            return
        paths = [s.path for s in stories]
        body = json.dumps(paths)
        isso = httpx.post(
            f"{self.isso.base}/count",
            content=body,
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        if isso.status_code != 200 or isso.json() != [len(s.comments) for s in stories]:
            row.notes["isso"] = f"wrong answer: {isso.status_code} {isso.text[:200]}"
        else:
            req = wrk.Request(
                f"{self.isso.base}/count", "POST", (("Content-Type", "application/json"),), body
            )
            self.load(row, "isso", req, self.args.connections)
        self.static(row, url, {})

    def post(self, connections: int) -> None:
        key = f"post-{connections}"
        story = f"post-c{connections}"
        row = report.Row(key, f"post a comment, {connections} connection{'s' * (connections > 1)}")
        self.report.posting.append(row)
        for server in ("rostra", "isso") if self.peers else ("rostra",):
            request = self.post_request(server, story)
            problem = check_post(request)
            if problem:
                row.notes[server] = f"wrong answer: {problem}"
                continue
            self.load(row, server, request, connections)

    def sustained(self) -> None:
        total, size = self.args.sustained_total, self.args.sustained_bucket
        self.report.sustained_bucket = size
        servers = ("rostra", "isso") if self.peers and self.args.sustained_isso else ("rostra",)
        for server in servers:
            request = self.post_request(server, "sustained")
            if check_post(request):
                continue
            settle(self.servers()[server])
            buckets: list[wrk.Result] = []
            self.report.sustained[server] = buckets
            log(f"  sustained on {server}: {total:,} comments, 8 connections")
            for i in range(total // size):
                result = wrk.run_count(
                    request, self.script(f"sustained-{server}"), 8, size, limit_seconds=1800
                )
                buckets.append(result)
                log(
                    f"    {(i + 1) * size:,}: {result.rps:,.0f}/s, p99 {result.p99_ms:.1f} ms"
                    + ("" if result.valid else f"  INVALID: {result.problem}")
                )
                if result.note:
                    break

    def fanout(self) -> None:
        story = self.plan.story("live")
        url = f"{self.api}/events?{urlencode({'url': story.url})}"
        levels = sorted(self.args.streams)
        log(f"  fan-out: {', '.join(f'{n:,}' for n in levels)} streams on {url}")
        self.report.fanout = asyncio_run(self._fanout(url, levels, story))

    async def _fanout(
        self, url: str, levels: list[int], story: planning.PlannedStory
    ) -> dict[str, Any]:
        streams = Streams(url)
        try:
            await streams.open(1)
        except NotAvailable as exc:
            log(f"    not available: GET /api/v1/events {exc}")
            return {"available": False, "reason": f"GET /api/v1/events {exc}"}
        found: dict[str, Any] = {"available": True, "levels": {}}
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        n = 0
        async with httpx.AsyncClient(base_url=self.api, headers=headers, timeout=30) as client:
            await client.get("/me")  # the connection is open before the clock starts

            async def post() -> int:
                nonlocal n
                n += 1
                body = {"url": story.url, "title": story.title, "body": f"Live comment {n}."}
                answer = await client.post("/comments", json=body)
                answer.raise_for_status()
                return int(answer.json()["id"])

            try:
                for level in levels:
                    await streams.open(level)
                    await asyncio.sleep(1)
                    if level == levels[-1]:
                        self.memory(f"with {level:,} open streams", rostra_only=True)
                    samples: list[Sample] = []
                    for _ in range(self.args.fanout_posts):
                        samples.append(await streams.measure(post))
                        await asyncio.sleep(0.5)
                    summary = summarise(samples) | {
                        "open": streams.open_count,
                        "failed_opens": streams.failed_opens,
                    }
                    found["levels"][str(level)] = summary
                    log(
                        f"    {streams.open_count:,} streams: p50 {summary['p50_s']}, "
                        f"p99 {summary['p99_s']}, missing {summary['missing']}"
                    )
            finally:
                await streams.close()
        return found

    def memory(self, moment: str, rostra_only: bool = False) -> None:
        for name, procs in self.servers().items():
            if rostra_only and name != "rostra":
                continue
            mems = tree_memory(procs)
            if not mems:
                continue
            entry = {
                "processes": len(mems),
                "largest_mb": round(max(m.rss_mb for m in mems), 1),
                "total_mb": round(sum(m.rss_mb for m in mems), 1),
                "pss_total_mb": round(sum(m.pss_mb or 0 for m in mems), 1),
                "each": [m.__dict__ for m in mems],
            }
            self.report.memory.setdefault(name, {})[moment] = entry

    @contextlib.contextmanager
    def under_load(self) -> Iterator[None]:
        sampler = PeakSampler(self.servers())
        with sampler:
            yield
        for name, top in sampler.peak_process.items():
            entry = self.report.memory.setdefault(name, {}).setdefault(
                "peak under load", {"processes": 0, "largest_mb": 0.0, "total_mb": 0.0}
            )
            entry["largest_mb"] = round(max(entry["largest_mb"], top), 1)
            entry["total_mb"] = round(max(entry["total_mb"], sampler.peak_total[name]), 1)
            entry["processes"] = max(entry["processes"], sampler.counts.get(name, 0))

    # --- the whole run -----------------------------------------------------

    def go(self) -> None:
        chosen = self.args.scenarios
        self.seed_and_start()
        time.sleep(1)
        if self.peers:
            self.nginx.start()  # it serves the files written into its root as they come
        self.memory("idle after seeding")
        with self.under_load():
            if "read" in chosen:
                log("thread reads, anonymous")
                self.reads(signed_in=False)
            if "read-signed-in" in chosen:
                log("thread reads, signed in")
                self.reads(signed_in=True)
            if "counts" in chosen:
                log("counts")
                self.counts()
            for c in (1, 8):
                if f"post-{c}" in chosen:
                    log(f"posting, {c} connection{'s' * (c > 1)}")
                    self.post(c)
        self.memory("after load")
        if "sustained" in chosen:
            log("sustained posting")
            with self.under_load():
                self.sustained()
            self.memory("after sustained posting")
        if "fanout" in chosen:
            log("live fan-out")
            self.fanout()

    def stop(self) -> None:
        self.rostra.stop()
        self.isso.stop()
        self.nginx.stop()


def median(results: list[wrk.Result]) -> wrk.Result:
    """The run of median rate, or the first invalid one: one invalid run
    makes the figure invalid."""
    bad = [r for r in results if not r.valid]
    if bad or len(results) == 1:
        return bad[0] if bad else results[0]
    ordered = sorted(results, key=lambda r: r.rps)
    chosen = ordered[len(ordered) // 2]
    chosen.note = f"median of {len(results)} runs: " + ", ".join(f"{r.rps:.0f}" for r in ordered)
    return chosen


def asyncio_run(coro: Any) -> Any:
    try:
        import uvloop

        return uvloop.run(coro)
    except ImportError:
        return asyncio.run(coro)


def check_rostra_page(url: str, headers: dict[str, str], story: planning.PlannedStory) -> str:
    got = httpx.get(url, headers=headers, timeout=60)
    if got.status_code != 200:
        return f"{got.status_code} {got.text[:200]}"
    data = got.json()
    want = min(PAGE, story.top_level)
    if len(data.get("comments", [])) != want:
        return f"{len(data.get('comments', []))} comments, not {want}"
    count = data.get("story", {}).get("comment_count")
    if count is not None and count != len(story.comments):
        return f"story counts {count} comments, not {len(story.comments)}"
    return ""


def check_isso_page(url: str, story: planning.PlannedStory) -> str:
    got = httpx.get(url, timeout=60)
    if got.status_code != 200:
        return f"{got.status_code} {got.text[:200]}"
    data = got.json()
    want = min(PAGE, story.top_level)
    # Isso's total_replies counts the thread's every comment, replies included.
    if len(data.get("replies", [])) != want or data.get("total_replies") != len(story.comments):
        return f"{len(data.get('replies', []))} comments of {data.get('total_replies')}"
    return ""


def check_post(request: wrk.Request) -> str:
    body = (request.body or "").replace("{n}", "0")
    got = httpx.post(request.url, content=body, headers=dict(request.headers), timeout=30)
    return "" if got.status_code == 201 else f"{got.status_code} {got.text[:200]}"


def meta(args: argparse.Namespace, run: Run) -> dict[str, Any]:
    server = ASGI_SERVERS[args.server]
    shape = (
        "1 process on SQLite"
        if args.shape == "single"
        else f"{args.workers} processes on PostgreSQL + Redis, jobs in a `rostra worker`"
    )
    loop = " (uvloop, httptools)" if args.server == "uvicorn" else " (uvloop)"
    notes = [
        "Every figure is of today's Rostra as committed; the first screen is what the embed "
        f"asks for (GET /api/v1/comments?url=…&sort=newest&limit={PAGE}).",
        f"Isso's first screen: GET /?uri=…&sort=newest&limit={PAGE}&nested_limit=50 (Rostra "
        "shows up to 50 replies per thread); Isso has no sign-in, so its signed-in figure is "
        "its anonymous one. Isso counts: POST /count with the 10 paths.",
        "nginx serves, as static files, the exact bytes Rostra answered for the same request "
        "(plain, and Rostra's gzip bytes through gzip_static when Rostra compressed it), with "
        "Rostra's Content-Type; it does not post.",
        "A figure marked invalid had answers of status 400 or above or socket errors; a "
        "wrong first answer (checked before each run) skips the run.",
    ]
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "command": "benchmarks/run" + ("" if len(sys.argv) < 2 else " " + shlex.join(sys.argv[1:])),
        "machine": report.machine(),
        "rostra": f"git {report.git_version(ROOT)}, {server.version()}{loop}, {shape}",
        "isso": Isso.version() + f", {args.workers} worker(s), 8 threads each, SQLite"
        if run.peers
        else "not run (--rostra-only)",
        "nginx": f"{Nginx.version()}, {args.workers} worker process(es), gzip_static"
        if run.peers
        else "not run (--rostra-only)",
        "load": f"{report.wrk_version()}, 1 thread, {args.connections} connections for reads "
        f"and counts, {args.duration:g} s per run after {args.warmup:g} s of warm-up; "
        "Accept-Encoding: gzip on every request"
        + (f"; each figure the median of {args.repeat} runs" if args.repeat > 1 else ""),
        "data": ", ".join(f"{n:,}" for n in args.sizes) + " comments per thread "
        "(about 70 % top-level), 10 stories for counts, posting on stories of their own",
        "shape": args.shape,
        "workers": args.workers,
        "server": args.server,
        "connections": args.connections,
        "notes": notes,
    }


def wait_idle(minutes: float) -> None:
    limit = (os.cpu_count() or 1) / 2
    deadline = time.monotonic() + minutes * 60
    while os.getloadavg()[0] >= limit and time.monotonic() < deadline:
        log(f"waiting for the machine: load average {report.loadavg()}, want below {limit:g}")
        time.sleep(30)
    log(f"load average {report.loadavg()}: starting")


def main() -> None:
    args = parse()
    limit = raise_open_files()
    for tool in ("wrk", *(() if args.rostra_only else ("nginx",))):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is missing: run benchmarks/run, which installs it")
    if max(args.streams) + 100 > limit // 2 and "fanout" in args.scenarios:
        log(f"note: open files limited to {limit}; {max(args.streams):,} streams may not fit")
    if args.wait_idle:
        wait_idle(args.wait_idle)
    started = time.strftime("%Y-%m-%d %H:%M %Z")
    tmp = Path(tempfile.mkdtemp(prefix="rostra-bench-"))
    loadavg_start = report.loadavg()
    with contextlib.ExitStack() as stack:
        db_url = None
        if args.shape == "workers":
            db_url = stack.enter_context(scratch_database(f"rostra_bench_{os.getpid()}"))
        run = Run(args, tmp, db_url)
        ok = False
        try:
            run.go()
            ok = True
        finally:
            run.stop()
            if run.rostra.redis_prefix:
                clear_redis(run.rostra.redis_prefix)
            if ok and not args.keep:
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                log(f"scratch directory (logs, scripts) kept: {tmp}")
    run.report.meta = meta(args, run) | {
        "date": started,
        "loadavg_start": loadavg_start,
        "loadavg_end": report.loadavg(),
    }
    report.judge(run.report)
    text = report.write(run.report, args.out)
    print(text)
    log(f"wrote {args.out} and {args.out.with_suffix('.json')}")


if __name__ == "__main__":
    main()
