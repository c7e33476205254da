"""The seeded data, decided once per run and written as JSON, so that Rostra
and Isso are filled with the same stories, authors and comments.

Everything comes from one seeded random generator: two runs with the same
sizes seed the same threads. A thread of N comments has about 70 % top-level
comments and 30 % replies; a reply answers one of the recent top-level
comments (so the first screen, newest first, has conversations on it) and
now and then another reply (Isso keeps one level and files those under the
top-level comment, as its own API would).
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path

HOST = "http://bench.example"
AUTHORS = 200
# The stories the scenarios post to, each on its own so that posting never
# grows a thread that a read scenario measures.
POST_STORIES = ("post-c1", "post-c8", "sustained", "live")
COUNT_STORIES = 10

_OPENERS = [
    "I read the whole piece twice",
    "Thanks for covering this",
    "This is the first report I have seen that asks the council directly",
    "My neighbours were evacuated on Tuesday",
    "The figures in the third paragraph do not match last week's",
    "Good reporting, but the headline oversells it",
    "As someone who works in the sector",
    "Does anyone know whether the bridge is open again",
    "The minister said the opposite in March",
    "We need the full transcript, not the quotes",
    "Honest question",
    "I was there when it happened",
]
_MIDDLES = [
    "and the timeline still does not add up",
    "and nobody has explained who pays for the repairs",
    "so I would like to see the original documents",
    "which is why the follow-up matters more than the story",
    "and the comments here are more useful than the press release",
    "but the map in the article is out of date",
    "and the local school has been closed since",
    "so the question is what happens in the next election",
    "and the insurance companies will fight every claim",
    "which the article mentions only at the very end",
]
_CLOSERS = [
    "Keep asking.",
    "Please follow up next week.",
    "Source: the council's own minutes.",
    "I hope the families get help soon.",
    "Happy to be corrected.",
    "That is the real story here.",
    "Stay safe, everyone.",
    "More of this, please.",
]
_EXTRAS = [
    "> quoted from the article: the decision was taken without a vote\n\nThat is not quite right.",
    "See *page 4* of the report, it is all there.",
    "The statement is [on the ministry's site](https://gov.example/statement).",
    "Two things:\n\n- the date is wrong\n- the name of the mayor is spelt differently",
    "**Correction:** it was 2019, not 2018.",
    "`1,240` households, according to the utility.",
]


@dataclass(frozen=True)
class PlannedComment:
    parent: int | None  # index of the parent in the story's list
    author: int  # index in Plan.authors
    body: str
    created: float  # seconds since the epoch


@dataclass(frozen=True)
class PlannedStory:
    name: str
    path: str
    title: str
    comments: list[PlannedComment]

    @property
    def url(self) -> str:
        return HOST + self.path

    @property
    def top_level(self) -> int:
        return sum(1 for c in self.comments if c.parent is None)


@dataclass
class Plan:
    authors: list[str]
    stories: list[PlannedStory] = field(default_factory=list)
    host: str = HOST

    def story(self, name: str) -> PlannedStory:
        return next(s for s in self.stories if s.name == name)

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self)))

    @classmethod
    def read(cls, path: Path) -> Plan:
        data = json.loads(path.read_text())
        stories = [
            PlannedStory(
                s["name"], s["path"], s["title"], [PlannedComment(**c) for c in s["comments"]]
            )
            for s in data["stories"]
        ]
        return cls(data["authors"], stories, data["host"])


def _body(rng: random.Random) -> str:
    parts = [f"{rng.choice(_OPENERS)}, {rng.choice(_MIDDLES)}."]
    for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
        parts.append(f"{rng.choice(_OPENERS)} {rng.choice(_MIDDLES)}.")
    if rng.random() < 0.25:
        parts.append(rng.choice(_EXTRAS))
    parts.append(rng.choice(_CLOSERS))
    # Paragraphs now and then, as people write them.
    text = ""
    for part in parts:
        text += ("\n\n" if text and rng.random() < 0.3 else " " if text else "") + part
    return text


def _thread(rng: random.Random, size: int, start: float) -> list[PlannedComment]:
    comments: list[PlannedComment] = []
    tops: list[int] = []
    replies_of: dict[int, list[int]] = {}
    now = start
    for i in range(size):
        now += rng.uniform(1, 40)
        parent: int | None = None
        if tops and rng.random() < 0.3:
            # Recent conversations draw the replies.
            top = tops[-1 - min(int(rng.expovariate(1 / 8)), len(tops) - 1)]
            parent = top
            if replies_of.get(top) and rng.random() < 0.3:
                parent = rng.choice(replies_of[top])
            replies_of.setdefault(top, []).append(i)
        else:
            tops.append(i)
        comments.append(PlannedComment(parent, rng.randrange(AUTHORS), _body(rng), now))
    return comments


def make(sizes: list[int], seed: int = 8) -> Plan:
    """Threads named ``thread-<size>``, ten small stories for counts, and the
    stories the posting and live scenarios write to (one comment each)."""
    rng = random.Random(seed)
    plan = Plan([f"{rng.choice(_FIRST)} {rng.choice(_LAST)}" for _ in range(AUTHORS)])
    start = 1_780_000_000.0  # a fixed date in 2026, so that runs seed the same rows
    for size in sizes:
        name = f"thread-{size}"
        plan.stories.append(
            PlannedStory(
                name,
                f"/news/2026/{name}",
                f"A story with {size} comments",
                _thread(rng, size, start),
            )
        )
    for i in range(COUNT_STORIES):
        name = f"count-{i}"
        plan.stories.append(
            PlannedStory(name, f"/news/2026/{name}", f"Short {i}", _thread(rng, i + 1, start))
        )
    for name in POST_STORIES:
        plan.stories.append(
            PlannedStory(name, f"/news/2026/{name}", f"Posting: {name}", _thread(rng, 1, start))
        )
    return plan


_FIRST = ["Ana", "Ben", "Chloe", "Dmitri", "Eva", "Farid", "Grace", "Hiro", "Ines", "Jonas"]
_LAST = ["Okafor", "Berg", "Silva", "Nowak", "Haddad", "Lindqvist", "Moreau", "Tan", "Ruiz"]
