"""Thresholds from a sample of traffic and the share of it each candidate should take.

```python
from langroute import HeuristicScorer, calibrate_thresholds

texts = ["hi", "translate 'cat' to French", "prove Fermat's little theorem", ...]
calibrate_thresholds(HeuristicScorer(), texts, shares=[0.7, 0.3])  # about 70% of texts go to the first model
```
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from numbers import Real

from langroute.conversation import MessagesInput
from langroute.errors import ConfigError
from langroute.scorers.base import Scorer

__all__ = ["calibrate_thresholds", "thresholds_for_shares"]


def calibrate_thresholds(scorer: Scorer, texts: Iterable[MessagesInput], shares: Sequence[float]) -> list[float]:
    """Score `texts` and return ascending thresholds that send about ``shares[i]`` of them to candidate ``i``.

    Args:
        scorer: the scorer the router will use.
        texts: a sample of real traffic: strings or conversations.
        shares: the wanted traffic share per candidate, cheapest first; one per candidate, summing to 1.

    Raises:
        ConfigError: bad `shares`, an empty sample, or `texts` is a single string.
        TypeError: `scorer` is not a `Scorer`.
    """
    if not isinstance(scorer, Scorer):
        raise TypeError(f"scorer is a {type(scorer).__name__}: expected a Scorer, e.g. HeuristicScorer()")
    if isinstance(texts, (str, bytes)):
        raise ConfigError("texts is a single string: expected a list of prompts or conversations")
    _check_shares(shares)
    scores = [scorer.score(text) for text in texts]
    return thresholds_for_shares(scores, shares)


def thresholds_for_shares(scores: Sequence[float], shares: Sequence[float]) -> list[float]:
    """The pure part of `calibrate_thresholds`: thresholds from already computed scores.

    Ties are kept together: a threshold never splits equal scores, and it is placed on whichever side of a tie
    lands closer to the wanted share. Thresholds sit halfway between neighbouring distinct scores, so they lie
    in [0, 1] like the scores.

    Raises:
        ConfigError: bad `shares`, no scores, or a score that is not a number in [0, 1] (NaN included).
    """
    _check_shares(shares)
    ordered = sorted(_check_scores(scores))
    if not ordered:
        raise ConfigError("texts is empty: calibration needs a sample of real traffic to score")
    n = len(ordered)
    distinct = sorted(set(ordered))
    below = [bisect_left(ordered, value) for value in distinct] + [n]  # scores below each boundary
    cuts: list[float] = []
    cumulative = 0.0
    for share in shares[:-1]:
        cumulative += share
        target = cumulative * n
        # choose the distinct boundary k (route distinct[:k] below) whose count is nearest the target
        k = min(range(len(below)), key=lambda j: (abs(below[j] - target), j))
        if k == 0:
            cut = distinct[0]
        elif k == len(distinct):
            cut = 1.0
        else:
            cut = (distinct[k - 1] + distinct[k]) / 2
        cuts.append(max(cut, cuts[-1]) if cuts else cut)
    return cuts


def _check_scores(scores: Iterable[float]) -> list[float]:
    if isinstance(scores, (str, bytes)) or not isinstance(scores, Iterable):
        raise ConfigError(f"scores is a {type(scores).__name__}: expected a list of numbers in [0, 1]")
    checked = []
    for i, s in enumerate(scores):
        if isinstance(s, bool) or not isinstance(s, Real) or not 0.0 <= s <= 1.0:  # NaN fails the comparison
            raise ConfigError(f"scores[{i}]={s!r}: expected a number in [0, 1], as a scorer returns")
        checked.append(float(s))
    return checked


def _check_shares(shares: Sequence[float]) -> None:
    if isinstance(shares, (str, bytes)) or not isinstance(shares, Sequence) or len(shares) < 2:
        raise ConfigError(f"shares={shares!r}: expected one share per candidate (at least two), summing to 1")
    for s in shares:
        if isinstance(s, bool) or not isinstance(s, (int, float)) or not math.isfinite(s) or s < 0:
            raise ConfigError(f"shares={list(shares)!r}: share {s!r} is not a number >= 0")
    if not math.isclose(sum(shares), 1.0, abs_tol=1e-6):
        raise ConfigError(f"shares={list(shares)!r}: shares sum to {sum(shares):g}; they must sum to 1")
