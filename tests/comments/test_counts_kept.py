"""Kept counts (``rostra.http.front.Kept``): a warm ``GET /counts`` is sent
again, byte for byte, from what the front sent for the same query, version
and kind of request; every write that moves a count (or what a URL without
a story counts) retires it for the next request, in this process and in
another one sharing Redis, and what is sent again is what the stack sends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import update

from rostra.config import Settings
from rostra.http.deps import state_of
from rostra.models import Block, Site
from rostra.sites import service as sites
from tests.backends.test_redis import REDIS_URL, prefix  # noqa: F401 (a fixture)
from tests.comments.conftest import API, post, quick_reader, user_id
from tests.comments.test_front import HEADERS, _same, front_of, stack_only
from tests.desk.conftest import decide, with_role
from tests.factories import ARTICLE, OTHER_ARTICLE, add_site

NONE_YET = "https://news.example/none-yet"
HELD = "https://held.example/2026/a-story"
LATER = "https://later.example/a"
URLS = [ARTICLE, OTHER_ARTICLE, NONE_YET, HELD, LATER, "not a url", ARTICLE]
PARAMS = [("url", u) for u in URLS]
# Long enough for the compression layer to compress it.
LONG = PARAMS + [("url", f"https://news.example/world/2026/story-{i}") for i in range(12)]


def ask(
    client: TestClient, params: Any = PARAMS, headers: dict[str, str] | None = None
) -> Response:
    r: Response = client.get(f"{API}/counts", params=params, headers=headers or {})
    assert r.status_code in (200, 304), r.text
    return r


def kept(
    client: TestClient, app: FastAPI, params: Any = PARAMS, headers: dict[str, str] | None = None
) -> Response:
    """Ask until the front sends the answer again from what it kept (a few
    requests: the stories' ids, their counts, the answer built), and check
    that it is what the stack answers."""
    front = front_of(app)
    for _ in range(4):
        before = front.resent
        r = ask(client, params, headers)
        if front.resent == before + 1:
            with stack_only(app):
                _same(r, ask(client, params, headers))
            return r
    raise AssertionError("the front did not keep the answer")


def fresh(
    client: TestClient, app: FastAPI, params: Any = PARAMS, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """The next answer, which must not be the kept one (a write retired it),
    checked against the stack's; its counts."""
    front = front_of(app)
    before = front.resent
    r = ask(client, params, headers)
    assert front.resent == before, "a retired answer was sent again"
    with stack_only(app):
        _same(r, ask(client, params, headers))
    counts: dict[str, Any] = r.json()["counts"]
    return counts


def block(app: FastAPI, blocker: int, blocked: int) -> None:
    with state_of(app).write_sessions() as db:
        db.add(Block(blocker_id=blocker, blocked_id=blocked))
        db.commit()


@pytest.mark.parametrize("headers", HEADERS)
@pytest.mark.parametrize("params", [PARAMS, LONG], ids=["short", "long"])
def test_what_is_sent_again_is_the_stacks_answer(
    client: TestClient, app: FastAPI, alice: dict[str, str], headers: dict[str, str], params: Any
) -> None:
    post(client, alice)
    again = kept(client, app, params, headers)
    assert again.json()["counts"][ARTICLE] == 1
    assert (again.headers.get("content-encoding") == "gzip") == (
        params is LONG and "gzip" in headers.get("Accept-Encoding", "gzip")
    )
    etag = {"If-None-Match": again.headers["etag"]}
    assert kept(client, app, params, headers | etag).status_code == 304
    # Another ETag is another kind of request: the whole answer, kept too.
    other = {"If-None-Match": '"not-this-one"'}
    assert kept(client, app, params, headers | other).content == again.content


def test_every_write_retires_the_kept_answer(
    client: TestClient, app: FastAPI, alice: dict[str, str], bob: dict[str, str], site: Site
) -> None:
    held_site = add_site(app, "held", ["https://held.example"], moderation="pre")
    moderator = with_role(client, app, held_site, "moderator")
    top = post(client, alice).json()["id"]
    expected = {ARTICLE: 1, OTHER_ARTICLE: 0, NONE_YET: 0, HELD: 0, LATER: None}
    expected["not a url"] = None

    def retires(write: Callable[[], object], url: str, count: int | None) -> None:
        kept(client, app)
        write()
        expected[url] = count
        assert fresh(client, app) == expected

    assert kept(client, app).json()["counts"] == expected
    reply = post(client, bob, parent_id=top).json()["id"]
    assert fresh(client, app) == expected | {ARTICLE: 2}
    expected[ARTICLE] = 2
    # A held comment: its story is made (and counted 0) but the count stays.
    held = 0

    def post_held() -> None:
        nonlocal held
        held = post(client, alice, url=HELD, expect=202).json()["id"]

    retires(post_held, HELD, 0)
    retires(lambda: decide(client, moderator, held, "approve"), HELD, 1)
    retires(lambda: decide(client, moderator, held, "reject", reason="Off topic."), HELD, 0)
    retires(lambda: decide(client, moderator, held, "approve"), HELD, 1)
    retires(
        lambda: client.delete(f"{API}/comments/{reply}", headers=bob).raise_for_status(),
        ARTICLE,
        1,
    )
    # A first comment makes a story of a URL counted 0 until now.
    retires(lambda: post(client, alice, url=NONE_YET), NONE_YET, 1)
    # A private reader's published comment is counted like anyone's.
    private = quick_reader(app, "Private", is_private=True)
    retires(lambda: post(client, private, url=OTHER_ARTICLE), OTHER_ARTICLE, 1)
    # A new site makes a URL that was no article's an article with no comments.
    retires(lambda: add_site(app, "later", ["https://later.example"]), LATER, 0)

    def remove_held_site() -> None:
        with state_of(app).write_sessions() as db:
            sites.remove_site(db, "held", force=True)
            db.commit()

    # A site removed with its stories: their URLs are no article's any more.
    retires(remove_held_site, HELD, None)


def test_what_moves_no_count_keeps_the_count(
    client: TestClient, app: FastAPI, alice: dict[str, str], bob: dict[str, str], site: Site
) -> None:
    """An edit, a like, a feature: each a write to the story (the answer is
    built again) that leaves its count as it was; nor does a block, which
    is no write to the story, change what anyone is shown as counts."""
    top = post(client, alice).json()["id"]
    moderator = with_role(client, app, site, "moderator")
    same = kept(client, app).json()["counts"]
    writes: list[Callable[[], object]] = [
        lambda: client.patch(f"{API}/comments/{top}", json={"body": "edited"}, headers=alice),
        lambda: client.put(f"{API}/comments/{top}/reactions/like", headers=bob),
        lambda: decide(client, moderator, top, "feature"),
        lambda: block(app, user_id(client, bob), user_id(client, alice)),
    ]
    for write in writes:
        kept(client, app)
        write()
        assert ask(client).json()["counts"] == same
        assert ask(client, headers=bob).json()["counts"] == same
    assert same[ARTICLE] == 1


def test_a_token_or_an_error_is_not_the_fronts(
    client: TestClient, app: FastAPI, alice: dict[str, str]
) -> None:
    post(client, alice)
    kept(client, app)
    front = front_of(app)
    before = front.answered
    assert ask(client, headers=alice).json()["counts"][ARTICLE] == 1
    assert client.get(f"{API}/counts", params=[("url", ARTICLE)] * 101).status_code == 422
    assert front.answered == before


def test_a_kept_answer_follows_the_sites_origins(
    client: TestClient, app: FastAPI, alice: dict[str, str], site: Site
) -> None:
    """CORS is decided per request: an origin that is no longer configured
    is not echoed by an answer kept while it was."""
    origin, refused = {"Origin": "https://news.example"}, {"Origin": "https://elsewhere.example"}
    post(client, alice)
    # Only stories: the sites' change below retires none of their counts.
    params = [("url", ARTICLE)]
    got = kept(client, app, params, origin)
    assert got.headers["access-control-allow-origin"] == origin["Origin"]
    assert "access-control-allow-origin" not in kept(client, app, params, refused).headers
    assert "access-control-allow-origin" not in kept(client, app, params).headers
    with state_of(app).write_sessions() as db:
        found = db.get(Site, site.id)
        assert found is not None
        sites.set_origins(db, found, ["https://other.example"])
        db.commit()
    r = ask(client, params, origin)
    assert "access-control-allow-origin" not in r.headers
    with stack_only(app):
        _same(r, ask(client, params, origin))
    assert kept(client, app, params, origin).content == got.content


def test_a_count_changed_behind_the_api_stays_kept(
    client: TestClient, app: FastAPI, alice: dict[str, str]
) -> None:
    """Proof that the answers above are the kept ones: a change that no
    commit hook hears is not seen."""
    from rostra.models import Story

    post(client, alice)
    before = kept(client, app).json()["counts"]
    with state_of(app).write_sessions() as db:
        db.execute(update(Story).values(comment_count=99))
        db.commit()
    front = front_of(app)
    resent = front.resent
    assert ask(client).json()["counts"] == before
    assert front.resent == resent + 1


@pytest.fixture
def two_apps(settings: Settings, prefix: str) -> Iterator[tuple[TestClient, TestClient]]:  # noqa: F811
    from rostra.app import create_app
    from tests.conftest import empty_tables

    shared = settings.model_copy(update={"redis_url": REDIS_URL, "redis_prefix": prefix})
    one = create_app(shared, migrate_on_start=False, run_jobs=False)
    two = create_app(shared, migrate_on_start=False, run_jobs=False)
    try:
        with TestClient(one) as a, TestClient(two) as b:
            yield a, b
    finally:
        empty_tables(state_of(one).engine)
        state_of(one).engine.dispose()
        state_of(two).engine.dispose()


def test_a_write_in_another_process_retires_the_kept_answer(
    two_apps: tuple[TestClient, TestClient],
) -> None:
    """Two apps on one Redis: what one keeps, a write through the other
    retires (the generations are read from Redis on every request)."""
    a, b = two_apps
    one, two = a.app, b.app
    assert isinstance(one, FastAPI) and isinstance(two, FastAPI)
    add_site(one)
    writer = quick_reader(two, "Writer")
    post(b, writer)
    assert kept(a, one).json()["counts"][ARTICLE] == 1
    post(b, writer)
    assert fresh(a, one)[ARTICLE] == 2
    assert kept(a, one).json()["counts"][ARTICLE] == 2
    # The other way round, a deletion.
    assert kept(b, two).json()["counts"][ARTICLE] == 2
    comments = b.get(f"{API}/comments", params={"url": ARTICLE}).json()["comments"]
    assert b.delete(f"{API}/comments/{comments[0]['id']}", headers=writer).status_code == 204
    assert fresh(a, one)[ARTICLE] == 1
    assert fresh(b, two)[ARTICLE] == 1


def test_what_is_kept_has_a_budget(client: TestClient, app: FastAPI, alice: dict[str, str]) -> None:
    """Past its budget in bytes the front forgets what it kept (and keeps
    again what is asked); a query string too long to keep is answered each
    time, as the stack answers it."""
    post(client, alice)
    front = front_of(app)
    first = kept(client, app)
    front.kept_budget = len(first.content) * 3
    # Links that differ by a tracking parameter: one story, many query strings.
    many = [[("url", f"{ARTICLE}?utm_source={i}")] for i in range(10)]
    for params in many:
        assert kept(client, app, params).json()["counts"] == {params[0][1]: 1}
    assert len(front._sent) < 4
    assert kept(client, app).content == first.content
    long = [("url", f"{ARTICLE}?utm_source={'x' * 1900}&utm_medium={i}") for i in range(10)]
    before = front.resent
    for _ in range(3):
        assert fresh(client, app, long)[long[0][1]] == 1
    assert front.resent == before
