"""`rostra site edit / show / list / rotate-secret / remove`, run as an
operator would, with a running app on the same database seeing the changes."""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from rostra.app import create_app
from rostra.config import load_settings
from rostra.http.deps import state_of
from rostra.models import AuthSession, Comment, OutboxEvent, Reaction, Site, Story, User
from rostra.sso.service import make_token
from tests.comments.conftest import quick_reader

ORIGIN_SAYS = "An origin is http:// or https://, a host and an optional port, with no path"


def run(env: dict[str, str], *args: str) -> str:
    result = CliRunner().invoke(main_command(), list(args), env=env)
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def fail(env: dict[str, str], *args: str) -> str:
    result = CliRunner().invoke(main_command(), list(args), env=env)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return result.output


def main_command() -> Any:
    from rostra.cli.main import main

    return main


@pytest.fixture
def server(env: dict[str, str]) -> Iterator[TestClient]:
    """A running app on the command's database, as `rostra serve` would be."""
    os.environ.update(env)
    try:
        app = create_app(load_settings(demo=False), run_jobs=False)
    finally:
        for name in env:
            os.environ.pop(name, None)
    with TestClient(app, base_url="http://rostra.test") as client:
        yield client
    state_of(app).engine.dispose()


def app_of(client: TestClient) -> FastAPI:
    app: FastAPI = client.app  # type: ignore[assignment]
    return app


def secret_of(env: dict[str, str], name: str) -> str:
    out = run(env, "site", "show", name, "--secrets")
    found = re.search(r"^SSO secret\s+(\S+)$", out, re.M)
    assert found, out
    return found.group(1)


def count(client: TestClient, model: Any, *where: Any) -> int:
    with state_of(app_of(client)).read_sessions() as db:
        return db.scalar(select(func.count()).select_from(model).where(*where)) or 0


def comment(client: TestClient, url: str, headers: dict[str, str], **extra: Any) -> int:
    r = client.post(
        "/api/v1/comments", json={"url": url, "body": "A comment", **extra}, headers=headers
    )
    assert r.status_code == 201, r.text
    comment_id: int = r.json()["id"]
    return comment_id


def sso_reader(client: TestClient, secret: str, url: str, sub: str) -> dict[str, str]:
    token = make_token(secret, sub, email=f"{sub}@example.org", name=sub)
    r = client.post("/api/v1/auth/sso", json={"url": url, "token": token})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


# --- list and show ---------------------------------------------------------------


def test_list_has_a_header_and_aligned_columns(env: dict[str, str], server: TestClient) -> None:
    assert "no sites yet" in run(env, "site", "list")
    run(env, "site", "add", "ledger", "--origin", "https://ledger.example", "--title", "The Ledger")
    run(env, "site", "add", "mb", "--origin", "http://localhost:9000", "--origin", "http://m.b",
        "--premoderate", "--require-verified-email", "--no-fetch-metadata")  # fmt: skip
    comment(server, "https://ledger.example/a", quick_reader(app_of(server)))
    lines = run(env, "site", "list").splitlines()
    header = lines[0]
    names = ["NAME", "TITLE", "ORIGINS", "VERIFIED EMAIL", "MODERATION", "FETCH METADATA"]
    names.append("STORIES")
    starts = [header.index(n) for n in names]
    assert starts == sorted(starts) and re.split(r"\s{2,}", header) == names

    def cells(line: str) -> list[str]:
        edges = [*starts, len(line) + 1]
        return [line[a:b].strip() for a, b in itertools.pairwise(edges)]

    assert [cells(line) for line in lines[1:]] == [
        ["ledger", "The Ledger", "https://ledger.example", "no", "post", "yes", "1"],
        ["mb", "mb", "http://localhost:9000,http://m.b", "required", "pre", "no", "0"],
    ]
    assert all(line[starts[1] - 2 : starts[1]] == "  " for line in lines)  # columns apart
    assert "SSO SECRET" not in header
    with_secrets = run(env, "site", "list", "--secrets").splitlines()
    assert with_secrets[0].endswith("SSO SECRET")
    assert with_secrets[1].split()[-1] == secret_of(env, "ledger")


def test_show_prints_every_field(env: dict[str, str], server: TestClient) -> None:
    origins = ["--origin", "https://ledger.example", "--origin", "https://www.ledger.example"]
    run(env, "site", "add", "ledger", *origins, "--title", "The Ledger", "--premoderate")
    out = run(env, "site", "show", "ledger")
    fields = dict((m.group(1), m.group(2)) for m in re.finditer(r"^(\S.*?)\s{2,}(.*)$", out, re.M))
    assert fields == {
        "name": "ledger",
        "title": "The Ledger",
        "origins": "https://ledger.example",
        "require verified email": "no",
        "moderation": "pre (comments wait for a moderator)",
        "fetch metadata": "yes",
        "stories": "0 (0 comments)",
        "SSO readers": "0",
        "created": fields["created"],
        "SSO secret": "hidden (--secrets shows it)",
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", fields["created"])
    assert re.search(r"^\s+https://www\.ledger\.example$", out, re.M)  # the second origin
    secret = secret_of(env, "ledger")
    assert len(secret) >= 40 and secret not in out
    assert "No site is named 'nope' (sites: ledger)" in fail(env, "site", "show", "nope")


# --- edit --------------------------------------------------------------------------


def test_edit_changes_each_field_and_says_so(env: dict[str, str], server: TestClient) -> None:
    run(env, "site", "add", "ledger", "--origin", "https://ledger.example")
    out = run(env, "site", "edit", "ledger", "--add-origin", "https://WWW.ledger.example/",
              "--title", "The Ledger", "--require-verified-email", "--premoderate")  # fmt: skip
    assert out.splitlines() == [
        "site ledger: origins: https://ledger.example -> "
        "https://ledger.example https://www.ledger.example",
        "site ledger: title: 'ledger' -> 'The Ledger'",
        "site ledger: require verified email: no -> yes",
        "site ledger: moderation: post -> pre",
    ]
    with state_of(app_of(server)).read_sessions() as db:
        site = db.scalar(select(Site).where(Site.name == "ledger"))
        assert site is not None
        assert (site.origins, site.title, site.require_verified_email, site.moderation) == (
            ["https://ledger.example", "https://www.ledger.example"],
            "The Ledger",
            True,
            "pre",
        )
    out = run(env, "site", "edit", "ledger", "--remove-origin", "https://ledger.example",
              "--no-require-verified-email", "--no-premoderate")  # fmt: skip
    assert "origins: https://ledger.example https://www.ledger.example -> " in out
    assert "require verified email: yes -> no" in out and "moderation: pre -> post" in out
    out = run(env, "site", "edit", "ledger", "--origin", "https://a.example", "--origin",
              "https://b.example")  # fmt: skip
    assert "-> https://a.example https://b.example" in out
    assert (
        run(env, "site", "edit", "ledger", "--no-premoderate") == "site ledger: nothing changed\n"
    )
    assert run(env, "site", "edit", "ledger", "--title", "") == (
        "site ledger: title: 'The Ledger' -> 'ledger'\n"  # an empty title is the name
    )


def test_edit_refuses_what_would_break_the_site(env: dict[str, str], server: TestClient) -> None:
    run(env, "site", "add", "ledger", "--origin", "https://ledger.example")
    run(env, "site", "add", "other", "--origin", "https://other.example")
    before = run(env, "site", "show", "ledger", "--secrets")
    cases = [
        (["--add-origin", "https://other.example"], "already belongs to site 'other'"),
        (["--origin", "https://other.example"], "already belongs to site 'other'"),
        (["--remove-origin", "https://ledger.example"], "A site needs at least one origin"),
        (["--remove-origin", "https://nope.example"], "not an origin of site 'ledger'"),
        (["--add-origin", "ledger.example"], "did you mean https://ledger.example?"),
        (["--title", "two\nlines"], "'title' must be a single line"),
        (["--title", "x" * 201], "at most 200 characters"),
        ([], "Nothing to change"),
        # One bad value and the good ones with it change nothing.
        (["--title", "New", "--add-origin", "ftp://x"], ORIGIN_SAYS),
    ]  # fmt: skip
    for args, says in cases:
        assert says in fail(env, "site", "edit", "ledger", *args), args
    assert run(env, "site", "show", "ledger", "--secrets") == before
    assert "No site is named 'nope'" in fail(env, "site", "edit", "nope", "--title", "x")


@pytest.mark.parametrize(
    ("origin", "hint"),
    [
        ("ledger.example", "(no scheme: did you mean https://ledger.example?)"),
        ("ftp://x", "(ftp is not http or https)"),
        ("https://ledger.example/news", "(it has a path: the origin is https://ledger.example)"),
        ("https://ledger.example:99999", ""),
        ("", ""),
    ],
)
def test_a_wrong_origin_says_what_an_origin_is(env: dict[str, str], origin: str, hint: str) -> None:
    out = fail(env, "site", "add", "x", "--origin", origin)
    assert f"{origin!r} is not an origin{' ' + hint if hint else ''}. {ORIGIN_SAYS}" in out
    assert "article URL" not in out
    assert "no sites yet" in run(env, "site", "list")


def test_a_running_server_sees_edits(env: dict[str, str], server: TestClient) -> None:
    run(env, "site", "add", "ledger", "--origin", "https://ledger.example")
    reader = quick_reader(app_of(server))
    url = "https://m.ledger.example/a"
    r = server.post("/api/v1/comments", json={"url": url, "body": "x"}, headers=reader)
    assert r.json()["error"] == "url_not_allowed"
    run(env, "site", "edit", "ledger", "--add-origin", "https://m.ledger.example")
    comment(server, url, reader)  # at once
    frame = server.get("/embed/thread", params={"url": url})
    assert "https://m.ledger.example" in frame.headers["content-security-policy"]
    run(env, "site", "edit", "ledger", "--remove-origin", "https://m.ledger.example")
    r = server.post("/api/v1/comments", json={"url": url, "body": "x"}, headers=reader)
    assert r.json()["error"] == "url_not_allowed"  # at once, too
    frame = server.get("/embed/thread", params={"url": "https://ledger.example/a"})
    assert "m.ledger.example" not in frame.headers["content-security-policy"]
    run(env, "site", "edit", "ledger", "--premoderate")
    r = server.post(
        "/api/v1/comments", json={"url": "https://ledger.example/b", "body": "x"}, headers=reader
    )
    assert r.status_code == 202


def test_switching_fetching_off_and_on(env: dict[str, str], server: TestClient) -> None:
    run(env, "site", "add", "ledger", "--origin", "https://ledger.example")
    reader = quick_reader(app_of(server))
    for n in (1, 2):
        comment(server, f"https://ledger.example/{n}", reader, title=f"Client title {n}")
    comment(server, "https://ledger.example/3", reader)
    fetches = (OutboxEvent.topic == "story.metadata",)
    assert count(server, OutboxEvent, *fetches) == 3
    out = run(env, "site", "edit", "ledger", "--no-fetch-metadata")
    assert out.splitlines() == [
        "site ledger: fetch metadata: yes -> no",
        "site ledger: dropped the titles clients sent for 2 stories",
    ]
    assert count(server, Story, Story.title != "") == 0
    r = server.get("/api/v1/comments", params={"url": "https://ledger.example/1"})
    assert r.json()["story"]["title"] == ""
    r = server.post(
        "/api/v1/comments",
        json={"url": "https://ledger.example/1", "body": "x", "title": "Again"},
        headers=reader,
    )
    assert r.status_code == 201 and count(server, Story, Story.title != "") == 0
    out = run(env, "site", "edit", "ledger", "--fetch-metadata")
    assert "3 stories queued to be read again" in out
    assert count(server, OutboxEvent, *fetches) == 6
    assert "fetch metadata" in run(env, "site", "show", "ledger")


# --- rotate-secret ---------------------------------------------------------------------


def test_rotating_the_secret_refuses_tokens_signed_with_the_old_one(
    env: dict[str, str], server: TestClient
) -> None:
    run(env, "site", "add", "ledger", "--origin", "https://ledger.example")
    old = secret_of(env, "ledger")
    url = "https://ledger.example/a"
    sso_reader(server, old, url, "before")
    waiting = make_token(old, "signed-before", name="Waiting")  # signed, not yet used
    out = run(env, "site", "rotate-secret", "ledger")
    new = re.search(r"^new SSO secret for ledger: (\S+)$", out, re.M)
    assert new and "refused from now on" in out
    assert new.group(1) == secret_of(env, "ledger") != old
    for token in (waiting, make_token(old, "after")):
        r = server.post("/api/v1/auth/sso", json={"url": url, "token": token})
        assert (r.status_code, r.json()["error"]) == (401, "invalid_sso_token")
    sso_reader(server, new.group(1), url, "after")
    forged = jwt.encode(
        {"sub": "x", "exp": 2**40},
        "not the secret, though long enough for HS256",
        algorithm="HS256",
    )
    r = server.post("/api/v1/auth/sso", json={"url": url, "token": forged})
    assert r.status_code == 401
    assert "No site is named 'nope'" in fail(env, "site", "rotate-secret", "nope")


# --- remove -------------------------------------------------------------------------


def test_remove_refuses_while_the_site_has_stories_and_force_deletes_them(
    env: dict[str, str], server: TestClient
) -> None:
    run(env, "site", "add", "ledger", "--origin", "https://ledger.example")
    run(env, "site", "add", "other", "--origin", "https://other.example")
    app = app_of(server)
    local = quick_reader(app)
    sso = sso_reader(server, secret_of(env, "ledger"), "https://ledger.example/a", "olena")
    first = comment(server, "https://ledger.example/a", local)
    comment(server, "https://ledger.example/a", sso, parent_id=first)
    liked = comment(server, "https://ledger.example/b", sso)
    assert server.put(f"/api/v1/comments/{liked}/reactions/like", headers=local).status_code == 200
    kept = comment(server, "https://other.example/a", local)
    assert server.put(f"/api/v1/comments/{kept}/reactions/like", headers=sso).status_code == 403

    says = fail(env, "site", "remove", "ledger")
    assert (
        "Site 'ledger' has 2 stories, 3 comments and 1 SSO reader; "
        "`rostra site remove ledger --force` deletes the site with all of them."
    ) in says
    assert count(server, Story) == 3  # nothing deleted
    out = run(env, "site", "remove", "ledger", "--force")
    assert out.splitlines() == [
        "deleting site ledger with its 2 stories, 3 comments and 1 SSO reader "
        "(and the readers' sign-ins and likes), in one transaction",
        "site ledger removed",
    ]
    assert count(server, Site) == 1 and count(server, Story) == 1
    assert count(server, Comment) == 1 and count(server, Reaction) == 0
    assert count(server, User, User.sso_site_id.is_not(None)) == 0
    assert count(server, User) == 1 and count(server, AuthSession) == 1  # the local reader's
    assert server.get("/api/v1/me", headers=sso).status_code == 401
    assert server.get("/api/v1/me", headers=local).status_code == 200
    r = server.get("/api/v1/comments", params={"url": "https://ledger.example/a"})
    assert r.json()["error"] == "url_not_allowed"
    r = server.get("/api/v1/comments", params={"url": "https://other.example/a"})
    assert [c["id"] for c in r.json()["comments"]] == [kept]
    assert "No site is named 'ledger'" in fail(env, "site", "remove", "ledger")


def test_remove_an_empty_site(env: dict[str, str], server: TestClient) -> None:
    run(env, "site", "add", "ledger", "--origin", "https://ledger.example")
    assert run(env, "site", "remove", "ledger") == "site ledger removed\n"
    assert "no sites yet" in run(env, "site", "list")
    # Its origin is free again.
    run(env, "site", "add", "again", "--origin", "https://ledger.example")
