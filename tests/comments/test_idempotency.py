"""Idempotency-Key on POST /comments: a retried submit never posts twice."""

from __future__ import annotations

import threading

from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from tests.comments.conftest import API, rows
from tests.factories import ARTICLE, add_site


def send(
    client: TestClient, headers: dict[str, str], key: str, body: str = "once", **fields: object
) -> Response:
    r: Response = client.post(
        f"{API}/comments",
        json={"url": ARTICLE, "body": body, **fields},
        headers={**headers, "Idempotency-Key": key},
    )
    return r


def test_retry_replays_the_first_answer(
    client: TestClient, app: FastAPI, alice: dict[str, str]
) -> None:
    first = send(client, alice, "k-1")
    assert first.status_code == 201
    again = send(client, alice, "k-1")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert rows(app) == (1, 1)
    # Key order and omitted defaults do not make it another request.
    raw = ('{"parent_id": null, "body": "once", "url": "' + ARTICLE + '"}').encode()
    r = client.post(
        f"{API}/comments",
        content=raw,
        headers={**alice, "Idempotency-Key": "k-1", "Content-Type": "application/json"},
    )
    assert r.status_code == 201 and r.json() == first.json()
    assert rows(app) == (1, 1)


def test_same_key_other_request_is_a_conflict(
    client: TestClient, app: FastAPI, alice: dict[str, str]
) -> None:
    send(client, alice, "k-2")
    r = send(client, alice, "k-2", body="something else")
    assert r.status_code == 409
    assert r.json()["error"] == "idempotency_key_reused"
    assert rows(app) == (1, 1)


def test_keys_belong_to_one_reader(
    client: TestClient, app: FastAPI, alice: dict[str, str], bob: dict[str, str]
) -> None:
    a = send(client, alice, "shared")
    b = send(client, bob, "shared")
    assert b.status_code == 201
    assert a.json()["id"] != b.json()["id"]
    assert rows(app) == (2, 1)


def test_failed_request_stores_nothing(
    client: TestClient, app: FastAPI, alice: dict[str, str]
) -> None:
    r = send(client, alice, "k-3", body="")
    assert r.status_code == 422
    r = send(client, alice, "k-3", body="fixed")
    assert r.status_code == 201


def test_pending_answer_replays_202(client: TestClient, app: FastAPI) -> None:
    from tests.comments.conftest import quick_reader

    add_site(app, "pre", ["https://pre.example"], moderation="pre")
    author = quick_reader(app)
    body = {"url": "https://pre.example/a", "body": "wait"}
    for _ in range(2):
        r = client.post(f"{API}/comments", json=body, headers={**author, "Idempotency-Key": "p"})
        assert r.status_code == 202 and r.json()["status"] == "pending"
    assert rows(app) == (1, 1)


def test_bad_keys(client: TestClient, app: FastAPI, alice: dict[str, str]) -> None:
    for key in ("x" * 256, ""):
        r = send(client, alice, key)
        assert r.status_code == 422
        assert r.json()["field"] == "Idempotency-Key"
    assert send(client, alice, "x" * 255).status_code == 201


def test_concurrent_duplicates_post_once(
    client: TestClient, app: FastAPI, alice: dict[str, str]
) -> None:
    answers: list[tuple[int, int]] = []

    def submit() -> None:
        with TestClient(app, base_url="http://rostra.test") as own:
            r = send(own, alice, "race")
            answers.append((r.status_code, r.json()["id"]))

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 4
    assert {status for status, _ in answers} == {201}
    assert len({cid for _, cid in answers}) == 1
    assert rows(app) == (1, 1)
