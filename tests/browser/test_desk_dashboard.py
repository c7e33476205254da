"""The desk's dashboard in real Chromium: the vendored Chart.js draws every
chart from the page's JSON block, offline (every request stays on Rostra's
origin), with no CSP violation and no script error."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from rostra.db.base import utcnow
from rostra.desk import session, surge
from rostra.http.deps import state_of
from rostra.models.comment import Comment
from tests.browser.conftest import Rostra


def _ink(page: Any, canvas_id: str) -> int:
    """How many pixels of the canvas are drawn on (not transparent)."""
    count: int = page.evaluate(
        """(id) => {
            const c = document.getElementById(id);
            const data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
            return n;
        }""",
        canvas_id,
    )
    return count


def test_the_dashboard_draws_its_charts_under_the_strict_csp(
    rostra: Rostra, publisher: str, browser: Any
) -> None:
    admin = rostra.admin_token()
    reader = rostra.reader("Dash Reader")
    url = f"{publisher}/articles/dashboard-story"
    ids = [
        rostra.post(reader["token"], url, f"Comment {n} for the charts.")["id"] for n in range(4)
    ]
    with rostra.api() as api:
        r = api.post(
            f"/api/v1/moderation/comments/{ids[0]}/decision",
            json={"action": "reject", "reason": "Spam"},
            headers={"Authorization": f"Bearer {admin}"},
        )
        assert r.status_code == 200, r.text
    ctx = browser.new_context(viewport={"width": 1100, "height": 1000})
    try:
        ctx.add_cookies([{"name": session.COOKIE, "value": admin, "url": f"{rostra.url}/desk"}])
        page = ctx.new_page()
        problems: list[str] = []
        # Chromium asks for /favicon.ico on its own, which Rostra does not
        # serve; any other failed load is caught in ``missing`` below.
        page.on(
            "console",
            lambda m: (
                problems.append(m.text)
                if m.type in ("error", "warning") and "Failed to load resource" not in m.text
                else None
            ),
        )
        page.on("pageerror", lambda e: problems.append(str(e)))
        elsewhere: list[str] = []
        page.on(
            "request",
            lambda req: None if req.url.startswith(rostra.url) else elsewhere.append(req.url),
        )
        missing: list[str] = []
        page.on(
            "response",
            lambda res: (
                missing.append(res.url)
                if res.status >= 400 and not res.url.endswith("/favicon.ico")
                else None
            ),
        )
        page.goto(f"{rostra.url}/desk/dashboard")
        page.wait_for_selector("html[data-charts=drawn]")
        page.wait_for_timeout(200)  # a resize observer's redraw, if any, has run
        for chart in ("chart-hours", "chart-reasons", "chart-queue", "chart-stories"):
            assert _ink(page, chart) > 200, chart
        csp = [p for p in problems if "Content Security Policy" in p or "Refused" in p]
        assert csp == [] and problems == [] and missing == [], (problems, missing)
        assert elsewhere == []
        assert page.locator("table.by-reason").inner_text().count("Spam") == 1
    finally:
        ctx.close()


def test_a_surge_reaches_the_stories_page_live(
    rostra: Rostra, publisher: str, browser: Any
) -> None:
    admin = rostra.admin_token()
    reader = rostra.reader("Surge Reader")
    url = f"{publisher}/articles/surging-story"
    first = rostra.post(reader["token"], url, "The first of many.")
    auth = {"Authorization": f"Bearer {admin}"}
    with rostra.api() as api:
        r = api.patch(
            "/api/v1/moderation/sites/gazette/settings",
            json={"surge_threshold": 1, "surge_action": "flag_only"},
            headers=auth,
        )
        assert r.status_code == 200, r.text
    ctx = browser.new_context(viewport={"width": 1100, "height": 1000})
    try:
        ctx.add_cookies([{"name": session.COOKIE, "value": admin, "url": f"{rostra.url}/desk"}])
        page = ctx.new_page()
        page.goto(f"{rostra.url}/desk/stories?site=gazette")
        page.wait_for_selector("#surges[data-live=on]")
        assert "No story is surging." in page.locator("#surges").inner_text()
        for n in range(5):
            rostra.post(reader["token"], url, f"Comment {n} in the rush.")
        with state_of(rostra.app).write_sessions() as db:
            assert surge.watch(db, utcnow()).started
            db.commit()
        # Other tests' stories on this shared server may surge too: watch this one.
        with state_of(rostra.app).write_sessions() as db:
            comment = db.get(Comment, first["id"])
            assert comment is not None
            story_id = comment.story_id
        item = page.locator(f'#surges li.surging[data-story="{story_id}"]')
        item.wait_for()
        assert "comments a minute" in item.inner_text()
        with state_of(rostra.app).write_sessions() as db:
            assert surge.watch(db, utcnow() + timedelta(minutes=10)).ended
            db.commit()
        page.locator(f'#surges li.calm[data-story="{story_id}"]').wait_for()
    finally:
        ctx.close()
        with rostra.api() as api:
            api.patch(
                "/api/v1/moderation/sites/gazette/settings",
                json={"surge_threshold": 0},
                headers=auth,
            )
