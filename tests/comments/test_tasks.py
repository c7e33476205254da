"""Comment events go through the outbox to their consumers, after the commit."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rostra.jobs import registry
from rostra.jobs.registry import JobContext
from rostra.models import OutboxEvent, Site
from tests.comments.conftest import API, post, user_id
from tests.factories import add_site


@pytest.fixture
def site(app: FastAPI) -> Site:
    # A site that does not fetch its pages: the only jobs are the events counted here.
    return add_site(app, fetch_metadata=False)


def test_events_reach_their_consumer_after_the_commit(
    client: TestClient,
    app: FastAPI,
    alice: dict[str, str],
    jobs: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    consumed: list[tuple[str, dict[str, Any]]] = []

    def consume(event: OutboxEvent, ctx: JobContext) -> None:
        consumed.append((event.topic, event.payload))

    for topic in ("comment.created", "comment.updated", "comment.deleted"):
        monkeypatch.setitem(registry.HANDLERS, topic, registry.Registered(consume, False))
    c = post(client, alice).json()
    client.patch(f"{API}/comments/{c['id']}", json={"body": "changed"}, headers=alice)
    client.delete(f"{API}/comments/{c['id']}", headers=alice)
    assert consumed == []  # nothing leaves before the runner carries it
    assert jobs() == 3
    story_id = client.get(
        f"{API}/comments", params={"url": "https://news.example/world/2026/river-crossing"}
    ).json()["story"]["id"]
    payload = {"comment_id": c["id"], "story_id": story_id}
    assert consumed == [
        # The new comment's event carries what decides whether a job is wanted.
        (
            "comment.created",
            {
                **payload,
                "author_id": user_id(client, alice),
                "status": "published",
                "reply_to": None,
                "mentions": False,
            },
        ),
        ("comment.updated", payload),
        ("comment.deleted", payload),
    ]
    assert jobs() == 0
