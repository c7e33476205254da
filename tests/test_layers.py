"""The package keeps its layers (docs/architecture.md): no package of
src/rostra imports one on its own row or above, counting imports inside
functions and under TYPE_CHECKING; infrastructure imports no domain."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "rostra"

# Top to bottom; a package may import only packages of later rows.
ROWS: list[set[str]] = [
    {"__main__"},
    {"cli"},
    {"app"},
    {"demo", "embed", "desk"},
    {"social"},
    {"sso", "comments"},
    {"stories", "moderation"},
    {"accounts", "sites"},
    {"http"},
    {"jobs"},
    {"backends"},
    {"models"},
    {"db"},
    {"text", "urls"},
    {"errors", "config"},
]
ROW = {name: n for n, row in enumerate(ROWS) for name in row}
INFRASTRUCTURE = {
    "http", "jobs", "backends", "models", "db", "text", "urls", "errors", "config"
}  # fmt: skip


def _graph() -> dict[tuple[str, str], str]:
    """(importer, imported) -> the first file seen importing so."""
    edges: dict[tuple[str, str], str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).parts
        if parts[0] in ("migrations", "__init__.py"):
            continue
        here = parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                bits = name.split(".")
                if bits[0] == "rostra" and len(bits) > 1 and bits[1] != here:
                    edges.setdefault((here, bits[1]), str(path.relative_to(PACKAGE)))
    return edges


def test_every_package_has_a_row() -> None:
    packages = {p.name.removesuffix(".py") for p in PACKAGE.iterdir()}
    packages -= {"__init__", "__pycache__", "migrations", "templates", "static"}
    assert sorted(packages - set(ROW)) == []


def test_imports_point_down() -> None:
    upward = [f"{a} -> {b} ({where})" for (a, b), where in _graph().items() if ROW[b] <= ROW[a]]
    assert upward == []


def test_infrastructure_imports_no_domain() -> None:
    found = [
        f"{a} -> {b} ({where})"
        for (a, b), where in _graph().items()
        if a in INFRASTRUCTURE and b not in INFRASTRUCTURE
    ]
    assert found == []


def test_no_endpoint_or_page_commits() -> None:
    found: defaultdict[str, int] = defaultdict(int)
    for path in PACKAGE.rglob("*.py"):
        if path.name in ("endpoints.py", "pages.py") and ".commit(" in path.read_text("utf-8"):
            found[str(path.relative_to(PACKAGE))] += 1
    assert dict(found) == {}
