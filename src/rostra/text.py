"""Shared rules for text that people type (names, comments, reasons).

Control characters are refused rather than stripped: silently changing what a
person wrote hides the problem, and NUL in particular is rejected by
PostgreSQL text columns, so letting it through would turn into a 500 later.
"""

from __future__ import annotations

import re

from rostra.errors import Invalid

# C0 controls except \t and \n, DEL, C1 controls, and lone surrogates (which
# JSON's \uD800 escapes can produce but UTF-8 storage cannot hold).
_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def has_forbidden_characters(value: str) -> bool:
    return _FORBIDDEN.search(value) is not None


def check_text(value: str, field: str) -> str:
    """Return ``value`` unchanged, or raise 422 ``invalid_characters`` naming ``field``.

    Allows ``\\n`` and ``\\t``; refuses every other C0/C1 control character,
    DEL and lone surrogates. Note ``\\r`` is refused too: normalise line
    endings before calling if a field accepts pasted text.
    """
    if has_forbidden_characters(value):
        raise Invalid(
            f"'{field}' contains control characters that are not allowed.",
            code="invalid_characters",
            field=field,
        )
    return value
