"""Toxicity scorers: a score in [0, 1] per text, behind one interface.

The built-in scorer is the model that the ``alt-profanity-check`` package
ships (a TF-IDF vectoriser and a calibrated linear SVM, MIT licence): it
needs no download at run time. Calling scikit-learn for one comment costs
milliseconds of overhead, so the model is read once into plain tables
(each word's IDF and its weight in each of the calibrated classifiers) and
a comment is scored in pure Python; ``tests/moderation`` checks the result
against the package's own ``predict_prob``. Another scorer (an external
API) is one more class with ``score``, chosen in ``build_scorer``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import Protocol


class Scorer(Protocol):
    name: str

    def score(self, text: str) -> float:
        """The probability that the text is abusive."""
        ...


class NoScorer:
    """Scores nothing (the step then never holds)."""

    name = "none"

    def score(self, text: str) -> float:
        return 0.0


class ProfanityCheckScorer:
    """alt-profanity-check's model, evaluated without scikit-learn per call."""

    name = "profanity-check"

    def __init__(self) -> None:
        # Loads the shipped model; the package has no type information.
        from profanity_check import profanity_check as package  # type: ignore[import-untyped]

        vectorizer, model = package.vectorizer, package.model
        self._token = re.compile(vectorizer.token_pattern)
        self._stop = frozenset(vectorizer.get_stop_words() or ())
        idf = vectorizer.idf_
        parts = model.calibrated_classifiers_
        coefs = [p.estimator.coef_[0] for p in parts]
        self._bias = [float(p.estimator.intercept_[0]) for p in parts]
        self._sigmoid = [(float(p.calibrators[0].a_), float(p.calibrators[0].b_)) for p in parts]
        self._words: dict[str, tuple[float, tuple[float, ...]]] = {
            word: (float(idf[j]), tuple(float(c[j]) for c in coefs))
            for word, j in vectorizer.vocabulary_.items()
        }

    def score(self, text: str) -> float:
        counts = Counter(t for t in self._token.findall(text.lower()) if t not in self._stop)
        sums = [0.0] * len(self._bias)
        norm = 0.0
        for word, n in counts.items():
            found = self._words.get(word)
            if found is None:
                continue
            value = n * found[0]
            norm += value * value
            for k, w in enumerate(found[1]):
                sums[k] += value * w
        scale = 1.0 / math.sqrt(norm) if norm else 0.0
        total = 0.0
        for k, (a, b) in enumerate(self._sigmoid):
            f = sums[k] * scale + self._bias[k]
            total += 1.0 / (1.0 + math.exp(a * f + b))
        return total / len(self._sigmoid)


@lru_cache(maxsize=4)
def build_scorer(name: str) -> Scorer:
    """The scorer a setting names (``ROSTRA_TOXICITY_SCORER``), made once per process."""
    if name == "none":
        return NoScorer()
    if name == "profanity-check":
        return ProfanityCheckScorer()
    raise ValueError(f"unknown toxicity scorer {name!r}")


def score_all(scorer: Scorer, texts: Sequence[str]) -> list[float]:
    return [scorer.score(t) for t in texts]
