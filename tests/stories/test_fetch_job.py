"""The ``story.metadata`` job against a real HTTP server: a story's title,
canonical URL and publication time come from its page, by the precedence
client placeholder → page → editor; on SQLite and PostgreSQL."""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from rostra.config import Settings
from rostra.db.base import utcnow
from rostra.http.deps import state_of
from rostra.jobs import outbox
from rostra.models import OutboxEvent, Site, Story
from rostra.stories import service
from rostra.stories.schemas import StoryAdminOut, StoryOut
from rostra.urls import normalise
from tests.comments.conftest import API, page, post, quick_reader, story_row
from tests.factories import add_site
from tests.stories.pages import ArticleServer, _Handler, article_server, html_page

PLACEHOLDER = "Sent by the client"


@pytest.fixture(autouse=True)
def _no_notifications(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests count the fetch jobs that comments cause; the notification
    jobs that comment events also cause are tested in tests/social."""
    from rostra.app import load_tasks
    from rostra.jobs import registry

    load_tasks()  # registers them, if no app was made yet, before they are taken out
    for topic in ("comment.created", "comment.liked"):
        monkeypatch.delitem(registry.HANDLERS, topic, raising=False)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Short, for the slow pages; long enough for the others on a busy machine.
    return settings.model_copy(update={"metadata_timeout_seconds": 3.0})


FLAKY = {"failures": 0}


def _flaky(h: _Handler) -> None:
    if FLAKY["failures"] > 0:
        FLAKY["failures"] -= 1
        h.send(503, html_page("<title>Try later</title>"))
    else:
        h.send(200, html_page("<title>Back again</title>"))


@pytest.fixture(scope="module")
def pages() -> Iterator[ArticleServer]:
    with article_server(extra={"/flaky": _flaky}) as srv:
        yield srv


@pytest.fixture
def admin(app: FastAPI) -> dict[str, str]:
    return quick_reader(app, is_admin=True)


def first_comment(
    client: TestClient, app: FastAPI, url: str, title: str | None = PLACEHOLDER
) -> int:
    fields: dict[str, Any] = {} if title is None else {"title": title}
    post(client, quick_reader(app), url=url, **fields)
    story = story_row(app, normalise(url))
    assert story is not None
    return story.id


def as_admin(client: TestClient, admin: dict[str, str], story_id: int) -> StoryAdminOut:
    r = client.get(f"{API}/stories/{story_id}", headers=admin)
    assert r.status_code == 200, r.text
    return StoryAdminOut.model_validate(r.json())


def pending_fetches(app: FastAPI) -> list[OutboxEvent]:
    with state_of(app).read_sessions() as db:
        return list(
            db.scalars(
                select(OutboxEvent).where(
                    OutboxEvent.topic == service.METADATA_TOPIC, OutboxEvent.done_at.is_(None)
                )
            )
        )


def due_now(app: FastAPI) -> None:
    """Bring the back-off of waiting fetches to an end (the test's clock)."""
    with state_of(app).write_sessions() as db:
        db.execute(
            update(OutboxEvent)
            .where(OutboxEvent.done_at.is_(None))
            .values(available_at=utcnow() - timedelta(seconds=1))
        )
        db.commit()


# --- what the page says ---------------------------------------------------------

GOOD = [
    ("/og-only", "From og:title", None, None),
    ("/title-only", "From the title element", None, None),
    ("/both", "The og:title wins", None, None),
    ("/canonical-on", "Canonical on the site", "/2026/the-story", None),
    ("/canonical-off", "Canonical elsewhere", None, None),
    ("/published", "Dated", None, "2026-11-23T06:30:00Z"),
    ("/messy", "Floods & fire: the week in <Brennock>", None, None),
    ("/latin1", "Café society", None, None),
    ("/redirect-in", "The og:title wins", None, None),
    ("/redirect-chain", "The og:title wins", None, None),
    ("/endless-head", "Read before the limit", None, None),
    ("/endless-body", "Stops at the head", None, None),
]


@pytest.mark.parametrize(("path", "title", "canonical", "published"), GOOD)
def test_the_page_names_the_story(
    client: TestClient,
    app: FastAPI,
    jobs: Any,
    pages: ArticleServer,
    admin: dict[str, str],
    path: str,
    title: str,
    canonical: str | None,
    published: str | None,
) -> None:
    add_site(app, origins=[pages.base])
    url = pages.url(path)
    story_id = first_comment(client, app, url)
    assert page(client, url)["story"]["title"] == PLACEHOLDER  # cached, before the fetch
    assert jobs() == 1
    out = as_admin(client, admin, story_id)
    assert (out.title, out.title_source, out.metadata_error) == (title, "page", None)
    assert out.canonical_url == (pages.url(canonical) if canonical else None)
    assert out.canonical_source == ("page" if canonical else None)
    assert out.metadata_fetched_at is not None
    story = page(client, url)["story"]  # the cached page was retired by the job's commit
    StoryOut.model_validate(story)
    assert (story["title"], story["canonical_url"], story["published_at"]) == (
        title,
        out.canonical_url,
        published,
    )
    assert pending_fetches(app) == []


FAILING = [
    # path, what the story's error says, whether the outbox tries again
    ("/no-title", "no og:title or <title>", False),
    ("/title-too-late", "no og:title or <title>", False),
    (
        "/redirect-out",
        "redirects off the site's origins, to https://elsewhere.example/story",
        False,
    ),
    ("/redirect-private", "off the site's origins, to http://169.254.169.254/latest", False),
    ("/redirect-ftp", "off the site's origins, to ftp://127.0.0.1/x", False),
    ("/redirect-loop", "More than 3 redirects", False),
    ("/redirect-nowhere", "redirects without a Location", False),
    ("/slow", "did not answer within 3 s", True),
    ("/drip", "did not answer within 3 s", True),
    ("/drip-headers", "did not answer within 3 s", True),
    ("/json", "answered application/json, not an HTML page", False),
    ("/no-type", "answered no Content-Type, not an HTML page", False),
    ("/gone", "answered 410 Gone", False),
    ("/missing", "answered 404 Not Found", True),
    ("/broken", "answered 500 Internal Server Error", True),
]


@pytest.mark.parametrize(("path", "error", "retried"), FAILING)
def test_a_page_that_cannot_name_the_story(
    client: TestClient,
    app: FastAPI,
    jobs: Any,
    pages: ArticleServer,
    admin: dict[str, str],
    path: str,
    error: str,
    retried: bool,
) -> None:
    add_site(app, origins=[pages.base])
    url = pages.url(path)
    story_id = first_comment(client, app, url)
    assert jobs() == 1
    out = as_admin(client, admin, story_id)
    assert (out.title, out.title_source) == (PLACEHOLDER, "client")
    assert out.metadata_error is not None and error in out.metadata_error
    assert page(client, url)["story"]["title"] == PLACEHOLDER
    waiting = pending_fetches(app)
    if retried:
        assert [(e.attempts, e.payload) for e in waiting] == [(1, {"story_id": story_id})]
        assert waiting[0].last_error is not None and error in waiting[0].last_error
        assert waiting[0].available_at > utcnow()  # backing off
    else:
        assert waiting == []


def test_a_server_that_drips_is_cut_off_at_the_deadline(
    client: TestClient, app: FastAPI, jobs: Any, pages: ArticleServer
) -> None:
    """However slowly the bytes come, the fetch hangs up when its time is up:
    the server sees the connection closed before it has sent its answer."""
    add_site(app, origins=[pages.base])
    for path in ("/drip-headers", "/drip", "/endless-body", "/endless-head"):
        first_comment(client, app, pages.url(path))
    jobs()
    deadline = time.monotonic() + 30  # the server notices at its next write
    endless = {"/drip-headers", "/drip", "/endless-body", "/endless-head"}
    while not endless <= set(pages.seen.cut_off):
        assert time.monotonic() < deadline, pages.seen
        time.sleep(0.05)
    assert not endless & set(pages.seen.finished)


def test_the_requests_name_rostra(
    client: TestClient, app: FastAPI, jobs: Any, pages: ArticleServer
) -> None:
    add_site(app, origins=[pages.base])
    first_comment(client, app, pages.url("/og-only?b=2&a=1&utm_medium=mail"))
    before = len(pages.seen.requests)
    jobs()
    path, host, agent = pages.seen.requests[before]
    assert (path, host) == ("/og-only?a=1&b=2", f"127.0.0.1:{pages.port}")  # the normalised URL
    assert agent.startswith("Rostra/") and "http://rostra.test" in agent


def test_a_failing_page_is_tried_again_then_given_up(
    client: TestClient, app: FastAPI, jobs: Any, pages: ArticleServer, admin: dict[str, str]
) -> None:
    add_site(app, origins=[pages.base])
    FLAKY["failures"] = 1
    story_id = first_comment(client, app, pages.url("/flaky"))
    jobs()
    assert "503" in (as_admin(client, admin, story_id).metadata_error or "")
    due_now(app)
    assert jobs() == 1
    out = as_admin(client, admin, story_id)
    assert (out.title, out.metadata_error) == ("Back again", None)  # the error went with success
    # A page that keeps failing: after the outbox's last attempt, the error stays.
    broken = first_comment(client, app, pages.url("/broken"))
    for _ in range(outbox.MAX_ATTEMPTS):
        due_now(app)
        assert jobs() == 1
    assert jobs() == 0 and pending_fetches(app) == []
    out = as_admin(client, admin, broken)
    assert "500" in (out.metadata_error or "") and out.title == PLACEHOLDER
    with state_of(app).read_sessions() as db:
        row = db.scalars(select(OutboxEvent).where(OutboxEvent.topic == "story.metadata")).all()
    last = [e for e in row if e.payload == {"story_id": broken}]
    assert [(e.attempts, e.done_at is not None) for e in last] == [(outbox.MAX_ATTEMPTS, True)]
    assert "500" in (last[0].last_error or "")


# --- precedence: client placeholder → page → editor ------------------------------


def test_a_client_title_is_a_placeholder_until_the_page_is_read(
    client: TestClient, app: FastAPI, jobs: Any, pages: ArticleServer, admin: dict[str, str]
) -> None:
    add_site(app, origins=[pages.base])
    url = pages.url("/og-only")
    story_id = first_comment(client, app, url, title=None)
    assert story_row(app, url) is not None
    post(client, quick_reader(app), url=url, title="A later placeholder")  # none yet: taken
    out = as_admin(client, admin, story_id)
    assert (out.title, out.title_source) == ("A later placeholder", "client")
    post(client, quick_reader(app), url=url, title="Another")  # the first one is kept
    assert as_admin(client, admin, story_id).title == "A later placeholder"
    jobs()
    post(client, quick_reader(app), url=url, title="Forged after the fetch")
    out = as_admin(client, admin, story_id)
    assert (out.title, out.title_source) == ("From og:title", "page")


def test_an_editor_title_wins_over_the_page_for_good(
    client: TestClient, app: FastAPI, jobs: Any, pages: ArticleServer, admin: dict[str, str]
) -> None:
    add_site(app, origins=[pages.base])
    url = pages.url("/canonical-on")
    story_id = first_comment(client, app, url)
    r = client.patch(f"{API}/stories/{story_id}", json={"title": "The editor's"}, headers=admin)
    assert r.status_code == 200, r.text
    assert (r.json()["title"], r.json()["title_source"]) == ("The editor's", "editor")
    jobs()  # the fetch enqueued by the first comment
    out = as_admin(client, admin, story_id)
    assert (out.title, out.title_source) == ("The editor's", "editor")
    assert out.canonical_url == pages.url("/2026/the-story")  # the page still gives the rest
    r = client.post(f"{API}/stories/{story_id}/fetch-metadata", headers=admin)
    assert r.status_code == 202, r.text
    assert StoryAdminOut.model_validate(r.json()).title == "The editor's"
    assert jobs() == 1
    assert as_admin(client, admin, story_id).title == "The editor's"
    post(client, quick_reader(app), url=url, title="A client")
    assert page(client, url)["story"]["title"] == "The editor's"
    # An empty title gives it back to the page, read again.
    r = client.patch(f"{API}/stories/{story_id}", json={"title": "  "}, headers=admin)
    assert (r.json()["title"], r.json()["title_source"]) == ("", "client")
    assert jobs() == 1
    out = as_admin(client, admin, story_id)
    assert (out.title, out.title_source) == ("Canonical on the site", "page")


def test_an_editor_canonical_url(
    client: TestClient, app: FastAPI, jobs: Any, pages: ArticleServer, admin: dict[str, str]
) -> None:
    add_site(app, origins=[pages.base, "https://www.ledger.example"])
    url = pages.url("/canonical-on")
    story_id = first_comment(client, app, url)
    jobs()

    def patch(value: str) -> Any:
        return client.patch(
            f"{API}/stories/{story_id}", json={"canonical_url": value}, headers=admin
        )

    for bad, code in [
        ("https://elsewhere.example/x", "url_not_allowed"),
        ("http://www.ledger.example/x", "url_not_allowed"),
        ("not a url", "invalid_url"),
        ("javascript:alert(1)", "invalid_url"),
    ]:
        r = patch(bad)
        assert (r.status_code, r.json()["error"], r.json()["field"]) == (
            422,
            code,
            "canonical_url",
        ), bad
    assert as_admin(client, admin, story_id).canonical_source == "page"
    r = patch("https://WWW.ledger.example/2026/the-story?utm_source=x")
    assert r.status_code == 200, r.text
    assert (r.json()["canonical_url"], r.json()["canonical_source"]) == (
        "https://www.ledger.example/2026/the-story",
        "editor",
    )
    client.post(f"{API}/stories/{story_id}/fetch-metadata", headers=admin)
    jobs()
    assert (
        page(client, url)["story"]["canonical_url"] == "https://www.ledger.example/2026/the-story"
    )
    r = patch("")
    assert (r.json()["canonical_url"], r.json()["canonical_source"]) == (None, None)
    jobs()
    out = as_admin(client, admin, story_id)
    assert (out.canonical_url, out.canonical_source) == (pages.url("/2026/the-story"), "page")


def test_with_fetching_off_only_administrators_title_stories(
    client: TestClient, app: FastAPI, jobs: Any, pages: ArticleServer, admin: dict[str, str]
) -> None:
    add_site(app, origins=[pages.base], fetch_metadata=False)
    url = pages.url("/og-only")
    story_id = first_comment(client, app, url)
    post(client, quick_reader(app), url=url, title="Another try")
    assert jobs() == 0  # nothing is fetched
    out = as_admin(client, admin, story_id)
    assert (out.title, out.title_source, out.metadata_fetched_at) == ("", "client", None)
    assert page(client, url)["story"]["title"] == ""
    r = client.post(f"{API}/stories/{story_id}/fetch-metadata", headers=admin)
    assert (r.status_code, r.json()["error"]) == (409, "metadata_fetch_off")
    r = client.patch(f"{API}/stories/{story_id}", json={"title": "Set by hand"}, headers=admin)
    assert r.json()["title"] == "Set by hand"
    r = client.patch(f"{API}/stories/{story_id}", json={"title": ""}, headers=admin)
    assert r.json()["title"] == "" and jobs() == 0


def test_switching_fetching_off_drops_client_titles_and_on_fetches(
    client: TestClient, app: FastAPI, jobs: Any, pages: ArticleServer, admin: dict[str, str]
) -> None:
    site = add_site(app, origins=[pages.base])
    placeholder = first_comment(client, app, pages.url("/no-title"))
    fetched = first_comment(client, app, pages.url("/og-only"))
    edited = first_comment(client, app, pages.url("/title-only"))
    client.patch(f"{API}/stories/{edited}", json={"title": "Edited"}, headers=admin)
    jobs()
    with state_of(app).write_sessions() as db:
        assert service.site_fetching_changed(db, site.id, False) == 1
        db.execute(update(Site).where(Site.id == site.id).values(fetch_metadata=False))
        db.commit()
    titles = {sid: as_admin(client, admin, sid).title for sid in (placeholder, fetched, edited)}
    assert titles == {placeholder: "", fetched: "From og:title", edited: "Edited"}
    assert page(client, pages.url("/no-title"))["story"]["title"] == ""
    with state_of(app).write_sessions() as db:
        db.execute(update(Site).where(Site.id == site.id).values(fetch_metadata=True))
        assert service.site_fetching_changed(db, site.id, True) == 3
        db.commit()
    assert jobs() == 3


def test_nothing_is_fetched_for_a_story_gone_or_a_site_switched_off(
    client: TestClient, app: FastAPI, jobs: Any, pages: ArticleServer
) -> None:
    add_site(app, origins=[pages.base])
    first_comment(client, app, pages.url("/og-only"))
    with state_of(app).write_sessions() as db:
        db.execute(update(Site).values(fetch_metadata=False))
        db.commit()
    before = len(pages.seen.requests)
    assert jobs() == 1
    with state_of(app).write_sessions() as db:
        db.execute(update(Site).values(fetch_metadata=True))
        db.commit()
    gone = first_comment(client, app, pages.url("/both"))
    with state_of(app).write_sessions() as db:
        db.delete(db.get(Story, gone))
        db.commit()
    assert jobs() == 1
    assert len(pages.seen.requests) == before


def test_only_administrators_see_and_refetch_stories(
    client: TestClient, app: FastAPI, pages: ArticleServer, admin: dict[str, str]
) -> None:
    add_site(app, origins=[pages.base])
    story_id = first_comment(client, app, pages.url("/og-only"))
    reader = quick_reader(app)
    for method, path in (("GET", "/stories/{}"), ("POST", "/stories/{}/fetch-metadata")):
        assert (
            client.request(method, API + path.format(story_id), headers=reader).status_code == 403
        )
        assert client.request(method, API + path.format(story_id)).status_code == 401
        for unknown in (424242, 2**40, 0):
            r = client.request(method, API + path.format(unknown), headers=admin)
            assert (r.status_code, r.json()["error"]) == (404, "not_found")
    assert pending_fetches(app)[0].payload == {"story_id": story_id}  # the first comment's only
    # The public story shows no fetch errors or sources.
    public = page(client, pages.url("/og-only"))["story"]
    assert not {"metadata_error", "title_source", "metadata_fetched_at"} & set(public)


# --- private addresses, end to end -------------------------------------------------


def _own_name_addresses() -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = socket.getaddrinfo(socket.gethostname(), 80, type=socket.SOCK_STREAM)
    except OSError:
        return []
    return [ipaddress.ip_address(str(i[4][0]).split("%")[0]) for i in infos]


def test_a_name_that_resolves_to_a_private_address_is_refused(
    client: TestClient, app: FastAPI, jobs: Any, admin: dict[str, str]
) -> None:
    """The machine's own name (here resolving to loopback, from /etc/hosts) is
    no configured loopback origin: a DNS answer earns no trust."""
    name = socket.gethostname().lower()
    addresses = _own_name_addresses()
    if not addresses or any(a.is_global for a in addresses) or "localhost" in name:
        pytest.skip(f"{name} does not resolve to private addresses only here")
    loopback = [a for a in addresses if a.is_loopback and a.version == 4]
    if not loopback:
        pytest.skip(f"{name} does not resolve to an IPv4 loopback address here")
    with article_server(host=str(loopback[0]), name=name) as srv:
        add_site(app, origins=[srv.base])
        story_id = first_comment(client, app, srv.url("/og-only"))
        assert jobs() == 1
        assert srv.seen.requests == []  # never connected
    out = as_admin(client, admin, story_id)
    assert out.title == PLACEHOLDER
    assert out.metadata_error is not None and "not a public address" in out.metadata_error


def test_a_localhost_origin_is_fetched_and_redirects_among_the_origins(
    client: TestClient, app: FastAPI, jobs: Any, admin: dict[str, str]
) -> None:
    """As the demo is configured: localhost and 127.0.0.1 on one port, a
    redirect from one to the other followed."""
    target: dict[str, str] = {}
    extra = {"/to-literal": lambda h: h.redirect(target["url"])}
    with article_server(name="localhost", extra=extra) as srv:
        literal = f"http://127.0.0.1:{srv.port}"
        target["url"] = literal + "/both"
        add_site(app, origins=[srv.base, literal])
        story_id = first_comment(client, app, srv.url("/to-literal"))
        assert jobs() == 1
        asked = [(path, host) for path, host, _ in srv.seen.requests]
    assert asked == [("/to-literal", f"localhost:{srv.port}"), ("/both", f"127.0.0.1:{srv.port}")]
    out = as_admin(client, admin, story_id)
    assert (out.title, out.metadata_error) == ("The og:title wins", None)
