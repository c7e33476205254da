"""Browser fixtures: a live Rostra, a publisher's site on another origin, Chromium.

Each pytest-xdist worker starts its own Rostra (uvicorn in a thread, SQLite in
a temporary folder) on 127.0.0.1:PORT_A, and its own publisher site on
localhost:PORT_B: a different site, so the embed runs as a real third-party
iframe with partitioned storage, as it does on a newspaper's page.
"""

from __future__ import annotations

import html
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from rostra.app import create_app
from rostra.config import Settings, finish
from rostra.http.deps import state_of
from rostra.sites import service as sites
from tests.livesrv import free_port, live_server

CHROMIUM = os.environ.get("ROSTRA_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
SLUGS = ("harbour-fire", "school-meals", "tram-returns")
# Password hashing (argon2) in parallel workers can take seconds on a busy machine.
expect.set_options(timeout=15_000)


@dataclass
class Rostra:
    url: str
    app: Any
    sso_secret: str = ""
    publisher: str = ""
    _seq: list[int] = field(default_factory=lambda: [0])

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10)

    def reader(self, name: str | None = None) -> dict[str, str]:
        """Register a reader through the API; returns email, password, name and token."""
        self._seq[0] += 1
        n = f"{os.getpid()}-{self._seq[0]}"
        creds = {
            "email": f"reader{n}@example.org",
            "password": "correct horse battery",
            "display_name": name or f"Reader {n}",
        }
        with self.api() as c:
            assert c.post("/api/v1/auth/register", json=creds).status_code == 202
            r = c.post(
                "/api/v1/auth/login", json={"email": creds["email"], "password": creds["password"]}
            )
            assert r.status_code == 200, r.text
        return {**creds, "token": r.json()["token"]}

    def admin_token(self) -> str:
        from rostra.accounts.service import create_admin

        self._seq[0] += 1
        email = f"admin{os.getpid()}-{self._seq[0]}@example.org"
        with state_of(self.app).write_sessions() as db:
            create_admin(db, email, "correct horse battery", "Admin")
            db.commit()
        with self.api() as c:
            r = c.post(
                "/api/v1/auth/login", json={"email": email, "password": "correct horse battery"}
            )
            assert r.status_code == 200, r.text
            return str(r.json()["token"])

    def post(self, token: str, url: str, body: str, parent_id: int | None = None) -> dict[str, Any]:
        with self.api() as c:
            r = c.post(
                "/api/v1/comments",
                json={"url": url, "body": body, "parent_id": parent_id},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert r.status_code in (201, 202), r.text
            data: dict[str, Any] = r.json()
            return data


@pytest.fixture(scope="session")
def rostra(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Rostra]:
    port = free_port()
    data = tmp_path_factory.mktemp("rostra-live")
    # SQLite by default; ROSTRA_TEST_BROWSER_DB=postgresql runs the same
    # browser tests against a fresh PostgreSQL database (not in the default suite).
    if os.environ.get("ROSTRA_TEST_BROWSER_DB") == "postgresql":
        database_url = str(request.getfixturevalue("pg_database"))
    else:
        database_url = f"sqlite:///{data / 'rostra.db'}"
    settings = finish(
        Settings(
            data_dir=data,
            database_url=database_url,
            demo=True,
            public_url=f"http://127.0.0.1:{port}",
            rate_limit_enabled=False,
            # Tests post fast chains of comments; the spam rules would hold them
            # (tests/moderation covers the pipeline, as the API suite does).
            moderation_pipeline=False,
            run_jobs_in_process=False,
            secret_key="browser-tests-secret",
        )
    )
    app = create_app(settings, run_jobs=False)
    with live_server(app, port) as url:
        yield Rostra(url=url, app=app)


#: Host pages of ?look=NAME: (meta color-scheme, CSS). Without ?look the page
#: declares "light dark" and sets no colours, so it follows the reader's OS.
LOOKS = {
    # A light news page with no dark mode.
    "light": ("", "body { background: #fbfaf7; color: #1a1a1a; font-family: Georgia, serif }"),
    # A dark page that does not declare its scheme (the page's scheme is light).
    "dark": ("", "body { background: #151515; color: #e8e6e3; font-family: Georgia, serif }"),
    # A dark page that declares it, in a colour space the loader must convert.
    "dark-oklch": (
        "dark",
        "body { background: oklch(0.25 0.03 260); color: oklch(0.95 0 0); font-family: serif }",
    ),
    # A light page whose comments sit in a dark section, under a nearly
    # transparent white wash the loader must look through.
    "dark-section": (
        "",
        "body { background: #ffffff; color: #111111 }"
        " .section { background: #1d2433; color: #f0f0f0; padding: 8px }"
        " #rostra-thread { background: rgba(255, 255, 255, 0.04) }",
    ),
    # A page that switches its look with a class on <html>, animated.
    "switch": (
        "",
        "body { background: #fbfaf7; color: #1a1a1a; transition: background-color .3s, color .3s }"
        " .night body { background: #151515; color: #e8e6e3 }",
    ),
}


def _article_html(rostra: str, origin: str, path: str, query: dict[str, list[str]]) -> str:
    slug = path.rsplit("/", 1)[-1]
    lang = query.get("lang", ["en"])[0]
    sso = query.get("sso", [""])[0]
    explicit = query.get("explicit", [""])[0]
    look = query.get("look", [""])[0]
    scheme, css = LOOKS.get(look, ("light dark", ""))
    scheme_meta = f'<meta name="color-scheme" content="{scheme}">' if scheme else ""
    # ?sheet=1: the look comes in a style sheet that is slow to arrive;
    # ?sheet=hang: in one that takes longer than a reader would wait.
    sheet = ""
    if wait := query.get("sheet", [""])[0]:
        sheet = f'<link rel="stylesheet" href="/look.css?look={html.escape(look)}&sheet={wait}">'
        css = ""
    # ?tall=1: a long article, so the thread starts well below the fold.
    spacer = '<div id="spacer" style="height: 3000px"></div>' if query.get("tall") else ""
    # ?explicit=SLUG: no id, the thread is named by data-rostra-url instead.
    box = (
        [f'data-rostra-url="{origin}/articles/{html.escape(explicit)}"']
        if explicit
        else ['id="rostra-thread"']
    )
    if sso:
        box.append(f'data-rostra-sso="{html.escape(sso)}"')
    for name in ("theme", "accent", "font"):
        if value := query.get(name, [""])[0]:
            box.append(f'data-rostra-{name}="{html.escape(value)}"')
    return f"""<!doctype html><html lang="{html.escape(lang)}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{scheme_meta}<style>
body {{ font-family: sans-serif; max-width: 720px; margin: 0 auto; padding: 8px }}
{css}</style>{sheet}
<title>{slug} - Test Gazette</title>
<link rel="canonical" href="{origin}/articles/{slug}">
<meta property="og:title" content="The {slug.replace("-", " ")} story">
</head><body>
<h1>The {slug.replace("-", " ")} story</h1><p>Some article text.</p>{spacer}
<div class="section"><div {" ".join(box)}></div></div>
<script src="{rostra}/embed.js" data-rostra async></script>
<noscript><a href="{rostra}/thread?url={origin}/articles/{slug}">Read the comments</a></noscript>
</body></html>"""


def _listing_html(rostra: str, origin: str) -> str:
    items = "".join(
        f'<li><a href="/articles/{s}">{s}</a> · <a class="count" href="/articles/{s}#comments" '
        f'data-rostra-count="{origin}/articles/{s}">Comments</a></li>'
        for s in SLUGS
    )
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Gazette</title></head>
<body><ul>{items}</ul><script src="{rostra}/embed.js" data-rostra async></script></body></html>"""


@pytest.fixture(scope="session")
def publisher(rostra: Rostra) -> Iterator[str]:
    """A publisher's site on http://localhost:PORT_B embedding the live Rostra."""
    port = free_port()
    origin = f"http://localhost:{port}"

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path.startswith("/articles/"):
                # Served as localhost (site "gazette") and as 127.0.0.1 (site "premod").
                here = f"http://{self.headers.get('Host', origin[7:])}"
                body = _article_html(rostra.url, here, parts.path, parse_qs(parts.query))
            elif parts.path == "/look.css":
                query = parse_qs(parts.query)
                # Slower than the embed's loader script, or than its patience.
                time.sleep(20 if query.get("sheet") == ["hang"] else 1)
                look = query.get("look", [""])[0]
                self._send(LOOKS.get(look, ("", ""))[1].encode(), "text/css")
                return
            elif parts.path in ("/", "/index.html"):
                body = _listing_html(rostra.url, origin)
            elif parts.path == "/foreign":
                # A page on neither Rostra's nor the publisher's origin (when
                # reached as 127.0.0.1) that posts a resize to its parent.
                body = (
                    "<!doctype html><script>parent.postMessage("
                    "{rostra: 'resize', height: 7}, '*'); window.sent = true</script>"
                )
            else:
                self.send_error(404)
                return
            self._send(body.encode(), "text/html")

        def _send(self, data: bytes, kind: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    with state_of(rostra.app).write_sessions() as db:
        site = sites.add_site(db, "gazette", [origin], title="Test Gazette")
        sites.add_site(db, "premod", [f"http://127.0.0.1:{port}"], moderation="pre")
        db.commit()
        rostra.sso_secret = site.sso_secret
    rostra.publisher = origin
    yield origin
    httpd.shutdown()


# Playwright switches off third-party storage partitioning, which every
# current browser has on: without it a third-party iframe (the embed on a
# publisher's page) gets no localStorage at all. Its default list is
# replaced by the same list minus that one feature.
PLAYWRIGHT_DISABLED = (
    "AvoidUnnecessaryBeforeUnloadCheckSync,DestroyProfileOnBrowserClose,HttpsUpgrades,"
    "HttpsFirstBalancedModeAutoEnable,LensOverlay,MediaRouter,PaintHolding,"
    "ThirdPartyStoragePartitioning,AvoidCorsURLLoaderRestartOnRedirect,TcpPortRandomizationWin,"
    "OptimizationHints,NetworkTimeServiceQuerying,AimEnabled,PreconnectToSearch,"
    "msForceBrowserSignIn,msEdgeUpdateLaunchServicesPreferredVersion"
)
OURS_DISABLED = PLAYWRIGHT_DISABLED.replace("ThirdPartyStoragePartitioning,", "")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            ignore_default_args=[f"--disable-features={PLAYWRIGHT_DISABLED}"],
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                f"--disable-features={OURS_DISABLED}",
            ],
        )
        yield b
        b.close()


@pytest.fixture(scope="session")
def third_party_storage(browser: Any, publisher: str) -> None:
    """Fail once, clearly, if the embed on the publisher's page gets no storage
    (see PLAYWRIGHT_DISABLED), rather than in every sign-in test."""
    ctx = browser.new_context()
    try:
        page = ctx.new_page()
        page.goto(f"{publisher}/articles/storage-check")
        page.frame_locator("iframe.rostra-frame").locator("#heading").wait_for()
        frame = next(f for f in page.frames if "/embed/thread" in f.url)
        ok = frame.evaluate("() => { try { return !!localStorage; } catch (e) { return false; } }")
        assert ok, (
            "the embed's iframe has no localStorage: Playwright's default "
            "--disable-features list changed; update PLAYWRIGHT_DISABLED"
        )
    finally:
        ctx.close()


@pytest.fixture
def context(browser: Any, third_party_storage: None) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1000, "height": 900})
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: Any) -> Any:
    p = context.new_page()
    p.dialogs = []
    p.on("dialog", lambda d: (p.dialogs.append(d.message), d.dismiss()))
    return p


@pytest.fixture
def article(publisher: str) -> Any:
    """A fresh article URL per test, so tests never see each other's comments."""
    counter = iter(range(1_000_000))

    def make(slug: str | None = None, **query: str) -> tuple[str, str]:
        name = slug or f"story-{os.getpid()}-{time.monotonic_ns()}-{next(counter)}"
        q = urlencode(query)
        url = f"{publisher}/articles/{name}"
        return url + (f"?{q}" if q else ""), url

    return make


def thread(page: Any) -> Any:
    """The comment thread inside the embed's iframe."""
    return page.frame_locator("iframe.rostra-frame")


def sign_in(page: Any, reader: dict[str, str]) -> None:
    t = thread(page)
    t.locator("#signin").click()
    t.get_by_label("Email").fill(reader["email"])
    t.get_by_label("Password").fill(reader["password"])
    t.locator("form.auth-form button[type=submit]").click()
    t.locator("#signout").wait_for()
