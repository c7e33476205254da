"""Security headers on pages, frame-ancestors on the embed, CORS on the API."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rostra.config import Settings
from rostra.http.deps import state_of
from rostra.http.security import content_security_policy
from tests.factories import ARTICLE, add_site, assert_page_inert

PUBLISHER = "https://news.example"


@pytest.fixture
def site(app: FastAPI) -> None:
    add_site(app, "news", [PUBLISHER, "https://www.news.example"])


def test_embed_page_may_be_framed_only_by_its_site(client: TestClient, site: None) -> None:
    r = client.get("/embed/thread", params={"url": ARTICLE, "origin": PUBLISHER})
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'self' https://news.example https://www.news.example" in csp
    assert "script-src 'self';" in csp
    assert "unsafe-inline" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "referrer-policy" in r.headers
    assert "x-frame-options" not in r.headers  # would override frame-ancestors in old browsers


def test_embed_page_for_unknown_site_is_not_frameable(client: TestClient, site: None) -> None:
    r = client.get(
        "/embed/thread", params={"url": "https://evil.example/a", "origin": "https://evil.example"}
    )
    assert "frame-ancestors 'self'" in r.headers["content-security-policy"]
    assert "https://evil.example" not in r.headers["content-security-policy"]
    # and the page will not talk to the unconfigured host page
    assert '"origin":null' in r.text


def test_host_origin_is_echoed_only_when_configured(client: TestClient, site: None) -> None:
    r = client.get("/embed/thread", params={"url": ARTICLE, "origin": PUBLISHER})
    assert '"origin":"https://news.example"' in r.text


def test_no_inline_script_in_embed_page(client: TestClient, site: None) -> None:
    assert_page_inert(client.get("/embed/thread", params={"url": ARTICLE}).text)


def test_config_block_cannot_be_closed_by_a_title(client: TestClient, site: None) -> None:
    title = "</script><script>alert(1)</script>"
    html = client.get("/embed/thread", params={"url": ARTICLE, "title": title}).text
    assert "<script>alert(1)" not in html


def test_cors_preflight_from_configured_origin(client: TestClient, site: None) -> None:
    r = client.options(
        "/api/v1/counts", headers={"Origin": PUBLISHER, "Access-Control-Request-Method": "GET"}
    )
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == PUBLISHER
    assert r.headers["access-control-allow-methods"] == "GET, HEAD"
    assert "access-control-allow-headers" not in r.headers  # simple GETs only
    assert "Origin" in r.headers["vary"]


def test_cors_refused_for_unknown_origin(client: TestClient, site: None) -> None:
    r = client.options(
        "/api/v1/counts",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert r.status_code == 403
    assert "access-control-allow-origin" not in r.headers
    r = client.get(
        "/api/v1/counts", params={"url": ARTICLE}, headers={"Origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in r.headers


def test_counts_answer_cross_origin(client: TestClient, site: None) -> None:
    r = client.get("/api/v1/counts", params={"url": ARTICLE}, headers={"Origin": PUBLISHER})
    assert r.status_code == 200, r.text
    assert r.headers["access-control-allow-origin"] == PUBLISHER
    assert "Origin" in r.headers["vary"]


@pytest.mark.parametrize("path", ["/api/v1/comments", "/api/v1/comments.html"])
def test_public_reads_answer_cross_origin(client: TestClient, site: None, path: str) -> None:
    r = client.get(path, params={"url": ARTICLE}, headers={"Origin": PUBLISHER})
    assert r.status_code == 200, r.text
    assert r.headers["access-control-allow-origin"] == PUBLISHER


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/auth/login"),
        ("POST", "/api/v1/auth/sso"),
        ("POST", "/api/v1/auth/register"),
        ("GET", "/api/v1/me"),
        ("POST", "/api/v1/comments"),
        ("PATCH", "/api/v1/comments/1"),
        ("DELETE", "/api/v1/comments/1"),
    ],
)
def test_no_cors_beyond_the_public_reads(
    client: TestClient, site: None, method: str, path: str
) -> None:
    """Even a configured origin may not call sign-in or write calls cross-origin."""
    pre = client.options(
        path,
        headers={
            "Origin": PUBLISHER,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert pre.status_code == 403, pre.text
    assert "access-control-allow-origin" not in pre.headers
    assert "only for GET /api/v1/counts" in pre.json()["detail"]
    r = client.request(method, path, json={}, headers={"Origin": PUBLISHER})
    assert "access-control-allow-origin" not in r.headers


def test_no_preflight_for_writing_to_a_public_read_path(client: TestClient, site: None) -> None:
    r = client.options(
        "/api/v1/comments", headers={"Origin": PUBLISHER, "Access-Control-Request-Method": "POST"}
    )
    assert r.status_code == 403
    assert "access-control-allow-origin" not in r.headers


def test_junk_origin_gets_no_cors(client: TestClient, site: None) -> None:
    for origin in ("null", "https://news.example/path", "news.example", "https://news.example:x"):
        r = client.get("/api/v1/counts", params={"url": ARTICLE}, headers={"Origin": origin})
        assert r.status_code == 200
        assert "access-control-allow-origin" not in r.headers, origin


def test_own_origin_matches_despite_explicit_default_port(settings: Settings) -> None:
    """public_url "https://x:443" is the origin a browser sends as "https://x"."""
    from rostra.app import create_app
    from tests.conftest import empty_tables

    app = create_app(
        settings.model_copy(update={"public_url": "https://rostra.test:443"}),
        migrate_on_start=False,
        run_jobs=False,
    )
    try:
        with TestClient(app, base_url="https://rostra.test") as c:
            r = c.get(
                "/api/v1/counts", params={"url": ARTICLE}, headers={"Origin": "https://rostra.test"}
            )
            assert r.headers.get("access-control-allow-origin") == "https://rostra.test"
    finally:
        empty_tables(state_of(app).engine)
        state_of(app).engine.dispose()


def test_cors_only_on_api(client: TestClient, site: None) -> None:
    r = client.get("/embed/thread", params={"url": ARTICLE}, headers={"Origin": PUBLISHER})
    assert "access-control-allow-origin" not in r.headers


def test_embed_js_served(client: TestClient) -> None:
    r = client.get("/embed.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "postMessage" in r.text
    assert '"uk":{' in r.text  # count strings inlined from the catalogue
    assert "/*counts*/" not in r.text
    again = client.get("/embed.js", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304


def test_default_csp_helper() -> None:
    csp = content_security_policy()
    assert "frame-ancestors 'self'" in csp
    assert "img-src 'self' https: data:" in csp


def test_innerhtml_only_for_the_sanitized_comment_html() -> None:
    from pathlib import Path

    import rostra

    embed = Path(rostra.__file__).parent / "static" / "embed"
    uses = {p.name: p.read_text().count(".innerHTML") for p in embed.glob("*.js")}
    assert {k: v for k, v in uses.items() if v} == {"comment.js": 1}
    assert "body.innerHTML = c.html;" in (embed / "comment.js").read_text()
    for p in embed.glob("*.js"):
        text = p.read_text()
        for risky in ("eval(", "new Function", "insertAdjacentHTML", "document.write"):
            assert risky not in text, (p.name, risky)
