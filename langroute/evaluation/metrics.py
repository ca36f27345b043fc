"""Routing-quality metrics from per-prompt scores and the weak / strong models' per-prompt quality.

Pure functions, standard library only. They follow RouteLLM's definitions (arXiv:2406.18665): a router sends
a prompt to the strong model when its score is at or above a threshold; sweeping the threshold over the score
quantiles (the deciles by default) traces the curve of routed quality against the share of strong calls.

- PGR (performance gap recovered) = (routed - weak) / (strong - weak): 0 is the weak model, 1 the strong one.
- APGR = area under the PGR-vs-strong-share curve between share 0 and 1 (trapezoids): 0.5 for random routing,
  close to 1 for an oracle, close to 0 for a reversed oracle.
- CPT(x) = the smallest share of strong calls whose PGR reaches x (linear between curve points).
- Lift = the area between the routed-quality curve and the random line, as a share of the oracle's: 0 for random
  routing, 1 for the oracle (scores = strong - weak). Unlike APGR it stays defined and stable when the two models
  are equally good on average (a near-zero or negative gap), as long as they differ on some prompts.
- Cost saving at a quality target: 1 - cost / cost of the all-strong router, at the smallest share whose
  quality reaches the target (e.g. 95% of the strong model's quality).

```python
from langroute.evaluation import evaluate

weak = [1, 0, 1, 0]; strong = [1, 1, 1, 1]
evaluate([0.1, 0.9, 0.2, 0.8], weak, strong).apgr   # ~0.75: the two prompts the strong model fixes score highest
```
"""

from __future__ import annotations

import itertools
import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Final

from langroute.errors import InputError

__all__ = [
    "DEFAULT_PRICES",
    "CurvePoint",
    "Metrics",
    "apgr",
    "cost_saving",
    "cpt",
    "evaluate",
    "lift",
    "pgr",
    "quality_curve",
    "share_at_quality",
]

DEFAULT_PRICES: Final[tuple[float, float]] = (0.24, 24.7)
"""(weak, strong) price per call unit: the blended USD per million tokens of Mixtral-8x7B and GPT-4 that the
RouteLLM paper uses. Only the ratio matters for a saving."""


@dataclass(frozen=True, slots=True)
class CurvePoint:
    """One router setting: route to the strong model when ``score >= threshold``.

    Attributes:
        threshold: the score cut-off (``inf`` for "never strong").
        share: the share of prompts sent to the strong model, in [0, 1].
        quality: the mean quality of the routed answers.
    """

    threshold: float
    share: float
    quality: float


@dataclass(frozen=True, slots=True)
class Metrics:
    """The metrics of one scorer on one dataset (see the module docstring for the definitions).

    Attributes:
        n: number of prompts.
        weak_quality / strong_quality: mean quality of each model alone.
        apgr: average performance gap recovered (0.5 = random).
        cpt50 / cpt80: share of strong calls needed to recover 50% / 80% of the gap.
        quality_target: the fraction of the strong model's quality used for `saving`.
        share_at_target: the share of strong calls that reaches it.
        saving: the cost saved against always calling the strong model, at that share.
    """

    n: int
    weak_quality: float
    strong_quality: float
    apgr: float
    cpt50: float
    cpt80: float
    quality_target: float
    share_at_target: float
    saving: float

    def to_dict(self) -> dict[str, float]:
        """The metrics as a plain dict (JSON-ready)."""
        return asdict(self)


def _check(scores: Sequence[float], weak: Sequence[float], strong: Sequence[float]) -> None:
    if not (len(scores) == len(weak) == len(strong)):
        raise InputError(
            f"scores, weak and strong have lengths {len(scores)}, {len(weak)}, {len(strong)}; "
            "they must have one entry per prompt"
        )
    if not scores:
        raise InputError("scores is empty: the metrics need at least one prompt")
    for name, values in (("weak", weak), ("strong", strong)):
        bad = next((v for v in values if not (0.0 <= float(v) <= 1.0)), None)
        if bad is not None:
            raise InputError(f"{name} quality {bad!r} is outside [0, 1]; give correctness (0/1) or a graded score")


def _quantile(ordered: Sequence[float], q: float) -> float:
    """The `q` quantile of ascending `ordered`, linear between order statistics (numpy's default)."""
    pos = q * (len(ordered) - 1)
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def quality_curve(
    scores: Sequence[float], weak: Sequence[float], strong: Sequence[float], *, points: int = 10
) -> list[CurvePoint]:
    """Routed quality against the share of strong calls, with thresholds at the score quantiles.

    Args:
        scores: the scorer's score per prompt (higher = more in need of the strong model).
        weak: the weak model's quality per prompt, in [0, 1] (1/0 for correct/wrong).
        strong: the strong model's quality per prompt, in [0, 1].
        points: how many quantile steps: 10 gives RouteLLM's deciles (11 thresholds).

    Returns:
        The curve sorted by share, starting with the all-weak point (share 0) and ending at share 1;
        thresholds that give the same share are merged.

    Raises:
        InputError: lengths differ, an input is empty, or a quality is outside [0, 1].
    """
    _check(scores, weak, strong)
    if points < 1:
        raise InputError(f"points={points!r}: need at least 1 quantile step")
    n = len(scores)
    order = sorted(range(n), key=lambda i: scores[i], reverse=True)
    ordered = sorted(scores)
    gain_prefix = [0.0]  # gain of sending the k highest-scored prompts to the strong model
    for i in order:
        gain_prefix.append(gain_prefix[-1] + float(strong[i]) - float(weak[i]))
    base = math.fsum(float(w) for w in weak)
    by_share: dict[int, CurvePoint] = {0: CurvePoint(math.inf, 0.0, base / n)}
    for step in range(points + 1):
        threshold = _quantile(ordered, step / points)
        k = n - bisect_left(ordered, threshold)  # prompts with score >= threshold
        by_share.setdefault(k, CurvePoint(threshold, k / n, (base + gain_prefix[k]) / n))
    return [by_share[k] for k in sorted(by_share)]


def pgr(quality: float, weak_quality: float, strong_quality: float) -> float:
    """Performance gap recovered: where `quality` sits between the weak (0) and strong (1) model.

    Raises:
        InputError: the two models have the same quality, so there is no gap to recover.
    """
    gap = strong_quality - weak_quality
    if math.isclose(gap, 0.0, abs_tol=1e-12):
        raise InputError(
            f"weak and strong quality are both {weak_quality:.4f}: PGR is undefined when the strong model is no "
            "better; evaluate on data where the models differ"
        )
    return (quality - weak_quality) / gap


def _pgr_curve(curve: Sequence[CurvePoint]) -> list[tuple[float, float]]:
    weak_q, strong_q = curve[0].quality, curve[-1].quality
    return [(p.share, pgr(p.quality, weak_q, strong_q)) for p in curve]


def _first_crossing(points: Sequence[tuple[float, float]], target: float) -> float:
    """The smallest x where the piecewise-linear y(x) reaches `target` (1.0 if never)."""
    if points[0][1] >= target:
        return points[0][0]
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        if y1 >= target:
            return x0 + (x1 - x0) * (target - y0) / (y1 - y0)
    return 1.0


def apgr(scores: Sequence[float], weak: Sequence[float], strong: Sequence[float], *, points: int = 10) -> float:
    """Average performance gap recovered: the area under PGR vs share of strong calls (0.5 = random)."""
    return _area(_pgr_curve(quality_curve(scores, weak, strong, points=points)))


def _area(points: Sequence[tuple[float, float]]) -> float:
    return math.fsum((x1 - x0) * (y0 + y1) / 2 for (x0, y0), (x1, y1) in itertools.pairwise(points))


def cpt(
    scores: Sequence[float], weak: Sequence[float], strong: Sequence[float], target: float, *, points: int = 10
) -> float:
    """Call-performance threshold: the share of strong calls needed to reach PGR `target` (0.5 or 50 = CPT(50%))."""
    return _first_crossing(_pgr_curve(quality_curve(scores, weak, strong, points=points)), _fraction(target))


def cost_saving(
    scores: Sequence[float],
    weak: Sequence[float],
    strong: Sequence[float],
    *,
    quality_target: float = 0.95,
    prices: tuple[float, float] = DEFAULT_PRICES,
    points: int = 10,
) -> float:
    """The cost saved against always calling the strong model, at `quality_target` of its quality.

    Args:
        scores / weak / strong: as in `quality_curve`.
        quality_target: the fraction of the strong model's mean quality to keep (0.95, or 95, = 95%).
        prices: (weak, strong) price of one call; only their ratio matters.
        points: quantile steps of the curve.

    Returns:
        ``1 - (share * strong + (1 - share) * weak) / strong`` at the smallest share of strong calls that reaches
        the target (`share_at_quality`).

    Raises:
        InputError: bad inputs, or prices that are not ``0 <= weak <= strong`` with ``strong > 0``.
    """
    return _saving(quality_curve(scores, weak, strong, points=points), _fraction(quality_target), prices)[1]


def share_at_quality(
    scores: Sequence[float],
    weak: Sequence[float],
    strong: Sequence[float],
    *,
    quality_target: float = 0.95,
    points: int = 10,
) -> float:
    """The smallest share of strong calls whose routed quality reaches `quality_target` of the strong model's."""
    curve = quality_curve(scores, weak, strong, points=points)
    return _saving(curve, _fraction(quality_target), DEFAULT_PRICES)[0]


def _fraction(value: float) -> float:
    """Read 0.95 and 95 alike (a percentage above 1)."""
    return value / 100.0 if value > 1.0 else value


def _saving(curve: Sequence[CurvePoint], quality_target: float, prices: tuple[float, float]) -> tuple[float, float]:
    weak_price, strong_price = prices
    if not (0.0 <= weak_price <= strong_price and strong_price > 0):
        raise InputError(f"prices={prices!r}: expected (weak, strong) with 0 <= weak <= strong and strong > 0")
    target = quality_target * curve[-1].quality
    share = _first_crossing([(p.share, p.quality) for p in curve], target - 1e-12)
    cost = share * strong_price + (1.0 - share) * weak_price
    return share, 1.0 - cost / strong_price


def evaluate(
    scores: Sequence[float],
    weak: Sequence[float],
    strong: Sequence[float],
    *,
    quality_target: float = 0.95,
    prices: tuple[float, float] = DEFAULT_PRICES,
    points: int = 10,
) -> Metrics:
    """All the metrics at once for one scorer on one dataset (see the module docstring)."""
    curve = quality_curve(scores, weak, strong, points=points)
    pgrs = _pgr_curve(curve)
    quality_target = _fraction(quality_target)
    share, saving = _saving(curve, quality_target, prices)
    return Metrics(
        n=len(scores),
        weak_quality=curve[0].quality,
        strong_quality=curve[-1].quality,
        apgr=_area(pgrs),
        cpt50=_first_crossing(pgrs, 0.5),
        cpt80=_first_crossing(pgrs, 0.8),
        quality_target=quality_target,
        share_at_target=share,
        saving=saving,
    )


def _excess(curve: Sequence[CurvePoint]) -> float:
    """Area under the routed-quality curve above the straight line from the all-weak to the all-strong point."""
    area = _area([(p.share, p.quality) for p in curve])
    return area - (curve[0].quality + curve[-1].quality) / 2


def lift(scores: Sequence[float], weak: Sequence[float], strong: Sequence[float], *, points: int = 10) -> float:
    """The share of the oracle's gain over random routing that `scores` recover (0 = random, 1 = oracle).

    ``(area(scores) - area(random)) / (area(oracle) - area(random))``, areas under routed quality vs share of strong
    calls, where the oracle scores each prompt by ``strong - weak``. When the gap is not zero this is
    ``(APGR - 0.5) / (APGR of the oracle - 0.5)``.

    Raises:
        InputError: bad inputs, or the two models answer every prompt equally well (nothing to route).
    """
    routed = _excess(quality_curve(scores, weak, strong, points=points))  # checks the inputs
    oracle = _excess(quality_curve([s - w for w, s in zip(weak, strong, strict=True)], weak, strong, points=points))
    if oracle <= 1e-12:
        raise InputError("the weak and strong model are equally good on every prompt: routing cannot gain anything")
    return routed / oracle
