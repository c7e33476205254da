"""``rostra moderation evaluate``: the pipeline over a labelled file.

Each row runs through the site's whole pipeline as a comment by an
established reader on an open story (no spam history, not new), without
posting; a score above "nudge" counts as confirmed (the author posts it
anyway), so what is measured is what gets through.
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from rostra.moderation.pipeline import PUBLISHED, Facts, Rules, run
from rostra.moderation.scorer import Scorer


@dataclass(frozen=True)
class Figures:
    rows: int
    precision: float
    recall: float
    false_hold_rate: float
    per_second: float

    def __str__(self) -> str:
        return (
            f"rows {self.rows}\nprecision {self.precision:.3f}\nrecall {self.recall:.3f}\n"
            f"false-hold rate {self.false_hold_rate:.3f}\n"
            f"comments/s {self.per_second:,.0f}"
        )


def read_rows(path: Path) -> list[tuple[str, int]]:
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None or not {"text", "label"} <= set(reader.fieldnames):
            raise ValueError(f"{path}: the columns must be text,label")
        out = []
        for n, row in enumerate(reader, start=2):
            label = (row["label"] or "").strip()
            if label not in ("0", "1"):
                raise ValueError(f"{path}, line {n}: label must be 0 or 1, not {label!r}")
            out.append((row["text"] or "", int(label)))
    return out


def evaluate(
    rules: Rules, scorer: Scorer, rows: list[tuple[str, int]], decisions: TextIO | None = None
) -> Figures:
    facts = Facts(confirmed=True)
    start = time.perf_counter()
    outcomes = [run(rules, scorer, text, facts) for text, _ in rows]
    elapsed = time.perf_counter() - start
    if decisions is not None:
        writer = csv.writer(decisions)
        writer.writerow(["text", "label", "decision", "step", "score"])
        for (text, label), out in zip(rows, outcomes, strict=True):
            score = "" if out.score is None else f"{out.score:.4f}"
            writer.writerow([text, label, out.status, out.step or "", score])
    flagged = [o.status != PUBLISHED for o in outcomes]
    tp = sum(1 for f, (_, y) in zip(flagged, rows, strict=True) if f and y == 1)
    fp = sum(1 for f, (_, y) in zip(flagged, rows, strict=True) if f and y == 0)
    positives = sum(y for _, y in rows)
    negatives = len(rows) - positives
    return Figures(
        rows=len(rows),
        precision=tp / (tp + fp) if tp + fp else 0.0,
        recall=tp / positives if positives else 0.0,
        false_hold_rate=fp / negatives if negatives else 0.0,
        per_second=len(rows) / elapsed if elapsed > 0 else float("inf"),
    )
