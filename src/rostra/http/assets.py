"""Static asset URLs with a content hash, and the embed's ES modules as served.

Each relative import in an embed module is served as ``./NAME.js?v=HASH``,
HASH covering the imported module as served (so its own imports too), and
so is a style sheet a module adds (``new URL("./NAME.css", import.meta.url)``): a
page of one release never mixes in a cached module of another, with no
build step.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path

STATIC = Path(__file__).resolve().parent.parent / "static"
_MODULE = re.compile(r"[a-z][\w-]*\.(js|css)")
_IMPORT = re.compile(r"""((?:\bfrom|\bimport\s*\(|^import)\s*")\./([a-z][\w-]*\.js)(")""", re.M)
#: A module's own style sheet, ``new URL("./NAME.css", import.meta.url)``.
_STYLE = re.compile(r"""(new URL\(")\./([a-z][\w-]*\.css)(", import\.meta\.url\))""")
_BLOCK_COMMENT = re.compile(r"^\s*/\*.*?\*/\s*$", re.S | re.M)
#: Served as it is on publishers' pages, not as a module of the iframe.
LOADER = "loader.js"


@lru_cache(maxsize=256)
def static_url(path: str) -> str:
    """``/static/PATH?v=HASH``, so pages can be cached and still pick up new code."""
    file = STATIC / path
    data = module_source(path[6:]) if path.startswith("embed/") else None
    if data is None and file.is_file():
        data = file.read_bytes()
    digest = hashlib.sha256(data).hexdigest()[:10] if data is not None else "0"
    return f"/static/{path}?v={digest}"


@lru_cache(maxsize=64)
def module_source(name: str, _seen: tuple[str, ...] = ()) -> bytes | None:
    """The embed module (or style sheet) ``static/embed/NAME`` as served, or None."""
    file = STATIC / "embed" / name
    if not _MODULE.fullmatch(name) or name == LOADER or not file.is_file():
        return None
    if name in _seen:
        raise ValueError(f"embed modules import each other in a cycle: {_seen}")

    def versioned(m: re.Match[str]) -> str:
        dep = module_source(m[2], (*_seen, name))
        digest = hashlib.sha256(dep).hexdigest()[:10] if dep else "0"
        return f"{m[1]}./{m[2]}?v={digest}{m[3]}"

    source = _IMPORT.sub(versioned, strip(file.read_text("utf-8")))
    return _STYLE.sub(versioned, source).encode("utf-8")


def strip(source: str) -> str:
    """Drop comment lines and indentation: the loader is on every article
    page of every publisher, and the modules load with every thread, so their
    bytes are worth a few lines of care.
    (Whole-line comments go, and a ``// comment`` ending a line of code;
    nothing else inside a line is touched.)"""
    source = _BLOCK_COMMENT.sub("", source)
    lines = (_end_comment(line.strip()) for line in source.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//")) + "\n"


def _end_comment(line: str) -> str:
    """``line`` without the ``// comment`` that ends it, where a scan shows
    the ``//`` outside every string. A line with any other slash before it
    (a regular expression, a division, a ``/*``) or a template string is
    left as it is."""
    quote = ""
    escaped = False
    for i, c in enumerate(line):
        if quote:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c == "`":
            return line
        elif c == "/":
            return line[:i].rstrip() if line.startswith("//", i) else line
    return line
