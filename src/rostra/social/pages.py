"""The reader's profile as a page that needs no JavaScript: ``/u/{handle}``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.responses import HTMLResponse

from rostra.errors import NotFound
from rostra.http.deps import RateLimits, ReadSession, SettingsDep
from rostra.http.pages import render
from rostra.social import service

pages_router = APIRouter(include_in_schema=False)


@pages_router.get("/u/{handle}")
def profile_page(
    request: Request,
    handle: Annotated[str, Path(max_length=64)],
    db: ReadSession,
    settings: SettingsDep,
    limits: RateLimits,
) -> HTMLResponse:
    limits.enforce("read_social", limits.address)
    try:
        person = service.profile(db, settings, None, handle)
    except NotFound:
        return render(request, "social/profile.html", {"person": None}, status_code=404)
    return render(
        request,
        "social/profile.html",
        {"person": person},
        headers={"Cache-Control": "public, max-age=30"},
    )
