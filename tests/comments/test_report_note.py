"""A report for "other" needs a note, on SQLite and PostgreSQL (the embed's
dialog asks for it too, tests/browser/test_moderation_embed.py)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.comments.conftest import API, post, quick_reader


def test_other_needs_a_note_and_nothing_is_written_without_one(
    client: TestClient, app: FastAPI, alice: dict[str, str]
) -> None:
    cid = post(client, alice, "Contested.").json()["id"]
    reader = quick_reader(app, "Reader")
    url = f"{API}/comments/{cid}/reports"
    for note in ("", "   \n"):
        r = client.post(url, json={"reason": "other", "note": note}, headers=reader)
        assert r.status_code == 422, r.text
        assert r.json()["error"] == "note_required" and r.json()["field"] == "note"
    r = client.post(url, json={"reason": "other", "note": "A fake quote."}, headers=reader)
    assert r.status_code == 201, r.text  # the refusals above wrote no report
    r = client.post(url, json={"reason": "spam"}, headers=reader)
    assert r.status_code == 409 and r.json()["error"] == "already_reported"
    r = client.post(url, json={"reason": "spam"}, headers=alice)
    assert r.status_code == 403 and r.json()["detail"] == "You cannot report your own comment."
    # The other reasons need none.
    r = client.post(url, json={"reason": "abuse"}, headers=quick_reader(app, "Another"))
    assert r.status_code == 201, r.text
