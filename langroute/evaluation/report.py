"""Per-dataset metric tables with bootstrap confidence intervals.

```python
from langroute import HeuristicScorer
from langroute.evaluation import load_records
from langroute.evaluation.report import evaluate_scorer, format_table

rows = evaluate_scorer(HeuristicScorer(), load_records(["benchmarks/data/dev_gsm8k.jsonl"]))
print(format_table(rows))
```
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from langroute.evaluation.data import Record
from langroute.evaluation.metrics import DEFAULT_PRICES, CurvePoint, Metrics, evaluate, quality_curve
from langroute.scorers.base import Scorer

__all__ = ["METRIC_NAMES", "Row", "bootstrap", "evaluate_scorer", "format_table", "make_row"]

METRIC_NAMES: Final[tuple[str, ...]] = ("apgr", "cpt50", "cpt80", "saving")
"""The metrics that get a confidence interval and a column in the table."""


@dataclass(frozen=True, slots=True)
class Row:
    """One scorer on one dataset: its metrics, their bootstrap intervals and its curve (for plots).

    Attributes:
        scorer: the scorer's label in the table.
        dataset: the dataset's name.
        metrics: the point estimates.
        intervals: metric name -> (low, high) bootstrap percentile interval.
        curve: quality vs share of strong calls at the score percentiles (fine-grained, for plotting).
    """

    scorer: str
    dataset: str
    metrics: Metrics
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)
    curve: list[CurvePoint] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The row as JSON-ready data."""
        return {
            "scorer": self.scorer,
            "dataset": self.dataset,
            "metrics": self.metrics.to_dict(),
            "intervals": {k: list(v) for k, v in self.intervals.items()},
            "curve": [[p.share, p.quality] for p in self.curve],
        }


def bootstrap(
    scores: Sequence[float],
    weak: Sequence[float],
    strong: Sequence[float],
    *,
    resamples: int = 200,
    seed: int = 0,
    confidence: float = 0.95,
    prices: tuple[float, float] = DEFAULT_PRICES,
    quality_target: float = 0.95,
) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap intervals of `METRIC_NAMES` (prompts resampled with replacement, seeded).

    Resamples where the two models tie (PGR undefined) are skipped.
    """
    rng = random.Random(seed)
    n = len(scores)
    samples: dict[str, list[float]] = {name: [] for name in METRIC_NAMES}
    for _ in range(resamples):
        pick = [rng.randrange(n) for _ in range(n)]
        w = [weak[i] for i in pick]
        s = [strong[i] for i in pick]
        if sum(w) == sum(s):
            continue
        m = evaluate([scores[i] for i in pick], w, s, prices=prices, quality_target=quality_target)
        for name in METRIC_NAMES:
            samples[name].append(getattr(m, name))
    alpha = (1.0 - confidence) / 2
    intervals = {}
    for name, values in samples.items():
        if values:
            values.sort()
            low = values[int(alpha * (len(values) - 1))]
            high = values[round((1 - alpha) * (len(values) - 1))]
            intervals[name] = (low, high)
    return intervals


def make_row(
    scorer: str,
    dataset: str,
    scores: Sequence[float],
    weak: Sequence[float],
    strong: Sequence[float],
    *,
    resamples: int = 200,
    seed: int = 0,
    prices: tuple[float, float] = DEFAULT_PRICES,
    quality_target: float = 0.95,
) -> Row:
    """Metrics, bootstrap intervals (none when `resamples` is 0) and a 50-point curve for one scorer's scores."""
    metrics = evaluate(scores, weak, strong, prices=prices, quality_target=quality_target)
    intervals = (
        bootstrap(scores, weak, strong, resamples=resamples, seed=seed, prices=prices, quality_target=quality_target)
        if resamples
        else {}
    )
    return Row(scorer, dataset, metrics, intervals, quality_curve(scores, weak, strong, points=50))


def evaluate_scorer(
    scorer: Scorer,
    records: Sequence[Record],
    *,
    name: str | None = None,
    resamples: int = 200,
    seed: int = 0,
    prices: tuple[float, float] = DEFAULT_PRICES,
    quality_target: float = 0.95,
    progress: Callable[[int, int], None] | None = None,
) -> list[Row]:
    """Score every record's prompt with `scorer` and make one `Row` per dataset.

    Args:
        scorer: the scorer to evaluate.
        records: labelled records (see `load_records`).
        name: the label in the table (default: the scorer's name).
        resamples: bootstrap resamples per dataset (0 = no intervals).
        seed: bootstrap seed.
        prices: (weak, strong) price per call, for the saving.
        quality_target: fraction of the strong model's quality for the saving.
        progress: called as ``progress(done, total)`` while scoring.
    """
    scores = []
    for done, record in enumerate(records, start=1):
        scores.append(scorer.score(record.prompt))
        if progress is not None:
            progress(done, len(records))
    indices: dict[str, list[int]] = {}
    for i, record in enumerate(records):
        indices.setdefault(record.dataset, []).append(i)
    return [
        make_row(
            name or scorer.name,
            dataset,
            [scores[i] for i in index],
            [records[i].weak for i in index],
            [records[i].strong for i in index],
            resamples=resamples,
            seed=seed,
            prices=prices,
            quality_target=quality_target,
        )
        for dataset, index in indices.items()
    ]


def _cell(row: Row, name: str) -> str:
    value = getattr(row.metrics, name)
    if name in row.intervals:
        low, high = row.intervals[name]
        return f"{value:.3f} [{low:.3f}, {high:.3f}]"
    return f"{value:.3f}"


def format_table(rows: Sequence[Row]) -> str:
    """A Markdown table: one line per (dataset, scorer), metrics with their 95% intervals in brackets."""
    target = rows[0].metrics.quality_target if rows else 0.95
    header = ["dataset", "scorer", "n", "APGR", "CPT(50%)", "CPT(80%)", f"saving @ {target:.0%} of strong"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [row.dataset, row.scorer, str(row.metrics.n), *(_cell(row, name) for name in METRIC_NAMES)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
