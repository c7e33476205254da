"""Engines for SQLite (WAL, foreign keys on) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

import threading
import weakref
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import ConnectionPoolEntry

from rostra.db import guard


def normalise_url(url: str) -> str:
    """Accept the URLs operators write and pick our drivers.

    ``postgres://`` and ``postgresql://`` both mean psycopg 3.
    """
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _sqlite_pragmas(dbapi_conn: Any, _: ConnectionPoolEntry) -> None:
    # Take transaction control from pysqlite so that WriterGate.begin decides
    # how each transaction starts.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


class WriterGate:
    """Writers of one process take turns at a lock before BEGIN IMMEDIATE.

    Writers start with BEGIN IMMEDIATE (readers with a deferred BEGIN): a
    deferred transaction that reads and then writes must upgrade its lock,
    and in WAL mode SQLite fails that at once with "database is locked" if
    another writer committed meanwhile. Waiting on SQLite's own busy handler
    instead is unfair, though: it sleeps in growing steps, so under many
    concurrent writers some wait seconds while others pass. Within one
    process a lock hands the turn over at once; other processes (a
    ``rostra worker``) still meet at SQLite's busy timeout.

    The turn ends when the transaction commits or rolls back. If a turn is
    ever not given back, a writer waits at most ``wait`` seconds and then
    goes on to SQLite's own locking, so the gate can slow writes but never
    stop them.
    """

    KEY = "rostra_writer_turn"

    def __init__(self, wait: float = 5.0) -> None:
        self._lock = threading.Lock()
        self.wait = wait

    def begin(self, conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        turn = mode == "IMMEDIATE" and self._lock.acquire(timeout=self.wait)
        if turn:
            conn.info[self.KEY] = True
        try:
            conn.exec_driver_sql(f"BEGIN {mode}")
        except BaseException:
            self.end(conn)
            raise

    def end(self, conn: Connection) -> None:
        if conn.info.pop(self.KEY, False):
            self._lock.release()

    @property
    def busy(self) -> bool:
        return self._lock.locked()


_GATES: weakref.WeakKeyDictionary[Engine, WriterGate] = weakref.WeakKeyDictionary()


def writer_gate(engine: Engine) -> WriterGate | None:
    """The SQLite engine's writer gate (None on PostgreSQL)."""
    return _GATES.get(engine)


def make_engine(url: str, **kw: Any) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        # Every request in flight holds a read connection: keep enough that
        # a burst does not open (and set up) new ones only to close them.
        kw.setdefault("pool_size", 12)
        kw.setdefault("max_overflow", 20)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 10},
            **kw,
        )
        gate = WriterGate()
        _GATES[engine] = gate
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", gate.begin)
        event.listen(engine, "commit", gate.end)
        event.listen(engine, "rollback", gate.end)
        guard.install(engine)
        return engine
    kw.setdefault("pool_pre_ping", True)
    kw.setdefault("pool_size", 10)
    kw.setdefault("max_overflow", 20)
    engine = create_engine(url, **kw)
    guard.install(engine)
    return engine
