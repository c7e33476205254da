"""ETag / 304, Cache-Control and the pre-compressed pages of the public reads."""

from __future__ import annotations

import gzip

from fastapi import FastAPI
from fastapi.testclient import TestClient

from rostra.http.conditional import PRIVATE, PUBLIC, PUBLIC_COUNTS
from tests.comments.conftest import API, post
from tests.factories import ARTICLE


def test_an_anonymous_page_is_cacheable_and_revalidates(
    client: TestClient, alice: dict[str, str]
) -> None:
    post(client, alice, "first")
    r = client.get(f"{API}/comments", params={"url": ARTICLE})
    assert r.status_code == 200
    assert r.headers["cache-control"] == PUBLIC
    assert r.headers["vary"].startswith("Accept-Encoding, Authorization")
    etag = r.headers["etag"]
    again = client.get(f"{API}/comments", params={"url": ARTICLE}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag and again.headers["cache-control"] == PUBLIC
    weak = client.get(
        f"{API}/comments", params={"url": ARTICLE}, headers={"If-None-Match": f'"x", W/{etag}'}
    )
    assert weak.status_code == 304
    # A write makes a new version.
    post(client, alice, "second")
    fresh = client.get(f"{API}/comments", params={"url": ARTICLE}, headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and fresh.headers["etag"] != etag
    assert b"second" in fresh.content


def test_the_page_is_sent_gzipped_as_built(client: TestClient, alice: dict[str, str]) -> None:
    post(client, alice, "hello " * 50)
    plain = client.get(
        f"{API}/comments", params={"url": ARTICLE}, headers={"Accept-Encoding": "identity"}
    )
    assert "content-encoding" not in plain.headers
    with client.stream(
        "GET", f"{API}/comments", params={"url": ARTICLE}, headers={"Accept-Encoding": "gzip"}
    ) as r:
        raw = b"".join(r.iter_raw())
        assert r.headers["content-encoding"] == "gzip"
        assert r.headers["etag"] == plain.headers["etag"]
    assert gzip.decompress(raw) == plain.content


def test_a_signed_in_page_is_private(client: TestClient, alice: dict[str, str]) -> None:
    post(client, alice, "mine")
    r = client.get(f"{API}/comments", params={"url": ARTICLE}, headers=alice)
    assert r.headers["cache-control"] == PRIVATE and "etag" not in r.headers
    anonymous_etag = client.get(f"{API}/comments", params={"url": ARTICLE}).headers["etag"]
    r = client.get(
        f"{API}/comments",
        params={"url": ARTICLE},
        headers={**alice, "If-None-Match": anonymous_etag},
    )
    assert r.status_code == 200 and r.json()["viewer"] is not None


def test_counts_revalidate(client: TestClient, app: FastAPI, alice: dict[str, str]) -> None:
    post(client, alice)
    r = client.get(f"{API}/counts", params={"url": ARTICLE})
    assert r.headers["cache-control"] == PUBLIC_COUNTS
    etag = r.headers["etag"]
    same = client.get(f"{API}/counts", params={"url": ARTICLE}, headers={"If-None-Match": etag})
    assert same.status_code == 304
    post(client, alice)
    moved = client.get(f"{API}/counts", params={"url": ARTICLE}, headers={"If-None-Match": etag})
    assert moved.status_code == 200 and moved.json() == {"counts": {ARTICLE: 2}}


def test_accept_encoding_and_if_none_match_are_read_as_the_rfc_says() -> None:
    from rostra.http.conditional import accepts_gzip, not_modified

    assert accepts_gzip("gzip, deflate, br") and accepts_gzip("br;q=1.0, gzip;q=0.5")
    assert accepts_gzip("*") and not accepts_gzip("gzip;q=0") and not accepts_gzip(None)
    assert not accepts_gzip("br, identity")
    assert not_modified('"a", "b"', '"b"') and not_modified("*", '"b"')
    assert not not_modified('"a"', '"b"') and not not_modified(None, '"b"')
