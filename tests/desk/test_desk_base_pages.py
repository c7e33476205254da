"""The desk's base: sign-in with the accounts' password check and its rate
limit, the cookie, sign-out, and who reaches the desk (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from rostra.accounts import passwords
from rostra.desk import session
from rostra.http.deps import state_of
from rostra.models import Site, SiteRole, User
from tests.desk.pages_support import DeskClient, moderator, page_token, reader_desk

PASSWORD = "a long desk password 7"


def _account(app: FastAPI, site: Site | None, email: str = "mod@example.org") -> int:
    with state_of(app).write_sessions() as db:
        user = User(email=email, display_name="Desk Mod", handle=email.split("@")[0],
                    password_hash=passwords.hash_password(PASSWORD))  # fmt: skip
        db.add(user)
        db.flush()
        if site is not None:
            db.add(SiteRole(site_id=site.id, user_id=user.id, role="moderator"))
        db.commit()
        return user.id


def _sign_in(browser: DeskClient, email: str, password: str, next_path: str = "/desk"):  # type: ignore[no-untyped-def]
    form = browser.get(f"/desk/signin?next={next_path}")
    assert form.status_code == 200
    return browser.post(
        "/desk/signin",
        {"email": email, "password": password, "next": next_path},
        token=page_token(form.text),
    )


def test_anonymous_visitor_gets_the_sign_in_page_never_the_queue(
    app: FastAPI, client: TestClient, site: Site
) -> None:
    anonymous = DeskClient(app, None)
    for path in ("/desk", "/desk/queue/pending", "/desk/queue/reported?site=news", "/desk/events"):
        r = anonymous.get(path)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/desk/signin?next=%2Fdesk")
    r = anonymous.get("/desk/queue/pending", headers={"Accept": "application/json"})
    assert r.status_code == 401
    assert r.json()["error"] == "desk_sign_in_required"
    page = anonymous.get("/desk/signin")
    assert "Sign in to the moderation desk" in page.text
    assert 'id="cards"' not in page.text


def test_sign_in_sets_an_httponly_cookie_and_reaches_the_queue(
    app: FastAPI, client: TestClient, site: Site
) -> None:
    _account(app, site)
    browser = DeskClient(app, None)
    r = _sign_in(browser, "Mod@Example.org", PASSWORD, "/desk/queue/recent")
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/desk/queue/recent"
    cookie = r.headers["set-cookie"]
    assert f"{session.COOKIE}=" in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/desk" in cookie
    assert "Secure" not in cookie  # http://rostra.test
    queue = browser.get("/desk/queue/recent")
    assert queue.status_code == 200
    assert "Desk Mod" in queue.text and "Recent" in queue.text
    # signing out ends the sign-in itself, not only the cookie
    token = browser.http.cookies.get(session.COOKIE)
    out = browser.post("/desk/signout", token=page_token(queue.text))
    assert out.status_code == 303
    stale = DeskClient(app, {"Authorization": f"Bearer {token}"})
    assert stale.get("/desk").status_code == 303


def test_wrong_password_and_the_login_rate_limit(
    app: FastAPI, client: TestClient, site: Site
) -> None:
    _account(app, site)
    browser = DeskClient(app, None)
    r = _sign_in(browser, "mod@example.org", "not the password")
    assert r.status_code == 401
    assert session.COOKIE not in r.headers.get("set-cookie", "")
    state_of(app).settings.rate_limit_enabled = True
    state_of(app).settings.rate_login = "2/300"
    try:
        codes = [_sign_in(browser, "mod@example.org", "nope").status_code for _ in range(3)]
    finally:
        state_of(app).settings.rate_limit_enabled = False
    assert codes[-1] == 429


def test_the_sign_in_form_needs_its_csrf_token(
    app: FastAPI, client: TestClient, site: Site
) -> None:
    _account(app, site)
    browser = DeskClient(app, None)
    browser.get("/desk/signin")
    form = {"email": "mod@example.org", "password": PASSWORD}
    for token in (None, "0" * 64):
        r = browser.post("/desk/signin", form, token=token)
        assert r.status_code == 403
        assert "csrf_failed" in r.text
        assert session.COOKIE not in r.headers.get("set-cookie", "")
    other = DeskClient(app, None)
    stolen = page_token(other.get("/desk/signin").text)
    assert browser.post("/desk/signin", form, token=stolen).status_code == 403


def test_a_reader_without_a_role_gets_a_clear_403(
    app: FastAPI, client: TestClient, site: Site
) -> None:
    reader = reader_desk(app)
    r = reader.get("/desk")
    assert r.status_code == 403
    assert "Not a moderator" in r.text
    assert 'id="cards"' not in r.text
    assert reader.get("/desk/events").status_code == 403
    # staff wear a badge; they do not moderate
    staff = moderator(app, client, site, "staff")
    assert staff.get("/desk/queue/pending").status_code == 403
    mod = moderator(app, client, site)
    assert mod.get("/desk/queue/pending").status_code == 200


def test_secure_cookie_when_the_site_is_https(app: FastAPI, client: TestClient, site: Site) -> None:
    _account(app, site)
    state_of(app).settings.public_url = "https://comments.example"
    browser = DeskClient(app, None, base_url="https://rostra.test")
    r = _sign_in(browser, "mod@example.org", PASSWORD)
    assert "Secure" in r.headers["set-cookie"]


def test_a_moderator_from_rostra_createadmin_signs_in_to_the_queue(
    app: FastAPI, client: TestClient, site: Site, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from rostra.cli.main import main

    settings = state_of(app).settings
    env = {
        "ROSTRA_DATA_DIR": str(tmp_path / "cli"),
        "ROSTRA_DATABASE_URL": settings.database_url,
        "ROSTRA_SECRET_KEY": settings.secret_key,
    }
    args = ["createadmin", "--email", "Night@Desk.example", "--name", "Night desk",
            "--password", PASSWORD, "--site", "news", "--role", "moderator"]  # fmt: skip
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 0, result.output
    browser = DeskClient(app, None)
    r = _sign_in(browser, "night@desk.example", PASSWORD)
    assert r.status_code == 303 and r.headers["location"] == "/desk"
    queue = browser.get("/desk")
    assert queue.status_code == 200 and "Night desk" in queue.text
    assert 'id="cards"' in queue.text


def test_desk_errors_are_pages(app: FastAPI, client: TestClient, site: Site) -> None:
    mod = moderator(app, client, site)
    r = mod.get("/desk/no-such-page")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "Not found" in r.text and "Go to the desk" in r.text
    r = mod.get("/desk/queue/nonsense")
    assert r.status_code == 422 and "text/html" in r.headers["content-type"]
    r = mod.get("/desk/no-such-page", headers={"Accept": "application/json"})
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    assert client.get("/api/v1/no-such-call").json()["error"] == "not_found"  # the API's own


def test_the_queue_costs_the_same_queries_for_5_or_25_cards(
    app: FastAPI, client: TestClient, site: Site
) -> None:
    from sqlalchemy import update

    from rostra.models import Comment
    from tests.comments.conftest import count_queries, post, quick_reader

    mod = moderator(app, client, site)

    def queries_for(n: int) -> int:
        for i in range(n):
            author = quick_reader(app, f"Author {n}-{i}")
            cid = post(client, author, f"Comment {n}-{i}.").json()["id"]
            with state_of(app).write_sessions() as db:
                db.execute(update(Comment).where(Comment.id == cid).values(status="pending"))
                db.commit()
        with count_queries(app) as seen:
            page = mod.get("/desk")
        assert page.status_code == 200
        return len(seen)

    few = queries_for(5)
    many = queries_for(20)
    assert many == few, (few, many)
