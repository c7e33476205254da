"""Reading a story's title, canonical URL and publication time from the
article's own page, safely.

Only the job in ``rostra.stories.tasks`` calls :func:`read`; never a request.
The page is fetched under these rules, because its URL comes from the public
(any reader's first comment names it) and the fetch runs inside Rostra's
network:

- only URLs on the site's configured origins, http or https; a redirect is
  followed by hand, at most ``MAX_REDIRECTS`` times, and only to the site's
  origins again;
- the host is resolved here, each address checked (:func:`address_allowed`:
  no private, loopback, link-local, multicast, reserved or unspecified
  address unless the site's configured origin names it), and the connection
  made to the address checked, so a second lookup cannot be steered
  elsewhere (DNS rebinding);
- one deadline for the whole fetch, redirects included (a watchdog shuts the
  socket when it passes, so a server that drips bytes cannot hold the job
  runner); at most ``MAX_BYTES`` read, and reading stops at ``</head>``;
- only ``text/html`` (or XHTML) answers, read by ``rostra.stories.head``
  (the standard library's ``html.parser``).

The standard library's ``http.client`` is used rather than httpx: connecting
to an address chosen here while sending the host's name (and TLS SNI and
certificate checks for it) is a small override of ``connect`` there, and
the deadline and the byte limit need the socket in hand anyway; so the
server gains no runtime dependency.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote, urljoin, urlsplit

from rostra.stories.head import PageMetadata, decode, on_origins, parse

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_REDIRECTS = 3
MAX_BYTES = 512 * 1024
REDIRECTS = frozenset({301, 302, 303, 307, 308})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Answers worth asking again later: the page may not be published yet, or
# the server is having a bad minute.
RETRY_STATUSES = frozenset({404, 408, 425, 429, 500, 502, 503, 504})
# Names that always mean this machine (RFC 6761): a site configured with one
# trusts the loopback addresses, as one configured with 127.0.0.1 trusts that.
_LOOPBACK: tuple[IPNetwork, ...] = (
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("::1/128"),
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class FetchError(Exception):
    """The page could not be read; the sentence is kept on the story.

    ``retry``: whether asking again later may help (a timeout, a 503), as
    opposed to a refusal that will not change (a redirect off the site).
    """

    def __init__(self, message: str, *, retry: bool = False) -> None:
        super().__init__(message)
        self.retry = retry


# --- which addresses may be reached ------------------------------------------


def trusted_networks(origins: Iterable[str]) -> tuple[IPNetwork, ...]:
    """The non-public addresses a site's configuration vouches for: the
    addresses its origins name literally (``http://127.0.0.1:8000``,
    ``http://[::1]:8000``), and loopback for ``localhost`` origins.

    A DNS name that merely resolves to a private address today earns no
    trust: whoever controls that name's DNS could point it at the cloud's
    metadata service or an internal admin page.
    """
    found: list[IPNetwork] = []
    for origin in origins:
        host = (urlsplit(origin).hostname or "").rstrip(".")
        if host == "localhost" or host.endswith(".localhost"):
            found.extend(_LOOPBACK)
            continue
        try:
            found.append(ipaddress.ip_network(host))
        except ValueError:
            continue
    return tuple(dict.fromkeys(found))


def _public(address: IPAddress) -> bool:
    site_local = isinstance(address, ipaddress.IPv6Address) and address.is_site_local
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or site_local
    )


def address_allowed(address: IPAddress, trusted: Iterable[IPNetwork]) -> bool:
    """Whether the fetcher may connect to ``address``, for a site whose
    configuration trusts ``trusted`` (see :func:`trusted_networks`).

    A public address is allowed; any other (private, loopback, link-local,
    multicast, reserved, unspecified, shared address space, site-local) only
    when it is in ``trusted``. An IPv6 address that stands for an IPv4 one
    (IPv4-mapped, NAT64) is judged as that IPv4 address; one that carries an
    IPv4 address to tunnel to (6to4, Teredo) must pass for that one too.
    """
    trusted = tuple(trusted)
    if any(address.version == net.version and address in net for net in trusted):
        return True
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address_allowed(address.ipv4_mapped, trusted)
        if address in _NAT64:
            return address_allowed(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF), trusted)
        tunnelled = [address.sixtofour, address.teredo[1] if address.teredo else None]
        if any(v4 is not None and not address_allowed(v4, trusted) for v4 in tunnelled):
            return False
    return _public(address)


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address of ``host`` (itself, for an address literal)."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise FetchError(f"The host {host} cannot be resolved ({exc}).", retry=True) from exc
    found: list[IPAddress] = []
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


# --- fetching ----------------------------------------------------------------


class _Deadline:
    """One time limit for a whole fetch. Each socket opened under it gets a
    watchdog that shuts it down when the time is up, so that no read, however
    slowly the server drips, outlives the deadline."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds
        self._guards: list[tuple[threading.Timer, socket.socket]] = []

    def remaining(self) -> float:
        left = self.ends - time.monotonic()
        if left <= 0:
            raise self.expired()
        return left

    def expired(self) -> FetchError:
        return FetchError(f"The page did not answer within {self.seconds:g} s.", retry=True)

    @property
    def passed(self) -> bool:
        return time.monotonic() >= self.ends

    def connect(self, address: IPAddress, port: int) -> socket.socket:
        sock = socket.create_connection((str(address), port), timeout=self.remaining())
        # A duplicate of the descriptor: it still names this socket after TLS
        # has taken over (and detached) the original object.
        handle = sock.dup()
        timer = threading.Timer(self.remaining(), _shut, (handle,))
        timer.daemon = True
        timer.start()
        self._guards.append((timer, handle))
        return sock

    def close(self) -> None:
        for timer, handle in self._guards:
            timer.cancel()
            handle.close()
        self._guards.clear()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed: nothing left to stop
        sock.shutdown(socket.SHUT_RDWR)


class _Connection(http.client.HTTPConnection):
    """HTTP to an address chosen (and checked) beforehand; ``Host`` names the host."""

    def __init__(self, host: str, port: int, address: IPAddress, deadline: _Deadline) -> None:
        super().__init__(host, port, timeout=deadline.remaining())
        self._address = address
        self._deadline = deadline

    def connect(self) -> None:
        self.sock = self._deadline.connect(self._address, self.port)


class _TLSConnection(http.client.HTTPSConnection):
    """HTTPS to an address chosen beforehand; SNI and the certificate check
    are for the host's name."""

    def __init__(
        self,
        host: str,
        port: int,
        address: IPAddress,
        deadline: _Deadline,
        context: ssl.SSLContext,
    ) -> None:
        super().__init__(host, port, timeout=deadline.remaining(), context=context)
        self._address = address
        self._deadline = deadline
        self._tls = context

    def connect(self) -> None:
        raw = self._deadline.connect(self._address, self.port)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


@dataclass(frozen=True)
class Page:
    url: str  # after redirects
    data: bytes  # the start of the page, up to the end of its head
    charset: str | None  # as the Content-Type names it


def _target(url: str) -> str:
    """The request target: path and query, with anything outside ASCII escaped."""
    parts = urlsplit(url)
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=~-._")
    query = quote(parts.query, safe="/%:@!$&'()*+,;=~-._?")
    return path + ("?" + query if query else "")


@contextmanager
def _opened(
    url: str,
    trusted: tuple[IPNetwork, ...],
    headers: dict[str, str],
    deadline: _Deadline,
    tls: ssl.SSLContext | None,
) -> Iterator[http.client.HTTPResponse]:
    """The answer to ``GET url``, from the first allowed address that connects."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    addresses = resolve(host, port)
    refused = [a for a in addresses if not address_allowed(a, trusted)]
    if refused or not addresses:
        # All or nothing: a name that also resolves to a private address is
        # not trusted with its public ones either.
        shown = ", ".join(map(str, refused)) or "nothing"
        raise FetchError(
            f"The host {host} resolves to {shown}, which is not a public address; "
            "only a site whose configured origin names that address may be fetched from it."
        )
    last: OSError | None = None
    for address in addresses:
        conn: http.client.HTTPConnection
        if https:
            context = tls or ssl.create_default_context()
            conn = _TLSConnection(host, port, address, deadline, context)
        else:
            conn = _Connection(host, port, address, deadline)
        try:
            conn.request("GET", _target(url), headers=headers)
            response = conn.getresponse()
        except OSError as exc:
            conn.close()
            if deadline.passed:
                raise deadline.expired() from exc
            last = exc
            continue
        except http.client.HTTPException as exc:
            conn.close()
            if deadline.passed:
                raise deadline.expired() from exc
            raise FetchError(f"{host} sent an answer that is not HTTP ({exc!r}).") from exc
        try:
            yield response
        finally:
            conn.close()
        return
    raise FetchError(f"Could not connect to {host}:{port} ({last}).", retry=True)


_HEADERS = {
    "Accept": "text/html, application/xhtml+xml;q=0.9",
    "Accept-Encoding": "identity",
    "Connection": "close",
}


def fetch(
    url: str,
    origins: Iterable[str],
    *,
    timeout: float,
    user_agent: str,
    max_bytes: int = MAX_BYTES,
    tls: ssl.SSLContext | None = None,
) -> Page:
    """The head of the HTML page at ``url`` (on one of ``origins``), or
    :class:`FetchError` saying why not."""
    origins = tuple(origins)
    trusted = trusted_networks(origins)
    headers = {**_HEADERS, "User-Agent": user_agent}
    deadline = _Deadline(timeout)
    try:
        for _ in range(MAX_REDIRECTS + 1):
            if urlsplit(url).scheme not in ("http", "https") or not on_origins(url, origins):
                raise FetchError(f"{url} is not on the site's origins.")
            with _opened(url, trusted, headers, deadline, tls) as response:
                if response.status in REDIRECTS:
                    location = response.getheader("Location", "").strip()
                    if not location:
                        raise FetchError(f"{url} redirects without a Location.")
                    target = urljoin(url, location)
                    if not on_origins(target, origins):
                        raise FetchError(f"{url} redirects off the site's origins, to {target}.")
                    url = target
                    continue
                data = _body(response, url, deadline, max_bytes)
                return Page(url, data, response.headers.get_content_charset())
        raise FetchError(f"More than {MAX_REDIRECTS} redirects from the article's URL.")
    except OSError as exc:  # a read cut short
        if deadline.passed:
            raise deadline.expired() from exc
        raise FetchError(f"Reading {url} failed ({exc}).", retry=True) from exc
    finally:
        deadline.close()


def _body(
    response: http.client.HTTPResponse, url: str, deadline: _Deadline, max_bytes: int
) -> bytes:
    if response.status != 200:
        raise FetchError(
            f"{url} answered {response.status} {response.reason}.",
            retry=response.status in RETRY_STATUSES,
        )
    media = response.headers.get_content_type() if response.getheader("Content-Type") else ""
    if media not in HTML_TYPES:
        raise FetchError(f"{url} answered {media or 'no Content-Type'}, not an HTML page.")
    data = bytearray()
    while len(data) < max_bytes:
        deadline.remaining()
        try:
            # read1: what has come, without waiting to fill the buffer.
            chunk = response.read1(min(16_384, max_bytes - len(data)))
        except (http.client.HTTPException, ValueError) as exc:  # a chunk cut short
            if deadline.passed:
                raise deadline.expired() from exc
            raise FetchError(f"{url} sent a broken answer ({exc!r}).", retry=True) from exc
        if not chunk:
            if deadline.passed:  # the watchdog shut the socket
                raise deadline.expired()
            break
        start = max(0, len(data) - 6)
        data += chunk
        if b"</head" in data[start:].lower():
            break
    return bytes(data)


def read(
    url: str,
    origins: Iterable[str],
    *,
    timeout: float,
    user_agent: str,
    max_bytes: int = MAX_BYTES,
    tls: ssl.SSLContext | None = None,
) -> PageMetadata:
    """Fetch the page at ``url`` and read its metadata (see the module's rules)."""
    origins = tuple(origins)
    page = fetch(url, origins, timeout=timeout, user_agent=user_agent, max_bytes=max_bytes, tls=tls)
    return parse(decode(page.data, page.charset), page.url, origins)
