"""Leave-task-out evaluation: hold out each task family in turn and measure routing on it, against random routing.

Pooled over tasks, a scorer is rewarded for recognising *which task* a prompt belongs to (tasks where the strong
model helps more get higher scores), and a task seen in training looks easier than a new one. Users' traffic is
neither: it is a task the scorer never saw, routed prompt by prompt. So train on every family but one
(`leave_family_out`), score the held-out family, and look at its metrics alone (`Family.result`), each with a
bootstrap sd, next to seeded random routing (`Family.random`).

Families whose weak-to-strong gap is near zero or negative (`Family.ill_conditioned`) make APGR meaningless
(PGR divides by the gap); `lift` (the share of the oracle's gain over random routing) and the saving at 95% of the
strong model's quality stay defined there.

```python
from langroute.evaluation import load_records
from langroute.evaluation.families import Family, leave_family_out

records = load_records(["benchmarks/data/dev_dcrouter.jsonl"])
for name, train, test in leave_family_out(records, lambda r: r.domain):
    family = Family(name, [records[i].weak for i in test], [records[i].strong for i in test], resamples=50)
    scores = [len(records[i].prompt) for i in test]          # or: a scorer trained on `train`
    family.result("length", scores).apgr.value, family.random().apgr.value
```
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Final

from langroute.errors import InputError
from langroute.evaluation.data import Record
from langroute.evaluation.metrics import (
    DEFAULT_PRICES,
    CurvePoint,
    _area,
    _excess,
    _fraction,
    _pgr_curve,
    _saving,
    quality_curve,
)

__all__ = ["GAP_MIN", "Estimate", "Family", "FamilyResult", "leave_family_out", "normalise_prompt"]

GAP_MIN: Final = 0.03
"""Families whose strong-minus-weak mean quality is below this are ill-conditioned for APGR."""


@dataclass(frozen=True, slots=True)
class Estimate:
    """A metric's point estimate, its sd and 95% interval (bootstrap of the prompts, or across random seeds)."""

    value: float
    sd: float
    low: float
    high: float

    @classmethod
    def of(cls, value: float, samples: Sequence[float]) -> Estimate:
        """`value` with the sd and the 2.5% / 97.5% percentiles of `samples` (sd 0 when fewer than 2)."""
        if len(samples) < 2:
            return cls(value, 0.0, value, value)
        ordered = sorted(samples)
        low = ordered[int(0.025 * (len(ordered) - 1))]
        high = ordered[round(0.975 * (len(ordered) - 1))]
        return cls(value, statistics.stdev(ordered), low, high)

    def __format__(self, spec: str) -> str:
        return f"{self.value:.3f} ± {self.sd:.3f}"


@dataclass(frozen=True, slots=True)
class FamilyResult:
    """One scorer on one held-out family.

    Attributes:
        scorer / family: labels.
        n: prompts in the family.
        gap: strong minus weak mean quality on the family.
        apgr / saving / lift: estimates (saving at `quality_target` of the strong model's quality).
        share: the share of the family sent to the strong model at the scorer's reference threshold (`None` when
            no threshold was given); equal shares across families mean one threshold means the same traffic.
        curve: routed quality vs share of strong calls (50 quantile steps, for plots).
    """

    scorer: str
    family: str
    n: int
    gap: float
    apgr: Estimate
    saving: Estimate
    lift: Estimate
    share: float | None = None
    curve: list[CurvePoint] = field(default_factory=list)


def normalise_prompt(prompt: str) -> str:
    """The key under which two prompts count as the same: whitespace collapsed, case-folded."""
    return " ".join(prompt.split()).casefold()


def leave_family_out(
    records: Sequence[Record], family_of: Callable[[Record], str | None]
) -> Iterator[tuple[str, list[int], list[int]]]:
    """Yield ``(family, train_indices, test_indices)`` once per family, in order of first appearance.

    Records whose family is `None` are never held out (always trained on). A training record whose prompt
    (`normalise_prompt`) also occurs in the held-out family is dropped from that fold's training set, so no
    prompt is both trained and tested on.
    """
    labels = [family_of(r) for r in records]
    keys = [normalise_prompt(r.prompt) for r in records]
    for name in dict.fromkeys(label for label in labels if label is not None):
        test = [i for i, label in enumerate(labels) if label == name]
        held = {keys[i] for i in test}
        train = [i for i, label in enumerate(labels) if label != name and keys[i] not in held]
        yield name, train, test


class Family:
    """A held-out family's labels, with the bootstrap resamples shared by every scorer evaluated on it.

    Args:
        name: the family's label.
        weak / strong: each model's quality per prompt, in [0, 1].
        resamples: bootstrap resamples of the prompts (the same ones for every scorer: paired comparisons).
        seed: seed of the resamples.
        prices: (weak, strong) price per call for the saving.
        quality_target: fraction of the strong model's quality for the saving.

    Raises:
        InputError: lengths differ, the family is empty, or the two models answer every prompt equally well.
    """

    def __init__(
        self,
        name: str,
        weak: Sequence[float],
        strong: Sequence[float],
        *,
        resamples: int = 200,
        seed: int = 0,
        prices: tuple[float, float] = DEFAULT_PRICES,
        quality_target: float = 0.95,
    ) -> None:
        if len(weak) != len(strong) or not weak:
            raise InputError(
                f"family {name!r}: weak and strong need one quality per prompt (got {len(weak)}, {len(strong)})"
            )
        self.name = name
        self.weak = [float(w) for w in weak]
        self.strong = [float(s) for s in strong]
        self.prices = prices
        self.quality_target = _fraction(quality_target)
        n = len(self.weak)
        self.gap = (math.fsum(self.strong) - math.fsum(self.weak)) / n
        rng = random.Random(f"{seed}:{name}")
        self._picks: list[list[int]] = []
        self._oracle: list[float] = []
        for _ in range(resamples):
            pick = [rng.randrange(n) for _ in range(n)]
            oracle = self._oracle_excess(pick)
            if oracle > 1e-12:
                self._picks.append(pick)
                self._oracle.append(oracle)
        self._full_oracle = self._oracle_excess(list(range(n)))
        if self._full_oracle <= 1e-12:
            raise InputError(f"family {name!r}: both models answer every prompt equally well; nothing to route")

    @property
    def ill_conditioned(self) -> bool:
        """The gap is below `GAP_MIN`: APGR means little here, read `lift` and the saving."""
        return self.gap < GAP_MIN

    def _oracle_excess(self, pick: Sequence[int]) -> float:
        w = [self.weak[i] for i in pick]
        s = [self.strong[i] for i in pick]
        return _excess(quality_curve([b - a for a, b in zip(w, s, strict=True)], w, s))

    def _metrics(self, scores: Sequence[float], pick: Sequence[int] | None, oracle: float) -> tuple[float, ...]:
        """(apgr or nan, saving, lift) of `scores` on the prompts `pick` (all when `None`)."""
        index = range(len(scores)) if pick is None else pick
        s = [scores[i] for i in index]
        w = [self.weak[i] for i in index]
        q = [self.strong[i] for i in index]
        curve = quality_curve(s, w, q)
        lift = _excess(curve) / oracle
        saving = _saving(curve, self.quality_target, self.prices)[1]
        if math.isclose(curve[0].quality, curve[-1].quality, abs_tol=1e-12):
            return math.nan, saving, lift  # no gap: PGR undefined
        return _area(_pgr_curve(curve)), saving, lift

    def result(self, scorer: str, scores: Sequence[float], *, threshold: float | None = None) -> FamilyResult:
        """Evaluate one scorer's `scores` (one per prompt, in the family's order) with bootstrap sds.

        Args:
            scorer: the scorer's label.
            scores: its score per prompt.
            threshold: a reference threshold (e.g. the one that sends half the training traffic to the strong
                model); `FamilyResult.share` is the share of this family at or above it.

        Raises:
            InputError: `scores` does not have one score per prompt.
        """
        if len(scores) != len(self.weak):
            raise InputError(f"family {self.name!r}: {len(scores)} scores for {len(self.weak)} prompts")
        point = self._metrics(scores, None, self._full_oracle)
        samples = [self._metrics(scores, pick, oracle) for pick, oracle in zip(self._picks, self._oracle, strict=True)]
        estimates = [Estimate.of(point[k], [s[k] for s in samples if not math.isnan(s[k])]) for k in range(3)]
        share = None if threshold is None else sum(x >= threshold for x in scores) / len(scores)
        curve = quality_curve(scores, self.weak, self.strong, points=50)
        return FamilyResult(scorer, self.name, len(scores), self.gap, *estimates, share=share, curve=curve)

    def random(self, *, seeds: int = 50, label: str = "random") -> FamilyResult:
        """Seeded random routing: the mean of each metric over `seeds` random score draws, and its sd across them.

        Its curve is the straight line between the weak and the strong model (the expectation).
        """
        draws = []
        for seed in range(seeds):
            rng = random.Random(f"random:{self.name}:{seed}")
            draws.append(self._metrics([rng.random() for _ in self.weak], None, self._full_oracle))
        estimates = []
        for k in range(3):
            values = [d[k] for d in draws if not math.isnan(d[k])]
            estimates.append(Estimate.of(statistics.fmean(values) if values else math.nan, values))
        w, s = math.fsum(self.weak) / len(self.weak), math.fsum(self.strong) / len(self.strong)
        curve = [CurvePoint(math.inf, 0.0, w), CurvePoint(-math.inf, 1.0, s)]
        return FamilyResult(label, self.name, len(self.weak), self.gap, *estimates, share=0.5, curve=curve)
