"""wrk runs: one thread, N connections, Lua scripts written per scenario.

Every run goes through a generated script whose ``done`` prints wrk's own
summary as one JSON line (requests, duration, status errors, socket errors,
latency percentiles in microseconds), so nothing is scraped from wrk's
human-readable output. Every request carries the same ``Accept`` and
``Accept-Encoding: gzip`` headers, whatever the server.

A result with any answer of status 400 and above, or any socket error
(connect, read, write, timeout), is invalid: it is reported, never as fast.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

COMMON_HEADERS = {"Accept": "application/json", "Accept-Encoding": "gzip"}
TIMEOUT = "10s"  # slow answers count in the latency figures instead of vanishing
MARK = "WRK-RESULT "
BUCKET_MARK = "WRK-BUCKET-FULL"

_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "%s{\\"requests\\": %d, \\"duration_us\\": %d, \\"bytes\\": %d, \\"status\\": %d, "
    .. "\\"connect\\": %d, \\"read\\": %d, \\"write\\": %d, \\"timeout\\": %d, "
    .. "\\"p50\\": %d, \\"p90\\": %d, \\"p99\\": %d, \\"max\\": %d}\\n",
    "%MARK%", summary.requests, summary.duration, summary.bytes, e.status,
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def _lua_string(value: str) -> str:
    level = "=" * 4
    while f"]{level}]" in value:
        level += "="
    return f"[{level}[{value}]{level}]"


@dataclass(frozen=True)
class Request:
    """What wrk sends. A POST body may contain ``{n}``: wrk puts a counter
    there, so that no two comments are the same."""

    url: str
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    body: str | None = None

    def script(self, stop_after: int | None = None) -> str:
        lines = [f"wrk.method = {_lua_string(self.method)}"]
        for key, value in [*COMMON_HEADERS.items(), *self.headers]:
            lines.append(f"wrk.headers[ {_lua_string(key)} ] = {_lua_string(value)}")
        if self.body is not None:
            if "{n}" in self.body:
                before, after = self.body.split("{n}", 1)
                lines += [
                    "local n = 0",
                    f"local before, after = {_lua_string(before)}, {_lua_string(after)}",
                    "request = function()",
                    "  n = n + 1",
                    "  return wrk.format(nil, nil, nil, before .. n .. after)",
                    "end",
                ]
            else:
                lines.append(f"wrk.body = {_lua_string(self.body)}")
        if stop_after is not None:
            # Ends this run after so many answers: the caller, reading the
            # mark, interrupts wrk, which then prints its summary.
            lines += [
                "local answered = 0",
                "response = function(status, headers, body)",
                "  answered = answered + 1",
                f"  if answered == {stop_after} then",
                f'    io.write("{BUCKET_MARK}\\n"); io.flush(); wrk.thread:stop()',
                "  end",
                "end",
            ]
        return "\n".join(lines) + "\n" + _DONE.replace("%MARK%", MARK)


@dataclass
class Result:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    status_errors: int
    socket_errors: int
    note: str = ""
    loadavg: float | None = None  # the machine's 1-minute load average as the run began
    #: The server's CPU time per answer (user + system, ms): on a machine
    #: that other work shares, steadier than the rate.
    cpu_ms: float | None = None

    @property
    def valid(self) -> bool:
        return self.requests > 0 and not self.status_errors and not self.socket_errors

    @property
    def problem(self) -> str:
        if self.requests == 0:
            return f"no answer within {TIMEOUT}"
        bits = []
        if self.status_errors:
            bits.append(f"{self.status_errors} answer{'s' * (self.status_errors > 1)} ≥ 400")
        if self.socket_errors:
            bits.append(f"{self.socket_errors} socket error{'s' * (self.socket_errors > 1)}")
        return ", ".join(bits)

    def as_json(self) -> dict[str, object]:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 2),
            "rps": round(self.rps, 1),
            "p50_ms": round(self.p50_ms, 2),
            "p90_ms": round(self.p90_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "max_ms": round(self.max_ms, 2),
            "status_errors": self.status_errors,
            "socket_errors": self.socket_errors,
            "valid": self.valid,
            "note": self.note,
            "loadavg_at_start": self.loadavg,
            "server_cpu_ms_per_request": None if self.cpu_ms is None else round(self.cpu_ms, 3),
        }


def _parse(out: str) -> Result:
    line = next((x for x in out.splitlines() if x.startswith(MARK)), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{out[-2000:]}")
    d = json.loads(line[len(MARK) :])
    seconds = d["duration_us"] / 1e6
    return Result(
        requests=d["requests"],
        seconds=seconds,
        rps=d["requests"] / seconds if seconds else 0.0,
        p50_ms=d["p50"] / 1000,
        p90_ms=d["p90"] / 1000,
        p99_ms=d["p99"] / 1000,
        max_ms=d["max"] / 1000,
        status_errors=d["status"],
        socket_errors=d["connect"] + d["read"] + d["write"] + d["timeout"],
    )


def _command(script: Path, connections: int, duration: float, url: str) -> list[str]:
    return [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        TIMEOUT,
        "-s",
        str(script),
        url,
    ]


def run(
    request: Request,
    script_path: Path,
    connections: int,
    duration: float,
    warmup: float = 0,
    settle: Callable[[], object] = lambda: None,
    cpu: Callable[[], float] | None = None,
) -> Result:
    """Warm up (figures thrown away: a slow server may finish nothing in
    them), then measure for ``duration`` seconds. ``settle`` runs before the
    warm-up and before the measurement: it waits for the server to finish
    what an earlier run left in flight. ``cpu`` gives the server's CPU
    seconds so far: read around the measurement (and the settling after
    it), it gives the CPU time per answer."""
    script_path.write_text(request.script())
    settle()
    load = os.getloadavg()[0]
    if warmup > 0:
        subprocess.run(
            _command(script_path, connections, warmup, request.url),
            capture_output=True,
            check=False,
            timeout=warmup + 60,
        )
        settle()
    used = cpu() if cpu is not None else 0.0
    done = subprocess.run(
        _command(script_path, connections, duration, request.url),
        capture_output=True,
        text=True,
        check=False,
        timeout=duration + 60,
    )
    if done.returncode != 0 or done.stderr.strip():
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    result = _parse(done.stdout)
    result.loadavg = load
    if cpu is not None:
        settle()
        if result.requests:
            result.cpu_ms = (cpu() - used) * 1000 / result.requests
    return result


def run_count(
    request: Request,
    script_path: Path,
    connections: int,
    count: int,
    limit_seconds: float,
) -> Result:
    """Run until ``count`` answers have come (or ``limit_seconds`` passed)."""
    script_path.write_text(request.script(stop_after=count))
    load = os.getloadavg()[0]
    with subprocess.Popen(
        _command(script_path, connections, limit_seconds, request.url),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as proc:
        assert proc.stdout is not None
        out = []
        for line in proc.stdout:
            out.append(line)
            if line.startswith(BUCKET_MARK):
                proc.send_signal(signal.SIGINT)
        proc.wait()
    result = _parse("".join(out))
    result.loadavg = load
    if result.requests < count:
        result.note = f"stopped by the time limit after {result.requests} answers"
    return result
