"""Alembic environment: runs on the connection or URL that rostra.db.migrate hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import rostra.models  # noqa: F401  (registers every table on the metadata)
from rostra.db.base import Base
from rostra.db.engine import make_engine

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite can only alter tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `rostra migrate`")
run_migrations_online()
