"""The shared control-character rule for every text field."""

from __future__ import annotations

import pytest

from rostra.errors import Invalid
from rostra.text import check_text


@pytest.mark.parametrize(
    "value",
    ["", "plain", "tab\there", "two\nlines", "Олена 🌻", "\u200b zero width is text", "\u00a0nbsp"],
)
def test_allowed(value: str) -> None:
    assert check_text(value, "body") == value


@pytest.mark.parametrize(
    "value",
    [
        "nul\x00",
        "\x01",
        "bell\x07",
        "cr\r",
        "\x1b[31m",
        "del\x7f",
        "c1\x85",
        "\x9f",
        "lone\ud800",
        "\udfff",
    ],
)
def test_refused(value: str) -> None:
    with pytest.raises(Invalid) as caught:
        check_text(value, "body")
    assert caught.value.code == "invalid_characters"
    assert caught.value.field == "body"
    assert caught.value.status == 422
