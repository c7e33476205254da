"""Settings changed through the API reach the pipeline (run with it on)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from rostra.models import Site
from tests.comments.conftest import post
from tests.desk.conftest import MOD, with_role


def test_words_and_thresholds_set_through_the_api_decide_new_comments(
    client: TestClient, app: FastAPI, site: Site, alice: dict[str, str]
) -> None:
    admin = with_role(client, app, site, "admin", "Admin")
    r = client.patch(
        f"{MOD}/sites/news/settings",
        json={"banned_words": ["scumbag"], "suspect_words": ["traitor"]},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    assert post(client, alice, "What a scumbag.", expect=202).json()["status"] == "rejected"
    assert post(client, alice, "A traitor, they say.", expect=202).json()["status"] == "pending"
    assert post(client, alice, "A fine day for it.").json()["status"] == "published"
