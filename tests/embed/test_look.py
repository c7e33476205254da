"""The host page's look in the iframe: what the server accepts from the URL,
and the colours it chooses so that text keeps its contrast."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rostra.embed import look
from rostra.http.assets import STATIC
from tests.factories import ARTICLE, add_site, assert_page_inert


@pytest.mark.parametrize(
    ("given", "hex_colour"),
    [
        ("#8a1c1c", "#8a1c1c"),
        ("#8A1C1C", "#8a1c1c"),
        ("#abc", "#aabbcc"),
        ("  #abc ", "#aabbcc"),
        ("rgb(138, 28, 28)", "#8a1c1c"),
        ("rgb(138 28 28)", "#8a1c1c"),
        ("rgba(138,28,28)", "#8a1c1c"),
        ("rgb(100%, 0%, 50%)", "#ff0080"),
        ("hsl(0, 100%, 50%)", "#ff0000"),
        ("hsl(120deg 100% 25%)", "#008000"),
        ("hsl(-120, 100%, 50%)", "#0000ff"),
        ("HSL(210 80% 40%)", "#1466b8"),
    ],
)
def test_colours_in_the_accepted_forms(given: str, hex_colour: str) -> None:
    assert look.colour(given) == hex_colour


@pytest.mark.parametrize(
    "given",
    [
        "red",
        "#12",
        "#12345",
        "#1234",  # alpha is not taken: contrast needs an opaque colour
        "#12345678",
        "#ggg",
        "rgb(1, 2)",
        "rgb(1, 2, 3, 0.5)",
        "rgb(1 2 3 / 50%)",
        "rgb(256, 0, 0)",
        "rgb(-1, 0, 0)",
        "rgb(101%, 0%, 0%)",
        "rgb(1, 2, 3))",
        "rgb(var(--x), 2, 3)",
        "hsl(0, 100, 50)",
        "hsl(0turn, 100%, 50%)",
        "hsl(0, 120%, 50%)",
        "oklch(0.5 0.1 200)",
        "#fff; background: url(https://evil.example/x)",
        "#fff}</style><script>alert(1)</script>",
        "expression(alert(1))",
        "",
    ],
)
def test_anything_else_is_not_a_colour(given: str) -> None:
    assert look.colour(given) is None


@pytest.mark.parametrize(
    ("given", "family"),
    [
        ("Georgia, serif", "Georgia, serif"),
        ('Georgia,  "Times New Roman" ,serif', 'Georgia, "Times New Roman", serif'),
        ("'Segoe UI', system-ui", '"Segoe UI", system-ui'),
        ("-apple-system, BlinkMacSystemFont", "-apple-system, BlinkMacSystemFont"),
        ("Fira Sans Condensed, sans-serif", "Fira Sans Condensed, sans-serif"),
        ('"Noto Sans 2", Ubuntu_Mono', '"Noto Sans 2", Ubuntu_Mono'),
        ("Arial, url(x), serif", "Arial"),  # what follows a refused family is left out
        ("Arial, inherit", "Arial"),
        ("Arial,", "Arial"),
    ],
)
def test_fonts_are_rewritten_in_one_form(given: str, family: str) -> None:
    assert look.font(given) == family


@pytest.mark.parametrize(
    "given",
    [
        "",
        "inherit",
        "Unset",
        "1990s Grotesk",  # an unquoted name cannot start with a digit
        "x; color: red",
        "x } body { color: red",
        "var(--a)",
        "url(https://evil.example/f.woff)",
        '"Georgia',
        "\"Georgia'",
        '"Geo"rgia"',
        "Geo\\rgia",
        "</style><script>alert(1)</script>",
        "Arial\n{}",
    ],
)
def test_anything_else_is_not_a_font(given: str) -> None:
    assert look.font(given) is None


def test_fonts_are_cut_to_their_limits() -> None:
    many = ", ".join(f"Family{i}" for i in range(30))
    kept = look.font(many)
    assert kept is not None and kept.count(",") == look.MAX_FAMILIES - 1
    long = ", ".join(["Abcdefghijklmnopqrstuvwxyz" * 3] * 10)
    kept = look.font(long)
    assert kept is not None and len(kept) <= look.MAX_FONT and kept.startswith("Abc")


def test_palettes_are_read_from_the_style_sheet() -> None:
    css = (STATIC / "embed" / "thread.css").read_text("utf-8")
    for scheme in ("light", "dark"):
        palette = look.palettes()[scheme]
        for key in (*look.TEXT, "card"):
            assert re.fullmatch(r"#[0-9a-f]{6}", palette[key]), (scheme, key)
            assert f"--{key}: {palette[key]}" in css
        # The scheme's own text reads on its own card (the panel).
        assert all(look.contrast(palette[k], palette["card"]) >= 4.5 for k in look.TEXT)
    assert look.palettes()["light"]["fg"] != look.palettes()["dark"]["fg"]


def test_contrast() -> None:
    assert look.contrast("#000000", "#ffffff") == pytest.approx(21)
    assert look.contrast("#ffffff", "#000000") == pytest.approx(21)
    assert look.contrast("#777777", "#777777") == pytest.approx(1)
    assert look.contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


def _read(**given: str) -> dict[str, Any]:
    values = {"theme": "", "bg": "", "fg": "", "accent": "", "font_family": ""} | given
    return look.read(**values)


def test_a_light_page() -> None:
    got = _read(theme="light", bg="#fbfaf7", fg="#1a1a1a", font_family="Georgia, serif")
    assert got == {
        "theme": "light",
        "accent": None,
        "panel": False,
        "props": {"--fg": "#1a1a1a", "--font": "Georgia, serif"},
        "ignored": [],
    }


def test_a_dark_page() -> None:
    got = _read(theme="dark", bg="#151515", fg="#e8e6e3")
    assert got["theme"] == "dark" and not got["panel"]
    assert got["props"] == {"--fg": "#e8e6e3"}


def test_the_pages_text_colour_only_where_it_reads() -> None:
    # Grey text on a light page: under 4.5:1, the thread keeps its own.
    assert "--fg" not in _read(theme="light", bg="#ffffff", fg="#999999")["props"]
    assert _read(theme="light", bg="#ffffff", fg="#595959")["props"]["--fg"] == "#595959"


@pytest.mark.parametrize(
    ("theme", "bg"),
    [("light", "#151515"), ("dark", "#fbfaf7"), ("light", "#777777"), ("dark", "#777777")],
)
def test_a_scheme_that_does_not_read_on_the_page_gets_a_panel(theme: str, bg: str) -> None:
    got = _read(theme=theme, bg=bg, fg="#e8e6e3" if theme == "light" else "#1a1a1a")
    card = look.palettes()[theme]["card"]
    assert got["panel"] and got["props"]["--bg"] == card
    assert "--fg" not in got["props"]  # the page's text colour does not read on the panel


def test_accent_keeps_contrast() -> None:
    light = _read(theme="light", bg="#ffffff", accent="#8a1c1c")["props"]
    assert light == {"--accent": "#8a1c1c", "--accent-fg": "#ffffff"}
    # Dark red on a dark page: buttons keep it (white on it), links take the scheme's.
    dark = _read(theme="dark", bg="#151515", accent="rgb(138, 28, 28)")["props"]
    assert dark["--accent"] == "#8a1c1c" and dark["--accent-fg"] == "#ffffff"
    assert dark["--link"] == look.palettes()["dark"]["accent"]
    # A light accent gets black text on its buttons.
    assert _read(theme="dark", bg="#151515", accent="#ffd54f")["props"]["--accent-fg"] == "#000000"


def test_without_a_loader_the_reader_decides() -> None:
    assert _read() == {"theme": None, "accent": None, "panel": False, "props": {}, "ignored": []}
    assert _read(theme="auto")["theme"] is None


def test_refused_values_are_named() -> None:
    got = _read(theme="light", bg="#fff", fg="blue", accent="red;}", font_family="x{}", **{})
    assert got["ignored"] == ["fg", "accent", "font"]
    assert got["props"] == {}


# --- the iframe page and the look endpoint ----------------------------------


def _config(html: str) -> dict[str, Any]:
    m = re.search(r'<script type="application/json" id="rostra-config">(.*?)</script>', html)
    assert m, html
    data: dict[str, Any] = json.loads(m.group(1))
    return data


def test_embed_page_carries_the_look(client: TestClient, app: FastAPI) -> None:
    add_site(app)
    params = {
        "url": ARTICLE,
        "theme": "dark",
        "bg": "#151515",
        "fg": "#e8e6e3",
        "accent": "hsl(0, 66%, 33%)",
        "font": "Georgia, 'Times New Roman', serif",
    }
    r = client.get("/embed/thread", params=params)
    assert r.status_code == 200
    assert '<html lang="en" data-theme="dark">' in r.text
    got = _config(r.text)["look"]
    assert got["theme"] == "dark" and got["accent"] == "#8c1d1d"
    assert got["props"]["--font"] == 'Georgia, "Times New Roman", serif'
    assert got["props"]["--link"] == look.palettes()["dark"]["accent"]
    assert "style=" not in r.text  # custom properties are set by the page's script (CSP)


def test_embed_page_with_a_panel(client: TestClient, app: FastAPI) -> None:
    add_site(app)
    r = client.get("/embed/thread", params={"url": ARTICLE, "theme": "light", "bg": "#000"})
    assert '<html lang="en" data-theme="light" data-panel>' in r.text


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("accent", '"></script><script>alert(1)</script>'),
        ("accent", "#fff;background:url(//evil.example)"),
        ("font", "</script><script>alert(1)</script>"),
        ("font", "x;}html{background:url(//evil.example)}"),
        ("bg", "<b>"),
        ("fg", "javascript:alert(1)"),
        ("theme", '"><b x=1>'),
    ],
)
def test_hostile_look_values_are_dropped(
    client: TestClient, app: FastAPI, name: str, value: str
) -> None:
    add_site(app)
    r = client.get("/embed/thread", params={"url": ARTICLE, "theme": "light", name: value})
    assert r.status_code == 200
    assert_page_inert(r.text)
    got = _config(r.text)["look"]
    assert got["props"] == {} and got["accent"] is None
    assert got["ignored"] == ([] if name == "theme" else [name])
    assert "evil.example" not in json.dumps(got) and "alert" not in json.dumps(got)


def test_look_endpoint(client: TestClient) -> None:
    r = client.get("/embed/look", params={"theme": "dark", "bg": "#151515", "fg": "#e8e6e3"})
    assert r.status_code == 200
    assert r.json() == _read(theme="dark", bg="#151515", fg="#e8e6e3")
    assert "max-age" in r.headers["cache-control"]
    too_long = client.get("/embed/look", params={"font": "a" * 1001})
    assert too_long.status_code == 422 and too_long.json()["field"] == "font"
