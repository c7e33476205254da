"""The desk's administration pages (Stories, Settings, Roles, Audit,
Dashboard) on SQLite and PostgreSQL: who reaches each (anonymous, reader,
moderator, admin), that each form does what the API does and is logged,
and that every state a story or an entry can take renders, escaped."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from rostra.db.base import utcnow
from rostra.http.deps import state_of
from rostra.models import AuditEntry, Site, SiteRole, Story
from tests.comments.conftest import post, quick_reader, story_row, user_id
from tests.desk.conftest import decide, with_role
from tests.desk.pages_support import DeskClient, moderator, reader_desk
from tests.factories import ARTICLE, OTHER_ARTICLE, add_site

PAGES = ("/desk/stories", "/desk/settings", "/desk/roles", "/desk/audit", "/desk/dashboard")
ADMIN_ONLY = ("/desk/settings", "/desk/roles")
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _audit(app: FastAPI, action: str) -> list[AuditEntry]:
    with state_of(app).read_sessions() as db:
        query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        return list(db.scalars(query))


def test_anonymous_and_readers_never_reach_an_administration_page(
    app: FastAPI, client: TestClient, site: Site
) -> None:
    anonymous = DeskClient(app, None)
    reader = reader_desk(app)
    for path in PAGES:
        r = anonymous.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/desk/signin"), path
        r = reader.get(path)
        assert r.status_code == 403, path
        assert "not a moderator" in r.text.lower(), path


def test_a_moderator_reaches_stories_audit_and_dashboard_but_not_settings_or_roles(
    app: FastAPI, client: TestClient, site: Site
) -> None:
    mod = moderator(app, client, site)
    for path in PAGES:
        r = mod.get(path)
        if path in ADMIN_ONLY:
            assert r.status_code == 403 and "not_site_admin" in r.text, path
        else:
            assert r.status_code == 200, (path, r.text)
            assert 'aria-current="page"' in r.text
            assert "<script>" not in r.text
    other = add_site(app, "other", ["https://other.example"])
    r = mod.get("/desk/stories", params={"site": other.name})
    assert r.status_code == 404


def test_the_stories_page_shows_every_state_and_its_form_changes_a_story(
    app: FastAPI, client: TestClient, site: Site, alice: dict[str, str]
) -> None:
    mod = moderator(app, client, site)
    post(client, alice, title=HOSTILE)
    post(client, alice, url=OTHER_ARTICLE)
    post(client, alice, url="https://news.example/a/closed")
    with state_of(app).write_sessions() as db:
        db.execute(update(Story).where(Story.url == ARTICLE).values(
            title=HOSTILE, slow_mode_seconds=30, surge_started_at=utcnow(), surge_rate=12.5,
            published_at=utcnow() - timedelta(days=9), auto_close_days=7))  # fmt: skip
        db.execute(update(Story).where(Story.url == OTHER_ARTICLE).values(premoderated=True))
        db.execute(update(Story).where(Story.url.like("%closed")).values(is_closed=True))
        db.commit()
    r = mod.get("/desk/stories")
    assert r.status_code == 200
    html = r.text
    assert HOSTILE not in html and "&lt;script&gt;" in html
    assert "surging · 12.5 a minute" in html
    surges = html[html.index('id="surges"') : html.index("</ul>", html.index('id="surges"'))]
    assert "12.5 comments a minute" in surges and "&lt;script&gt;" in surges
    assert "slow mode 30 s" in html and "past its auto-close day" in html
    assert 'data-mode="premoderated"' in html and 'data-mode="closed"' in html
    story = story_row(app)
    assert story is not None
    form = {
        "mode": "premoderated", "slow_mode_seconds": "45", "title": HOSTILE,
        "canonical_url": "", "auto_close_days": "", "back": "/desk/stories?site=news",
    }  # fmt: skip
    r = mod.post(f"/desk/stories/{story.id}", form)
    assert r.status_code == 303 and r.headers["location"] == "/desk/stories?site=news"
    story = story_row(app)
    assert story is not None
    assert (story.premoderated, story.slow_mode_seconds, story.auto_close_days) == (True, 45, None)
    assert story.title == HOSTILE  # unchanged title not sent again
    assert [e.data for e in _audit(app, "story.mode")] == [
        {"mode": "premoderated", "slow_mode_seconds": 45}
    ]
    assert _audit(app, "story.edit") == []
    # A new title and an auto-close of its own; a bad number is a 422 page.
    form |= {"title": "Day 12: the river crossing", "auto_close_days": "3"}
    assert mod.post(f"/desk/stories/{story.id}", form).status_code == 303
    story = story_row(app)
    assert story is not None and story.title == "Day 12: the river crossing"
    assert story.auto_close_days == 3
    r = mod.post(f"/desk/stories/{story.id}", form | {"slow_mode_seconds": "lots"})
    assert r.status_code == 422 and "slow_mode_seconds" in r.text
    r = mod.post(f"/desk/stories/{story.id}", form | {"slow_mode_seconds": "-4"})
    assert r.status_code == 422 and "slow_mode_seconds" in r.text
    r = mod.post(f"/desk/stories/{story.id}", form | {"mode": "gone"})
    assert r.status_code == 422 and "mode" in r.text
    r = mod.post(f"/desk/stories/{story.id}", form, headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.json()["ok"] is True
    # Another site's moderator may not touch it.
    other = add_site(app, "other", ["https://other.example"])
    elsewhere = moderator(app, client, other, name="Elsewhere")
    r = elsewhere.post(f"/desk/stories/{story.id}", form | {"mode": "closed"})
    assert r.status_code == 403
    story = story_row(app)
    assert story is not None and not story.is_closed


def test_the_settings_page_saves_every_setting_and_refuses_bad_ones(
    app: FastAPI, client: TestClient, site: Site
) -> None:
    admin = moderator(app, client, site, "admin", "Admin")
    r = admin.get("/desk/settings")
    assert r.status_code == 200
    assert 'name="surge_action"' in r.text and "Abuse or harassment" in r.text
    form = {
        "site": "news", "banned_words": "scumbag\r\nvermin\r\n", "suspect_words": HOSTILE,
        "nudge_threshold": "0.35", "hold_threshold": "0.5", "edit_window_seconds": "",
        "new_reader_holds": "1", "report_threshold": "4",
        "rejection_reasons": "Abuse\nSpam\n\nOff-topic", "surge_threshold": "20",
        "surge_action": "premoderate", "surge_slow_mode_seconds": "60", "auto_close_days": "14",
    }  # fmt: skip
    r = admin.post("/desk/settings", form)
    assert r.status_code == 303 and r.headers["location"] == "/desk/settings?site=news"
    with state_of(app).read_sessions() as db:
        row = db.scalar(select(Site).where(Site.name == "news"))
        assert row is not None
        assert row.banned_words == ["scumbag", "vermin"]
        assert row.rejection_reasons == ["Abuse", "Spam", "Off-topic"]
        assert (row.nudge_threshold, row.hold_threshold, row.surge_threshold) == (0.35, 0.5, 20)
        assert (row.surge_action, row.auto_close_days, row.edit_window_seconds) == (
            "premoderate", 14, None,
        )  # fmt: skip
    [entry] = _audit(app, "site.settings")
    assert entry.actor_id is not None
    page = admin.get("/desk/settings").text
    assert HOSTILE not in page and "&lt;script&gt;" in page  # the suspect "word", escaped
    typed = form | {"banned_words": "typed\r\nnot saved", "report_threshold": "7"}
    for bad, field in (
        ({"nudge_threshold": "0.9"}, "nudge_threshold"),  # above hold: out of order
        ({"hold_threshold": "2"}, "hold_threshold"),
        ({"report_threshold": "0"}, "report_threshold"),
        ({"new_reader_holds": "many"}, "new_reader_holds"),
        ({"auto_close_days": ""}, "auto_close_days"),
        ({"surge_action": "panic"}, "surge_action"),
        ({"edit_window_seconds": "-1"}, "edit_window_seconds"),
    ):
        r = admin.post("/desk/settings", typed | bad)
        assert r.status_code == 422, (bad, r.text)
        # The form again, as typed, the wrong field marked and what is wrong said.
        assert 'action="/desk/settings"' in r.text and 'role="alert"' in r.text, bad
        assert re.search(rf'name="{field}" aria-invalid="true" autofocus', r.text), bad
        assert r.text.count('aria-invalid="true"') == 1, bad
        assert "typed\nnot saved</textarea>" in r.text, bad
        if field != "report_threshold":
            assert 'name="report_threshold" min="1" max="1000" value="7"' in r.text, bad
    r = admin.post(
        "/desk/settings", form | {"report_threshold": "0"}, headers={"Accept": "application/json"}
    )
    assert r.status_code == 422 and r.json()["field"] == "report_threshold"  # scripts get JSON
    assert len(_audit(app, "site.settings")) == 1
    mod = moderator(app, client, site, name="Mod")
    r = mod.post("/desk/settings", form | {"report_threshold": "9"})
    assert r.status_code == 403 and "not_site_admin" in r.text


def test_the_roles_page_grants_changes_and_removes_roles_by_email_or_handle(
    app: FastAPI, client: TestClient, site: Site
) -> None:
    admin = moderator(app, client, site, "admin", "Admin")
    reader = quick_reader(app, HOSTILE)
    rid = user_id(client, reader)
    with state_of(app).read_sessions() as db:
        from rostra.models import User

        person = db.get(User, rid)
        assert person is not None
        email, handle = person.email, person.handle
    r = admin.post("/desk/roles", {"site": "news", "who": email or "", "role": "moderator"})
    assert r.status_code == 303
    page = admin.get("/desk/roles").text
    assert f'id="person-{rid}"' in page and HOSTILE not in page
    r = admin.post("/desk/roles", {"site": "news", "who": f"@{handle}", "role": "staff"})
    assert r.status_code == 303
    with state_of(app).read_sessions() as db:
        roles = list(db.scalars(select(SiteRole.role).where(SiteRole.user_id == rid)))
    assert roles == ["staff"]
    r = admin.post("/desk/roles", {"site": "news", "who": str(rid), "role": "none"})
    assert r.status_code == 303
    with state_of(app).read_sessions() as db:
        assert list(db.scalars(select(SiteRole).where(SiteRole.user_id == rid))) == []
    assert [e.data["role"] for e in _audit(app, "role.set")] == ["moderator", "staff", None]
    r = admin.post("/desk/roles", {"site": "news", "who": "nobody@example.org", "role": "staff"})
    assert r.status_code == 404 and "who" in r.text
    r = admin.post("/desk/roles", {"site": "news", "who": str(rid), "role": "king"})
    assert r.status_code == 422
    mod = moderator(app, client, site, name="Mod")
    r = mod.post("/desk/roles", {"site": "news", "who": str(rid), "role": "admin"})
    assert r.status_code == 403
    assert len(_audit(app, "role.set")) == 3


def test_the_audit_page_searches_filters_and_pages(
    app: FastAPI, client: TestClient, site: Site, alice: dict[str, str]
) -> None:
    mod = moderator(app, client, site)
    api_mod = with_role(client, app, site, "moderator", "Api mod")
    ids = [post(client, alice, f"Comment {n}.").json()["id"] for n in range(3)]
    decide(client, api_mod, ids[0], "reject", reason=HOSTILE)
    decide(client, api_mod, ids[1], "reject", reason="Spam links")
    decide(client, api_mod, ids[2], "feature")
    with state_of(app).write_sessions() as db:
        for n in range(55):
            db.add(AuditEntry(site_id=site.id, actor_id=None, action="comment.hold",
                              target_kind="comment", target_id=ids[0], reason=f"Held {n}.",
                              data={}, created_at=utcnow() - timedelta(days=2)))  # fmt: skip
        db.commit()
    r = mod.get("/desk/audit")
    assert r.status_code == 200
    assert HOSTILE not in r.text
    rows = re.findall(r'<tr data-id="(\d+)"', r.text)
    assert len(rows) == 50 and "Older entries" in r.text and "Newer entries" not in r.text
    older = re.search(r'href="([^"]+)" rel="next"', r.text)
    assert older
    r2 = mod.get(older.group(1).replace("&amp;", "&"))
    assert len(re.findall(r'<tr data-id="(\d+)"', r2.text)) == 8 and "Newer entries" in r2.text
    # The moderators' entries (the oldest ids) are on the second page, escaped.
    assert HOSTILE not in r2.text and "&lt;script&gt;" in r2.text
    r = mod.get("/desk/audit", params={"q": "spam"})
    assert len(re.findall(r"<tr data-id=", r.text)) == 1
    r = mod.get("/desk/audit", params={"action": "comment.feature"})
    assert re.findall(r'data-action="([^"]+)"', r.text) == ["comment.feature"]
    r = mod.get("/desk/audit", params={"actor": "system"})
    assert len(re.findall(r"<tr data-id=", r.text)) == 50 and "<em>Rostra</em>" in r.text
    today = utcnow().strftime("%Y-%m-%d")
    r = mod.get("/desk/audit", params={"since": today, "until": today})
    assert len(re.findall(r"<tr data-id=", r.text)) == 3
    r = mod.get("/desk/audit", params={"since": "not a date"})
    assert r.status_code == 422 and "since" in r.text
    r = mod.get("/desk/audit", params={"actor": "@no-such-person"})
    assert r.status_code == 404


def _charts(html: str) -> dict[str, Any]:
    found = re.search(
        r'<script type="application/json" id="dashboard-data">(.*?)</script>', html, re.S
    )
    assert found, "no data block"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def test_the_dashboard_page_carries_its_figures_as_data_and_no_inline_script(
    app: FastAPI, client: TestClient, site: Site, alice: dict[str, str]
) -> None:
    mod = moderator(app, client, site)
    api_mod = with_role(client, app, site, "moderator", "Api mod")
    empty = mod.get("/desk/dashboard")
    assert empty.status_code == 200
    assert _charts(empty.text)["reasons"] == []
    assert "No comments in the last 48 hours." in empty.text
    post(client, alice, title=HOSTILE)
    ids = [post(client, alice, f"Comment {n}.").json()["id"] for n in range(3)]
    decide(client, api_mod, ids[0], "reject", reason="</script><script>alert(1)</script>")
    r = mod.get("/desk/dashboard")
    assert r.status_code == 200
    data = _charts(r.text)
    assert sum(data["published"]) == 3
    assert data["reasons"] == ["rejected: </script><script>alert(1)</script>"]
    assert "<script>alert" not in r.text
    scripts = re.findall(r"<script([^>]*)>", r.text)
    assert all("src=" in s or 'type="application/json"' in s for s in scripts), scripts
    assert "desk/vendor/chart.umd.min.js" in r.text and "desk/dashboard.js" in r.text
    assert client.get("/static/desk/vendor/chart.umd.min.js").status_code == 200
    assert mod.get("/desk/dashboard", params={"site": "news"}).status_code == 200
