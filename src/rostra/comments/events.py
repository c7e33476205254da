"""``GET /api/v1/events``: a story's live updates as Server-Sent Events.

Anyone may follow a story's public channel; a signed-in reader (bearer token
in the ``Authorization`` header, never in the URL, so it stays out of access
logs) also follows their own channel, which carries their held comments and
what happens to them. A reconnecting client sends ``Last-Event-ID`` and gets
exactly what it missed, or a ``reload`` event when that is too far back.
Events and their data are listed in docs/api.md.
"""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Header, Query, Request

from rostra.http.client import client_address
from rostra.http.deps import OptionalUser, StateDep
from rostra.http.live.log import encode, story_channel, user_channel
from rostra.http.live.sse import MEDIA_TYPE, EventStream, parse_last_event_id
from rostra.stories import service as stories

router = APIRouter(tags=["live"])


@router.get(
    "/events",
    summary="Follow a story's comments live (Server-Sent Events)",
    response_class=EventStream,
    status_code=200,
    responses={
        200: {
            "content": {MEDIA_TYPE: {}},
            "description": "An endless stream of events: `ready`, then `comment.created`, "
            "`comment.updated`, `comment.deleted`, `comment.liked`, `story.updated`, "
            "`comment.held` (own channel), `reload`; heartbeats as comments.",
        }
    },
)
async def story_events(
    request: Request,
    state: StateDep,
    viewer: OptionalUser,
    url: Annotated[str, Query(max_length=4096, description="the article URL")],
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=200)] = None,
) -> EventStream:
    def resolve() -> str:
        with state.read_sessions() as db:
            return stories.resolve(db, url)[1]

    normalised = await anyio.to_thread.run_sync(resolve)
    channels = [story_channel(normalised)]
    if viewer is not None:
        channels.append(user_channel(viewer.id))
    address = client_address(request, state.settings)
    sub = await state.hub.subscribe(
        channels, parse_last_event_id(last_event_id, len(channels)), address
    )
    ready = {"url": normalised, "viewer": viewer.id if viewer else None}
    return EventStream(state.hub, sub, ready=encode(ready).encode())
