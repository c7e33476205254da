"""A site's moderation settings: what the pipeline, the edit window, the
reports, the surge check and auto-close read. Changed by the site's
administrators (``PATCH /api/v1/moderation/sites/{site}/settings``, the
desk's settings page) and by the operator (``rostra moderation set``);
each change is one audit entry naming the fields, old and new. Never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from rostra.models import Site
from rostra.moderation.errors import ReasonsInvalid, ThresholdsOutOfOrder
from rostra.moderation.service import record

SURGE_ACTIONS = ("premoderate", "slow_mode", "flag_only")
WORD_FIELDS = ("banned_words", "suspect_words")
#: Every setting, in the order the desk's form shows them.
FIELDS = (
    "banned_words",
    "suspect_words",
    "nudge_threshold",
    "hold_threshold",
    "edit_window_seconds",
    "new_reader_holds",
    "report_threshold",
    "rejection_reasons",
    "surge_threshold",
    "surge_action",
    "surge_slow_mode_seconds",
    "auto_close_days",
)
MAX_REASONS, MAX_REASON_LENGTH = 30, 200


@dataclass(frozen=True)
class Settings:
    """A site's moderation settings as the API shows them."""

    banned_words: list[str]
    suspect_words: list[str]
    nudge_threshold: float
    hold_threshold: float
    #: None: the server's ``ROSTRA_EDIT_WINDOW_SECONDS``.
    edit_window_seconds: int | None
    new_reader_holds: int
    report_threshold: int
    rejection_reasons: list[str]
    surge_threshold: int
    surge_action: str
    surge_slow_mode_seconds: int
    auto_close_days: int


def of(site: Site) -> Settings:
    return Settings(**{name: _copy(getattr(site, name)) for name in FIELDS})


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


def _words(values: list[str]) -> list[str]:
    return sorted({w.strip() for w in values if w.strip()})


def _reasons(values: list[str]) -> list[str]:
    seen: list[str] = []
    for value in values:
        reason = " ".join(value.split())
        if not reason:
            continue
        if len(reason) > MAX_REASON_LENGTH:
            raise ReasonsInvalid(f"A reason is at most {MAX_REASON_LENGTH} characters.")
        if reason not in seen:
            seen.append(reason)
    if len(seen) > MAX_REASONS:
        raise ReasonsInvalid(f"At most {MAX_REASONS} reasons.")
    return seen


def change(db: Session, site: Site, changes: dict[str, Any], actor_id: int | None = None) -> Site:
    """Set the given settings (names of ``FIELDS``; the caller has checked
    each value's type and range, and the actor's role); 422
    ``thresholds_out_of_order`` if nudge would be above hold. One audit
    entry, ``site.settings``, with each changed field's old and new value;
    none when nothing changes."""
    unknown = set(changes) - set(FIELDS)
    if unknown:  # pragma: no cover - the callers' schemas name only these
        raise ValueError(f"unknown settings: {sorted(unknown)}")
    new = dict(changes)
    for name in WORD_FIELDS:
        if name in new:
            new[name] = _words(new[name])
    if "rejection_reasons" in new:
        new["rejection_reasons"] = _reasons(new["rejection_reasons"])
    nudge = new.get("nudge_threshold", site.nudge_threshold)
    hold = new.get("hold_threshold", site.hold_threshold)
    if nudge > hold:
        field = "nudge_threshold" if "nudge_threshold" in new else "hold_threshold"
        raise ThresholdsOutOfOrder(field=field)
    diff: dict[str, Any] = {}
    for name, value in new.items():
        old = _copy(getattr(site, name))
        if old != value:
            setattr(site, name, value)
            diff[name] = {"from": old, "to": value}
    if diff:
        db.flush()
        record(db, site.id, actor_id, "site.settings", "site", site.id, "", diff)
    return site


def set_site_rules(
    db: Session,
    site: Site,
    *,
    banned: list[str] | None = None,
    suspect: list[str] | None = None,
    nudge: float | None = None,
    hold: float | None = None,
    new_reader_holds: int | None = None,
    report_threshold: int | None = None,
) -> Site:
    """The operator's change (``rostra moderation set``): those given."""
    given = {
        "banned_words": banned, "suspect_words": suspect, "nudge_threshold": nudge,
        "hold_threshold": hold, "new_reader_holds": new_reader_holds,
        "report_threshold": report_threshold,
    }  # fmt: skip
    return change(db, site, {k: v for k, v in given.items() if v is not None})
