"""Article URL normalisation: one article is one story whatever a link carries.

Links to the same article differ by fragment (``#comments``), by tracking
parameters added by newsletters and social networks, by the case of the host
and by explicit default ports. All of those are dropped or folded here; the
path and the meaningful query parameters (sorted) are kept.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from rostra.errors import InvalidUrl

MAX_URL_LENGTH = 2048

_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "oly_")
_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "igshid",
        "igsh",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "ref_src",
        "ref_url",
        "cmpid",
        "ocid",
        "icid",
        "ito",
        "s_cid",
        "wt_mc",
        "at_medium",
        "at_campaign",
        "share",
        "smid",
        "cid",
        "spm",
        "vero_id",
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRACKING_PARAMS or lowered.startswith(_TRACKING_PREFIXES)


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of an absolute URL, normalised like stories' URLs."""
    parts = urlsplit(normalise(url))
    return f"{parts.scheme}://{parts.netloc}"


def bare_origin(value: str) -> str | None:
    """``value`` as a normalised origin (default port dropped, host lower-cased),
    or None when it is not a bare ``scheme://host[:port]`` (a path, ``null``, junk)."""
    try:
        origin = origin_of(value)
        bare = normalise(value) in (origin, origin + "/")
    except InvalidUrl:
        return None
    return origin if bare else None


def normalise(url: str, *, field: str = "url") -> str:
    """Return the canonical form of an article URL or raise 422 ``invalid_url``."""
    if field == "url":
        return _normalise_url(url)
    return _normalise(url, field)


@lru_cache(maxsize=4096)
def _normalise_url(url: str) -> str:
    # A pure function, asked again and again for the same few URLs (every
    # reader of a listing page asks the counts of the same links); an
    # InvalidUrl is raised each time, never kept.
    return _normalise(url, "url")


def _normalise(url: str, field: str) -> str:
    raw = url.strip()
    if not raw:
        raise InvalidUrl("The article URL is empty.", field=field)
    if len(raw) > MAX_URL_LENGTH:
        raise InvalidUrl(
            f"The article URL is longer than {MAX_URL_LENGTH} characters.", field=field
        )
    if any(ord(ch) < 32 or ch.isspace() for ch in raw):
        raise InvalidUrl("The article URL contains spaces or control characters.", field=field)
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:
        raise InvalidUrl(f"The article URL cannot be read: {exc}.", field=field) from exc
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise InvalidUrl(field=field)
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = parts.path or "/"
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
    ]
    query.sort()
    result = urlunsplit((scheme, netloc, path, urlencode(query, doseq=True), ""))
    # Re-encoding the query can lengthen it (a quote becomes %22).
    if len(result) > MAX_URL_LENGTH:
        raise InvalidUrl(
            f"The article URL is longer than {MAX_URL_LENGTH} characters.", field=field
        )
    return result
