"""Migrations: from empty to head, down to empty and back, and in step with the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from rostra.db import migrate
from rostra.db.base import Base
from rostra.db.engine import make_engine


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_round_trip(database_url: str) -> None:
    # The session fixture migrated this database to head already.
    engine = make_engine(database_url)
    try:
        assert migrate.current(engine) is not None
        migrate.downgrade(engine, "base")
        assert migrate.current(engine) is None
        assert _tables(database_url) == set()
        migrate.upgrade(engine)
        assert _tables(database_url) == set(Base.metadata.tables)
    finally:
        engine.dispose()


def test_models_and_migrations_agree(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
    finally:
        engine.dispose()
