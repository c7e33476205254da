"""The docs are tested: settings, commands and error codes must be documented."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from rostra.cli.main import main
from rostra.config import Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
API_DOC = (ROOT / "docs" / "api.md").read_text()


def test_every_setting_is_in_the_readme_table() -> None:
    missing = [
        f"ROSTRA_{name.upper()}"
        for name in Settings.model_fields
        if f"| `ROSTRA_{name.upper()}` |" not in README
    ]
    assert missing == []


def test_every_command_is_in_the_readme() -> None:
    names: list[str] = []
    for name, command in main.commands.items():
        sub = getattr(command, "commands", None)
        names += [f"rostra {name} {s}" for s in sub] if sub else [f"rostra {name}"]
    assert [n for n in names if f"`{n}" not in README] == []


def test_every_error_code_is_documented() -> None:
    codes: set[str] = set()
    for path in (ROOT / "src" / "rostra").rglob("*.py"):
        text = path.read_text()
        codes |= set(re.findall(r'code\s*=\s*"([a-z_]+)"', text))
    documented = set(re.findall(r"\| `([a-z_]+)` \|", API_DOC))
    assert sorted(codes - documented) == []


def test_help_runs() -> None:
    assert CliRunner().invoke(main, ["--help"]).exit_code == 0
