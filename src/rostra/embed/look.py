"""The host page's look, as the loader passes it to the iframe page.

The loader reads the page's background and text colours and font family
where the thread sits, and the publisher may set an accent colour and a
font (``data-rostra-accent``, ``data-rostra-font``). All of it arrives in
the iframe's URL, so all of it is checked here before the page's script
sets it as CSS custom properties: colours only in the forms parsed below,
written back as ``#rrggbb``; fonts only as a list of plain family names,
written back in one form. A value that fails is dropped (the thread keeps
its own colour or font) and named in the page's config, so the iframe can
tell the publisher's developer in the console; it never breaks the thread.
"""

from __future__ import annotations

import colorsys
import re
from functools import lru_cache
from typing import Any

from rostra.http.assets import STATIC

_HEX = re.compile(r"#([0-9a-f]{3}|[0-9a-f]{6})")
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_ARGS = re.compile(rf"({_NUMBER})(%?)")
_FUNCTION = re.compile(r"(rgb|hsl)a?\((.*)\)")
_DEGREES = re.compile(rf"({_NUMBER})(deg)?")
#: One family: a quoted name, or words (CSS identifiers) separated by spaces.
_QUOTED = re.compile(r"""(["'])([\w .-]+)\1""")
_WORDS = re.compile(r"-?[^\W\d][\w-]*(?: -?[^\W\d][\w-]*)*")
# These keywords make a font-family list invalid when they stand in it.
_RESERVED = frozenset({"inherit", "initial", "unset", "revert", "revert-layer", "default"})
_VARIABLE = re.compile(r"--([\w-]+):\s*(#[0-9a-f]{3}(?:[0-9a-f]{3})?)\b")
MAX_FONT = 300
MAX_FAMILIES = 12
#: WCAG AA for body text.
MIN_CONTRAST = 4.5
#: The thread's text colours, each of which must read on what is behind it.
TEXT = ("fg", "muted", "accent", "danger")


def colour(value: str) -> str | None:
    """``#rrggbb`` for a colour written ``#rgb``, ``#rrggbb``, ``rgb()`` or
    ``hsl()`` (comma or space separated, no alpha), else None."""
    text = value.strip().lower()
    if m := _HEX.fullmatch(text):
        digits = m[1] if len(m[1]) == 6 else "".join(c * 2 for c in m[1])
        return "#" + digits
    m = _FUNCTION.fullmatch(text)
    if not m:
        return None
    parts = [p for p in re.split(r"\s*,\s*|\s+", m[2].strip()) if p]
    if len(parts) != 3:
        return None
    if m[1] == "rgb":
        rgb = [_channel(p) for p in parts]
        if any(c is None for c in rgb):
            return None
        return "#" + "".join(f"{c:02x}" for c in rgb if c is not None)
    hue = _DEGREES.fullmatch(parts[0])
    sat, light = _percent(parts[1]), _percent(parts[2])
    if not hue or sat is None or light is None:
        return None
    r, g, b = colorsys.hls_to_rgb((float(hue[1]) % 360) / 360, light, sat)
    return "#" + "".join(f"{int(c * 255 + 0.5):02x}" for c in (r, g, b))


def _channel(text: str) -> int | None:
    m = _ARGS.fullmatch(text)
    if not m:
        return None
    n = float(m[1]) * 255 / 100 if m[2] else float(m[1])
    return int(n + 0.5) if 0 <= n <= 255 else None  # half up, as browsers round


def _percent(text: str) -> float | None:
    m = _ARGS.fullmatch(text)
    if not m or not m[2] or not 0 <= float(m[1]) <= 100:
        return None
    return float(m[1]) / 100


def font(value: str) -> str | None:
    """The font-family list, each family checked and written in one form
    (quoted names in double quotes), cut after ``MAX_FAMILIES`` families or
    ``MAX_FONT`` characters; None if its first family is not a plain name."""
    families: list[str] = []
    for part in value.split(","):
        name = " ".join(part.split())
        if m := _QUOTED.fullmatch(name):
            family = '"' + " ".join(m[2].split()) + '"'
        elif _WORDS.fullmatch(name) and name.lower() not in _RESERVED:
            family = name
        else:
            break
        if len(families) == MAX_FAMILIES or len(", ".join([*families, family])) > MAX_FONT:
            break
        families.append(family)
    return ", ".join(families) or None


def palettes() -> dict[str, dict[str, str]]:
    """The thread's own colours in each scheme, read from thread.css (the
    one place they are written): the ``:root`` block and the dark one."""
    return _palettes()


@lru_cache(maxsize=1)
def _palettes() -> dict[str, dict[str, str]]:
    css = (STATIC / "embed" / "thread.css").read_text("utf-8")

    def block(selector: str) -> dict[str, str]:
        text = css.split(selector + " {", 1)[1].split("}", 1)[0]
        return {name: colour(value) or value for name, value in _VARIABLE.findall(text)}

    light = block(":root")
    return {"light": light, "dark": {**light, **block(':root[data-theme="dark"]')}}


def _luminance(hex_colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""
    channels = (int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    x, y = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (x + 0.05) / (y + 0.05)


def read(*, theme: str, bg: str, fg: str, accent: str, font_family: str) -> dict[str, Any]:
    """The look of the iframe page: the scheme the loader chose (``light`` or
    ``dark``; None where no loader said: then the reader's preference), the
    custom properties to set over that scheme's colours, whether the thread
    paints its own panel, and the names of the given values refused.

    Every text colour keeps 4.5:1 contrast with what is behind it: the
    page's text colour and the accent (as link colour) are used only where
    they reach it on the page's background; where the scheme's own text
    colours do not (a theme pinned against the page, a mid-grey page), the
    thread paints its own panel in the scheme's card colour."""
    values = {
        "bg": colour(bg) if bg else None,
        "fg": colour(fg) if fg else None,
        "accent": colour(accent) if accent else None,
        "font": font(font_family) if font_family else None,
    }
    given = {"bg": bg, "fg": fg, "accent": accent, "font": font_family}
    scheme = theme if theme in ("light", "dark") else None
    palette = palettes()[scheme or "light"]
    props: dict[str, str] = {}
    behind = values["bg"] or palette["card"]
    panel = any(contrast(palette[k], behind) < MIN_CONTRAST for k in TEXT)
    if panel:
        behind = props["--bg"] = palette["card"]
    if values["fg"] and contrast(values["fg"], behind) >= MIN_CONTRAST:
        props["--fg"] = values["fg"]
    if values["accent"]:
        accent_colour = props["--accent"] = values["accent"]
        on_accent = max(("#000000", "#ffffff"), key=lambda c: contrast(c, accent_colour))
        props["--accent-fg"] = on_accent
        if contrast(accent_colour, behind) < MIN_CONTRAST:
            props["--link"] = palette["accent"]
    if values["font"]:
        props["--font"] = values["font"]
    return {
        "theme": scheme,
        "accent": values["accent"],
        "panel": panel,
        "props": props,
        "ignored": [k for k, v in given.items() if v and values[k] is None],
    }
