"""The figures of one run: the tables (Markdown, printed and written), the
same as JSON, the targets of issue 8 with their verdicts, and the Remark42
figures that issue quotes (Remark42 cannot run here: shown for reference,
never as measured)."""

from __future__ import annotations

import json
import math
import os
import platform
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.wrk import Result

QUOTED = "Remark42 (quoted from issue 8, not measured in this run)"
# Issue 8's figures for Remark42 (Go), measured on this machine kind: 2 cores,
# wrk -t1 -c32, loopback.
REMARK42: dict[str, str] = {
    "read-100": "850 (whole tree), p99 48 ms",
    "read-signed-in-100": "850",
    "read-1000": "92",
    "counts": "14,366 (POST /counts), p99 10 ms",
    "post-8": "545",
    "memory-after-load": "58 MB",
}
ISSUE_NGINX = "81,371 req/s for the 100-comment thread"


@dataclass
class Row:
    """One scenario: a wrk result per server (None: not run), or the reason
    a server's figure is missing or invalid."""

    key: str
    label: str
    results: dict[str, Result | None] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    def ok(self, server: str) -> Result | None:
        r = self.results.get(server)
        return r if r is not None and r.valid and server not in self.notes else None


@dataclass
class Verdict:
    target: str
    status: str  # met | missed | not measured | invalid
    detail: str


@dataclass
class Report:
    meta: dict[str, Any]
    reads: list[Row] = field(default_factory=list)
    posting: list[Row] = field(default_factory=list)
    sustained: dict[str, list[Result]] = field(default_factory=dict)
    sustained_bucket: int = 0
    fanout: dict[str, Any] = field(default_factory=dict)
    memory: dict[str, dict[str, Any]] = field(default_factory=dict)
    verdicts: list[Verdict] = field(default_factory=list)

    def row(self, key: str) -> Row | None:
        return next((r for r in [*self.reads, *self.posting] if r.key == key), None)


def _count(value: float, noun: str) -> str:
    return f"{value:,.0f} {noun}" + ("" if round(value) == 1 else "s")


def _n(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def _ms(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:.2f} s"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def _ratio(a: Result | None, b: Result | None) -> str:
    if a is None or b is None or b.rps == 0:
        return "—"
    r = a.rps / b.rps
    text = f"{r:.0f}" if r >= 10 else f"{r:.2f}" if r >= 1 else f"{r:.3f}"
    return text + "\N{MULTIPLICATION SIGN}"


def _cells(row: Row, server: str) -> tuple[str, str]:
    r = row.results.get(server)
    if server in row.notes:
        return row.notes[server], "—"
    if r is None:
        return "—", "—"
    latency = f"{_ms(r.p50_ms)} / {_ms(r.p99_ms)}"
    if not r.valid:
        if r.requests == 0:
            return f"invalid ({r.problem})", "—"
        return f"invalid ({r.problem}; {_n(r.rps)})", latency
    return _n(r.rps), latency


def _secs(value: float | None) -> str:
    if value is None:
        return "—"
    if math.isinf(value):
        return "never"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


# --- targets -----------------------------------------------------------------


def _short(actual: float, goal: float, unit: str) -> str:
    return f"{_n(actual)}{unit} is {100 * (1 - actual / goal):.0f} % short of {_n(goal)}{unit}"


def _over(actual: float, limit: float, unit: str) -> str:
    return f"{_ms(actual)}{unit} is {_ms(actual - limit)}{unit} over {_ms(limit)}{unit}"


def _judge(checks: list[tuple[bool, str, str]]) -> tuple[str, str]:
    """(status, detail) from (passed, text if met, text if missed) checks."""
    missed = [bad for ok, _, bad in checks if not ok]
    if missed:
        return "missed", "; ".join(missed)
    return "met", "; ".join(good for _, good, _ in checks)


def _rate_target(
    report: Report, key: str, goal: float, p99: float | None
) -> tuple[str, str] | None:
    row = report.row(key)
    if row is None:
        return None
    r = row.results.get("rostra")
    if r is None:
        return None
    if not r.valid or "rostra" in row.notes:
        return "invalid", row.notes.get("rostra") or r.problem
    checks = [(r.rps >= goal, f"{_n(r.rps)}/s ≥ {_n(goal)}", _short(r.rps, goal, "/s"))]
    if p99 is not None:
        checks.append(
            (r.p99_ms < p99, f"p99 {_ms(r.p99_ms)} ms < {p99:.0f}", _over(r.p99_ms, p99, " ms"))
        )
    return _judge(checks)


def _relative(
    report: Report, key: str, base_key: str, at_least: float, what: str
) -> tuple[str, str] | None:
    row, base = report.row(key), report.row(base_key)
    if row is None or base is None:
        return None
    a, b = row.ok("rostra"), base.ok("rostra")
    if a is None or b is None:
        return "invalid", "a figure it compares is invalid"
    share = a.rps / b.rps
    text = f"{_n(a.rps)}/s is {100 * share:.0f} % of {what} ({_n(b.rps)}/s)"
    return ("met" if share >= at_least else "missed"), text + (
        "" if share >= at_least else f", {_count(100 * (at_least - share), 'point')} under"
    )


def _sustained_target(report: Report) -> tuple[str, str] | None:
    buckets = report.sustained.get("rostra")
    if not buckets:
        return None
    if not all(b.valid for b in buckets):
        return "invalid", "a bucket had errors"
    total = sum(b.requests for b in buckets)
    rate = total / sum(b.seconds for b in buckets)
    partial = f"over {total:,} comments only, not 100,000: " if total < 100_000 else ""
    slow, fast = min(b.rps for b in buckets), max(b.rps for b in buckets)
    worst = max(b.p99_ms for b in buckets)
    status, detail = _judge(
        [
            (rate >= 1100, f"{_n(rate)}/s over {total:,}", _short(rate, 1100, "/s")),
            (
                slow >= 0.8 * fast,
                f"slowest bucket {100 * slow / fast:.0f} % of the fastest",
                f"slowest bucket {_n(slow)}/s is {100 * (1 - slow / fast):.0f} % under "
                f"the fastest ({_n(fast)}/s; flat means within 20 %)",
            ),
            (worst < 100, f"worst bucket p99 {_ms(worst)} ms", _over(worst, 100, " ms")),
        ]
    )
    return (f"{status} (partial)" if partial else status), partial + detail


def _fanout_target(report: Report) -> tuple[str, str] | None:
    if not report.fanout:
        return None
    if not report.fanout.get("available"):
        return "not measured", "no event stream: " + str(report.fanout.get("reason", ""))
    levels = report.fanout.get("levels", {})
    at = levels.get("5000")
    if at is None:
        return "not measured", "5,000 streams were not opened in this run"
    p99 = at["p99_s"]
    if at["open"] < 5000:
        return "missed", f"only {at['open']:,} of 5,000 streams opened"
    if p99 is None or math.isinf(p99):
        return "missed", f"{at['missing']} stream deliveries never arrived"
    note = "" if report.meta.get("workers", 1) == 1 else " (measured with several processes)"
    if p99 < 1:
        return "met", f"p99 {_secs(p99)} < 1 s{note}"
    return "missed", f"p99 {_secs(p99)} is {_secs(p99 - 1)} over 1 s{note}"


def _memory_target(report: Report, moment: str) -> tuple[str, str] | None:
    m = report.memory.get("rostra", {}).get(moment)
    if not m:
        return None
    top = m["largest_mb"]
    if top < 150:
        return "met", f"largest process {top:.0f} MB < 150"
    return "missed", f"largest process {top:.0f} MB is {top - 150:.0f} MB over 150"


TARGETS: list[tuple[str, Callable[[Report], tuple[str, str] | None]]] = [
    (
        "first screen of a 100-comment thread, anonymous, c=32: ≥ 4,300 req/s and p99 < 50 ms",
        lambda r: _rate_target(r, "read-100", 4300, 50),
    ),
    (
        "same, signed in: ≥ 50 % of the anonymous rate",
        lambda r: _relative(r, "read-signed-in-100", "read-100", 0.5, "the anonymous rate"),
    ),
    (
        "20,000-comment thread first screen within 20 % of the 100-comment one (anonymous)",
        lambda r: _relative(r, "read-20000", "read-100", 0.8, "the 100-comment one"),
    ),
    (
        "the same, signed in (the target names no reader; both are shown)",
        lambda r: _relative(
            r, "read-signed-in-20000", "read-signed-in-100", 0.8, "the 100-comment one"
        ),
    ),
    ("counts for 10 URLs: ≥ 14,000 req/s", lambda r: _rate_target(r, "counts", 14000, None)),
    (
        "posting with 8 connections: ≥ 1,100 comments/s, p99 < 100 ms",
        lambda r: _rate_target(r, "post-8", 1100, 100),
    ),
    (
        "posting flat over 100,000 comments (8 connections): ≥ 1,100/s, every 10,000 "
        "within 20 % of the fastest, p99 < 100 ms",
        _sustained_target,
    ),
    ("live fan-out, one process: 5,000 open streams, p99 < 1 s", _fanout_target),
    (
        "memory < 150 MB per app process under load",
        lambda r: _memory_target(r, "peak under load"),
    ),
    (
        "memory < 150 MB per app process with 5,000 open streams",
        lambda r: _memory_target(r, "with 5,000 open streams"),
    ),
]


def judge(report: Report) -> None:
    for name, check in TARGETS:
        found = check(report)
        status, detail = found if found else ("not measured", "not in this run")
        if report.meta.get("connections") != 32 and "c=32" in name and found:
            detail += f" (measured at c={report.meta.get('connections')})"
        report.verdicts.append(Verdict(name, status, detail))


# --- output ------------------------------------------------------------------


def markdown(report: Report) -> str:
    m = report.meta
    out = [
        f"Measured {m['date']} by `{m['command']}`.",
        "",
        f"- Machine: {m['machine']}.",
        f"- Rostra: {m['rostra']}.",
        f"- Isso: {m['isso']}.",
        f"- nginx: {m['nginx']}.",
        f"- Load: {m['load']}.",
        f"- Data: {m['data']}.",
        f"- Load average when the run began: {m['loadavg_start']}; when it ended: "
        f"{m['loadavg_end']} (other work on the machine lowers every figure).",
        "",
    ]
    if report.reads:
        out += [
            "| read (GET, first screen) | Rostra req/s | Rostra p50 / p99 ms | Isso req/s "
            "| Isso p50 / p99 ms | nginx req/s | nginx p50 / p99 ms | Rostra / Isso "
            f"| Rostra / nginx | {QUOTED} |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for row in report.reads:
            (rr, rl), (ir, il), (nr, nl) = (_cells(row, s) for s in ("rostra", "isso", "nginx"))
            out.append(
                f"| {row.label} | {rr} | {rl} | {ir} | {il} | {nr} | {nl} "
                f"| {_ratio(row.ok('rostra'), row.ok('isso'))} "
                f"| {_ratio(row.ok('rostra'), row.ok('nginx'))} | {REMARK42.get(row.key, '—')} |"
            )
        out.append("")
    if report.posting:
        out += [
            "| posting (POST, signed in) | Rostra comments/s | Rostra p50 / p99 ms "
            f"| Isso comments/s | Isso p50 / p99 ms | Rostra / Isso | {QUOTED} |",
            "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for row in report.posting:
            (rr, rl), (ir, il) = (_cells(row, s) for s in ("rostra", "isso"))
            out.append(
                f"| {row.label} | {rr} | {rl} | {ir} | {il} "
                f"| {_ratio(row.ok('rostra'), row.ok('isso'))} | {REMARK42.get(row.key, '—')} |"
            )
        out.append("")
    if report.sustained:
        size = report.sustained_bucket
        servers = [s for s in ("rostra", "isso") if s in report.sustained]
        head = "".join(
            f" {s.capitalize()} comments/s | {s.capitalize()} p50 / p99 ms |" for s in servers
        )
        out += [
            f"Sustained posting, 8 connections, one story, in buckets of {size:,} comments:",
            "",
            f"| comments posted |{head}",
            "| --- |" + " ---: | ---: |" * len(servers),
        ]
        rows = max(len(report.sustained[s]) for s in servers)
        for i in range(rows):
            line = f"| {i * size:,} to {(i + 1) * size:,} |"
            for s in servers:
                buckets = report.sustained[s]
                if i < len(buckets):
                    b = buckets[i]
                    rate = _n(b.rps) if b.valid else f"invalid ({b.problem})"
                    line += f" {rate} | {_ms(b.p50_ms)} / {_ms(b.p99_ms)} |"
                else:
                    line += " — | — |"
            out.append(line)
        out.append("")
    if report.fanout:
        f = report.fanout
        if not f.get("available"):
            out += [f"Live fan-out (SSE): not available — {f.get('reason')}.", ""]
        else:
            out += [
                "Live fan-out (SSE, Rostra only: Isso and nginx have no live events): time from "
                "the start of a POST until each open stream has read the event naming the "
                "new comment, over every stream of every POST.",
                "",
                "| open streams | POSTs | p50 | p99 | max | had it within 5 s (worst POST) "
                "| POST answered in |",
                "| ---: | ---: | ---: | ---: | ---: | ---: | --- |",
            ]
            for level, s in f["levels"].items():
                opened = f"{s['open']:,}" + (
                    f" of {int(level):,}" if s["open"] < int(level) else ""
                )
                out.append(
                    f"| {opened} | {s['posts']} | {_secs(s['p50_s'])} | {_secs(s['p99_s'])} "
                    f"| {_secs(s['max_s'])} | {s['got_within']:,} / {s['streams']:,} "
                    f"| {', '.join(f'{x:.0f} ms' for x in s['post_ms'])} |"
                )
            out.append("")
    if report.memory:
        moments = list(dict.fromkeys(k for v in report.memory.values() for k in v))
        out += [
            "Memory (RSS, MB; largest process / all processes of the server, with PSS, "
            "which splits shared pages, in brackets):",
            "",
            "| server | " + " | ".join(moments) + " |",
            "| --- |" + " ---: |" * len(moments),
        ]
        for server, by_moment in report.memory.items():
            cells = []
            for moment in moments:
                mem = by_moment.get(moment)
                if mem is None:
                    cells.append("—")
                    continue
                pss = f" ({mem['pss_total_mb']:.0f})" if mem.get("pss_total_mb") else ""
                count = mem["processes"]
                cells.append(
                    f"{mem['largest_mb']:.0f} / {mem['total_mb']:.0f}{pss}"
                    + (f" in {count}" if count > 1 else "")
                )
            out.append(f"| {server} | " + " | ".join(cells) + " |")
        out += ["", f"{QUOTED}: memory after load {REMARK42['memory-after-load']}.", ""]
    if report.verdicts:
        out += ["| target (issue 8) | verdict |", "| --- | --- |"]
        for v in report.verdicts:
            out.append(f"| {v.target} | **{v.status}**: {v.detail} |")
        out.append("")
    if m.get("notes"):
        out += [f"- {n}" for n in m["notes"]]
        out.append("")
    return "\n".join(out)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isinf(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def as_json(report: Report) -> str:
    def rows(rs: list[Row]) -> list[dict[str, Any]]:
        return [
            {
                "key": r.key,
                "label": r.label,
                "results": {k: v.as_json() if v else None for k, v in r.results.items()},
                "notes": r.notes,
                "remark42_quoted": REMARK42.get(r.key),
            }
            for r in rs
        ]

    data = {
        "meta": report.meta,
        "reads": rows(report.reads),
        "posting": rows(report.posting),
        "sustained": {
            "bucket": report.sustained_bucket,
            "servers": {k: [b.as_json() for b in v] for k, v in report.sustained.items()},
        },
        "fanout": report.fanout,
        "memory": report.memory,
        "targets": [v.__dict__ for v in report.verdicts],
        "remark42_quoted": REMARK42,
    }
    return json.dumps(_clean(data), indent=2, allow_nan=False) + "\n"


def write(report: Report, md_path: Path) -> str:
    text = markdown(report)
    md_path.parent.mkdir(parents=True, exist_ok=True)
    md_path.write_text(text)
    md_path.with_suffix(".json").write_text(as_json(report))
    return text


# --- the machine ---------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _mem_total_gb() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GB RAM"
    except OSError:
        pass
    return "? RAM"


def _git(root: Path) -> str:
    done = subprocess.run(
        ["git", "-C", str(root), "log", "-1", "--format=%h %cs"],
        capture_output=True,
        text=True,
        check=False,
    )
    dirty = subprocess.run(
        ["git", "-C", str(root), "status", "--porcelain", "--", "src"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return (done.stdout.strip() or "?") + (", src with uncommitted changes" if dirty else "")


def machine() -> str:
    return (
        f"{os.cpu_count()} cores ({_cpu_model()}), {_mem_total_gb()}, "
        f"Linux {platform.release()}, Python {sys.version.split()[0]}, "
        f"SQLite {sqlite3.sqlite_version}"
    )


def loadavg() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def wrk_version() -> str:
    done = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    first = (done.stdout or done.stderr).splitlines()
    return first[0].split(" [")[0] if first else "wrk ?"


def git_version(root: Path) -> str:
    return _git(root)
