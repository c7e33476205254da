"""The `rostra` command's tests run against a throwaway data dir on each database."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def env(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """The environment a command runs in: no ROSTRA_* of the caller's, this
    test's data dir and database (emptied afterwards)."""
    for name in list(os.environ):
        if name.startswith("ROSTRA_") and not name.startswith("ROSTRA_TEST_"):
            monkeypatch.delenv(name)
    values = {
        "ROSTRA_DATA_DIR": str(tmp_path / "data"),
        "ROSTRA_DATABASE_URL": database_url,
        # As in tests/conftest.py: the same test text on two stories is no spam here.
        "ROSTRA_MODERATION_PIPELINE": "false",
    }
    yield values
    _empty(database_url)


def _empty(url: str) -> None:
    from rostra.db.engine import make_engine
    from tests.conftest import empty_tables

    engine = make_engine(url)
    empty_tables(engine)
    engine.dispose()
