"""What a desk card shows besides the Moderation API's card: whether the
author wears the staff badge on the story's site or is banned from it now,
who is deciding the comment (claims), and the view the card's forms send
back so that a decision on a stale card answers 409; the reasons to reject
the site keeps (its settings, ``rejection_reasons``)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from rostra.backends.cache import Cache
from rostra.db.base import utcnow
from rostra.desk import claims
from rostra.models import Site
from rostra.models.site import DEFAULT_REJECTION_REASONS
from rostra.moderation import service as moderation


def seen(card: dict[str, Any]) -> str:
    """The card's view of its comment, as its forms send it back."""
    return f"{card['comment']['status']}|{card.get('decided_at') or ''}"


def parse_seen(value: str) -> tuple[str, str] | None:
    status, sep, decided_at = value.partition("|")
    return (status, decided_at) if sep and status else None


def enrich(db: Session, cache: Cache, cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_site: dict[int, set[int]] = defaultdict(set)
    for card in cards:
        if card["author"] is not None:
            by_site[card["story"]["site_id"]].add(card["author"]["id"])
    staff = {s: moderation.staff_among(db, s, ids) for s, ids in by_site.items()}
    banned = {s: moderation.banned_among(db, s, ids) for s, ids in by_site.items()}
    held = claims.held(cache, [card["comment"]["id"] for card in cards])
    now = utcnow()
    for card in cards:
        if author := card["author"]:
            author["age"] = account_age(now - datetime.fromisoformat(author["joined_at"]))
        site_id = card["story"]["site_id"]
        author = card["author"]
        author_id = author["id"] if author is not None else 0
        card["staff"] = author_id in staff.get(site_id, frozenset())
        ban = banned.get(site_id, {}).get(author_id)
        card["ban"] = None if ban is None else {"until": ban.until, "reason": ban.reason}
        card["claim"] = held.get(card["comment"]["id"])
        card["seen"] = seen(card)
    return cards


def account_age(age: timedelta) -> str:
    """How old an account is, as a moderator reads it at a glance."""
    days = age.days
    if days < 1:
        return "new today"
    if days < 60:
        return f"{days} day{'s' if days > 1 else ''} old"
    if days < 730:
        return f"{days // 30} months old"
    return f"{days // 365} years old"


def reasons_of(site: Site | None) -> list[str]:
    """The site's reasons to reject (its settings), or the defaults."""
    if site is not None and site.rejection_reasons:
        return list(site.rejection_reasons)
    return list(DEFAULT_REJECTION_REASONS)
