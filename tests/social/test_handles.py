"""Handles: suggested from the name, chosen at registration, changed with a cooldown."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from rostra.db.base import utcnow
from rostra.http.deps import state_of
from rostra.models import User
from tests.factories import add_site, login, register
from tests.social.conftest import API, handle, me, named


def test_new_readers_get_unique_handles_from_their_names(app: FastAPI, client: TestClient) -> None:
    first = named(app, "Olena K.")
    second = named(app, "Olena K.")
    odd = named(app, "Żółć ✨")
    short = named(app, "Al")
    assert handle(client, first) == "olena_k"
    assert handle(client, second) == "olena_k2"
    assert handle(client, odd) == "zoc"
    assert handle(client, short) == "al_reader"
    r = client.get(f"{API}/auth/handle-suggestion", params={"display_name": "Olena K."})
    assert r.status_code == 200 and r.json() == {"handle": "olena_k3"}


def test_a_handle_can_be_chosen_at_registration(client: TestClient) -> None:
    creds = register(client, display_name="Ivan")
    client.post(
        f"{API}/auth/register",
        json={
            "email": "chooser@example.org",
            "password": "correct horse 1",
            "display_name": "Ivan",
            "handle": "@The_Ivan",
        },
    )
    token = login(client, "chooser@example.org", "correct horse 1")
    assert handle(client, {"Authorization": f"Bearer {token}"}) == "the_ivan"
    assert login(client, creds["email"], creds["password"])
    taken = client.post(
        f"{API}/auth/register",
        json={
            "email": "late@example.org",
            "password": "correct horse 1",
            "display_name": "Late",
            "handle": "the_ivan",
        },
    )
    assert taken.status_code == 409 and taken.json()["error"] == "handle_taken"
    for bad in ("ab", "has space", "x" * 31, "admin", "émile"):
        r = client.post(
            f"{API}/auth/register",
            json={
                "email": "bad@example.org",
                "password": "correct horse 1",
                "display_name": "Bad",
                "handle": bad,
            },
        )
        assert r.status_code == 422 and r.json()["field"] == "handle", bad


def test_changing_a_handle_has_a_cooldown(app: FastAPI, client: TestClient) -> None:
    olena = named(app, "Olena")
    ivan = named(app, "Ivan")
    r = client.patch(f"{API}/me", json={"handle": "ivan"}, headers=olena)
    assert r.status_code == 409 and r.json()["error"] == "handle_taken"
    r = client.patch(f"{API}/me", json={"handle": "OK_Olena"}, headers=olena)
    assert r.status_code == 200 and r.json()["handle"] == "ok_olena"
    assert client.get(f"{API}/users/@OK_olena").json()["display_name"] == "Olena"
    assert client.get(f"{API}/users/olena").status_code == 404
    r = client.patch(f"{API}/me", json={"handle": "olena_again"}, headers=olena)
    assert r.status_code == 403 and r.json()["error"] == "handle_cooldown"
    # The same handle again is no change, and other settings still change.
    r = client.patch(f"{API}/me", json={"handle": "ok_olena", "is_private": True}, headers=olena)
    assert r.status_code == 200 and r.json()["is_private"] is True
    uid = me(client, olena)["id"]
    with state_of(app).write_sessions() as db:
        db.execute(
            update(User)
            .where(User.id == uid)
            .values(handle_changed_at=utcnow() - timedelta(days=31))
        )
        db.commit()
    r = client.patch(f"{API}/me", json={"handle": "olena_again"}, headers=olena)
    assert r.status_code == 200 and r.json()["handle"] == "olena_again"
    assert handle(client, ivan) == "ivan"


def test_settings_change_one_field_at_a_time(app: FastAPI, client: TestClient) -> None:
    olena = named(app, "Olena")
    data = me(client, olena)
    assert data["notify"] == {
        "reply": True,
        "like": True,
        "mention": True,
        "followed": True,
        "moderation": True,
    }
    assert data["mail_mode"] == "digest" and data["is_private"] is False
    r = client.patch(f"{API}/me", json={"notify": {"like": False}}, headers=olena)
    assert r.json()["notify"]["like"] is False and r.json()["notify"]["reply"] is True
    r = client.patch(f"{API}/me", json={"mail_mode": "immediate"}, headers=olena)
    assert r.json()["mail_mode"] == "immediate" and r.json()["notify"]["like"] is False
    for bad in ({"mail_mode": "hourly"}, {"notify": {"spam": True}}, {"is_private": "yes"}):
        r = client.patch(f"{API}/me", json=bad, headers=olena)
        assert r.status_code == 422, bad
    assert client.patch(f"{API}/me", json={"is_private": True}).status_code == 401


def test_sso_readers_get_a_handle_from_their_name(app: FastAPI, client: TestClient) -> None:
    from tests.embed.test_sso import _exchange, _token

    secret = add_site(app).sso_secret
    first = _exchange(client, _token(secret, sub="a", name="Olena K."))
    assert first.status_code == 200, first.text
    second = _exchange(client, _token(secret, sub="b", name="Olena K."))
    assert first.json()["user"]["handle"] == "olena_k"
    assert second.json()["user"]["handle"] == "olena_k2"
    # A new name at the next sign-in keeps the handle: handles are stable.
    again = _exchange(client, _token(secret, sub="a", name="Olena Kovalenko"))
    assert again.json()["user"]["handle"] == "olena_k"
