"""The demo, end to end: a running server's own job runner reads the demo
article it serves (a loopback origin, as configured) and names the story,
whatever title the first comment sent."""

from __future__ import annotations

import time
from typing import Any

import httpx

from rostra.app import create_app
from rostra.config import Settings
from rostra.demo.articles import ARTICLES
from rostra.http.deps import state_of
from tests.comments.conftest import quick_reader
from tests.conftest import empty_tables
from tests.livesrv import free_port, live_server


def _story(base: str, url: str) -> dict[str, Any]:
    r = httpx.get(f"{base}/api/v1/comments", params={"url": url}, timeout=10)
    assert r.status_code == 200, r.text
    story: dict[str, Any] = r.json()["story"]
    return story


def test_the_demo_articles_name_their_stories(settings: Settings) -> None:
    port = free_port()
    demo = settings.model_copy(
        update={"demo": True, "public_url": f"http://127.0.0.1:{port}", "job_poll_seconds": 0.2}
    )
    app = create_app(demo, migrate_on_start=False, run_jobs=True)
    article = ARTICLES[0]
    try:
        with live_server(app, port) as base:
            url = f"{base}/demo/articles/{article.slug}"
            r = httpx.post(
                f"{base}/api/v1/comments",
                json={"url": url, "title": "A forged title", "body": "First!"},
                headers=quick_reader(app),
                timeout=10,
            )
            assert r.status_code == 201, r.text
            deadline = time.monotonic() + 30
            while (story := _story(base, url))["title"] != article.title:
                assert time.monotonic() < deadline, f"the title is still {story['title']!r}"
                time.sleep(0.2)
            assert story["canonical_url"] == url
            assert story["published_at"] == article.published.isoformat() + "T00:00:00Z"
            page = httpx.get(f"{base}/thread", params={"url": url}, timeout=10).text
            assert article.title in page and "A forged title" not in page
    finally:
        empty_tables(state_of(app).engine)
        state_of(app).engine.dispose()
