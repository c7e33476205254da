"""A real HTTP server with article pages in every shape the metadata fetcher
meets: titles here or there, canonical links on and off the site, redirects
in and out, pages too large, too slow, not HTML, not found."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.livesrv import free_port

Route = Callable[["_Handler"], None]


def html_page(head: str, body: str = "<p>The article.</p>") -> bytes:
    return f"<!doctype html><html><head>{head}</head><body>{body}</body></html>".encode()


@dataclass
class Seen:
    """What the server was asked: (path, Host header, User-Agent) per request."""

    requests: list[tuple[str, str, str]] = field(default_factory=list)
    #: Paths whose answer was sent whole, and those the client hung up on.
    finished: list[str] = field(default_factory=list)
    cut_off: list[str] = field(default_factory=list)

    def paths(self) -> list[str]:
        return [p for p, _, _ in self.requests]


class _Handler(BaseHTTPRequestHandler):
    routes: dict[str, Route]
    seen: Seen
    # Answers are HTTP/1.1, so a streamed page is read as it comes.
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.seen.requests.append(
            (self.path, self.headers.get("Host", ""), self.headers.get("User-Agent", ""))
        )
        route = self.routes.get(self.path.split("?", 1)[0])
        if route is None:
            self.send(404, b"<html><head><title>Not found</title></head></html>")
            return
        try:
            route(self)
        except (BrokenPipeError, ConnectionResetError):  # the fetcher went away
            self.seen.cut_off.append(self.path)
        else:
            self.seen.finished.append(self.path)

    def send(
        self, status: int, body: bytes, content_type: str = "text/html; charset=utf-8"
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location: str, status: int = 302) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def stream(self, first: bytes, then: bytes, *, pause: float = 0.0, total: int) -> None:
        """``first``, then ``then`` again and again (chunked) up to ``total``
        bytes, or until the client goes away."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        sent = 0
        for chunk in (first, *([then] * (total // max(1, len(then))))):
            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.flush()
            sent += len(chunk)
            if pause:
                time.sleep(pause)
            if sent >= total:
                break
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


def _page(head: str, body: str = "<p>The article.</p>") -> Route:
    return lambda h: h.send(200, html_page(head, body))


def _drip_headers(h: _Handler) -> None:
    """A status line, then a header one byte at a time, for a minute and more."""
    h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Slow: ")
    for _ in range(1500):
        h.wfile.write(b"a")
        h.wfile.flush()
        time.sleep(0.05)
    h.close_connection = True


def _slow(h: _Handler) -> None:
    time.sleep(8)
    h.send(200, html_page("<title>Too slow</title>"))


def routes(base: str) -> dict[str, Route]:
    """The pages, for a server whose own origin is ``base``."""
    big_head = "<meta name='x' content='" + "x" * (600 * 1024) + "'>"
    return {
        "/og-only": _page('<meta property="og:title" content="From og:title">'),
        "/title-only": _page("<title>From the title element</title>"),
        "/both": _page(
            "<title>The title element | The Ledger</title>"
            '<meta property="og:title" content="The og:title wins">'
        ),
        "/no-title": _page('<meta name="description" content="No title here">'),
        "/canonical-on": _page(
            "<title>Canonical on the site</title>"
            '<link rel="canonical" href="/2026/the-story?utm_source=x#top">'
        ),
        "/canonical-off": _page(
            '<title>Canonical elsewhere</title><link rel="canonical" href="https://elsewhere.example/story">'
        ),
        "/published": _page(
            '<meta property="og:title" content="Dated">'
            '<meta property="article:published_time" content="2026-11-23T08:30:00+02:00">'
        ),
        "/messy": _page(
            "<title>\n  Floods &amp; fire:\u202e the\tweek\x07 in &lt;Brennock&gt;  \n</title>"
        ),
        "/latin1": lambda h: h.send(
            200,
            b'<html><head><meta charset="iso-8859-1"><title>Caf\xe9 society</title></head></html>',
            "text/html",
        ),
        "/redirect-in": lambda h: h.redirect("/both", 301),
        "/redirect-chain": lambda h: h.redirect(f"{base}/redirect-in", 307),
        "/redirect-loop": lambda h: h.redirect("/redirect-loop"),
        "/redirect-out": lambda h: h.redirect("https://elsewhere.example/story"),
        "/redirect-private": lambda h: h.redirect("http://169.254.169.254/latest/meta-data/"),
        "/redirect-ftp": lambda h: h.redirect("ftp://127.0.0.1/x"),
        "/redirect-nowhere": lambda h: h.redirect(""),
        # og:title first, then a head that never ends, sent for longer than the
        # fetch may take: only the first 512 KiB are read.
        "/endless-head": lambda h: h.stream(
            b'<html><head><meta property="og:title" content="Read before the limit">',
            b"<meta name='pad' content='" + b"p" * 8000 + b"'>",
            pause=0.002,
            total=64 * 1024 * 1024,
        ),
        # The title comes after the limit: never read.
        "/title-too-late": _page(big_head + "<title>Too late</title>"),
        # The head ends at once; the body then trickles for a minute: reading stops at </head>.
        "/endless-body": lambda h: h.stream(
            b"<html><head><title>Stops at the head</title></head><body>",
            b"<p>more</p>",
            pause=0.05,
            total=1200 * 11,
        ),
        "/slow": _slow,
        "/drip-headers": _drip_headers,
        # Headers at once, then one byte at a time: only the deadline stops it.
        "/drip": lambda h: h.stream(b"<html><head>", b"<", pause=0.05, total=2000),
        "/json": lambda h: h.send(200, b'{"title": "not a page"}', "application/json"),
        "/no-type": lambda h: h.send(200, html_page("<title>x</title>"), ""),
        "/gone": lambda h: h.send(410, html_page("<title>Gone</title>")),
        "/broken": lambda h: h.send(500, html_page("<title>Server error</title>")),
    }


@dataclass
class ArticleServer:
    base: str
    port: int
    seen: Seen

    def url(self, path: str) -> str:
        return self.base + path


@contextmanager
def article_server(
    host: str = "127.0.0.1",
    name: str | None = None,
    tls: ssl.SSLContext | None = None,
    extra: dict[str, Route] | None = None,
) -> Iterator[ArticleServer]:
    """Serve the pages on ``host``; URLs use ``name`` (default: the host)."""
    port = free_port()
    scheme = "https" if tls else "http"
    base = f"{scheme}://{name or host}:{port}"
    seen = Seen()
    handler = type(
        "Handler", (_Handler,), {"routes": {**routes(base), **(extra or {})}, "seen": seen}
    )
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    if tls:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield ArticleServer(base, port, seen)
    finally:
        server.shutdown()
        server.server_close()


def self_signed(folder: Path, name: str = "localhost") -> tuple[Path, Path]:
    """A certificate for ``name`` and 127.0.0.1, made with Debian's openssl."""
    import subprocess

    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={name}",
            "-addext", f"subjectAltName=DNS:{name},IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key
