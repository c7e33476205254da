"""The cheap half of scripts/check is part of the suite: a file ruff would
reformat, or a ruff finding, fails it (well under a second each).

mypy --strict is too slow for every run; ``scripts/check`` runs all three.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "args",
    [["format", "--check"], ["check", "--output-format", "concise"]],
    ids=["format", "lint"],
)
def test_ruff_finds_nothing(args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *args, "src", "tests", "benchmarks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
