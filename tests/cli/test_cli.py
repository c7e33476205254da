"""The `rostra` command, run as an operator would, against a throwaway data dir."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from rostra.cli.main import main
from rostra.http.deps import state_of
from tests.livesrv import free_port


def run(env: dict[str, str], *args: str, input: str | None = None) -> str:
    result = CliRunner().invoke(main, list(args), env=env, input=input)
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def test_help_lists_the_commands() -> None:
    out = CliRunner().invoke(main, ["--help"]).output
    for command in ("serve", "migrate", "createadmin", "site", "worker"):
        assert command in out


def test_migrate(env: dict[str, str]) -> None:
    from rostra.db import migrate

    versions = Path(migrate.__file__).parent.parent / "migrations" / "versions"
    head = max(p.name.split("_")[3] for p in versions.glob("*_*_*_[0-9]*_*.py"))
    assert f"database at revision {head}" in run(env, "migrate")


def test_site_add_and_list(env: dict[str, str]) -> None:
    out = run(
        env,
        "site",
        "add",
        "ledger",
        "--origin",
        "https://Ledger.example/",
        "--origin",
        "https://www.ledger.example",
        "--require-verified-email",
    )
    assert "site ledger added: https://ledger.example https://www.ledger.example" in out
    assert "SSO secret:" in out
    listing = run(env, "site", "list").splitlines()
    columns = "NAME  TITLE  ORIGINS  VERIFIED EMAIL  MODERATION  FETCH METADATA  STORIES"
    assert re.split(r"\s{2,}", listing[0]) == columns.split("  ")
    assert listing[1].split() == [
        "ledger",
        "ledger",
        "https://ledger.example,https://www.ledger.example",
        "required",
        "post",
        "yes",
        "0",
    ]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["site", "add", "Bad Name", "--origin", "https://a.example"], "site name"),
        (["site", "add", "a", "--origin", "https://a.example/path"], "not an origin"),
        (["site", "add", "a", "--origin", "ftp://a.example"], "http"),
    ],
)
def test_site_add_refuses_bad_input(env: dict[str, str], args: list[str], says: str) -> None:
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code != 0
    assert says in result.output


def test_site_origin_cannot_belong_to_two_sites(env: dict[str, str]) -> None:
    run(env, "site", "add", "one", "--origin", "https://a.example")
    result = CliRunner().invoke(
        main, ["site", "add", "two", "--origin", "https://a.example"], env=env
    )
    assert result.exit_code != 0
    assert "already belongs to site 'one'" in result.output


def test_createadmin_makes_an_admin_who_can_sign_in(env: dict[str, str]) -> None:
    out = run(
        env,
        "createadmin",
        "--email",
        "Editor@Example.org",
        "--name",
        "Editor",
        "--password",
        "a long admin password",
    )
    assert "administrator editor@example.org" in out
    from fastapi.testclient import TestClient

    from rostra.app import create_app
    from rostra.config import load_settings

    os.environ.update(env)
    try:
        app = create_app(load_settings(demo=False), run_jobs=False)
    finally:
        for name in env:
            os.environ.pop(name, None)
    with TestClient(app) as client:
        r = client.post(
            "/api/v1/auth/login",
            json={"email": "editor@example.org", "password": "a long admin password"},
        )
        assert r.status_code == 200, r.text
        assert r.json()["user"]["is_admin"] is True
    state_of(app).engine.dispose()


def test_serve_starts_the_server_with_the_demo(tmp_path: Path) -> None:
    """`rostra serve` as the Quick start runs it: SQLite in a fresh data dir."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROSTRA_")}
    env["ROSTRA_DATA_DIR"] = str(tmp_path / "data")
    proc = subprocess.Popen(
        [sys.executable, "-m", "rostra", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                if r.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "server did not start in 30 s"
            time.sleep(0.2)
        front = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert front.status_code == 200
        assert (tmp_path / "data" / "rostra.db").exists()
        counts = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/counts",
            params={"url": f"http://127.0.0.1:{port}/demo/articles/x"},
            timeout=5,
        )
        assert counts.status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
