"""The queues: ``/desk`` (pending) and ``/desk/queue/{name}``, for one site
(``?site=NAME``) or every site the moderator moderates. ``?fragment=1``
answers the cards alone: the desk's script fetches them when the live
stream says the queue changed."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from starlette.responses import Response

from rostra.comments import moderate
from rostra.desk import cards as desk_cards
from rostra.desk.actions import DURATIONS
from rostra.desk.pages import DeskDep
from rostra.http.deps import ReadSession, StateDep

router = APIRouter(prefix="/desk", include_in_schema=False)
QueueName = Literal["pending", "reported", "flagged", "recent"]
QUEUE_LABELS = (
    ("pending", "Pending"),
    ("reported", "Reported"),
    ("flagged", "Machine-flagged"),
    ("recent", "Recent"),
)
PAGE = 50
SiteName = Annotated[str | None, Query(max_length=64)]
Count = Annotated[int | None, Query(ge=0, le=1000)]


def _queue_page(
    desk: DeskDep, db: ReadSession, state: StateDep, name: str, site: str | None, offset: int,
    fragment: bool = False, decided: int | None = None, skipped: int | None = None,
) -> Response:  # fmt: skip
    chosen = desk.site(site)
    found = moderate.queue(db, desk.user, name, chosen.id if chosen else None, None, PAGE, offset)
    cards = desk_cards.enrich(db, state.backends.cache, found)
    names = {s.id: s for s in desk.sites}
    reasons = {s.id: desk_cards.reasons_of(s) for s in desk.sites}
    here = desk.request.url.path + (f"?site={chosen.name}" if chosen else "")
    notice = None
    if decided is not None:
        notice = f"{decided} decided" + (
            f", {skipped} skipped: decided meanwhile" if skipped else ""
        )
    return desk.render(
        "desk/_cards.html" if fragment else "desk/queue.html",
        active="queues", queue=name, queues=QUEUE_LABELS, cards=cards, site=chosen,
        offset=offset, page=PAGE, sites_by_id=names, reasons=reasons, durations=DURATIONS,
        back=here, notice=notice, all_reasons=desk_cards.reasons_of(chosen) if chosen else
        desk_cards.reasons_of(None),
    )  # fmt: skip


@router.get("")
def home(
    desk: DeskDep,
    db: ReadSession,
    state: StateDep,
    site: SiteName = None,
    decided: Count = None,
    skipped: Count = None,
) -> Response:
    return _queue_page(desk, db, state, "pending", site, 0, False, decided, skipped)


@router.get("/queue/{name}")
def queue_page(
    desk: DeskDep,
    db: ReadSession,
    state: StateDep,
    name: QueueName,
    site: SiteName = None,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    fragment: bool = False,
    decided: Count = None,
    skipped: Count = None,
) -> Response:
    return _queue_page(desk, db, state, name, site, offset, fragment, decided, skipped)
