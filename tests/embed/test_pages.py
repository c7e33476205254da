"""Server-rendered pages: the no-JS thread, the HTML fragment, the embed page, the demo site."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rostra.config import Settings
from rostra.embed import i18n
from rostra.http.deps import state_of
from tests.factories import ARTICLE, add_site, assert_page_inert, reader

HOSTILE = (
    '<script>alert(1)</script> <img src=x onerror="alert(2)"> [x](javascript:alert(3)) and *fine*'
)


@pytest.fixture
def thread(client: TestClient, app: FastAPI) -> dict[str, Any]:
    add_site(app)
    who = reader(client, display_name='<b onmouseover="alert(4)">Mallory</b>')
    top = client.post("/api/v1/comments", json={"url": ARTICLE, "body": HOSTILE}, headers=who)
    assert top.status_code == 201, top.text
    r = client.post(
        "/api/v1/comments",
        json={"url": ARTICLE, "body": "A reply", "parent_id": top.json()["id"]},
        headers=who,
    )
    assert r.status_code == 201, r.text
    created: dict[str, Any] = top.json()
    return created


def test_comments_fragment(client: TestClient, thread: dict[str, Any]) -> None:
    r = client.get("/api/v1/comments.html", params={"url": ARTICLE})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "<html" not in r.text  # a fragment to include, not a page
    assert "2 comments" in r.text
    assert "<em>fine</em>" in r.text
    assert "A reply" in r.text and "rostra-replies" in r.text
    assert "&lt;b onmouseover" in r.text  # names are escaped
    assert_page_inert(r.text)


def test_comments_fragment_in_ukrainian(client: TestClient, thread: dict[str, Any]) -> None:
    r = client.get("/api/v1/comments.html", params={"url": ARTICLE, "lang": "uk-UA", "limit": 1})
    assert "2 коментарі" in r.text


def test_comments_fragment_errors_are_json(client: TestClient) -> None:
    r = client.get("/api/v1/comments.html", params={"url": "https://nowhere.example/a"})
    assert r.status_code == 422
    assert r.json()["error"] == "url_not_allowed"
    assert client.get("/api/v1/comments.html").json()["field"] == "url"


def test_thread_page(client: TestClient, thread: dict[str, Any]) -> None:
    r = client.get("/thread", params={"url": ARTICLE})
    assert r.status_code == 200
    assert "<em>fine</em>" in r.text
    assert "content-security-policy" in r.headers
    assert_page_inert(r.text.split("<main>", 1)[1])


def test_thread_page_for_article_without_comments(client: TestClient, app: FastAPI) -> None:
    add_site(app)
    r = client.get("/thread", params={"url": ARTICLE + "-new"})
    assert r.status_code == 200
    assert "No comments yet" in r.text


def test_embed_page_config(client: TestClient, app: FastAPI, settings: Settings) -> None:
    add_site(app)
    r = client.get(
        "/embed/thread",
        params={"url": ARTICLE, "lang": "uk", "theme": "dark", "origin": "https://news.example"},
    )
    assert r.status_code == 200
    assert '<html lang="uk" data-theme="dark">' in r.text
    assert f'"maxLength":{settings.max_comment_length}' in r.text
    assert "Коментарі" in r.text
    assert 'src="/static/embed/thread.js?v=' in r.text
    bad_theme = client.get("/embed/thread", params={"url": ARTICLE, "theme": '"><script>'})
    assert "data-theme" not in bad_theme.text


def test_catalogue_languages_have_the_same_keys() -> None:
    cat = i18n.catalogue()
    assert set(cat["en"]) == set(cat["uk"])
    assert i18n.plural(cat["uk"]["count"], 5, "uk") == "5 коментарів"
    assert i18n.plural(cat["uk"]["count"], 22, "uk") == "22 коментарі"
    assert i18n.plural(cat["uk"]["count"], 11, "uk") == "11 коментарів"
    assert i18n.plural(cat["en"]["count"], 1, "en") == "1 comment"


def test_static_assets_served(client: TestClient) -> None:
    for name in ("thread.js", "auth.js", "thread.css", "i18n.json"):
        r = client.get(f"/static/embed/{name}")
        assert r.status_code == 200, name


@pytest.fixture
def demo_settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    return settings.model_copy(update={"demo": True, **getattr(request, "param", {})})


@pytest.fixture
def demo(demo_settings: Settings) -> Iterator[TestClient]:
    from rostra.app import create_app

    application = create_app(demo_settings, migrate_on_start=False, run_jobs=False)
    with TestClient(application, base_url="http://rostra.test") as c:
        yield c
    from tests.conftest import empty_tables

    empty_tables(state_of(application).engine)
    state_of(application).engine.dispose()


def test_demo_front_page_and_articles(demo: TestClient) -> None:
    from rostra.demo.articles import ARTICLES

    front = demo.get("/")
    assert front.status_code == 200
    assert front.text.count("data-rostra-count=") == len(ARTICLES) >= 3
    assert "/embed.js" in front.text
    for article in ARTICLES:
        page = demo.get(f"/demo/articles/{article.slug}")
        assert page.status_code == 200
        canonical = f"http://rostra.test/demo/articles/{article.slug}"
        assert f'<link rel="canonical" href="{canonical}">' in page.text
        assert 'id="rostra-thread"' in page.text and "<noscript>" in page.text
        assert "<script>" not in page.text  # no inline script (CSP)
    assert demo.get("/demo/articles/nope").status_code == 404


def test_demo_sso_signs_a_token_the_api_accepts(demo: TestClient) -> None:
    anonymous = demo.get("/demo/sso")
    assert "data-rostra-sso" not in anonymous.text
    r = demo.post(
        "/demo/sso", data={"name": "Hana O.", "email": "hana@example.org"}, follow_redirects=True
    )
    match = re.search(r'data-rostra-sso="([^"]+)"', r.text)
    assert match, r.text
    token = match.group(1)
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    answer = demo.post(
        "/api/v1/auth/sso", json={"url": "http://rostra.test/demo/sso", "token": token}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["user"]["display_name"] == "Hana O."
    out = demo.post("/demo/sso/logout", follow_redirects=True)
    assert "data-rostra-sso" not in out.text


def test_demo_is_off_when_configured_off(client: TestClient) -> None:
    assert client.get("/demo/articles/tamsel-floods-lower-town").status_code == 404


def test_demo_login_is_off_when_the_demo_is(client: TestClient) -> None:
    for data in ({"name": "Hana", "email": "hana@example.org"}, {"name": "x" * 500}, {}):
        r = client.post("/demo/sso", data=data)
        assert r.status_code == 404, (data, r.text)
        assert "set-cookie" not in r.headers


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "x" * 81, "email": "hana@example.org"}, "name"),
        ({"name": "Hana\x00", "email": "hana@example.org"}, "name"),
        ({"name": "Hana\x1b[31m", "email": "hana@example.org"}, "name"),
        ({"name": "Hana", "email": "hana@example.org\x07"}, "email"),
        ({"name": "Hana", "email": "a@" + "x" * 320}, "email"),
        ({"name": "Hana", "email": "not an address"}, "email"),
        ({"name": "Hana"}, "email"),
    ],
)
def test_demo_login_checks_its_fields(demo: TestClient, data: dict[str, str], field: str) -> None:
    r = demo.post("/demo/sso", data=data)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field
    assert "set-cookie" not in r.headers


@pytest.mark.parametrize(
    "demo_settings", [{"rate_limit_enabled": True, "rate_login": "2/60"}], indirect=True
)
def test_demo_login_is_rate_limited(demo: TestClient) -> None:
    data = {"name": "Hana", "email": "hana@example.org"}
    assert demo.post("/demo/sso", data=data, follow_redirects=False).status_code == 303
    assert demo.post("/demo/sso", data=data, follow_redirects=False).status_code == 303
    r = demo.post("/demo/sso", data=data)
    assert r.status_code == 429, r.text
    assert r.json()["error"] == "rate_limited"
