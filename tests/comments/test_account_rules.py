"""Who may reply, like and post where: unpublished parents, SSO accounts of
another site, suspended accounts, and counts that do not leak the queue."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from rostra.http.deps import state_of
from rostra.models import Site
from tests.comments.conftest import API, page, post, quick_reader, rows, set_user, user_id
from tests.factories import ARTICLE, add_site


def _moderation(app: FastAPI, site: Site, mode: str) -> None:
    with state_of(app).write_sessions() as db:
        db.execute(update(Site).where(Site.id == site.id).values(moderation=mode))
        db.commit()


def test_no_replies_to_a_comment_awaiting_moderation(
    app: FastAPI, client: TestClient, site: Site, alice: dict[str, str]
) -> None:
    _moderation(app, site, "pre")
    pending = post(client, alice, expect=202).json()
    before = rows(app)
    r = post(client, alice, "my own reply", parent_id=pending["id"], expect=422)
    assert r.json()["error"] == "parent_not_published"
    assert r.json()["field"] == "parent_id"
    assert rows(app) == before


def test_pending_replies_are_not_counted(
    app: FastAPI, client: TestClient, site: Site, alice: dict[str, str], bob: dict[str, str]
) -> None:
    parent = post(client, alice).json()
    _moderation(app, site, "pre")
    post(client, bob, "waits for a moderator", parent_id=parent["id"], expect=202)
    public = page(client)["comments"][0]
    assert public["reply_count"] == 0 and public["replies"] == []


def test_sso_account_of_another_site_may_not_post_or_like(
    app: FastAPI,
    client: TestClient,
    site: Site,
    alice: dict[str, str],
) -> None:
    other = add_site(app, "other", ["https://other.example"])
    outsider = quick_reader(app, "Outsider", sso_site_id=other.id, sso_subject="u-1")
    before = rows(app)
    r = post(client, outsider, expect=403)
    assert r.json()["error"] == "other_site_account"
    assert rows(app) == before
    comment = post(client, alice).json()
    r = client.put(f"{API}/comments/{comment['id']}/reactions/like", headers=outsider)
    assert r.status_code == 403 and r.json()["error"] == "other_site_account"
    # On its own site it may.
    post(client, outsider, url="https://other.example/story", expect=201)


def test_suspended_account_may_not_like(
    app: FastAPI, client: TestClient, site: Site, alice: dict[str, str], bob: dict[str, str]
) -> None:
    comment = post(client, alice).json()
    set_user(app, user_id(client, bob), is_suspended=True)
    r = client.put(f"{API}/comments/{comment['id']}/reactions/like", headers=bob)
    assert r.status_code == 403 and r.json()["error"] == "account_suspended"
    assert page(client, ARTICLE)["comments"][0]["like_count"] == 0
