"""Answers that browsers and CDNs may keep: ``ETag`` / ``304`` and
``Cache-Control``, and a body compressed once, ahead of time.

A cached page is encoded and gzipped once per version (when it is built);
each request then only compares its ``If-None-Match`` and picks the bytes
that its ``Accept-Encoding`` allows. The GZip middleware leaves an answer
that already has a ``Content-Encoding`` alone.
"""

from __future__ import annotations

import gzip
import hashlib

from starlette.datastructures import Headers
from starlette.responses import Response

#: Anonymous reads: a CDN may serve them for a few seconds, and a while
#: longer while it fetches a fresh copy.
PUBLIC = "public, max-age=5, stale-while-revalidate=30"
#: Counts change more slowly than a listing page needs to show.
PUBLIC_COUNTS = "public, max-age=30, stale-while-revalidate=60"
#: A signed-in reader's answer carries their own state.
PRIVATE = "private, no-store"
# The answer differs with the token (``viewer``) and with the encoding.
VARY = "Accept-Encoding, Authorization"
JSON_TYPE = "application/json"


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def compress(body: bytes) -> bytes:
    # mtime=0: the same body always gives the same bytes.
    return gzip.compress(body, compresslevel=6, mtime=0)


def not_modified(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    wanted = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return etag in wanted


def accepts_gzip(accept_encoding: str | None) -> bool:
    for part in (accept_encoding or "").lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() in ("gzip", "*"):
            q = params.strip().removeprefix("q=")
            return not (params.strip().startswith("q=") and _zero(q))
    return False


def _zero(q: str) -> bool:
    try:
        return float(q) == 0
    except ValueError:
        return False


def cacheable(
    headers: Headers,
    body: bytes,
    etag: str,
    gzipped: bytes | None,
    cache_control: str = PUBLIC,
) -> Response:
    """The answer to a public read of ``body``: 304 when the client holds
    this version, the gzipped bytes when it takes them, else the body."""
    common = {"ETag": etag, "Cache-Control": cache_control, "Vary": VARY}
    if not_modified(headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=common)
    if gzipped is not None and accepts_gzip(headers.get("accept-encoding")):
        return Response(
            gzipped, media_type=JSON_TYPE, headers={**common, "Content-Encoding": "gzip"}
        )
    return Response(body, media_type=JSON_TYPE, headers=common)


#: A reader's own answer is made per request: compressed fast (zlib's
#: quickest level costs a fraction of the middleware's level 9 for a
#: slightly larger body).
PRIVATE_LEVEL = 1


def private(body: bytes, headers: Headers | None = None) -> Response:
    """A signed-in reader's answer; given the request's ``headers``, gzipped
    here when the client takes it (else by the middleware, if at all)."""
    common = {"Cache-Control": PRIVATE, "Vary": VARY}
    if headers is not None and len(body) >= 512 and accepts_gzip(headers.get("accept-encoding")):
        gzipped = gzip.compress(body, compresslevel=PRIVATE_LEVEL, mtime=0)
        return Response(
            gzipped, media_type=JSON_TYPE, headers={**common, "Content-Encoding": "gzip"}
        )
    return Response(body, media_type=JSON_TYPE, headers=common)
