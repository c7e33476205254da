"""GET /account: one static page for everyone, under the strict policy."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_account_page_answers_with_the_strict_policy(client: TestClient) -> None:
    r = client.get("/account")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    policy = r.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    assert r.headers["cache-control"] == "no-store"
    html = r.text
    assert '<script type="module" src="/static/account/account.js?v=' in html
    assert 'data-api="/static/embed/api.js?v=' in html
    assert "<script>" not in html and "style=" not in html  # nothing inline
    assert 'id="sign-in"' in html and "Following" in html


def test_the_page_script_and_the_embed_module_it_imports_are_served(client: TestClient) -> None:
    page = client.get("/account").text
    for marker in ('src="', 'data-api="'):
        url = page.split(marker, 1)[1].split('"', 1)[0]
        if "static/" not in url:
            continue
        r = client.get(url)
        assert r.status_code == 200, url
        assert "javascript" in r.headers["content-type"]
