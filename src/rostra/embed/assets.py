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
    digest = hashlib.sha256(file.read_bytes()).hexdigest()[:10] if file.is_file() else "0"
    return f"/static/{path}?v={digest}"


_BLOCK_COMMENT = re.compile(r"^\s*/\*.*?\*/\s*$", re.S | re.M)


def _strip(source: str) -> str:
    """Drop comment lines and indentation: the loader is on every article
    page of every publisher, so its bytes are worth a few lines of care.
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
