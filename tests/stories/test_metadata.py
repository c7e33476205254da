"""The metadata fetcher's rules, one by one: which addresses it may reach
(``stories.metadata``), how it reads a page (``stories.head``), and fetching
over real HTTP and HTTPS servers."""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rostra.stories import head, metadata
from rostra.stories.head import clean_title, parse, parse_time
from rostra.stories.metadata import FetchError, address_allowed, trusted_networks
from tests.stories.pages import article_server, self_signed

UA = "Rostra/test"
NONE: tuple[metadata.IPNetwork, ...] = ()
DEMO = trusted_networks(["http://127.0.0.1:8000", "http://localhost:8000"])


def ip(value: str) -> metadata.IPAddress:
    return ipaddress.ip_address(value)


# --- which addresses ----------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    ["93.184.215.14", "8.8.8.8", "2606:4700::1111", "2001:4860:4860::8888", "::ffff:8.8.8.8"],
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_allowed(ip(address), NONE)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",  # loopback
        "127.1.2.3",
        "::1",
        "10.0.0.5",  # private
        "172.16.0.1",
        "192.168.1.1",
        "fd00::1",
        "169.254.169.254",  # link-local: the cloud's metadata service
        "fe80::1",
        "224.0.0.1",  # multicast
        "ff02::1",
        "240.0.0.1",  # reserved
        "255.255.255.255",
        "0.0.0.0",  # unspecified  # noqa: S104 (an address judged, not bound to)
        "::",
        "100.64.0.1",  # shared address space (carrier NAT)
        "198.18.0.1",  # benchmarking
        "192.0.2.1",  # documentation
        "2001:db8::1",
        "fec0::1",  # site-local (deprecated, still not public)
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::ffff:169.254.169.254",
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
        "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo (client 10.0.0.1)
    ],
)
def test_addresses_that_are_not_public_are_refused(address: str) -> None:
    assert not address_allowed(ip(address), NONE)


def test_nat64_of_a_public_address_is_allowed() -> None:
    assert address_allowed(ip("64:ff9b::808:808"), NONE)  # 8.8.8.8 through NAT64


def test_what_a_site_configures_literally_is_trusted() -> None:
    trusted = trusted_networks(["http://10.1.2.3:8080", "https://news.example", "http://[fd00::7]"])
    assert trusted == (ipaddress.ip_network("10.1.2.3/32"), ipaddress.ip_network("fd00::7/128"))
    assert address_allowed(ip("10.1.2.3"), trusted)
    assert address_allowed(ip("::ffff:10.1.2.3"), trusted)
    assert address_allowed(ip("fd00::7"), trusted)
    # Only that address, not its neighbours or other private ranges.
    for other in ("10.1.2.4", "10.0.0.1", "127.0.0.1", "169.254.169.254", "fd00::8"):
        assert not address_allowed(ip(other), trusted), other
    assert address_allowed(ip("8.8.8.8"), trusted)


def test_localhost_origins_trust_loopback_only() -> None:
    loopback = {ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128")}
    assert set(DEMO) == loopback | {ipaddress.ip_network("127.0.0.1/32")}
    assert set(trusted_networks(["http://app.localhost:9000"])) == loopback
    for allowed in ("127.0.0.1", "127.0.1.1", "::1", "::ffff:127.0.0.1"):
        assert address_allowed(ip(allowed), DEMO), allowed
    for refused in ("10.0.0.1", "169.254.169.254", "192.168.0.1", "fe80::1", "100.64.0.1"):
        assert not address_allowed(ip(refused), DEMO), refused


def test_names_that_resolve_privately_earn_no_trust() -> None:
    # The decision rests on what the site's configuration says, never on DNS.
    assert trusted_networks(["https://intranet.example", "https://localhost.example"]) == ()
    assert trusted_networks(["http://127.0.0.1.nip.io"]) == ()


def test_resolve_reads_address_literals_without_dns() -> None:
    assert metadata.resolve("127.0.0.1", 80) == [ip("127.0.0.1")]
    assert metadata.resolve("[::1]", 80) == [ip("::1")]
    with pytest.raises(FetchError, match="cannot be resolved") as caught:
        metadata.resolve("no-such-host.invalid", 80)
    assert caught.value.retry


# --- reading a page -----------------------------------------------------------

ORIGINS = ("https://ledger.example", "https://www.ledger.example")
PAGE = "https://ledger.example/2026/story"


def test_og_title_then_title() -> None:
    both = "<title>Element</title><meta property='og:title' content='Open Graph'>"
    assert parse(f"<html><head>{both}</head></html>", PAGE, ORIGINS).title == "Open Graph"
    assert parse("<head><title>Element</title></head>", PAGE, ORIGINS).title == "Element"
    empty_og = "<meta property='og:title' content='  '><title>Element</title>"
    assert parse(f"<head>{empty_og}</head>", PAGE, ORIGINS).title == "Element"
    assert parse("<head><meta name='og:title' content='By name'></head>", PAGE, ORIGINS).title
    assert parse("<head></head><body><title>In the body</title>", PAGE, ORIGINS).title is None
    svg = "<head><svg><title>Icon</title></svg><title>Page</title></head>"
    assert parse(svg, PAGE, ORIGINS).title == "Page"
    assert parse("<head><title>Never closed", PAGE, ORIGINS).title == "Never closed"
    assert parse("not html at all", PAGE, ORIGINS) == head.PageMetadata(None, None, None)


def test_titles_are_cleaned() -> None:
    messy = "<title>\n  Floods &amp; fire:\u202e the\tweek\x07 in &lt;Brennock&gt; \x85 </title>"
    assert parse(f"<head>{messy}</head>", PAGE, ORIGINS).title == (
        "Floods & fire: the week in <Brennock>"
    )
    assert clean_title("\u2066\u200f\x00 ") is None
    assert clean_title("Emoji 👩\u200d🔬 kept") == "Emoji 👩\u200d🔬 kept"
    long = clean_title("word " * 200)
    assert long is not None and len(long) == head.MAX_TITLE and long.endswith("…")
    assert "\n" not in (clean_title("a\r\nb\u2028c") or "")


def test_canonical_links() -> None:
    def canonical(href: str, rel: str = "canonical") -> str | None:
        page = f"<head><link rel='{rel}' href='{href}'></head>"
        return parse(page, PAGE, ORIGINS).canonical_url

    assert canonical("/2026/story?utm_source=x&b=2&a=1#c") == (
        "https://ledger.example/2026/story?a=1&b=2"
    )
    assert canonical("https://WWW.ledger.example:443/x") == "https://www.ledger.example/x"
    assert canonical("other") == "https://ledger.example/2026/other"
    assert canonical("/x", rel="Canonical alternate") == "https://ledger.example/x"
    assert canonical("https://elsewhere.example/2026/story") is None  # off the site
    assert canonical("http://ledger.example/2026/story") is None  # another origin (scheme)
    assert canonical("javascript:alert(1)") is None
    assert canonical("") is None
    assert canonical("/x", rel="alternate") is None
    first = "<head><link rel=canonical href='/one'><link rel=canonical href='/two'></head>"
    assert parse(first, PAGE, ORIGINS).canonical_url == "https://ledger.example/one"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-11-23T08:30:00+02:00", datetime(2026, 11, 23, 6, 30, tzinfo=UTC)),
        ("2026-11-23T08:30:00Z", datetime(2026, 11, 23, 8, 30, tzinfo=UTC)),
        ("2026-11-23T08:30:00.250-05:00", datetime(2026, 11, 23, 13, 30, 0, 250000, tzinfo=UTC)),
        ("2026-11-23T08:30", datetime(2026, 11, 23, 8, 30, tzinfo=UTC)),  # no zone: UTC
        ("2026-11-23", datetime(2026, 11, 23, tzinfo=UTC)),
        (" 2026-11-23T08:30:00+00:00 ", datetime(2026, 11, 23, 8, 30, tzinfo=UTC)),
        ("yesterday", None),
        ("23/11/2026", None),
        ("", None),
        (None, None),
        ("0001-01-01T00:00:00+01:00", None),  # before the start of time in UTC
        ("2026-11-23T08:30:00.25" + "0" * 60 + "+02:00", None),  # too long to be a time
    ],
)
def test_published_time(raw: str | None, expected: datetime | None) -> None:
    assert parse_time(raw) == expected


def test_published_time_from_the_page() -> None:
    page = "<head><meta property='article:published_time' content='2026-11-23T10:00:00+01:00'>"
    assert parse(page, PAGE, ORIGINS).published_at == datetime(2026, 11, 23, 9, tzinfo=UTC)


def test_charsets() -> None:
    latin = b"<head><meta charset='iso-8859-1'><title>Caf\xe9</title></head>"
    assert parse(head.decode(latin, None), PAGE, ORIGINS).title == "Café"
    equiv = b"<head><meta http-equiv='Content-Type' content='text/html; charset=windows-1251'>"
    equiv += b"<title>\xcd\xee\xe2\xe8\xed\xe8</title></head>"
    assert parse(head.decode(equiv, None), PAGE, ORIGINS).title == "Новини"
    utf8 = "<head><title>Новини</title></head>".encode()
    assert head.decode(utf8, "utf-8") == utf8.decode()
    assert head.decode(utf8, "no-such-charset") == utf8.decode()  # unknown: UTF-8
    assert head.decode(b"<title>\xff</title>", None) == "<title>\ufffd</title>"
    assert head.decode(b"<meta charset=utf-16><title>x</title>", None).endswith("x</title>")


# --- fetching over the network ---------------------------------------------------


def test_fetch_sends_the_host_and_a_user_agent() -> None:
    with article_server(name="localhost") as srv:
        found = metadata.read(srv.url("/both"), [srv.base], timeout=5, user_agent=UA)
    assert found.title == "The og:title wins"
    assert srv.seen.requests == [("/both", f"localhost:{srv.port}", UA)]


def test_fetch_refuses_urls_off_the_origins_before_connecting() -> None:
    with article_server() as srv:
        for url in (srv.url("/both"), "ftp://127.0.0.1/x", "http://127.0.0.1:1/x"):
            with pytest.raises(FetchError, match="not on the site's origins"):
                metadata.fetch(url, ["http://127.0.0.1:2"], timeout=5, user_agent=UA)
    assert srv.seen.requests == []


def test_connection_refused_is_retried_later() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
        with pytest.raises(FetchError, match="Could not connect") as caught:
            metadata.fetch(url + "/x", [url], timeout=5, user_agent=UA)
    assert caught.value.retry


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[str]:
    cert, key = certificate
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert, key)
    with article_server(name="localhost", tls=server_side) as srv:
        yield srv.base


def test_https_checks_the_certificate_for_the_host_name(
    tls_server: str, certificate: tuple[Path, Path]
) -> None:
    trusting = ssl.create_default_context(cafile=str(certificate[0]))
    found = metadata.read(
        tls_server + "/og-only", [tls_server], timeout=5, user_agent=UA, tls=trusting
    )
    assert found.title == "From og:title"
    # The system's authorities do not know the test certificate: refused.
    with pytest.raises(FetchError, match=r"Could not connect.*CERTIFICATE_VERIFY_FAILED"):
        metadata.read(tls_server + "/og-only", [tls_server], timeout=5, user_agent=UA)


def test_https_to_a_name_the_certificate_does_not_cover(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert, key)
    trusting = ssl.create_default_context(cafile=str(cert))
    # Reached at 127.0.0.2 (loopback, trusted as configured), a name the certificate lacks.
    with (
        article_server(host="127.0.0.2", tls=server_side) as srv,
        pytest.raises(FetchError, match=r"Could not connect.*(mismatch|not valid)"),
    ):
        metadata.read(srv.url("/both"), [srv.base], timeout=5, user_agent=UA, tls=trusting)
