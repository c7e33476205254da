"""The pipeline every new comment passes, in order: banned words (reject)
and suspect words (hold) → the toxicity score (above "nudge" the author is
asked once to rephrase, above "hold" it waits) → spam signals (links from a
new account, the same text across stories, bursts) → the story's mode →
a new reader's first comments held. The first step that decides gives the
comment its status, its step and its reason. Rate limits, bans and slow
mode come before it (they refuse; ``rostra.comments.moderate``).

The pipeline reads no database: the caller gathers the ``Facts`` (one
indexed query for the author's recent comments), so that ``rostra
moderation evaluate`` runs the same rules over a file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rostra.moderation.errors import RephraseSuggested
from rostra.moderation.scorer import Scorer
from rostra.moderation.words import WordList, skeleton

PUBLISHED, HELD, REJECTED = "published", "pending", "rejected"
_LINK = re.compile(r"https?://|www\.|\]\(", re.IGNORECASE)

#: Chosen from ``rostra moderation evaluate`` over data/moderation (README).
DEFAULT_NUDGE, DEFAULT_HOLD = 0.2, 0.3
NEW_ACCOUNT_SECONDS = 86400
BURST_COUNT = 5  # comments by one reader in the last minute, this one included


@dataclass(frozen=True)
class Rules:
    """A site's settings for the pipeline."""

    banned: WordList = field(default_factory=lambda: WordList(()))
    suspect: WordList = field(default_factory=lambda: WordList(()))
    nudge: float = DEFAULT_NUDGE
    hold: float = DEFAULT_HOLD
    new_reader_holds: int = 0

    @classmethod
    def of(
        cls,
        banned: list[str],
        suspect: list[str],
        nudge: float,
        hold: float,
        new_reader_holds: int,
    ) -> Rules:
        return cls(WordList.of(banned), WordList.of(suspect), nudge, hold, new_reader_holds)


@dataclass(frozen=True)
class Facts:
    """What the pipeline knows of the author and the story."""

    account_age_seconds: float = 10 * 365 * 86400.0
    published_before: int = 1000
    same_text_elsewhere: bool = False
    last_minute: int = 1
    #: "open", "premoderated" (the story's), "site" (the site premoderates).
    mode: str = "open"
    #: The author was asked to rephrase and posts it anyway.
    confirmed: bool = False


@dataclass(frozen=True)
class Outcome:
    status: str
    step: str | None = None
    reason: str | None = None
    score: float | None = None


def run(rules: Rules, scorer: Scorer, text: str, facts: Facts) -> Outcome:
    """The comment's status; raises 422 ``rephrase_suggested`` for a score
    above the nudge threshold the author has not confirmed."""
    words = skeleton(text)
    if (found := rules.banned.find(words)) is not None:
        return Outcome(REJECTED, "words", f"It contains “{found}”, which this site does not allow.")
    score = scorer.score(text)
    if (found := rules.suspect.find(words)) is not None:
        return Outcome(HELD, "words", f"It contains “{found}”: a moderator looks first.", score)
    if score >= rules.hold:
        return Outcome(HELD, "toxicity", "It may be abusive: a moderator looks first.", score)
    if score >= rules.nudge and not facts.confirmed:
        raise RephraseSuggested()
    if facts.account_age_seconds < NEW_ACCOUNT_SECONDS and _LINK.search(text):
        return Outcome(HELD, "spam", "Links from new accounts are reviewed first.", score)
    if facts.same_text_elsewhere:
        return Outcome(HELD, "spam", "The same text was posted on another story.", score)
    if facts.last_minute >= BURST_COUNT:
        return Outcome(HELD, "spam", "Many comments in a short time are reviewed.", score)
    if facts.mode == "premoderated":
        return Outcome(HELD, "story_mode", "Comments on this story are reviewed first.", score)
    if facts.mode == "site":
        return Outcome(HELD, "site_mode", "Comments on this site are reviewed first.", score)
    if facts.published_before < rules.new_reader_holds:
        return Outcome(HELD, "new_reader", "A new reader's first comments are reviewed.", score)
    return Outcome(PUBLISHED, None, None, score)
