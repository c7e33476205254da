"""One typed settings object, read in one place.

Values come, in order of precedence, from keyword arguments (tests), the
environment (``ROSTRA_*``), an optional TOML file named by ``ROSTRA_CONFIG``
(or ``--config``), and the defaults below. The settings are passed to
``create_app`` and reach request handlers through ``app.state.settings``;
no module imports a global copy.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class ConfigError(Exception):
    """A setting is missing or wrong; the message says what to set."""


@dataclass(frozen=True)
class RateLimit:
    """At most ``count`` hits per ``seconds``; written ``"COUNT/SECONDS"``, e.g. ``"10/60"``."""

    count: int
    seconds: int

    @classmethod
    def parse(cls, value: str) -> RateLimit:
        count, seconds = _check_rate(value).split("/")
        return cls(int(count), int(seconds))


def _check_rate(value: str) -> str:
    parts = value.split("/")
    if len(parts) != 2 or not all(p.strip().isdigit() and int(p) > 0 for p in parts):
        raise ValueError(f"expected COUNT/SECONDS such as 10/60, got {value!r}")
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ROSTRA_",
        extra="forbid",
        validate_default=True,
    )

    data_dir: Path = Field(
        default=Path("./rostra-data"),
        description="Folder for the SQLite file, the secret key and the mail outbox.",
    )
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL; `postgresql://user@host/db` or `sqlite:///path`. "
        "Default: a SQLite file in the data directory.",
    )
    secret_key: str = Field(
        default="",
        description="Signs internal tokens. Default: generated once and kept in "
        "DATA_DIR/secret_key.",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="The address readers reach this server at; used in mails and the embed.",
    )
    demo: bool = Field(
        default=True,
        description="Serve the demo news site at / and keep the `demo` site configured.",
    )
    smtp_url: str = Field(
        default="",
        description="`smtp://user:pass@host:port` (or `smtp+starttls://`, `smtps://`). "
        "Empty: mail is written to DATA_DIR/mail-outbox.",
    )
    mail_from: str = Field(default="Rostra <noreply@localhost>", description="Sender of mails.")
    max_comment_length: int = Field(
        default=5000, ge=1, le=100_000, description="Longest comment body, in characters."
    )
    max_display_depth: int = Field(
        default=6,
        ge=1,
        le=100,
        description="How many levels of replies are shown nested under a top-level comment; "
        "deeper replies are shown at the deepest level, each saying whom it answers.",
    )
    edit_window_seconds: int = Field(
        default=900, ge=0, description="How long an author may edit a comment."
    )
    session_days: int = Field(default=90, ge=1, description="Lifetime of a sign-in token.")
    max_request_bytes: int = Field(
        default=65536, ge=1024, description="Largest request body accepted."
    )
    rate_limit_enabled: bool = Field(default=True, description="Switch all rate limits.")
    rate_login: str = Field(
        default="10/300", description="Login attempts per address and per account (COUNT/SECONDS)."
    )
    rate_sso: str = Field(
        default="20/300",
        description="SSO sign-ins per reader of a site (site and `sub`), whatever the "
        "address (COUNT/SECONDS).",
    )
    rate_sso_failed: str = Field(
        default="20/300",
        description="Failed SSO sign-ins (invalid or replayed tokens) per client address "
        "(COUNT/SECONDS).",
    )
    rate_register: str = Field(
        default="5/3600", description="Registrations per client address (COUNT/SECONDS)."
    )
    rate_post: str = Field(
        default="10/60",
        description="Comments and edits per account and per client address (COUNT/SECONDS).",
    )
    rate_mail: str = Field(
        default="3/3600",
        description="Password-reset and verification mails per address (COUNT/SECONDS).",
    )
    rate_like: str = Field(
        default="60/60",
        description="Likes and unlikes per account and per client address (COUNT/SECONDS).",
    )
    moderation_pipeline: bool = Field(
        default=True,
        description="Switch the automatic moderation steps (word lists, toxicity, spam "
        "signals, new readers' holds); bans, story modes and slow mode stay.",
    )
    toxicity_scorer: Literal["profanity-check", "none"] = Field(
        default="profanity-check",
        description="The moderation pipeline's toxicity scorer: the model alt-profanity-check "
        "ships, or none.",
    )
    rate_report: str = Field(
        default="20/3600",
        description="Reports of comments per account and per client address (COUNT/SECONDS).",
    )
    rate_follow: str = Field(
        default="30/60",
        description="Follows, unfollows, blocks and unblocks per account and per client "
        "address (COUNT/SECONDS).",
    )
    rate_settings: str = Field(
        default="10/60",
        description="Changes to an account's settings (`PATCH /me`) and marking notifications "
        "read, per account and per client address (COUNT/SECONDS).",
    )
    rate_read_social: str = Field(
        default="120/60",
        description="Profiles, feed and notification reads, and handle suggestions, per "
        "client address; the feed and notifications also per account (COUNT/SECONDS).",
    )
    digest_hour: int = Field(
        default=7,
        ge=0,
        le=23,
        description="The hour (UTC) at which the daily digest of replies and mentions is mailed.",
    )
    redis_url: str = Field(
        default="",
        description="`redis://host:6379/0`: share caches, rate limits and live events "
        "between processes. Empty: kept in each process.",
    )
    redis_prefix: str = Field(default="rostra:", description="Prefix of every Redis key.")
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated proxy addresses whose X-Forwarded-For is believed.",
    )
    job_poll_seconds: float = Field(
        default=1.0, gt=0, description="How often the in-process job runner polls."
    )
    run_jobs_in_process: bool = Field(
        default=True,
        description="Run background jobs (mail) inside `rostra serve`; set false when "
        "`rostra worker` processes run them.",
    )
    max_streams_per_address: int = Field(
        default=20,
        ge=1,
        description="Live-update streams one client address may hold open at once "
        "(tabs and articles of readers behind one NAT address count together).",
    )
    metadata_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        le=30,
        description="The longest a fetch of an article's page (for its title and canonical "
        "URL) may take, redirects included.",
    )
    moderation_watch_seconds: int = Field(
        default=60,
        ge=5,
        le=3600,
        description="How often stories' comment rates are checked for surges and old "
        "stories closed (one job runner does it per interval).",
    )
    housekeeping_interval_seconds: int = Field(
        default=3600,
        ge=60,
        description="How often old rows (expired sessions and tokens, idempotency keys, "
        "finished jobs) are deleted; one job runner does it per interval.",
    )

    @field_validator(
        "rate_login",
        "rate_sso",
        "rate_sso_failed",
        "rate_register",
        "rate_post",
        "rate_mail",
        "rate_like",
        "rate_report",
        "rate_follow",
        "rate_settings",
        "rate_read_social",
    )
    @classmethod
    def _rates(cls, value: str) -> str:
        return _check_rate(value)

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml_path = os.environ.get("ROSTRA_CONFIG")
        if toml_path:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)

    def rate(self, name: str) -> RateLimit:
        value: str = getattr(self, f"rate_{name}")
        return RateLimit.parse(value)

    @property
    def mail_outbox_dir(self) -> Path:
        return self.data_dir / "mail-outbox"


# Variables that configure the command rather than the settings.
_NOT_SETTINGS = {"ROSTRA_CONFIG", "ROSTRA_ADMIN_PASSWORD"}


def load_settings(**overrides: Any) -> Settings:
    """Read the settings and fill the derived defaults (database, secret key).

    Fails with a :class:`ConfigError` that names the setting to fix.
    """
    config_file = os.environ.get("ROSTRA_CONFIG")
    if config_file and not Path(config_file).is_file():
        raise ConfigError(f"ROSTRA_CONFIG names {config_file!r}, which is not a file")
    known = {f"ROSTRA_{name.upper()}" for name in Settings.model_fields} | _NOT_SETTINGS
    unknown = sorted(
        n
        for n in os.environ
        if n.startswith("ROSTRA_") and n not in known and not n.startswith("ROSTRA_TEST_")
    )
    if unknown:
        raise ConfigError(
            f"unknown setting {', '.join(unknown)}: see the README's configuration table (a typo?)"
        )
    try:
        settings = Settings(**overrides)
    except ValueError as exc:
        raise ConfigError(f"invalid configuration: {exc}") from exc
    return finish(settings)


def finish(settings: Settings) -> Settings:
    """Fill in what defaults to files in the data directory."""
    data_dir = settings.data_dir.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    updates: dict[str, Any] = {"data_dir": data_dir}
    if not settings.database_url:
        updates["database_url"] = f"sqlite:///{data_dir / 'rostra.db'}"
    if not settings.secret_key:
        updates["secret_key"] = _stored_secret(data_dir / "secret_key")
    return settings.model_copy(update=updates)


def _stored_secret(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    # Created with owner-only permissions before the key is written.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key
