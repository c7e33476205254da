"""The one way an HTML page is rendered: account pages, the embed, the
no-JS thread, the demo site and the desk all come through ``render``.

Templates get ``static(path)`` for versioned asset URLs. Autoescaping is on
for every template (Jinja2Templates' default for .html).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.responses import HTMLResponse

from rostra.http.assets import static_url
from rostra.http.deps import app_state


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    response: HTMLResponse = app_state(request).templates.TemplateResponse(
        request,
        name,
        {"static": static_url, **(context or {})},
        status_code=status_code,
        headers=headers,
    )
    return response
