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
    assert r.headers["cache-control"] == "public, max-age=30"
    assert r.json() == {
        "counts": {
            ARTICLE: 3,
            variant: 3,
            OTHER_ARTICLE: 1,
            "https://news.example/none": 0,
            "https://elsewhere.example/a": 0,
            "not a url": 0,
            "": 0,
            "javascript:alert(1)": 0,
        }
    }


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
