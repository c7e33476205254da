"""Shared rules for text that people type (names, comments, reasons).

Control characters are refused rather than stripped: silently changing what a
person wrote hides the problem, and NUL in particular is rejected by
PostgreSQL text columns, so letting it through would turn into a 500 later.
"""

from __future__ import annotations

import re

from rostra.errors import InvalidCharacters

# C0 controls except \t and \n, DEL, C1 controls, and lone surrogates (which
# JSON's \uD800 escapes can produce but UTF-8 storage cannot hold).
_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


#: An ``@handle`` in a comment: 3 to 30 letters, digits or underscores, not
#: inside a word or an address (``a@b.example``). Rendered as a link to the
#: profile (``rostra.comments.render``), and it notifies the reader named
#: (``rostra.social.notify``).
MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9_]{3,30})(?![\w@])")


def has_forbidden_characters(value: str) -> bool:
    return _FORBIDDEN.search(value) is not None


def check_text(value: str, field: str) -> str:
    """Return ``value`` unchanged, or raise 422 ``invalid_characters`` naming ``field``.

    Allows ``\\n`` and ``\\t``; refuses every other C0/C1 control character,
    DEL and lone surrogates. Note ``\\r`` is refused too: normalise line
    endings before calling if a field accepts pasted text.
    """
    if has_forbidden_characters(value):
        raise InvalidCharacters(field)
    return value


def single_line(value: str, field: str) -> str:
    """``value`` trimmed, or 422 ``invalid_characters`` if it holds a control
    character, a line break or a tab (names and titles are one line)."""
    text = check_text(value, field).strip()
    if "\n" in text or "\t" in text:
        raise InvalidCharacters(field, f"'{field}' must be a single line.")
    return text
