"""The embed takes the look of the page it sits on, whatever the reader's OS
says: light on a light page, dark on a dark one, with the page showing
through (no opaque box) and text that reads. Checked in the frame's computed
styles and in the pixels of a screenshot."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect

from rostra.embed.look import contrast, palettes
from tests.browser.conftest import ARTIFACTS, Rostra, thread
from tests.browser.test_page import _wait_fitted

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Host:
    look: str  # the publisher page's ?look= (tests/browser/conftest.py LOOKS)
    theme: str | None  # the scheme the embed must take; None: the reader's
    fg: str | None  # the page's text colour the thread must use, where exact
    font: str


HOSTS = {
    "light": Host("light", "light", "rgb(26, 26, 26)", "Georgia"),
    "dark": Host("dark", "dark", "rgb(232, 230, 227)", "Georgia"),
    "dark-oklch": Host("dark-oklch", "dark", None, "serif"),
    "dark-section": Host("dark-section", "dark", "rgb(240, 240, 240)", "sans-serif"),
    "follows-os": Host("", None, None, "sans-serif"),
}

FRAME_STYLE = """() => {
    const root = document.documentElement, main = document.querySelector('main');
    const link = document.getElementById('signin');
    return {
        theme: root.dataset.theme, panel: root.hasAttribute('data-panel'),
        scheme: getComputedStyle(root).colorScheme,
        fg: getComputedStyle(document.body).color,
        bg: getComputedStyle(main).backgroundColor,
        font: getComputedStyle(main).fontFamily,
        link: link && getComputedStyle(link).color,
    };
}"""


@pytest.fixture(scope="module")
def writer(rostra: Rostra) -> str:
    return rostra.reader("Dorota Weiss")["token"]


@pytest.fixture
def host_page(
    browser: Any, rostra: Rostra, article: Any, writer: str
) -> Iterator[Callable[..., Any]]:
    """Opens a page of the publisher's with one comment, in a reader's browser
    set to a colour scheme; query: the page's ?look= and data-rostra-* values."""
    contexts: list[Any] = []

    def open_page(os_scheme: str, **query: str) -> Any:
        ctx = browser.new_context(viewport={"width": 900, "height": 800}, color_scheme=os_scheme)
        contexts.append(ctx)
        ctx.set_default_timeout(15_000)
        page = ctx.new_page()
        page.warnings = []
        page.on("console", lambda m: page.warnings.append(m.text) if m.type == "warning" else None)
        where, url = article(**query)
        rostra.post(writer, url, "We've had the river in the cellar before. **Never** here.")
        page.goto(where)
        t = thread(page)
        expect(t.locator("#list .body")).to_contain_text("Never here")
        expect(t.locator("#signin")).to_be_visible()
        _wait_fitted(page)
        return page

    yield open_page
    for ctx in contexts:
        ctx.close()


def _frame(page: Any) -> Any:
    return next(f for f in page.frames if "/embed/thread" in f.url)


def _style(page: Any) -> dict[str, Any]:
    style: dict[str, Any] = _frame(page).evaluate(FRAME_STYLE)
    style["iframe"] = page.evaluate(
        "() => getComputedStyle(document.querySelector('iframe.rostra-frame')).colorScheme"
    )
    return style


def _hex(pixel: object) -> str:
    assert isinstance(pixel, tuple), pixel  # an RGB image's pixels are (r, g, b)
    return "#{:02x}{:02x}{:02x}".format(*pixel[:3])


def _image(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("RGB")


def _box(page: Any, locator: Any) -> tuple[int, int, int, int]:
    b = locator.bounding_box()
    assert b, locator
    return (
        int(b["x"]) + 1,
        int(b["y"]) + 1,
        int(b["x"] + b["width"]) - 1,
        int(b["y"] + b["height"]) - 1,
    )


def _commonest(image: Image.Image) -> tuple[str, float]:
    colours = image.getcolors(maxcolors=image.width * image.height)
    assert colours
    count, pixel = max(colours, key=lambda c: c[0])
    return _hex(pixel), count / (image.width * image.height)


def _text_contrast(image: Image.Image, behind: str) -> float:
    """The contrast of the strongest pixel of some text with what is behind it:
    the core of the glyphs is drawn in the text's own colour."""
    colours = image.getcolors(maxcolors=image.width * image.height) or []
    return max(contrast(_hex(pixel), behind) for _, pixel in colours)


def _check_pixels(page: Any, name: str, panel: str | None = None) -> None:
    """The screenshot: where the thread is, the page shows through (or the
    thread's panel, where one is due), and its text stands out from that."""
    frame = page.locator("iframe.rostra-frame")
    area = _box(page, frame)
    shot = _image(page.screenshot(path=str(ARTIFACTS / f"look-{name}.png")))
    # The same place without the thread: what the page itself paints there.
    frame.evaluate("f => { f.style.visibility = 'hidden' }")
    bare = _image(page.screenshot())
    frame.evaluate("f => { f.style.visibility = '' }")
    page_colour, _ = _commonest(bare.crop(area))
    seen, share = _commonest(shot.crop(area))
    behind = panel or page_colour
    assert seen == behind, f"{name}: the thread shows {seen} where {behind} was expected"
    assert share > 0.5, f"{name}: only {share:.0%} of the thread area is {behind}"
    t = thread(page)
    for what in ("#heading", "#list .body", "#signin"):
        text = shot.crop(_box(page, t.locator(what).first))
        ratio = _text_contrast(text, behind)
        assert ratio >= 4.5, f"{name}: {what} has contrast {ratio:.2f} on {behind}"


@pytest.fixture(autouse=True)
def _artifacts() -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)


@pytest.mark.parametrize("os_scheme", ["light", "dark"])
@pytest.mark.parametrize("host", list(HOSTS))
def test_the_embed_takes_the_pages_look(host_page: Any, host: str, os_scheme: str) -> None:
    h = HOSTS[host]
    page = host_page(os_scheme, **({"look": h.look} if h.look else {}))
    style = _style(page)
    want = h.theme or os_scheme
    assert style["theme"] == want and not style["panel"]
    # The iframe and the page inside it use one scheme: no backdrop.
    assert style["scheme"] == style["iframe"] == want
    assert style["bg"] == "rgba(0, 0, 0, 0)"
    if h.fg:
        assert style["fg"] == h.fg
    assert h.font in style["font"]
    _check_pixels(page, f"{host}-page-{os_scheme}-os")
    assert page.warnings == []


@pytest.mark.parametrize("os_scheme", ["light", "dark"])
@pytest.mark.parametrize(
    ("look", "theme", "want", "panel"),
    [
        ("dark", "light", "light", True),  # pinned against the page: a panel
        ("light", "dark", "dark", True),
        ("dark", "dark", "dark", False),
        ("light", "light", "light", False),
        ("dark", "auto", "dark", False),  # auto: follow the page
        ("light", "auto", "light", False),
        ("dark", "sepia", "dark", False),  # unknown: as auto
    ],
)
def test_a_pinned_theme(
    host_page: Any, os_scheme: str, look: str, theme: str, want: str, panel: bool
) -> None:
    page = host_page(os_scheme, look=look, theme=theme)
    style = _style(page)
    assert style["theme"] == style["scheme"] == style["iframe"] == want
    assert style["panel"] is panel
    card = palettes()[want]["card"]
    _check_pixels(page, f"{look}-page-{theme}-theme-{os_scheme}-os", card if panel else None)


def _rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


@pytest.mark.parametrize(
    ("look", "accent", "colour", "link"),
    [
        ("light", "#8a1c1c", "#8a1c1c", "#8a1c1c"),
        ("light", "hsl(210 80% 40%)", "#1466b8", "#1466b8"),
        # Dark red does not read on a dark page: links keep the scheme's colour.
        ("dark", "#8a1c1c", "#8a1c1c", palettes()["dark"]["accent"]),
    ],
)
def test_accent_and_font(host_page: Any, look: str, accent: str, colour: str, link: str) -> None:
    page = host_page("light", look=look, accent=accent, font="Courier New, monospace")
    style = _style(page)
    assert style["link"] == _rgb(link)
    assert style["font"].startswith('"Courier New", monospace')
    thread(page).locator("#signin").click()
    submit = thread(page).locator("form.auth-form button[type=submit]")
    colours = submit.evaluate(
        "b => [getComputedStyle(b).backgroundColor, getComputedStyle(b).color]"
    )
    assert colours == [_rgb(colour), "rgb(255, 255, 255)"]
    page.screenshot(path=str(ARTIFACTS / f"look-accent-{colour[1:]}-on-{look}-page.png"))
    assert page.warnings == []


def test_values_it_cannot_use_are_ignored_and_named(host_page: Any) -> None:
    page = host_page("light", look="light", accent="red; color: blue", font="x;} body { color: red")
    style = _style(page)
    assert style["link"] == _rgb(palettes()["light"]["accent"])
    assert style["fg"] == "rgb(26, 26, 26)"
    assert "system-ui" in style["font"]
    assert any("ignored the accent" in w for w in page.warnings), page.warnings
    assert any("ignored the font" in w for w in page.warnings), page.warnings


@pytest.mark.parametrize("look", ["light", "dark"])
def test_the_look_is_read_once_the_pages_style_sheets_are_in(host_page: Any, look: str) -> None:
    page = host_page("light" if look == "dark" else "dark", look=look, sheet="1")
    style = _style(page)
    assert style["theme"] == style["iframe"] == look
    assert "Georgia" in style["font"]
    # Right from the start, not only after a second look.
    src = page.locator("iframe.rostra-frame").get_attribute("src")
    assert f"theme={look}&" in src and "font=Georgia" in src


def test_a_style_sheet_that_never_comes_does_not_hold_the_thread_back(
    page: Any, article: Any
) -> None:
    page.goto(article(look="dark", sheet="hang")[0], wait_until="commit")
    # The sheet takes 20 seconds; the thread does not wait for it.
    expect(thread(page).locator("#heading")).to_contain_text("Comments", timeout=10_000)


def test_a_page_that_switches_to_dark(host_page: Any) -> None:
    """A dark-mode switch on the page (a class on <html>, colours animated):
    the thread follows once the page has settled, and back again."""
    page = host_page("light", look="switch")
    embed = _frame(page)
    assert _style(page)["theme"] == "light"
    page.evaluate("document.documentElement.classList.add('night')")
    embed.wait_for_function("() => document.documentElement.dataset.theme === 'dark'")
    embed.wait_for_function("() => getComputedStyle(document.body).color === 'rgb(232, 230, 227)'")
    style = _style(page)
    assert style["scheme"] == style["iframe"] == "dark"
    _check_pixels(page, "switched-to-dark")
    page.evaluate("document.documentElement.classList.remove('night')")
    embed.wait_for_function("() => document.documentElement.dataset.theme === 'light'")
    embed.wait_for_function("() => getComputedStyle(document.body).color === 'rgb(26, 26, 26)'")
    assert _style(page)["iframe"] == "light"
    _check_pixels(page, "switched-back")


def test_a_page_that_follows_the_os_switches_with_it(host_page: Any) -> None:
    page = host_page("light")
    assert _style(page)["theme"] == "light"
    page.emulate_media(color_scheme="dark")
    embed = _frame(page)
    embed.wait_for_function("() => document.documentElement.dataset.theme === 'dark'")
    embed.wait_for_function("() => getComputedStyle(document.body).color === 'rgb(255, 255, 255)'")
    assert _style(page)["iframe"] == "dark"
    _check_pixels(page, "os-switched-to-dark")
