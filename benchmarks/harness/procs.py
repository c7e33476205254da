"""Processes the harness starts: launching, waiting, stopping, and reading
the memory of a process and all its descendants (workers) from /proc."""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx


def raise_open_files() -> int:
    """Lift the soft limit on open files to the hard one (5,000 streams need
    a descriptor each, in the driver and in the server); children inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Proc:
    """A started server: its command, its log, and its process tree."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @classmethod
    def start(cls, name: str, cmd: list[str], log: Path, env: dict[str, str] | None = None) -> Proc:
        out = log.open("wb")
        popen = subprocess.Popen(
            cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        out.close()
        return cls(name, popen, log)

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_http(self, url: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise SystemExit(f"{self.name} exited early; its log ends:\n{self.tail()}")
            try:
                httpx.get(url, timeout=2)
                return
            except httpx.TransportError:
                time.sleep(0.2)
        raise SystemExit(f"{self.name} did not answer {url}; its log ends:\n{self.tail()}")

    def pids(self) -> list[int]:
        return tree(self.popen.pid)

    def stop(self) -> None:
        """SIGTERM to the process group (workers included), SIGKILL after 15 s."""
        if self.popen.poll() is not None:
            return
        pgid = self.popen.pid  # start_new_session: the group is ours alone
        try:
            os.killpg(pgid, signal.SIGTERM)
            self.popen.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.popen.wait(5)
        except ProcessLookupError:
            pass


def tree(root: int) -> list[int]:
    """``root`` and its descendants, from /proc/*/stat."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may contain spaces.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        if Path(f"/proc/{pid}").exists():
            found.append(pid)
            todo.extend(children.get(pid, []))
    return sorted(found)


@dataclass(frozen=True)
class ProcMemory:
    pid: int
    command: str
    rss_mb: float
    pss_mb: float | None


def memory(pid: int) -> ProcMemory | None:
    """RSS and PSS (proportional: shared pages split between sharers) of one
    process, in MB, from /proc/PID/smaps_rollup."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return None
    fields: dict[str, float] = {}
    for line in rollup.splitlines()[1:]:
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            fields[key] = int(parts[0]) / 1024
    if "Rss" not in fields:
        return None
    return ProcMemory(pid, _short(cmdline), fields["Rss"], fields.get("Pss"))


def _short(cmdline: str) -> str:
    words = [os.path.basename(w) if "/" in w else w for w in cmdline.split()]
    return " ".join(words[:6])[:80]


def tree_memory(procs: list[Proc]) -> list[ProcMemory]:
    found = []
    for proc in procs:
        for pid in proc.pids():
            mem = memory(pid)
            if mem is not None:
                found.append(mem)
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes have used, from /proc/PID/stat."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICKS


def settle(procs: list[Proc], idle_share: float = 0.05, limit: float = 120.0) -> float:
    """Wait until the servers are idle (under ``idle_share`` of a core over
    half a second): wrk leaves the requests it had in flight when it stops,
    and a slow server is still answering them; the next measurement must not
    pay for them. Returns the seconds waited."""
    pids = [p for proc in procs for p in proc.pids()]
    start = time.monotonic()
    while time.monotonic() - start < limit:
        before = cpu_seconds(pids)
        time.sleep(0.5)
        if cpu_seconds(pids) - before < idle_share * 0.5:
            break
    return time.monotonic() - start


_TICKS = os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float | None:
    """RSS from /proc/PID/statm: cheap enough to read every second under load."""
    try:
        resident = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return resident * _PAGE / (1024 * 1024)


_PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class PeakSampler:
    """Samples the RSS of process trees in a thread while load runs and keeps
    each tree's highest per-process and total figures. The trees are walked
    once, at the start (workers do not come and go under load), so that the
    sampling itself costs next to nothing."""

    procs: dict[str, list[Proc]]
    interval: float = 1.0
    peak_process: dict[str, float] = field(default_factory=dict)
    peak_total: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> PeakSampler:
        pids = {
            name: [p for proc in procs for p in proc.pids()] for name, procs in self.procs.items()
        }
        self.counts = {name: len(found) for name, found in pids.items()}
        self._thread = threading.Thread(target=self._run, args=(pids,), daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()

    def _run(self, pids: dict[str, list[int]]) -> None:
        while not self._stop.wait(self.interval):
            for name, found in pids.items():
                sizes = [m for m in map(rss_mb, found) if m is not None]
                if not sizes:
                    continue
                self.peak_process[name] = max(self.peak_process.get(name, 0.0), max(sizes))
                self.peak_total[name] = max(self.peak_total.get(name, 0.0), sum(sizes))
