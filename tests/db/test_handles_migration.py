"""Migration 0004 gives every existing reader a unique handle from their name."""

from __future__ import annotations

from sqlalchemy import text

from rostra.db import migrate
from rostra.db.engine import make_engine


def test_existing_readers_get_handles(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate.downgrade(engine, "0003")
        with engine.begin() as conn:
            for name in ("Olena K.", "Olena K.", "Al", "Ω"):
                conn.execute(
                    text(
                        "INSERT INTO users (display_name, is_admin, is_suspended, created_at) "
                        "VALUES (:name, false, false, CURRENT_TIMESTAMP)"
                    ),
                    {"name": name},
                )
        migrate.upgrade(engine)
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT handle, is_private, mail_mode FROM users ORDER BY id")
            ).all()
        assert [r[0] for r in rows] == ["olena_k", "olena_k2", "al_reader", "reader"]
        assert all(r[1] is False or r[1] == 0 for r in rows)
        assert {r[2] for r in rows} == {"digest"}
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM users"))
        engine.dispose()
