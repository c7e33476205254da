"""A site's moderation settings through the Moderation API, on SQLite and
PostgreSQL: who may read and change them, every rule a change must keep
(with the field named, nothing half-written), one audit entry per change,
and that the pipeline and the edit window obey them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from rostra.http.deps import state_of
from rostra.models import AuditEntry, Site
from rostra.models.site import DEFAULT_REJECTION_REASONS
from tests.comments.conftest import post
from tests.desk.conftest import MOD, with_role
from tests.factories import add_site

SETTINGS = f"{MOD}/sites/news/settings"


def _audit(app: FastAPI, action: str = "site.settings") -> list[AuditEntry]:
    with state_of(app).read_sessions() as db:
        query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        return list(db.scalars(query))


def _site(app: FastAPI) -> Site:
    with state_of(app).read_sessions() as db:
        found = db.scalar(select(Site).where(Site.name == "news"))
        assert found is not None
        return found


def test_only_the_sites_administrators_read_or_change_its_settings(
    client: TestClient, app: FastAPI, site: Site, alice: dict[str, str]
) -> None:
    other = add_site(app, "other", ["https://other.example"])
    mod = with_role(client, app, site, "moderator", "Mod")
    staff = with_role(client, app, site, "staff", "Staff")
    admin_elsewhere = with_role(client, app, other, "admin", "Elsewhere")
    assert client.get(SETTINGS).status_code == 401
    assert client.patch(SETTINGS, json={"report_threshold": 5}).status_code == 401
    for who in (alice, mod, staff, admin_elsewhere):
        for r in (client.get(SETTINGS, headers=who),
                  client.patch(SETTINGS, json={"report_threshold": 5}, headers=who)):  # fmt: skip
            assert r.status_code == 403, r.text
            assert r.json()["error"] == "not_site_admin"
    assert _site(app).report_threshold == 3
    assert _audit(app) == []
    r = client.get(f"{MOD}/sites/nowhere/settings", headers=mod)
    assert r.status_code == 404 and r.json()["field"] == "site"


def test_an_admin_reads_the_defaults_and_changes_every_setting_in_one_logged_entry(
    client: TestClient, app: FastAPI, site: Site
) -> None:
    admin = with_role(client, app, site, "admin", "Admin")
    r = client.get(SETTINGS, headers=admin)
    assert r.status_code == 200, r.text
    found = r.json()
    assert found == {
        "site": "news", "banned_words": [], "suspect_words": [],
        "nudge_threshold": 0.2, "hold_threshold": 0.3,
        "edit_window_seconds": None, "effective_edit_window_seconds": 900,
        "new_reader_holds": 0, "report_threshold": 3,
        "rejection_reasons": list(DEFAULT_REJECTION_REASONS),
        "surge_threshold": 0, "surge_action": "flag_only", "surge_slow_mode_seconds": 60,
        "auto_close_days": 0,
    }  # fmt: skip
    change = {
        "banned_words": [" scumbag ", "scumbag", "vermin"],
        "suspect_words": ["traitor"],
        "nudge_threshold": 0.4,
        "hold_threshold": 0.6,
        "edit_window_seconds": 120,
        "new_reader_holds": 2,
        "report_threshold": 5,
        "rejection_reasons": ["  Abuse  ", "Spam", "Abuse", "   "],
        "surge_threshold": 30,
        "surge_action": "slow_mode",
        "surge_slow_mode_seconds": 90,
        "auto_close_days": 7,
    }
    r = client.patch(SETTINGS, json=change, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json() == client.get(SETTINGS, headers=admin).json()
    got = r.json()
    assert got["banned_words"] == ["scumbag", "vermin"]
    assert got["rejection_reasons"] == ["Abuse", "Spam"]
    assert got["effective_edit_window_seconds"] == 120
    assert (got["surge_threshold"], got["surge_action"], got["auto_close_days"]) == (
        30, "slow_mode", 7,
    )  # fmt: skip
    [entry] = _audit(app)
    assert entry.actor_id is not None and entry.target_kind == "site"
    assert entry.data["report_threshold"] == {"from": 3, "to": 5}
    assert entry.data["edit_window_seconds"] == {"from": None, "to": 120}
    assert set(entry.data) == set(change)
    # The same values again change nothing and log nothing; null gives the
    # edit window back to the server's default.
    assert client.patch(SETTINGS, json=change, headers=admin).status_code == 200
    assert len(_audit(app)) == 1
    r = client.patch(SETTINGS, json={"edit_window_seconds": None}, headers=admin)
    assert r.json()["edit_window_seconds"] is None
    assert r.json()["effective_edit_window_seconds"] == 900
    assert len(_audit(app)) == 2


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"nudge_threshold": 1.5}, "nudge_threshold", "validation_error"),
        ({"hold_threshold": -0.1}, "hold_threshold", "validation_error"),
        ({"nudge_threshold": 0.5}, "nudge_threshold", "thresholds_out_of_order"),
        ({"hold_threshold": 0.1}, "hold_threshold", "thresholds_out_of_order"),
        ({"nudge_threshold": 0.9, "hold_threshold": 0.8}, "nudge_threshold",
         "thresholds_out_of_order"),
        ({"new_reader_holds": -1}, "new_reader_holds", "validation_error"),
        ({"report_threshold": 0}, "report_threshold", "validation_error"),
        ({"edit_window_seconds": -5}, "edit_window_seconds", "validation_error"),
        ({"surge_threshold": -1}, "surge_threshold", "validation_error"),
        ({"surge_action": "panic"}, "surge_action", "validation_error"),
        ({"surge_slow_mode_seconds": 0}, "surge_slow_mode_seconds", "validation_error"),
        ({"auto_close_days": -1}, "auto_close_days", "validation_error"),
        ({"rejection_reasons": ["x" * 201]}, "rejection_reasons", "validation_error"),
        ({"rejection_reasons": ["r"] * 31}, "rejection_reasons", "validation_error"),
        ({"banned_words": "scumbag"}, "banned_words", "validation_error"),
        ({"colour": "red"}, "colour", "validation_error"),
    ],
)  # fmt: skip
def test_a_bad_setting_is_refused_naming_its_field_and_nothing_changes(
    client: TestClient, app: FastAPI, site: Site, body: dict[str, Any], field: str, code: str
) -> None:
    admin = with_role(client, app, site, "admin", "Admin")
    before = client.get(SETTINGS, headers=admin).json()
    # A good change sent with the bad one is not applied either.
    r = client.patch(SETTINGS, json={"report_threshold": 9, **body}, headers=admin)
    assert r.status_code == 422, r.text
    assert r.json()["error"] == code
    assert r.json()["field"].startswith(field), r.json()
    assert client.get(SETTINGS, headers=admin).json() == before
    assert _audit(app) == []


def test_the_pipeline_and_the_edit_window_follow_the_sites_settings(
    client: TestClient, app: FastAPI, site: Site, alice: dict[str, str]
) -> None:
    admin = with_role(client, app, site, "admin", "Admin")
    cid = post(client, alice, "First words.").json()["id"]
    r = client.patch(SETTINGS, json={"edit_window_seconds": 0}, headers=admin)
    assert r.status_code == 200
    r = client.patch(f"/api/v1/comments/{cid}", json={"body": "Second words."}, headers=alice)
    assert r.status_code == 403 and r.json()["error"] == "edit_window_closed"
    client.patch(SETTINGS, json={"edit_window_seconds": 3600}, headers=admin)
    r = client.patch(f"/api/v1/comments/{cid}", json={"body": "Second words."}, headers=alice)
    assert r.status_code == 200, r.text
    # The site's window, not the server's 900 seconds, in the author's view.
    created = datetime.fromisoformat(r.json()["created_at"].replace("Z", "+00:00"))
    until = datetime.fromisoformat(r.json()["editable_until"].replace("Z", "+00:00"))
    assert until - created == timedelta(seconds=3600)
    new = post(client, alice, "Third words.").json()
    created = datetime.fromisoformat(new["created_at"].replace("Z", "+00:00"))
    until = datetime.fromisoformat(new["editable_until"].replace("Z", "+00:00"))
    assert until - created == timedelta(seconds=3600)
