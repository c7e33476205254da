"""The docs are tested: settings, commands and error codes must be documented."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from click.testing import CliRunner

from rostra.cli.main import main
from rostra.config import Settings
from rostra.errors import every_error_class

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
    """Each code is a class (``rostra.errors`` and the domains' ``errors.py``);
    each class's status and code stand in the table of docs/api.md."""
    for path in sorted((ROOT / "src" / "rostra").rglob("errors.py")):
        parts = path.relative_to(ROOT / "src").with_suffix("").parts
        importlib.import_module(".".join(parts))  # every domain's error classes
    codes = {(cls.status, cls.code) for cls in every_error_class()}
    documented = {
        (int(status), code) for status, code in re.findall(r"\| (\d{3}) \| `([a-z_]+)` \|", API_DOC)
    }
    assert sorted(codes - documented) == []
    assert sorted(documented - codes) == []  # nor a documented code that no longer exists


def test_help_runs() -> None:
    assert CliRunner().invoke(main, ["--help"]).exit_code == 0
