"""Helpers for the desk's page tests: a browser-like client signed in to the
desk (the sign-in cookie), and the CSRF token its pages carry."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from rostra.desk import csrf, session
from rostra.http.deps import state_of
from rostra.models import Site, SiteRole
from tests.comments.conftest import quick_reader, user_id

_TOKEN = re.compile(r'name="csrf" value="([0-9a-f]+)"')


class DeskClient:
    """One browser: its own cookie jar, signed in with a desk cookie."""

    def __init__(
        self, app: FastAPI, bearer: dict[str, str] | None, base_url: str = "http://rostra.test"
    ) -> None:
        self.app = app
        self.http = TestClient(app, base_url=base_url, follow_redirects=False)
        self.bearer = bearer
        self.token = bearer["Authorization"].split(" ", 1)[1] if bearer else None
        if self.token:
            self.http.cookies.set(session.COOKIE, self.token, domain="rostra.test", path="/desk")

    @property
    def csrf(self) -> str:
        assert self.token is not None
        return csrf.token_for(state_of(self.app).settings.secret_key, self.token)

    def get(self, path: str, **kw: Any) -> Response:
        r: Response = self.http.get(path, **kw)
        return r

    def post(self, path: str, data: dict[str, Any] | None = None, *, token: str | None = "",
             **kw: Any) -> Response:  # fmt: skip
        """POST a form; ``token`` "" sends this session's CSRF token, None none."""
        form = dict(data or {})
        if token == "":
            token = self.csrf
        if token is not None:
            form["csrf"] = token
        r: Response = self.http.post(path, data=form, **kw)
        return r


def page_token(html: str) -> str:
    found = _TOKEN.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def moderator(app: FastAPI, client: TestClient, on: Site, role: str = "moderator",
              name: str = "Mod") -> DeskClient:  # fmt: skip
    headers = quick_reader(app, name)
    uid = user_id(client, headers)
    with state_of(app).write_sessions() as db:
        db.add(SiteRole(site_id=on.id, user_id=uid, role=role))
        db.commit()
    return DeskClient(app, headers)


def reader_desk(app: FastAPI, name: str = "Reader") -> DeskClient:
    return DeskClient(app, quick_reader(app, name))
