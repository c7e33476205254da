"""A signed-in reader's gzip is spliced from the shared page's compressed
blocks and their own part (``rostra.http.conditional.private_page``): one
gzip member that any decoder reads whole, for every reader and size."""

from __future__ import annotations

import gzip
import zlib

import pytest
from starlette.datastructures import Headers

from rostra.http.conditional import private_page

GZIP = Headers({"accept-encoding": "gzip"})


def _one_member(data: bytes) -> bytes:
    """The body of a gzip stream that holds exactly one member, checked."""
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    body = decoder.decompress(data) + decoder.flush()
    assert decoder.eof and decoder.unused_data == b""
    return body


@pytest.mark.parametrize("size", [0, 1, 600, 70_000, 300_000])
def test_every_reader_gets_the_bytes_of_their_page(size: int) -> None:
    shared = b'{"comments":["' + b"x\xc3\xa9" * size + b'"],"viewer":null}'
    etag = f'"page-{size}"'
    for viewer in (b'{"id":1,"liked":[],"mine":[],"held":[],"blocked":[]}', b'{"id":22}'):
        plain = shared[: -len(b"null}")] + viewer + b"}"
        answer = private_page(shared, etag, viewer, GZIP)
        if len(plain) < 512:  # too small to be worth compressing
            assert answer.body == plain and "content-encoding" not in answer.headers
            continue
        assert answer.headers["content-encoding"] == "gzip"
        assert answer.headers["content-length"] == str(len(answer.body))
        assert _one_member(bytes(answer.body)) == plain == gzip.decompress(answer.body)
        assert private_page(shared, etag, viewer).body == plain  # gzip not taken
    # The shared part is compressed once: a second reader's answer starts the same.
    a = private_page(shared, etag, b'{"id":1}', GZIP).body
    b = private_page(shared, etag, b'{"id":2}', GZIP).body
    if len(shared) > 512:
        assert a[: len(a) // 2] == b[: len(a) // 2] and a != b
