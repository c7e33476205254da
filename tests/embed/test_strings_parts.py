"""The catalogue's parts: the iframe page carries only what the first load
needs; the sign-in forms (auth.js) and the social part (social.js) fetch
their own, in every language, and every key a part's modules use is in it."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from rostra.embed import i18n
from rostra.http.assets import STATIC

SOCIAL_MODULES = ("social", "tabs", "bell", "menu", "feed", "mention", "deeplink")


def _keys_used(name: str) -> set[str]:
    source = (STATIC / "embed" / f"{name}.js").read_text()
    return set(re.findall(r"""\b(?:t|plural)\("([a-z_]+)"[,)]""", source))


def test_every_language_has_every_social_string() -> None:
    cat = i18n.catalogue()
    for lang, table in cat.items():
        assert table.keys() >= i18n.SOCIAL_ONLY, (lang, i18n.SOCIAL_ONLY - table.keys())
        assert {"handle", "handle_hint"} <= table.keys(), lang


def test_the_page_leaves_the_social_strings_out() -> None:
    page = i18n.page_strings("en")
    assert not i18n.SOCIAL_ONLY & page.keys()
    assert "handle_hint" not in page and "heading" in page


def test_the_social_modules_use_only_strings_they_get() -> None:
    have = i18n.social_strings("en").keys() | i18n.page_strings("en").keys()
    for name in SOCIAL_MODULES:
        used = _keys_used(name)
        # Keys built at run time (note_KIND, kind_KIND, mail_MODE) are listed whole.
        assert used <= have, (name, used - have)
    for kind in ("reply", "mention", "followed"):
        assert f"note_{kind}" in have
    for kind in ("reply", "like", "mention", "followed", "moderation"):
        assert f"kind_{kind}" in have
    for mode in ("digest", "immediate", "off"):
        assert f"mail_{mode}" in have


@pytest.mark.parametrize("lang", ["en", "uk", "uk-UA", "xx"])
def test_social_js_fetches_its_strings(client: TestClient, lang: str) -> None:
    r = client.get(f"/embed/strings/social.{lang}.json")
    assert r.status_code == 200
    data = json.loads(r.content)
    assert set(data) == i18n.SOCIAL_ONLY | i18n.SOCIAL_SHARED
    expected = i18n.social_strings(i18n.language(lang))
    assert data == expected
    assert "ETag" in r.headers
    assert "/embed/strings/social." in (STATIC / "embed" / "social.js").read_text()
