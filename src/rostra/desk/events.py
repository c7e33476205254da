"""``GET /desk/events``: the desk's live queue, as Server-Sent Events.

Cookie-authenticated like every desk page; follows the ``desk:SITE_ID``
channel of each site the moderator moderates (``rostra.moderation.service``
tells them of held, reported and decided comments, and of claims). Events:
``queue.held``, ``queue.reported``, ``queue.decided``, ``queue.removed`` (its
author deleted it), ``queue.claimed``, ``queue.released``; ``reload`` when the stream cannot resume.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request

from rostra.desk.pages import DeskDep
from rostra.http.client import client_address
from rostra.http.deps import StateDep
from rostra.http.live.log import encode
from rostra.http.live.sse import EventStream, parse_last_event_id
from rostra.moderation.service import desk_channel

router = APIRouter(prefix="/desk", include_in_schema=False)


@router.get("/events")
async def desk_events(
    request: Request,
    state: StateDep,
    desk: DeskDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=200)] = None,
) -> EventStream:
    channels = [desk_channel(site.id) for site in desk.sites]
    address = client_address(request, state.settings)
    sub = await state.hub.subscribe(
        channels, parse_last_event_id(last_event_id, len(channels)), address
    )
    ready = {"user": desk.user.id, "sites": [site.id for site in desk.sites]}
    return EventStream(state.hub, sub, ready=encode(ready).encode())
