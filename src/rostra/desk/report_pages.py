"""The desk's Audit page (search, filters, pages) and its Dashboard (charts
drawn by the vendored Chart.js from figures in a JSON block, under the
strict CSP). Both read what the Moderation API reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from markupsafe import Markup
from starlette.responses import Response

from rostra.db.base import utcnow
from rostra.desk import service, stats
from rostra.desk.pages import DeskDep
from rostra.errors import Invalid
from rostra.http.deps import ReadSession

router = APIRouter(prefix="/desk", include_in_schema=False)
SiteName = Annotated[str | None, Query(max_length=64)]
AUDIT_PAGE = 50
#: The actions the filter offers (any other can still be typed in the URL).
ACTIONS = (
    "comment.approve", "comment.reject", "comment.feature", "comment.unfeature",
    "comment.hold", "user.ban", "user.suspend", "user.unban", "story.mode", "story.edit",
    "story.auto_close", "story.surge", "story.surge_end", "site.settings", "role.set",
)  # fmt: skip


def _day(value: str, field: str, *, end: bool = False) -> datetime | None:
    """A date box (``YYYY-MM-DD``) as the start of that day in UTC, or of
    the next day for an "until" box (so the day itself is included)."""
    text = value.strip()
    if not text:
        return None
    try:
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise Invalid(f"'{field}' must be a date (YYYY-MM-DD).", field=field) from None
    return day + timedelta(days=1) if end else day


def _query(**params: Any) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


@router.get("/audit")
def audit_page(
    desk: DeskDep,
    db: ReadSession,
    site: SiteName = None,
    action: Annotated[str, Query(max_length=32)] = "",
    actor: Annotated[str, Query(max_length=320)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    after: Annotated[int | None, Query(ge=0, le=2**62)] = None,
) -> Response:
    chosen = desk.site(site)
    where = service.audit_filter(
        db, action, actor, None, None, q, _day(since, "since"), _day(until, "until", end=True)
    )
    found = service.audit_page(
        db, desk.user, chosen.id if chosen else None, where, before, after, AUDIT_PAGE
    )
    names = {s.id: s.name for s in desk.sites}
    kept = {"site": site, "action": action, "actor": actor, "q": q, "since": since,
            "until": until}  # fmt: skip
    older = found["next_before"]
    newer = found["next_after"]
    return desk.render(
        "desk/admin/audit.html", active="audit", entries=found["entries"], site=chosen,
        actions=ACTIONS, filters=kept, site_names=names,
        older=f"/desk/audit?{_query(**kept, before=older)}" if older else None,
        newer=f"/desk/audit?{_query(**kept, after=newer)}" if newer else None,
    )  # fmt: skip


def json_block(data: Any) -> Markup:
    """JSON for a ``<script type="application/json">`` block: nothing in it
    can end the element or open a comment."""
    text = json.dumps(data, default=str, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 - escaped above for a script data block


@router.get("/dashboard")
def dashboard_page(desk: DeskDep, db: ReadSession, site: SiteName = None) -> Response:
    chosen = desk.site(site)
    figures = stats.dashboard(db, desk.user, chosen.id if chosen else None, utcnow())
    charts = {
        "hours": [h["hour"].strftime("%d %H:00") for h in figures["per_hour"]],
        "published": [h["published"] for h in figures["per_hour"]],
        "pending": [h["pending"] for h in figures["per_hour"]],
        "rejected": [h["rejected"] for h in figures["per_hour"]],
        "reasons": [
            f"{'held' if r['status'] == 'pending' else 'rejected'}: {r['reason'] or r['step']}"
            for r in figures["held_rejected"]
        ],
        "reason_counts": [r["count"] for r in figures["held_rejected"]],
        "stories": [(s["title"] or s["url"])[:60] for s in figures["busiest"]],
        "story_counts": [s["comments"] for s in figures["busiest"]],
        "queue": [figures["queue_pending"], figures["queue_reported"]],
    }
    return desk.render(
        "desk/admin/dashboard.html", active="dashboard", site=chosen, figures=figures,
        data=json_block(charts),
        surging=service.surging(db, desk.user, [chosen.id] if chosen else desk.site_ids),
    )  # fmt: skip
