"""Schema migrations, run by `rostra migrate`, at start-up and by the tests."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine


def alembic_config(engine: Engine, script_location: str = "rostra:migrations") -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", script_location)
    cfg.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    # No sqlalchemy.url: env.py runs on the connection handed over in
    # cfg.attributes, and the option would be parsed with %-interpolation
    # (a %-escaped password breaks it) and would copy the password around.
    return cfg


def _run(engine: Engine, fn: str, target: str) -> None:
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, fn)(cfg, target)


def upgrade(engine: Engine, target: str = "head") -> None:
    _run(engine, "upgrade", target)


def downgrade(engine: Engine, target: str = "base") -> None:
    _run(engine, "downgrade", target)


def current(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def next_revision_id(cfg: Config) -> str:
    """The next of the numbered revisions (``0001``, ``0002``…): ids that sort
    as the files do and show the order at a glance."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(cfg)
    numbers = [int(r.revision) for r in script.walk_revisions() if r.revision.isdigit()]
    return f"{max(numbers, default=0) + 1:04d}"


def revision(
    message: str, *, autogenerate: bool = True, script_location: str = "rostra:migrations"
) -> str:
    """Write a new migration file under ``rostra/migrations/versions`` and
    return its path.

    With ``autogenerate`` its operations are what the models have that the
    migrations do not, found against a scratch SQLite database brought to
    head (so no configured database is needed). Read the file before
    committing it: autogenerate misses renames and some type changes.
    """
    import tempfile
    from pathlib import Path

    from rostra.db.engine import make_engine

    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(f"sqlite:///{Path(scratch) / 'head.db'}")
        try:
            cfg = alembic_config(engine, script_location)
            with engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
            # Formatted as the rest of the tree (ruff, from the test extras).
            cfg.set_section_option("post_write_hooks", "hooks", "ruff")
            cfg.set_section_option("post_write_hooks", "ruff.type", "module")
            cfg.set_section_option("post_write_hooks", "ruff.module", "ruff")
            cfg.set_section_option(
                "post_write_hooks", "ruff.options", "format REVISION_SCRIPT_FILENAME"
            )
            rev_id = next_revision_id(cfg)
            with engine.begin() as conn:
                cfg.attributes["connection"] = conn
                made = command.revision(
                    cfg, message=message, autogenerate=autogenerate, rev_id=rev_id
                )
        finally:
            engine.dispose()
    scripts = made if isinstance(made, list) else [made]
    return str(scripts[0].path) if scripts and scripts[0] is not None else ""
