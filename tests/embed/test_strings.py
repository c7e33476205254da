"""The embed's strings, split between the iframe page (every reader) and the
parts loaded on demand (i18n.PARTS), each fetched by its own module."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from rostra.embed import i18n
from rostra.http.assets import STATIC

EMBED = STATIC / "embed"
# Which module fetches which part's strings (a module of no part uses the page's).
MODULES = {"auth.js": "auth", "mod.js": "mod", "report.js": "mod", "tabs.js": "mod"}


def test_every_part_string_exists_in_every_language_and_stays_off_the_page() -> None:
    for lang in i18n.catalogue():
        page = i18n.page_strings(lang)
        for part, keys in i18n.PARTS.items():
            got = i18n.part_strings(part, lang)
            assert set(got) == set(keys), (lang, part, set(keys) - set(got))
            assert not set(page) & keys, (lang, part)
            # Every language has its own text, not English by default.
            assert keys <= set(i18n.catalogue()[lang]), (lang, part)


def test_each_module_finds_its_strings_where_it_looks() -> None:
    for name, part in MODULES.items():
        source = (EMBED / name).read_text("utf-8")
        used = set(re.findall(r"\bt\(\"([a-z_]+)\"", source)) - {"reason_"}
        used |= {
            "reason_" + r
            for r in re.findall(r'"(abuse|spam|off_topic|misinformation|other)"', source)
        }
        known = i18n.PARTS[part] | set(i18n.page_strings("en"))
        assert used and used <= known, (name, used - known)


def test_a_part_is_served_in_the_readers_language(client: TestClient) -> None:
    r = client.get("/embed/strings/mod.uk.json")
    assert r.status_code == 200 and r.json() == i18n.part_strings("mod", "uk")
    assert r.json()["tab_picks"] == "Вибір редакції"
    assert client.get("/embed/strings/mod.xx.json").json() == i18n.part_strings("mod", "en")
    assert client.get("/embed/strings/auth.en.json").json()["forgot"] == "Forgot password?"
    assert client.get("/embed/strings/nothing.en.json").status_code == 404
    # The iframe page carries none of them.
    page = client.get("/embed/thread", params={"url": "http://127.0.0.1:8000/x", "lang": "en"}).text
    assert "Editors&#39; picks" not in page and "Send report" not in page
