"""Word lists match whole words and phrases through look-alikes and leet."""

from __future__ import annotations

import pytest

from rostra.moderation.words import WordList, skeleton

LIST = WordList.of(["idiot", "ass", "kill yourself", "Scum"])


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("You idiot.", "idiot"),
        ("You IDIOT!", "idiot"),
        ("you 1d10t", "idiot"),
        ("i.d.i.o.t", "idiot"),
        ("idiooooot", "idiot"),
        ("Idiót", "idiot"),
        ("\u0456d\u0456\u043et", "idiot"),  # Cyrillic i and o
        ("\uff49\uff44\uff49\uff4f\uff54", "idiot"),  # full-width
        ("go k1ll y0urself", "kill yourself"),
        ("what an @ss", "ass"),
        ("you are sc\u00fcm", "scum"),
        ("a class act", None),
        ("assess the damage", None),
        ("the idiom is old", None),
        ("kill the engine, yourself included", None),
        ("", None),
    ],
)
def test_found_as_a_whole_word(text: str, found: str | None) -> None:
    assert LIST.find(skeleton(text)) == found


def test_an_empty_list_finds_nothing() -> None:
    assert WordList.of([]).find(skeleton("idiot")) is None
    assert WordList.of(["  ", "..."]).entries == ()


def test_a_bang_is_a_letter_only_inside_a_word() -> None:
    assert LIST.find(skeleton("you id!ot")) == "idiot"
    assert skeleton("Stop! Now!") == ["stop", "now"]
