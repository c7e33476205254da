"""Deep links to one comment: GET /api/v1/comments/{id}/context (the embed's
deeplink.js) and the no-JS page /thread?url=…&comment=ID, which answers 303
to the page holding the comment, at #comment-ID, in every state a comment
can be in. Both databases (``client``)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rostra.comments.threads import REPLIES_PER_THREAD
from rostra.embed.endpoints import PAGE_SIZE
from rostra.http.assets import STATIC
from tests.embed.test_thread_states import World
from tests.embed.thread_doc import Doc
from tests.factories import ARTICLE, add_site

API = "/api/v1"


@pytest.fixture
def w(client: TestClient, app: FastAPI) -> World:
    add_site(app)
    return World(client, app)


def deep(client: TestClient, comment_id: int, **params: str) -> tuple[str, Doc]:
    """Where /thread?comment= sends a reader, and the page found there."""
    r = client.get(
        "/thread",
        params={"url": ARTICLE, "comment": str(comment_id), **params},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    location = r.headers["location"]
    page = client.get(location.split("#")[0])
    assert page.status_code == 200, page.text
    return location, Doc(page.text)


def fragment(location: str) -> str:
    return urlsplit(location).fragment


def test_context_names_the_thread_and_story(client: TestClient, w: World) -> None:
    top = w.post("Olena", "Top.")
    reply = w.post("Taras", "Reply.", top)
    deeper = w.post("Olena", "Deeper.", reply)
    r = client.get(f"{API}/comments/{deeper}/context")
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["id"] == deeper and data["parent_id"] == reply and data["thread_id"] == top
    assert data["story_url"] == ARTICLE
    story = client.get(f"{API}/comments", params={"url": ARTICLE}).json()["story"]
    assert data["story_id"] == story["id"]
    assert client.get(f"{API}/comments/{top}/context").json()["thread_id"] == top


def test_context_of_a_hidden_comment_is_only_for_its_author(client: TestClient, w: World) -> None:
    top = w.post("Olena", "Top.")
    held = w.post("Taras", "Held.", top)
    w.hold(held, "pending")
    assert client.get(f"{API}/comments/{held}/context").status_code == 404
    other = client.get(f"{API}/comments/{held}/context", headers=w.reader("Olena"))
    assert other.status_code == 404 and other.json()["error"] == "not_found"
    own = client.get(f"{API}/comments/{held}/context", headers=w.reader("Taras"))
    assert own.status_code == 200 and own.json()["thread_id"] == top
    assert client.get(f"{API}/comments/99999/context").status_code == 404
    bad = client.get(f"{API}/comments/0/context")
    assert bad.status_code == 422 and bad.json()["error"] == "validation_error"


def test_context_is_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "get" in paths["/api/v1/comments/{comment_id}/context"]


def test_a_thread_on_a_later_page_opens_that_page_at_it(client: TestClient, w: World) -> None:
    ids = [w.post("Olena", f"Thread {n}.") for n in range(PAGE_SIZE + 3)]
    late = ids[PAGE_SIZE + 1]  # the /thread page is oldest first: page 2
    location, doc = deep(client, late)
    assert fragment(location) == f"comment-{late}"
    assert "cursor" in parse_qs(urlsplit(location).query)
    assert late in doc.comments and ids[0] not in doc.comments
    # The first page's own comment opens the first page, without a cursor.
    location, doc = deep(client, ids[3])
    assert "cursor" not in parse_qs(urlsplit(location).query) and ids[3] in doc.comments
    # Newest first, the oldest thread is the one on a later page.
    location, doc = deep(client, ids[0], sort="newest")
    assert "cursor" in parse_qs(urlsplit(location).query) and ids[0] in doc.comments
    assert ids[-1] not in doc.comments


def test_a_reply_beyond_those_shown_opens_its_threads_page(client: TestClient, w: World) -> None:
    top = w.post("Olena", "A busy thread.")
    replies = [w.post("Taras", f"Reply {n}.", top) for n in range(REPLIES_PER_THREAD + 2)]
    shown, beyond = replies[3], replies[REPLIES_PER_THREAD + 1]
    location, doc = deep(client, shown)
    assert urlsplit(location).path == "/thread" and shown in doc.comments
    location, doc = deep(client, beyond)
    assert urlsplit(location).path == f"/thread/{top}"
    assert fragment(location) == f"comment-{beyond}" and beyond in doc.comments


STATES = ["published", "edited", "liked", "featured", "staff", "private", "deleted"]


def test_every_shown_state_opens_at_the_comment(client: TestClient, w: World) -> None:
    """One story: a first page of older threads, then a thread in each state
    (on the second page, oldest first; a featured one is on the first)."""
    for n in range(PAGE_SIZE + 1):
        w.post("Filler", f"Thread {n}.")
    w.with_role("Desk", "moderator")
    r = client.patch(f"{API}/me", json={"is_private": True}, headers=w.reader("Quiet"))
    assert r.status_code == 200
    made: dict[str, tuple[str, int, int]] = {}
    for state in STATES:
        who = {"staff": "Desk", "private": "Quiet"}.get(state, "Olena")
        target = w.post(who, f"The {state} comment linked to.")
        reply = w.post("Taras", "A reply keeps a deleted one as a placeholder.", target)
        made[state] = (who, target, reply)
    w.edit("Olena", made["edited"][1], "The edited comment linked to, edited.")
    w.like(made["liked"][1], 3)
    w.decide(made["featured"][1], "feature")
    w.delete("Olena", made["deleted"][1])
    for state, (_, target, reply) in made.items():
        location, doc = deep(client, target)
        assert fragment(location) == f"comment-{target}", state
        assert target in doc.comments and reply in doc.comments, state
        # Picks come first, on the first page; the others are on the second.
        assert ("cursor" in location) is (state != "featured"), state
        if state == "deleted":
            assert "This comment was deleted." in doc.text_of(target)
        else:
            assert f"The {state} comment linked to" in doc.text_of(target), state
        # The reply too, in its thread on the same page.
        location, doc = deep(client, reply)
        assert fragment(location) == f"comment-{reply}" and reply in doc.comments, state


@pytest.mark.parametrize("status", ["pending", "rejected"])
def test_a_comment_readers_cannot_see_opens_the_first_page(
    client: TestClient, w: World, status: str
) -> None:
    shown = w.post("Olena", "Shown.")
    hidden = w.post("Taras", "Not for everyone.")
    w.hold(hidden, status)
    location, doc = deep(client, hidden)
    assert fragment(location) == "" and "cursor" not in location
    assert shown in doc.comments and hidden not in doc.comments
    assert "Not for everyone." not in doc.html


def test_the_page_highlights_its_target_and_the_embed_link_carries_it(
    client: TestClient, w: World
) -> None:
    assert ".rostra-comment:target" in (STATIC / "embed" / "story.css").read_text()
    top = w.post("Olena", "Top.")
    r = client.get("/embed/thread", params={"url": ARTICLE, "comment": str(top)})
    assert r.status_code == 200
    assert f'"comment":{top}' in r.text
    assert f"comment={top}#comment-{top}" in r.text  # the <noscript> link
    assert '"comment"' not in client.get("/embed/thread", params={"url": ARTICLE}).text
    assert client.get("/embed/thread", params={"url": ARTICLE, "comment": "x"}).status_code == 422


def test_the_loader_passes_the_hash_into_the_iframe(client: TestClient) -> None:
    loader = client.get("/embed.js").text
    assert "#rostra-comment-" in loader and "&comment=" in loader
