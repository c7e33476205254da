"""The loader script publishers include, with the count strings inlined."""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache

from rostra.embed.i18n import count_forms
from rostra.http.assets import LOADER, STATIC, strip

_COUNTS = re.compile(r"/\*counts\*/.*?/\*end\*/", re.S)


@lru_cache(maxsize=1)
def loader_source() -> bytes:
    source = strip((STATIC / "embed" / LOADER).read_text("utf-8"))
    counts = json.dumps(count_forms(), ensure_ascii=False, separators=(",", ":"))
    return _COUNTS.sub(lambda _: counts, source, count=1).encode("utf-8")


@lru_cache(maxsize=1)
def loader_etag() -> str:
    return '"' + hashlib.sha256(loader_source()).hexdigest()[:16] + '"'
