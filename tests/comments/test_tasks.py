"""Comment events go through the outbox to the broker, after the commit."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.comments.conftest import API, post


def test_events_published_on_the_story_channel(
    client: TestClient,
    app: FastAPI,
    alice: dict[str, str],
    jobs: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    published: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(
        app.state.backends.broker,
        "publish",
        lambda channel, event: published.append((channel, event)),
    )
    c = post(client, alice).json()
    client.patch(f"{API}/comments/{c['id']}", json={"body": "changed"}, headers=alice)
    client.delete(f"{API}/comments/{c['id']}", headers=alice)
    assert published == []  # nothing leaves before the runner carries it
    assert jobs() == 3
    story_id = client.get(
        f"{API}/comments", params={"url": "https://news.example/world/2026/river-crossing"}
    ).json()["story"]["id"]
    channel = f"story:{story_id}"
    assert published == [
        (channel, {"type": "comment.created", "comment_id": c["id"], "story_id": story_id}),
        (channel, {"type": "comment.updated", "comment_id": c["id"], "story_id": story_id}),
        (channel, {"type": "comment.deleted", "comment_id": c["id"], "story_id": story_id}),
    ]
    assert jobs() == 0
