"""Where /openapi.json says a bearer token is required, and where optional.

FastAPI lists the bearer scheme (``rostra.http.deps.BEARER``) on every
operation whose dependencies use it, with the scopes gathered on the way:
``OPTIONAL`` from ``optional_user``, and ``REQUIRED`` as well when the token
is reached through ``current_user``. Those markers become plain
requirements here: ``{"bearer": []}`` where a token is required, and
``[{}, {"bearer": []}]`` ("no authentication, or a bearer token") where a
token is used only if one is sent (a signed-in reader sees their likes and
held comments).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from rostra.http.deps import BEARER, OPTIONAL, REQUIRED


def document_security(app: FastAPI) -> None:
    """Make ``app.openapi()`` say, per operation, whether the token is optional."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        fresh = app.openapi_schema is None
        schema = generate()
        if fresh:
            _plain_requirements(schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend it


def _plain_requirements(schema: dict[str, Any]) -> None:
    name = BEARER.scheme_name
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            markers = next((r[name] for r in operation.get("security", []) if name in r), None)
            if markers is None:
                continue
            others = [r for r in operation["security"] if name not in r]
            plain = {name: [s for s in markers if s not in (OPTIONAL, REQUIRED)]}
            anonymous: list[dict[str, list[str]]] = [] if REQUIRED in markers else [{}]
            operation["security"] = [*anonymous, plain, *others]
