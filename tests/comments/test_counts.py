"""GET /counts: many articles' counts in one request, for listing pages."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.comments.conftest import API, post
from tests.factories import ARTICLE, OTHER_ARTICLE


def test_counts_keyed_as_sent(client: TestClient, app: FastAPI, alice: dict[str, str]) -> None:
    for _ in range(3):
        post(client, alice)
    post(client, alice, url=OTHER_ARTICLE)
    variant = ARTICLE.replace("news.example", "News.Example:443") + "?utm_source=x#comments"
    urls = [
        ARTICLE,
        variant,
        OTHER_ARTICLE,
        "https://news.example/none",
        "https://elsewhere.example/a",
        "not a url",
        "",
        "javascript:alert(1)",
    ]
    r = client.get(f"{API}/counts", params=[("url", u) for u in urls])
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "public, max-age=30, stale-while-revalidate=60"
    assert r.json() == {
        "counts": {
            ARTICLE: 3,
            variant: 3,
            OTHER_ARTICLE: 1,
            "https://news.example/none": 0,
            "https://elsewhere.example/a": None,
            "not a url": None,
            "": None,
            "javascript:alert(1)": None,
        }
    }


def test_counts_null_for_what_is_no_article(
    client: TestClient, app: FastAPI, alice: dict[str, str]
) -> None:
    """0 means "an article with no comments yet"; null means "no article of
    this server": a page's stray link must not show "0 comments"."""
    post(client, alice)
    urls = [
        "notaurl",
        "\x00",
        ARTICLE + "\x00",
        "https://news.example/\x00",
        "news.example/world",
        "ftp://news.example/a",
        "http://news.example/not-https",  # another origin than the site's
        "https://news.example:8443/a",
        "https://news.example.evil.example/a",
        "//news.example/a",
        "https://[::1/a",
        "https://news.example/" + "x" * 3000,
        "https://news.example/fresh",
        ARTICLE,
    ]
    r = client.get(f"{API}/counts", params=[("url", u) for u in urls])
    assert r.status_code == 200, r.text
    counts = r.json()["counts"]
    assert counts == {u: None for u in urls[:-2]} | {"https://news.example/fresh": 0, ARTICLE: 1}
    # With only known stories asked for, the answer is the same without a site lookup.
    assert client.get(f"{API}/counts", params={"url": ARTICLE}).json() == {"counts": {ARTICLE: 1}}


def test_counts_on_a_server_with_no_site(client: TestClient) -> None:
    r = client.get(f"{API}/counts", params=[("url", ARTICLE), ("url", "notaurl")])
    assert r.json() == {"counts": {ARTICLE: None, "notaurl": None}}


def test_counts_only_published(client: TestClient, app: FastAPI, alice: dict[str, str]) -> None:
    cid = post(client, alice).json()["id"]
    post(client, alice, parent_id=cid)
    client.delete(f"{API}/comments/{cid}", headers=alice)  # a placeholder now
    r = client.get(f"{API}/counts", params={"url": ARTICLE})
    assert r.json() == {"counts": {ARTICLE: 1}}


def test_counts_limits(client: TestClient, app: FastAPI) -> None:
    r = client.get(f"{API}/counts")
    assert (r.status_code, r.json()["field"]) == (422, "url")
    many = [("url", f"https://news.example/{i}") for i in range(101)]
    r = client.get(f"{API}/counts", params=many)
    assert (r.status_code, r.json()["error"], r.json()["field"]) == (422, "validation_error", "url")
    r = client.get(f"{API}/counts", params=many[:100])
    assert r.status_code == 200 and len(r.json()["counts"]) == 100
