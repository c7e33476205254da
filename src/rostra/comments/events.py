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
from starlette.datastructures import Headers, QueryParams
from starlette.types import Scope

from rostra.errors import RostraError
from rostra.http.client import client_address
from rostra.http.deps import AppState, OptionalUser, StateDep
from rostra.http.front import StreamHandler, bearer, one
from rostra.http.live.errors import TooManyStreams
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


def front(state: AppState) -> StreamHandler:
    """``GET /events`` opened by the lean front (``rostra.http.front``), as
    ``story_events`` opens it: an open stream then holds only its
    subscription, not a request's routing and dependency state. Anything
    the route would refuse (no or a bad URL, too many streams…) goes to it,
    which refuses it with the documented error."""

    async def open_stream(scope: Scope, query: QueryParams, headers: Headers) -> EventStream | None:
        url = one(query, "url")
        last = headers.getlist("last-event-id")
        if url is None or len(url) > 4096 or len(last) > 1 or (last and len(last[0]) > 200):
            return None
        token = bearer(headers)

        def resolve() -> tuple[str, int | None]:
            with state.read_sessions() as db:
                normalised = stories.resolve(db, url)[1]
                viewer = state.authenticate(db, token) if token is not None else None
                return normalised, viewer.id if viewer is not None else None

        try:
            normalised, viewer_id = await anyio.to_thread.run_sync(resolve)
        except RostraError:
            return None
        channels = [story_channel(normalised)]
        if viewer_id is not None:
            channels.append(user_channel(viewer_id))
        address = client_address(Request(scope), state.settings)
        resume = parse_last_event_id(last[0] if last else None, len(channels))
        try:
            sub = await state.hub.subscribe(channels, resume, address)
        except TooManyStreams:
            return None
        ready = {"url": normalised, "viewer": viewer_id}
        return EventStream(state.hub, sub, ready=encode(ready).encode())

    return open_stream
