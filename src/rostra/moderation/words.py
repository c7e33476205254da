# ruff: noqa: RUF001  (the look-alike table is made of ambiguous letters on purpose)
"""Word lists: whole words and phrases, found through look-alike letters
and leet spellings.

A text and each listed entry are brought to one skeleton: NFKC, case
folded, accents and other combining marks dropped, Cyrillic and Greek
letters that look Latin read as Latin, digits and signs used as letters
(``1d10t``, ``@ss``, ``$hit``) read as the letters, runs of three or more
of one letter cut to one (``idiooot``), and letters split by dots or
dashes (``i.d.i.o.t``) joined. The skeleton is cut into words; an entry
matches when its words appear in a row, so ``ass`` never matches
``class`` or ``assess``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

LOOKALIKES = str.maketrans(
    {
        # Cyrillic
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
        "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j",
        "ѕ": "s", "ԁ": "d", "ɡ": "g", "ո": "n",
        # Greek
        "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
        "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w",
        # Leet and signs used as letters
        "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g",
        "@": "a", "$": "s", "|": "l", "+": "t", "€": "e", "£": "l",
    }
)  # fmt: skip
# "!" is a letter only inside a word ("id!ot"), else the end of a sentence.
_BANG = re.compile(r"(?<=\w)!(?=\w)")
_RUNS = re.compile(r"(\w)\1{2,}")
_SPLIT = re.compile(r"\b(?:\w[.\-_*]){2,}\w\b")
_WORD = re.compile(r"[^\W\d_]+")


def skeleton(text: str) -> list[str]:
    """The words of ``text`` as the lists compare them."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = _SPLIT.sub(lambda m: re.sub(r"[.\-_*]", "", m.group(0)), text)
    text = _BANG.sub("i", text).translate(LOOKALIKES)
    text = _RUNS.sub(r"\1", text)
    return _WORD.findall(text)


@dataclass(frozen=True)
class WordList:
    """Entries (words or phrases) as skeletons, found in a text's words."""

    entries: tuple[tuple[str, ...], ...]

    @classmethod
    def of(cls, entries: Iterable[str]) -> WordList:
        out = {tuple(skeleton(e)) for e in entries}
        return cls(tuple(sorted(e for e in out if e)))

    def find(self, words: list[str]) -> str | None:
        """The first entry found among ``words`` (a text's skeleton), or None."""
        if not self.entries:
            return None
        present = set(words)
        for entry in self.entries:
            if entry[0] not in present:
                continue
            n = len(entry)
            if n == 1:
                return entry[0]
            for i in range(len(words) - n + 1):
                if tuple(words[i : i + n]) == entry:
                    return " ".join(entry)
        return None
