"""PATCH /stories/{id}: administrators close, reopen and retitle stories."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rostra.stories.schemas import StoryOut
from tests.comments.conftest import API, post, quick_reader, story_row
from tests.factories import add_site


@pytest.fixture
def story_id(client: TestClient, app: FastAPI) -> int:
    add_site(app)
    post(client, quick_reader(app), title="Old title")
    story = story_row(app)
    assert story is not None
    return story.id


@pytest.fixture
def admin(app: FastAPI) -> dict[str, str]:
    return quick_reader(app, is_admin=True)


def patch(client: TestClient, story_id: int, body: Any, headers: dict[str, str]) -> Any:
    return client.patch(f"{API}/stories/{story_id}", json=body, headers=headers)


def test_close_retitle_and_reopen(
    client: TestClient, app: FastAPI, story_id: int, admin: dict[str, str]
) -> None:
    r = patch(client, story_id, {"is_closed": True, "title": "  New title "}, admin)
    assert r.status_code == 200, r.text
    out = StoryOut.model_validate(r.json())
    assert (out.id, out.title, out.is_closed, out.comment_count) == (story_id, "New title", True, 1)
    reader = quick_reader(app)
    r = post(client, reader, expect=403)
    assert r.json()["error"] == "story_closed"
    r = patch(client, story_id, {"is_closed": False}, admin)
    assert r.json()["is_closed"] is False and r.json()["title"] == "New title"
    post(client, reader)
    assert patch(client, story_id, {}, admin).status_code == 200


def test_only_administrators(client: TestClient, app: FastAPI, story_id: int) -> None:
    r = patch(client, story_id, {"is_closed": True}, quick_reader(app))
    assert (r.status_code, r.json()["error"]) == (403, "forbidden")
    r = patch(client, story_id, {"is_closed": True}, {})
    assert (r.status_code, r.json()["error"]) == (401, "not_authenticated")
    story = story_row(app)
    assert story is not None and not story.is_closed


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"is_closed": "yes"}, 422, "validation_error", "is_closed"),
        ({"is_closed": 1}, 422, "validation_error", "is_closed"),
        ({"title": 5}, 422, "validation_error", "title"),
        ({"title": "x" * 501}, 422, "validation_error", "title"),
        ({"title": "bad\x00"}, 422, "invalid_characters", "title"),
        ({"title": "two\nlines"}, 422, "invalid_characters", "title"),
        ({"comment_count": 0}, 422, "validation_error", "comment_count"),
    ],
)
def test_bad_patches(
    client: TestClient,
    app: FastAPI,
    story_id: int,
    admin: dict[str, str],
    body: dict[str, Any],
    status: int,
    code: str,
    field: str,
) -> None:
    r = patch(client, story_id, body, admin)
    assert r.status_code == status, r.text
    assert (r.json()["error"], r.json()["field"]) == (code, field)
    story = story_row(app)
    assert story is not None and story.title == "Old title" and not story.is_closed


def test_unknown_story(client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    for sid in (424242, 2**40, 0):
        r = patch(client, sid, {"is_closed": True}, admin)
        assert (r.status_code, r.json()["error"]) == (404, "not_found")
    r = client.patch(f"{API}/stories/abc", json={}, headers=admin)
    assert r.status_code == 422
    r = client.patch(
        f"{API}/stories/1", content=b"{", headers={**admin, "Content-Type": "application/json"}
    )
    assert (r.status_code, r.json()["error"]) == (400, "invalid_json")
