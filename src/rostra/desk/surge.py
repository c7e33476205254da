"""Surges and auto-close: the moderation watch, one pass a minute.

A story's rate is its comments of the last ``WINDOW`` (five minutes, a
sliding window) per minute, counted from the comments table in one range
scan of the window per pass (``ix_comments_created_story``), so every process and every
runner sees the same figure. A story whose rate reaches its site's
``surge_threshold`` surges: the desk is told (``story.surge`` on
``desk:SITE_ID``) and, as the site chooses (``surge_action``), the story is
premoderated or put in slow mode. When the rate falls below half the
threshold (hysteresis: a story hovering at the threshold does not flap)
the surge ends and what it changed is put back, unless a moderator changed
it meanwhile. Each switch is one audit entry by Rostra itself, with the
rate as its reason.

The same pass closes the stories past their auto-close day (the site's
default, or the story's own, counted from its publication time).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from rostra.desk import repository
from rostra.models import Site, Story
from rostra.moderation import service as moderation
from rostra.stories import service as stories

log = logging.getLogger(__name__)

WINDOW = timedelta(minutes=5)
#: A surge ends when the rate falls below this share of the threshold.
HYSTERESIS = 0.5
#: Stories closed per site per pass, at most (the rest wait for the next).
CLOSE_BATCH = 500


@dataclass(frozen=True)
class Watched:
    """What one pass did."""

    started: tuple[int, ...] = ()
    ended: tuple[int, ...] = ()
    closed: tuple[int, ...] = ()


def rate(count: int) -> float:
    """Comments a minute over the window."""
    return round(count / (WINDOW.total_seconds() / 60), 2)


def watch(db: Session, now: datetime) -> Watched:
    """One pass over every site that watches surges or closes stories."""
    started: list[int] = []
    ended: list[int] = []
    closed: list[int] = []
    watching = repository.sites_watching(db)
    recent = repository.recent_counts(db, now - WINDOW) if watching else {}
    by_site: dict[int, dict[int, int]] = {}
    for story_id, (site_id, n) in recent.items():
        by_site.setdefault(site_id, {})[story_id] = n
    for site in watching:
        on, off = _surges(db, site, by_site.get(site.id, {}), now)
        started += on
        ended += off
        closed += [s.id for s in _close(db, site, now)]
    if started or ended or closed:
        log.info("moderation watch: surging %s, calm %s, closed %s", started, ended, closed)
    return Watched(tuple(started), tuple(ended), tuple(closed))


def _surges(
    db: Session, site: Site, counts: dict[int, int], now: datetime
) -> tuple[list[int], list[int]]:
    threshold = site.surge_threshold
    if threshold <= 0:
        counts = {}
    hot = {sid for sid, n in counts.items() if rate(n) >= threshold}
    started: list[int] = []
    ended: list[int] = []
    for story in repository.surging(db, site.id):
        hot.discard(story.id)
        current = rate(counts.get(story.id, 0))
        if threshold <= 0 or current < threshold * HYSTERESIS:
            _end(db, site, story, current, now)
            ended.append(story.id)
    for story in repository.stories_by_id(db, hot, lock=True):
        if story.is_closed or story.surge_started_at is not None:
            continue
        _start(db, site, story, rate(counts[story.id]), now)
        started.append(story.id)
    return started, ended


def _start(db: Session, site: Site, story: Story, current: float, now: datetime) -> None:
    action = site.surge_action
    undo: dict[str, Any] = {}
    if action == "premoderate" and not story.premoderated:
        undo["premoderated"] = False
        stories.set_mode(db, story.id, "premoderated", None)
    elif action == "slow_mode" and story.slow_mode_seconds < site.surge_slow_mode_seconds:
        undo["slow_mode_seconds"] = story.slow_mode_seconds
        undo["set_slow_mode_seconds"] = site.surge_slow_mode_seconds
        stories.set_mode(db, story.id, None, site.surge_slow_mode_seconds)
    stories.set_surge(db, story, current, undo, now)
    why = f"{current:g} comments a minute (the site's threshold is {site.surge_threshold})."
    data = {"rate": current, "threshold": site.surge_threshold, "action": action, "undo": undo}
    moderation.record(db, site.id, None, "story.surge", "story", story.id, why, data)
    _tell(db, story, True, current, action)


def _end(db: Session, site: Site, story: Story, current: float, now: datetime) -> None:
    undo = story.surge_undo or {}
    put_back: dict[str, Any] = {}
    # Only what the surge set and nobody changed since goes back.
    if "premoderated" in undo and story.premoderated and not story.is_closed:
        stories.set_mode(db, story.id, "open", None)
        put_back["mode"] = "open"
    if "slow_mode_seconds" in undo and story.slow_mode_seconds == undo.get("set_slow_mode_seconds"):
        stories.set_mode(db, story.id, None, int(undo["slow_mode_seconds"]))
        put_back["slow_mode_seconds"] = undo["slow_mode_seconds"]
    stories.set_surge(db, story, None, None, now)
    why = f"{current:g} comments a minute: the surge is over."
    data = {"rate": current, "threshold": site.surge_threshold, "put_back": put_back}
    moderation.record(db, site.id, None, "story.surge_end", "story", story.id, why, data)
    _tell(db, story, False, current, site.surge_action)


def _tell(db: Session, story: Story, on: bool, current: float, action: str) -> None:
    data = {
        "story_id": story.id,
        "title": story.title,
        "surging": on,
        "rate": current,
        "action": action,
        "mode": "closed" if story.is_closed else ("premoderated" if story.premoderated else "open"),
        "slow_mode_seconds": story.slow_mode_seconds,
    }
    moderation.tell_desk(db, story.site_id, "story.surge", data)


def _close(db: Session, site: Site, now: datetime) -> list[Story]:
    closed = stories.close_old(db, site, now, CLOSE_BATCH)
    for story in closed:
        days = stories.auto_close_days(story, site)
        why = f"Closed {days} days after its publication."
        data = {"auto_close_days": days}
        moderation.record(db, site.id, None, "story.auto_close", "story", story.id, why, data)
    return closed
