"""The `rostra` command line: serve, migrate, db, worker, createadmin, comments, site."""

from __future__ import annotations

import contextlib
import getpass
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy.orm import Session

from rostra import __version__
from rostra.config import ConfigError, Settings, load_settings
from rostra.errors import RostraError


def _settings(ctx: click.Context) -> Settings:
    obj = ctx.ensure_object(dict)
    if "settings" not in obj:
        try:
            obj["settings"] = load_settings()
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from exc
    settings: Settings = obj["settings"]
    return settings


@contextmanager
def _db(settings: Settings) -> Iterator[Session]:
    """A writing session with the app's commit hooks: a change to a story
    retires its cached pages where servers share them (Redis)."""
    from rostra.app import build_state
    from rostra.db import migrate

    state = build_state(settings)
    migrate.upgrade(state.engine)
    try:
        with state.write_sessions() as db:
            yield db
    finally:
        state.engine.dispose()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rostra")
@click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False),
    help="TOML settings file (same names as ROSTRA_* without the prefix).",
)
def main(config: str | None) -> None:
    """Rostra: comments for news sites. Settings come from ROSTRA_* variables
    and an optional TOML file; see the README's configuration table."""
    if config:
        os.environ["ROSTRA_CONFIG"] = config


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=int,
    help="Processes (use PostgreSQL when more than one).",
)
@click.option(
    "--demo/--no-demo",
    default=None,
    help="Serve the demo news site (default: the ROSTRA_DEMO setting, which is on).",
)
@click.option(
    "--access-log/--no-access-log", default=True, show_default=True, help="Log every request."
)
@click.pass_context
def serve(
    ctx: click.Context, host: str, port: int, workers: int, demo: bool | None, access_log: bool
) -> None:
    """Run the server (migrations run first)."""
    import uvicorn

    # uvicorn imports the app in each worker process, so the choices made
    # here travel as environment variables that load_settings() reads there.
    if demo is not None:
        os.environ["ROSTRA_DEMO"] = "true" if demo else "false"
    if "ROSTRA_PUBLIC_URL" not in os.environ:
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 (compared with, not bound to)
        os.environ["ROSTRA_PUBLIC_URL"] = f"http://{shown}:{port}"
    settings = _settings(ctx)
    if workers > 1 and not settings.redis_url:
        raise click.ClickException(
            "--workers above 1 needs ROSTRA_REDIS_URL, so that the processes share "
            "caches and rate limits (a cache in one process would serve pages that "
            "another process has changed)."
        )
    os.environ["ROSTRA_DATA_DIR"] = str(settings.data_dir)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # Once, here, rather than in each worker process (they would race).
    from rostra.db import migrate as m
    from rostra.db.engine import make_engine

    engine = make_engine(settings.database_url)
    m.upgrade(engine)
    engine.dispose()
    click.echo(
        f"Rostra {__version__} on {settings.public_url}  "
        f"(database: {settings.database_url.split('@')[-1]})"
    )
    if settings.demo:
        click.echo(f"Demo news site: {settings.public_url}/")
    _raise_open_files_limit()
    uvicorn.run(
        "rostra.cli.asgi:app",
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
        access_log=access_log,
        loop="uvloop",
        http="httptools",
        # Live streams are long-lived connections: room for many, and a
        # bound on how long a stop waits for the requests in flight (the
        # streams themselves end at once, see rostra.app).
        backlog=4096,
        timeout_graceful_shutdown=10,
    )


def _raise_open_files_limit() -> None:
    """Each open live stream holds a socket: allow as many as the system lets us."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 65536 if hard == resource.RLIM_INFINITY else hard
    if soft < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


@main.command()
@click.option(
    "--downgrade",
    "target_down",
    metavar="REVISION",
    help="Go down to REVISION ('base' for an empty database).",
)
@click.pass_context
def migrate(ctx: click.Context, target_down: str | None) -> None:
    """Bring the database schema up to date."""
    from rostra.db import migrate as m
    from rostra.db.engine import make_engine

    engine = make_engine(_settings(ctx).database_url)
    if target_down:
        m.downgrade(engine, target_down)
    else:
        m.upgrade(engine)
    click.echo(f"database at revision {m.current(engine) or 'base'}")
    engine.dispose()


@main.group()
def db() -> None:
    """Developer commands for the schema (see docs/development.md)."""


@db.command("revision")
@click.option("-m", "--message", required=True, help="What the migration does, in a few words.")
@click.option(
    "--empty", is_flag=True, help="Write an empty migration instead of comparing the models."
)
def db_revision(message: str, empty: bool) -> None:
    """Write a new migration from the models' changes (run in a checkout)."""
    from rostra.db import migrate as m

    path = m.revision(message, autogenerate=not empty)
    click.echo(f"wrote {path}: read it, then run `scripts/test tests/db` on both databases")


@main.command()
@click.pass_context
def worker(ctx: click.Context) -> None:
    """Run background jobs (mail) in the foreground, for scaled-out setups."""
    from rostra.app import build_state, make_runner
    from rostra.db import migrate as m

    settings = _settings(ctx)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    state = build_state(settings)
    m.upgrade(state.engine)
    runner = make_runner(state)
    if not settings.redis_url:
        click.echo(
            "note: without ROSTRA_REDIS_URL, other processes' caches do not learn "
            "of this worker's changes (mail is unaffected)",
            err=True,
        )
    click.echo("worker running; Ctrl-C stops it")
    with contextlib.suppress(KeyboardInterrupt):
        runner.run_forever()


@main.command()
@click.option("--email", prompt=True)
@click.option("--name", "display_name", prompt="Display name")
@click.option(
    "--password",
    envvar="ROSTRA_ADMIN_PASSWORD",
    help="Default: asked for (or ROSTRA_ADMIN_PASSWORD).",
)
@click.option(
    "--site",
    "site_name",
    default=None,
    help="Give the role on this site only, instead of making an operator's "
    "administrator (every site).",
)
@click.option(
    "--role",
    type=click.Choice(["admin", "moderator", "staff"]),
    default="admin",
    show_default=True,
    help="The role on --site.",
)
@click.pass_context
def createadmin(
    ctx: click.Context,
    email: str,
    display_name: str,
    password: str | None,
    site_name: str | None,
    role: str,
) -> None:
    """Create an administrator account (or make an existing one admin).

    Without --site the account administers every site and may give roles
    in the desk and the Moderation API; with --site it gets --role there."""
    from rostra.accounts import service
    from rostra.moderation import service as moderation
    from rostra.sites import service as sites

    if not password:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Again: "):
            raise click.ClickException("the passwords differ")
    with _db(_settings(ctx)) as db:
        try:
            site = sites.get(db, site_name) if site_name is not None else None
            user = service.create_admin(db, email, password, display_name, operator=site is None)
            if site is not None:
                moderation.grant(db, site.id, user.id, role)
        except RostraError as exc:
            raise click.ClickException(exc.detail) from exc
        db.commit()
        if site is None:
            click.echo(f"administrator {user.email} (id {user.id}) ready")
        else:
            click.echo(f"{role} of {site.name}: {user.email} (id {user.id}) ready")


@main.group()
def comments() -> None:
    """Maintain the stored comments."""


@comments.command("rerender")
@click.option(
    "--batch",
    default=500,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="Comments per transaction.",
)
@click.pass_context
def comments_rerender(ctx: click.Context, batch: int) -> None:
    """Render every comment's HTML again from its Markdown (after an upgrade
    changed the rules), in batches; retires the changed stories' cached pages."""
    from rostra.app import build_state
    from rostra.comments import service
    from rostra.db import migrate as m

    state = build_state(_settings(ctx))
    m.upgrade(state.engine)
    seen = changed = 0
    stories: set[int] = set()
    after = 0
    try:
        while True:
            # One transaction per batch: the commit retires its stories' pages.
            with state.write_sessions() as db:
                done = service.rerender(db, after, batch, service.profiles_base(state.settings))
                db.commit()
            if done.last_id is None:
                break
            after = done.last_id
            seen += done.seen
            changed += done.changed
            stories |= done.story_ids
    finally:
        state.engine.dispose()
    click.echo(f"{seen} comments rendered again: {changed} changed, on {len(stories)} stories")


@main.group()
def moderation() -> None:
    """The moderation pipeline: a site's rules, and measuring them."""


@moderation.command("evaluate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--site", "site_name", default=None, help="Use this site's rules (default: the defaults)."
)
@click.option(
    "--decisions",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Write each row's decision, step and score to this CSV file.",
)
@click.pass_context
def moderation_evaluate(
    ctx: click.Context, file: Path, site_name: str | None, decisions: Path | None
) -> None:
    """Run the pipeline over FILE.csv (columns text,label; 1 = should be held
    or rejected) without posting; print precision, recall, the false-hold
    rate and comments per second."""
    from rostra.comments import moderate
    from rostra.moderation.evaluate import evaluate, read_rows
    from rostra.moderation.pipeline import Rules
    from rostra.moderation.scorer import build_scorer
    from rostra.sites import service as sites

    settings = _settings(ctx)
    try:
        rows = read_rows(file)
    except (ValueError, UnicodeDecodeError) as exc:
        raise click.ClickException(str(exc)) from exc
    rules = Rules()
    if site_name is not None:
        with _db(settings) as db:
            try:
                rules = moderate.site_rules(sites.get(db, site_name))
            except RostraError as exc:
                raise click.ClickException(exc.detail) from exc
    scorer = build_scorer(settings.toxicity_scorer)
    if decisions is not None:
        with decisions.open("w", newline="", encoding="utf-8") as out:
            figures = evaluate(rules, scorer, rows, out)
    else:
        figures = evaluate(rules, scorer, rows)
    click.echo(f"scorer {scorer.name}, hold {rules.hold}, nudge {rules.nudge}")
    click.echo(str(figures))


@moderation.command("set")
@click.argument("name")
@click.option(
    "--ban",
    "banned",
    multiple=True,
    help="A banned word or phrase (rejects); repeat. Replaces the list.",
)
@click.option(
    "--suspect", multiple=True, help="A suspect word or phrase (holds); repeat. Replaces the list."
)
@click.option("--clear-words", is_flag=True, help="Empty both word lists first.")
@click.option(
    "--nudge",
    type=click.FloatRange(0, 1),
    default=None,
    help="Toxicity score that asks to rephrase.",
)
@click.option(
    "--hold", type=click.FloatRange(0, 1), default=None, help="Toxicity score that holds."
)
@click.option(
    "--new-reader-holds",
    type=click.IntRange(0, 100),
    default=None,
    help="Hold a reader's first N comments.",
)
@click.option(
    "--report-threshold",
    type=click.IntRange(1, 1000),
    default=None,
    help="Reports that hold a comment.",
)
@click.option(
    "--edit-window",
    type=click.IntRange(0, 7 * 86400),
    default=None,
    help="Seconds an author may edit a comment.",
)
@click.option(
    "--surge-threshold",
    type=click.IntRange(0, 100_000),
    default=None,
    help="Comments a minute that make a story surge (0: off).",
)
@click.option(
    "--surge-action",
    type=click.Choice(["premoderate", "slow_mode", "flag_only"]),
    default=None,
    help="What a surge does besides telling the desk.",
)
@click.option(
    "--surge-slow-mode",
    type=click.IntRange(1, 86400),
    default=None,
    help="Slow mode seconds a surge sets.",
)
@click.option(
    "--auto-close-days",
    type=click.IntRange(0, 3650),
    default=None,
    help="Close stories N days after publication (0: never).",
)
@click.pass_context
def moderation_set(
    ctx: click.Context,
    name: str,
    banned: tuple[str, ...],
    suspect: tuple[str, ...],
    clear_words: bool,
    nudge: float | None,
    hold: float | None,
    new_reader_holds: int | None,
    report_threshold: int | None,
    edit_window: int | None,
    surge_threshold: int | None,
    surge_action: str | None,
    surge_slow_mode: int | None,
    auto_close_days: int | None,
) -> None:
    """Change site NAME's moderation rules."""
    from rostra.moderation import settings as moderation_rules
    from rostra.sites import service as sites

    given = {
        "banned_words": list(banned) if banned or clear_words else None,
        "suspect_words": list(suspect) if suspect or clear_words else None,
        "nudge_threshold": nudge, "hold_threshold": hold,
        "new_reader_holds": new_reader_holds, "report_threshold": report_threshold,
        "edit_window_seconds": edit_window, "surge_threshold": surge_threshold,
        "surge_action": surge_action, "surge_slow_mode_seconds": surge_slow_mode,
        "auto_close_days": auto_close_days,
    }  # fmt: skip
    with _db(_settings(ctx)) as db:
        try:
            site = moderation_rules.change(
                db, sites.get(db, name), {k: v for k, v in given.items() if v is not None}
            )
        except RostraError as exc:
            raise click.ClickException(exc.detail) from exc
        db.commit()
        surge = (
            f"{site.surge_threshold}/min ({site.surge_action})" if site.surge_threshold else "off"
        )
        click.echo(
            f"site {site.name}: banned {', '.join(site.banned_words) or '-'}; "
            f"suspect {', '.join(site.suspect_words) or '-'}; nudge {site.nudge_threshold}, "
            f"hold {site.hold_threshold}; new readers held {site.new_reader_holds}; "
            f"reports to hold {site.report_threshold}; edit window "
            f"{'default' if site.edit_window_seconds is None else site.edit_window_seconds}; "
            f"surge {surge}; "
            f"auto-close {site.auto_close_days or 'never'}"
        )


@main.group()
def site() -> None:
    """Configure the sites whose article URLs Rostra accepts."""


_ORIGIN_HELP = "scheme://host[:port], e.g. https://ledger.example"


@site.command("add")
@click.argument("name")
@click.option(
    "--origin",
    "origins",
    multiple=True,
    required=True,
    help=f"An origin the site's articles live on (repeatable): {_ORIGIN_HELP}.",
)
@click.option("--title", default="", help="The site's name as people read it (default: NAME).")
@click.option(
    "--require-verified-email",
    is_flag=True,
    help="Readers must verify their address before posting.",
)
@click.option("--premoderate", is_flag=True, help="New comments wait for a moderator.")
@click.option(
    "--fetch-metadata/--no-fetch-metadata",
    default=True,
    show_default=True,
    help="Read stories' titles and canonical URLs from the article pages; "
    "off, only administrators set titles.",
)
@click.pass_context
def site_add(
    ctx: click.Context,
    name: str,
    origins: tuple[str, ...],
    title: str,
    require_verified_email: bool,
    premoderate: bool,
    fetch_metadata: bool,
) -> None:
    """Add site NAME with its origins; prints its SSO secret."""
    from rostra.sites import service

    with _db(_settings(ctx)) as db:
        try:
            s = service.add_site(
                db,
                name,
                list(origins),
                title=title,
                require_verified_email=require_verified_email,
                moderation="pre" if premoderate else "post",
                fetch_metadata=fetch_metadata,
            )
        except RostraError as exc:
            raise click.ClickException(exc.detail) from exc
        db.commit()
        click.echo(f"site {s.name} added: {' '.join(s.origins)}")
        click.echo(f"SSO secret: {s.sso_secret}")


@site.command("edit")
@click.argument("name")
@click.option(
    "--origin",
    "origins",
    multiple=True,
    help=f"Replace the site's origins with these (repeatable): {_ORIGIN_HELP}.",
)
@click.option("--add-origin", "add_origins", multiple=True, help="Add an origin (repeatable).")
@click.option(
    "--remove-origin", "remove_origins", multiple=True, help="Remove an origin (repeatable)."
)
@click.option("--title", default=None, help="The site's name as people read it.")
@click.option(
    "--require-verified-email/--no-require-verified-email",
    default=None,
    help="Whether readers must verify their address before posting.",
)
@click.option(
    "--premoderate/--no-premoderate",
    default=None,
    help="Whether new comments wait for a moderator.",
)
@click.option(
    "--fetch-metadata/--no-fetch-metadata",
    default=None,
    help="Whether stories' titles come from the article pages (on: every story's page is "
    "read again; off: the titles clients sent are dropped).",
)
@click.pass_context
def site_edit(
    ctx: click.Context,
    name: str,
    origins: tuple[str, ...],
    add_origins: tuple[str, ...],
    remove_origins: tuple[str, ...],
    title: str | None,
    require_verified_email: bool | None,
    premoderate: bool | None,
    fetch_metadata: bool | None,
) -> None:
    """Change site NAME's origins, title or rules."""
    from rostra.sites import service
    from rostra.stories import service as stories

    changes = service.SiteChanges(
        origins=list(origins) if origins else None,
        add_origins=list(add_origins),
        remove_origins=list(remove_origins),
        title=title,
        require_verified_email=require_verified_email,
        moderation=None if premoderate is None else ("pre" if premoderate else "post"),
        fetch_metadata=fetch_metadata,
    )
    with _db(_settings(ctx)) as db:
        try:
            s, said = service.edit_site(db, name, changes)
        except RostraError as exc:
            raise click.ClickException(exc.detail) from exc
        if any(line.startswith("fetch metadata:") for line in said):
            n = stories.site_fetching_changed(db, s.id, s.fetch_metadata)
            many = f"{n} {'story' if n == 1 else 'stories'}"
            if s.fetch_metadata:
                said.append(f"{many} queued to be read again")
            else:
                said.append(f"dropped the titles clients sent for {many}")
        db.commit()
    if not said:
        click.echo(f"site {name}: nothing changed")
    for line in said:
        click.echo(f"site {name}: {line}")


@site.command("show")
@click.argument("name")
@click.option("--secrets", "show_secrets", is_flag=True, help="Also print the SSO secret.")
@click.pass_context
def site_show(ctx: click.Context, name: str, show_secrets: bool) -> None:
    """Print everything about site NAME."""
    from rostra.sites import service

    with _db(_settings(ctx)) as db:
        try:
            s = service.get(db, name)
        except RostraError as exc:
            raise click.ClickException(exc.detail) from exc
        found = service.contents(db, s)
    rows = [
        ("name", s.name),
        ("title", s.title),
        ("origins", "\n".join(s.origins)),
        ("require verified email", "yes" if s.require_verified_email else "no"),
        ("moderation", f"{s.moderation} ({service.MODERATION.get(s.moderation, '?')})"),
        ("fetch metadata", "yes" if s.fetch_metadata else "no (only administrators title)"),
        ("stories", f"{found.stories} ({found.comments} comments)"),
        ("SSO readers", str(found.sso_readers)),
        ("created", s.created_at.strftime("%Y-%m-%d %H:%M UTC")),
        ("SSO secret", s.sso_secret if show_secrets else "hidden (--secrets shows it)"),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        lines = value.split("\n") or [""]
        click.echo(f"{label.ljust(width)}  {lines[0]}".rstrip())
        for more in lines[1:]:
            click.echo(f"{'':{width}}  {more}")


@site.command("list")
@click.option("--secrets", "show_secrets", is_flag=True, help="Also print SSO secrets.")
@click.pass_context
def site_list(ctx: click.Context, show_secrets: bool) -> None:
    """List the configured sites, one a line, under a header."""
    from rostra.sites import service as sites

    with _db(_settings(ctx)) as db:
        all_sites = sites.all_sites(db)
        stories = sites.story_counts(db)
    if not all_sites:
        click.echo("no sites yet: add one with `rostra site add NAME --origin URL`")
        return
    header = ["NAME", "TITLE", "ORIGINS", "VERIFIED EMAIL", "MODERATION", "FETCH METADATA"]
    header += ["STORIES"] + (["SSO SECRET"] if show_secrets else [])
    table = [header]
    for s in all_sites:
        row = [s.name, s.title, ",".join(s.origins)]
        row += ["required" if s.require_verified_email else "no", s.moderation]
        row += ["yes" if s.fetch_metadata else "no", str(stories.get(s.id, 0))]
        table.append(row + ([s.sso_secret] if show_secrets else []))
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


@site.command("rotate-secret")
@click.argument("name")
@click.pass_context
def site_rotate_secret(ctx: click.Context, name: str) -> None:
    """Give site NAME a new SSO secret and print it; the old one stops working."""
    from rostra.sites import service

    with _db(_settings(ctx)) as db:
        try:
            s = service.rotate_secret(db, name)
        except RostraError as exc:
            raise click.ClickException(exc.detail) from exc
        db.commit()
    click.echo(f"new SSO secret for {s.name}: {s.sso_secret}")
    click.echo("Tokens signed with the old secret are refused from now on.")


@site.command("remove")
@click.argument("name")
@click.option(
    "--force",
    is_flag=True,
    help="Also delete the site's stories, their comments and its SSO readers.",
)
@click.pass_context
def site_remove(ctx: click.Context, name: str, force: bool) -> None:
    """Remove site NAME (refused while it has stories or SSO readers, unless --force)."""
    from rostra.sites import service

    with _db(_settings(ctx)) as db:
        try:
            s = service.get(db, name)
            found = service.contents(db, s)
            if force:
                click.echo(
                    f"deleting site {name} with its {found} "
                    "(and the readers' sign-ins and likes), in one transaction"
                )
            service.remove_site(db, name, force=force)
        except RostraError as exc:
            raise click.ClickException(exc.detail) from exc
        db.commit()
    click.echo(f"site {name} removed")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
