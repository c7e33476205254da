"""The built-in scorer is alt-profanity-check's own model, evaluated in pure
Python: the same probabilities as the package's predict_prob."""

from __future__ import annotations

import pytest

from rostra.moderation.scorer import NoScorer, ProfanityCheckScorer, build_scorer

TEXTS = [
    "You are an idiot and so is everyone like you.",
    "The council should publish the flood report before the vote.",
    "Go kill yourself.",
    "",
    "the the the",  # only stop words
    "Ünïcödé and 123 numbers, zxqv unknown words",
]


def test_the_same_scores_as_the_package() -> None:
    from profanity_check import predict_prob  # type: ignore[import-untyped]

    ours = ProfanityCheckScorer()
    theirs = predict_prob(TEXTS)
    for text, expected in zip(TEXTS, theirs, strict=True):
        assert ours.score(text) == pytest.approx(float(expected), abs=1e-9), text
    assert ours.score(TEXTS[0]) > 0.9 > 0.1 > ours.score(TEXTS[1])


def test_scorers_are_chosen_by_name() -> None:
    assert isinstance(build_scorer("none"), NoScorer)
    assert build_scorer("none").score("you idiot") == 0.0
    assert build_scorer("profanity-check") is build_scorer("profanity-check")
    with pytest.raises(ValueError, match="nope"):
        build_scorer("nope")
