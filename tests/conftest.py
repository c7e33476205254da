"""Shared fixtures: real SQLite and real PostgreSQL, migrated once per worker,
emptied after every test; an app and a client on top of them.

Every test that uses ``client`` (or ``db``) runs twice, once per database,
unless ROSTRA_TEST_BACKENDS narrows it (e.g. ``sqlite`` while iterating).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from rostra.app import create_app, job_context
from rostra.config import Settings, finish
from rostra.db import migrate
from rostra.db.base import Base
from rostra.db.engine import make_engine, normalise_url
from rostra.http.deps import state_of
from rostra.jobs.runner import run_once

PG_ADMIN_URL = os.environ.get("ROSTRA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
BACKENDS = [
    b.strip()
    for b in os.environ.get("ROSTRA_TEST_BACKENDS", "sqlite,postgres").split(",")
    if b.strip()
]


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test worker, dropped at the end."""
    name = f"rostra_test_{_worker()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalise_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "rostra.db"
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_database")
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url


def empty_tables(engine: Engine) -> None:
    """Delete every row (tests share one migrated database per worker)."""
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                # Names from our own metadata, not input.
                conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings for one test; tests may ``settings.model_copy(update=…)`` before ``app``."""
    return finish(
        Settings(
            data_dir=tmp_path / "data",
            database_url=database_url,
            secret_key="test-secret-key",
            public_url="http://rostra.test",
            demo=False,
            rate_limit_enabled=False,
            # Off like the rate limits, so that tests of other rules are not
            # held as bursts or duplicates; tests/moderation turns it on.
            moderation_pipeline=False,
            run_jobs_in_process=False,
        )
    )


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    application = create_app(settings, migrate_on_start=False, run_jobs=False)
    try:
        yield application
    finally:
        state_of(application).writer.close()
        empty_tables(state_of(application).engine)
        state_of(application).engine.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://rostra.test") as c:
        yield c


@pytest.fixture
def db(app: FastAPI) -> Iterator[Session]:
    with state_of(app).write_sessions() as session:
        yield session


def run_jobs(app: FastAPI) -> int:
    """Run every ready outbox job now (the tests' stand-in for the runner thread)."""
    ctx = job_context(state_of(app))
    total = 0
    while (n := run_once(state_of(app).write_sessions, ctx)) > 0:
        total += n
    return total


@pytest.fixture
def jobs(app: FastAPI) -> Any:
    return lambda: run_jobs(app)
