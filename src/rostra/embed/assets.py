"""Static asset URLs with a content hash, and the loader script with its strings."""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path

from rostra.embed.i18n import count_forms

STATIC = Path(__file__).resolve().parent.parent / "static"
_COUNTS = re.compile(r"/\*counts\*/.*?/\*end\*/", re.S)


@lru_cache(maxsize=256)
def static_url(path: str) -> str:
    """``/static/PATH?v=HASH``, so pages can be cached and still pick up new code."""
    file = STATIC / path
    data = module_source(path[6:]) if path.startswith("embed/") else None
    if data is None and file.is_file():
        data = file.read_bytes()
    digest = hashlib.sha256(data).hexdigest()[:10] if data is not None else "0"
    return f"/static/{path}?v={digest}"


# --- the iframe's ES modules -------------------------------------------------
# Each relative import is served as "./NAME.js?v=HASH", HASH covering the
# imported module as served (so its own imports too): a page of one release
# never mixes in a cached module of another, with no build step.

_MODULE = re.compile(r"[a-z][\w-]*\.js")
_IMPORT = re.compile(r"""((?:\bfrom|\bimport\s*\(|^import)\s*")\./([a-z][\w-]*\.js)(")""", re.M)


@lru_cache(maxsize=64)
def module_source(name: str, _seen: tuple[str, ...] = ()) -> bytes | None:
    """The embed module ``static/embed/NAME`` as served, or None."""
    file = STATIC / "embed" / name
    if not _MODULE.fullmatch(name) or name == "loader.js" or not file.is_file():
        return None
    if name in _seen:
        raise ValueError(f"embed modules import each other in a cycle: {_seen}")

    def versioned(m: re.Match[str]) -> str:
        dep = module_source(m[2], (*_seen, name))
        digest = hashlib.sha256(dep).hexdigest()[:10] if dep else "0"
        return f"{m[1]}./{m[2]}?v={digest}{m[3]}"

    return _IMPORT.sub(versioned, _strip(file.read_text("utf-8"))).encode("utf-8")


_BLOCK_COMMENT = re.compile(r"^\s*/\*.*?\*/\s*$", re.S | re.M)


def _strip(source: str) -> str:
    """Drop comment lines and indentation: the loader is on every article
    page of every publisher, and the modules load with every thread, so their
    bytes are worth a few lines of care.
    (Only whole-line comments go; nothing inside a line is touched.)"""
    source = _BLOCK_COMMENT.sub("", source)
    lines = (line.strip() for line in source.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//")) + "\n"


@lru_cache(maxsize=1)
def loader_source() -> bytes:
    source = _strip((STATIC / "embed" / "loader.js").read_text("utf-8"))
    counts = json.dumps(count_forms(), ensure_ascii=False, separators=(",", ":"))
    return _COUNTS.sub(lambda _: counts, source, count=1).encode("utf-8")


@lru_cache(maxsize=1)
def loader_etag() -> str:
    return '"' + hashlib.sha256(loader_source()).hexdigest()[:16] + '"'
