"""The queues: ``/desk`` (pending) and ``/desk/queue/{name}``, for one site
(``?site=NAME``) or every site the moderator moderates."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from starlette.responses import Response

from rostra.comments import moderate
from rostra.desk.pages import DeskDep
from rostra.http.deps import ReadSession

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


def _queue_page(
    desk: DeskDep, db: ReadSession, name: str, site: str | None, offset: int
) -> Response:
    chosen = desk.site(site)
    cards = moderate.queue(db, desk.user, name, chosen.id if chosen else None, None, PAGE, offset)
    return desk.render(
        "desk/queue.html", active="queues", queue=name, queues=QUEUE_LABELS, cards=cards,
        site=chosen, offset=offset, page=PAGE,
    )  # fmt: skip


@router.get("")
def home(desk: DeskDep, db: ReadSession, site: SiteName = None) -> Response:
    return _queue_page(desk, db, "pending", site, 0)


@router.get("/queue/{name}")
def queue_page(
    desk: DeskDep,
    db: ReadSession,
    name: QueueName,
    site: SiteName = None,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> Response:
    return _queue_page(desk, db, name, site, offset)
