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
import struct
import threading
import zlib
from collections import OrderedDict

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


#: A reader's own part of an answer is compressed per request: fast (zlib's
#: quickest level costs a fraction of the middleware's level 9).
PRIVATE_LEVEL = 1


# A signed-in reader's page is a shared page with their overlay spliced in
# at its end (the page up to ``"viewer":``, the overlay, ``}``). Its gzip is
# spliced the same way, so that the shared part is compressed once per page:
# the shared part's deflate blocks end with a sync flush (byte-aligned, not
# final), the overlay's blocks follow from a fresh compressor and end the
# stream, and the trailer's CRC-32 is the whole body's (``zlib.crc32``
# carried on from the prefix's). One gzip member, valid for any reader.

#: What a shared page ends with: its ``viewer`` (null) and the closing brace.
SHARED_END = b"null}"
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # deflate, mtime 0
_PREFIXES: OrderedDict[str, tuple[bytes, int]] = OrderedDict()
_PREFIXES_LOCK = threading.Lock()
#: Shared pages whose compressed prefix is kept (by ETag, so by content).
KEEP_PREFIXES = 64


def _deflated_prefix(etag: str, prefix: bytes) -> tuple[bytes, int]:
    """The prefix's raw deflate blocks (sync-flushed) and its CRC-32."""
    with _PREFIXES_LOCK:
        found = _PREFIXES.get(etag)
        if found is not None:
            _PREFIXES.move_to_end(etag)
            return found
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    made = (compressor.compress(prefix) + compressor.flush(zlib.Z_SYNC_FLUSH), zlib.crc32(prefix))
    with _PREFIXES_LOCK:
        _PREFIXES[etag] = made
        while len(_PREFIXES) > KEEP_PREFIXES:
            _PREFIXES.popitem(last=False)
    return made


def spliced_gzip(etag: str, prefix: bytes, suffix: bytes) -> bytes:
    """The gzip of ``prefix + suffix``, from the prefix's compressed blocks
    kept under ``etag`` (the shared page's) and the suffix compressed now."""
    blocks, crc = _deflated_prefix(etag, prefix)
    compressor = zlib.compressobj(PRIVATE_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    tail = compressor.compress(suffix) + compressor.flush()
    size = (len(prefix) + len(suffix)) & 0xFFFFFFFF
    return _GZIP_HEADER + blocks + tail + struct.pack("<II", zlib.crc32(suffix, crc), size)


def private_page(
    shared_body: bytes, shared_etag: str, viewer: bytes, headers: Headers | None = None
) -> Response:
    """``private`` for a shared page (ending ``"viewer":null}``) with the
    reader's encoded ``viewer`` object in place of null; gzipped by splicing
    (see above) when the client takes it."""
    if not shared_body.endswith(SHARED_END):  # pragma: no cover - a page built elsewhere
        raise ValueError("not a shared page")
    prefix = shared_body[: -len(SHARED_END)]
    suffix = viewer + b"}"
    common = {"Cache-Control": PRIVATE, "Vary": VARY}
    size = len(prefix) + len(suffix)
    if headers is not None and size >= 512 and accepts_gzip(headers.get("accept-encoding")):
        gzipped = spliced_gzip(shared_etag, prefix, suffix)
        return Response(
            gzipped, media_type=JSON_TYPE, headers={**common, "Content-Encoding": "gzip"}
        )
    return Response(prefix + suffix, media_type=JSON_TYPE, headers=common)
