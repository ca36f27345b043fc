"""Learn from routing feedback: adapt a scorer to your own traffic, soundly, from bandit feedback.

In production only the model that answered a call has an outcome; the others' are never seen. Learning from that
as if it were a labelled data set ("the cheap model's answer was bad: label 1") teaches the wrong thing: the cheap
model only ever saw the prompts the router judged easy, so its failures say little about the rest, and a bad answer
of the strong model says nothing about whether the cheap one would have done better. `FeedbackLearner` treats the
log as what it is, a contextual-bandit log, and estimates the *gain* of the strong model per prompt:

1. **One outcome model per arm.** For the cheapest and the strongest candidate of each ladder, the expected
   outcome (the feedback score in [0, 1]) is estimated only from the calls that model served:
   ``E[outcome | x, model] = line(base logit) + topic deviation(x)``. The line is a per-model weighted least-squares
   fit on the base scorer's logit; the topic deviation is a kernel (Nadaraya-Watson) average of that model's
   residuals over similar prompts, similarity being the TF-IDF cosine of the hashed word n-grams of `featurize`
   (no prompt text). On new domains the signal is largely topic-level, which this recovers.
2. **Importance weights.** Each record weighs ``min(1 / propensity, clip)``: the calls routed at random by
   ``explore`` (small propensity) stand for the calls like them that the policy would not have sent to that model.
   Clipping bounds the variance (the usual bias-variance trade of off-policy estimators).
3. **Priors from the base scorer, moved by the data.** With no data the ranking is the base scorer's. Each model's
   topic deviation is shrunk towards the deviation pooled over both models (weight `neighbours`), and that towards
   0 (`pooled_neighbours`): a topic only one model served gets no gain from that model's outcomes alone (a strong
   model doing well on easy prompts is not evidence that it was needed). The gain's slope along the base score keeps
   the prior `prior_slope` until `prior_records` records outweigh it: under deterministic routing each model sees
   only one side of the threshold, so that slope is identified only by explored calls (measured: learning it freely
   made the ranking worse than no learning).
4. **The adapted score** is the estimated gain ``E[outcome | x, strong] - E[outcome | x, cheap]`` mapped to [0, 1]
   by quantile matching on recent traffic: its distribution there is the base scorer's, so a threshold still sends
   the same share of traffic to each model (thresholds and the cost budget keep their meaning); what changes is
   *which* prompts go.

Incremental and bounded: the learner keeps sufficient statistics only (per model and n-gram bucket: weighted sums of
outcome, weight and base logit; document frequencies; 2x2 moments), so `update` costs O(new records), never
re-reads history, and gives the same model as a refit on all records (old records can fade with `half_life`).
Memory: about 1 MB for 16,384 buckets, plus `calibration` recent feature vectors. Fitting uses numpy
(``pip install 'langroute[learn]'``); the adapted scorer is pure Python on the hot path (a few dot products over
the prompt's n-grams).

```python
from langroute import LearnedScorer
from langroute.feedback.learner import FeedbackLearner

learner = FeedbackLearner(LearnedScorer.pretrained())
learner.update(records)      # dicts: decision fields + "outcome" (see `update`); returns a summary dict
scorer = learner.scorer()    # a Scorer; its Scores carry `features`, so the loop continues
```

Skipped (and counted in the summary): middle candidates of a ladder, fallbacks (``served`` differs from
``model``), failed and forced calls, and decisions without features or score.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import json
import logging
import math
import operator
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from langroute._atomic import write_atomically
from langroute.conversation import Conversation
from langroute.errors import ConfigError, InputError
from langroute.scorers._learned_features import FEATURES_VERSION, featurize
from langroute.scorers.base import Score, Scorer, check_saved_model

if TYPE_CHECKING:
    import numpy as np

__all__ = ["FORMAT", "FORMAT_VERSION", "FeedbackLearner", "FeedbackScorer", "featurize"]

logger = logging.getLogger(__name__)

_CHEAP, _STRONG = 0, 1
_EPS: Final = 1e-4  # base scores are clipped to [_EPS, 1 - _EPS] before taking their logit
_KNOTS: Final = 101  # quantile knots of the calibration map
FORMAT: Final = "langroute.feedback-scorer"
"""The ``format`` field of a file written by `FeedbackScorer.save`."""
FORMAT_VERSION: Final = 1
_MAX_FILE_BYTES: Final = 256 * 1024 * 1024  # an embedded base model is ~1 MB, the adapted tables a few MB at most


def _logit(score: float) -> float:
    p = min(max(score, _EPS), 1.0 - _EPS)
    return math.log(p / (1.0 - p))


def _check_positive(name: str, value: object, *, integer: bool = False, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not 0 < value < math.inf:
        kind = "an int" if integer else "a finite number"
        raise ConfigError(f"{name}={value!r}: expected {kind} > 0" + (" or None" if allow_none else ""))


class FeedbackScorer(Scorer):
    """A base scorer adapted by `FeedbackLearner`: the estimated gain of the strongest model, mapped to [0, 1].

    Immutable (a snapshot of the learner); `FeedbackLearner.scorer` builds it. Each `Score` carries the hashed
    features of the prompt (`featurize`'s dict) plus ``"s"``, the base scorer's score, so that decisions routed
    with it can be learned from too. Pure Python: no numpy on the hot path.
    """

    def __init__(
        self,
        base: Scorer,
        *,
        buckets: int,
        linear: Sequence[float],
        mass: Sequence[Sequence[float]],
        residual: Sequence[Sequence[float]],
        prior_mass: float,
        pooled_mass: float,
        gain_knots: Sequence[float],
        score_knots: Sequence[float],
        records: int,
    ) -> None:
        self.base = base
        self.buckets = buckets
        self.linear = tuple(linear)  # gain = linear[0] + linear[1] * logit(base score) + topic term
        self.mass = [list(m) for m in mass]  # per arm, per bucket: idf^2 * sum w u
        self.residual = [list(r) for r in residual]  # per arm, per bucket: idf^2 * sum w u (outcome - linear fit)
        self.prior_mass = prior_mass
        self.pooled_mass = pooled_mass
        self.gain_knots = list(gain_knots)
        self.score_knots = list(score_knots)
        self.records = records

    @property
    def name(self) -> str:
        """``FeedbackScorer(<base name>)``."""
        return f"FeedbackScorer({self.base.name})"

    def gain(self, score: float, counts: Mapping[Any, float]) -> float:
        """The estimated gain of the strongest model for a prompt of base `score` and n-gram `counts`."""
        keys = counts.keys() if not counts or type(next(iter(counts))) is int else list(map(int, counts))
        values = counts.values()
        norm = math.sqrt(sum(map(operator.mul, values, values))) or 1.0
        near0, near1, off0, off1 = (
            sum(map(operator.mul, map(table.__getitem__, keys), values)) / norm
            for table in (*self.mass, *self.residual)
        )
        near, off = (near0, near1), (off0, off1)
        # the topic's deviation from the linear fit, pooled over both models (shrunk towards 0), and each model's
        # own deviation shrunk towards the pooled one: a model with no data near this prompt gets the pooled value
        pooled = (off[0] + off[1]) / (near[0] + near[1] + self.pooled_mass)
        strong = (off[_STRONG] + self.prior_mass * pooled) / (near[_STRONG] + self.prior_mass)
        cheap = (off[_CHEAP] + self.prior_mass * pooled) / (near[_CHEAP] + self.prior_mass)
        return self.linear[0] + self.linear[1] * _logit(score) + strong - cheap

    def adapt(self, score: float, counts: Mapping[Any, float]) -> tuple[float, float]:
        """(adapted score in [0, 1], estimated gain) for a prompt of base `score` and n-gram `counts`."""
        gain = self.gain(score, counts)
        knots = self.gain_knots
        i = bisect.bisect_left(knots, gain)
        if i == 0:
            value = self.score_knots[0]
        elif i == len(knots):
            value = self.score_knots[-1]
        else:
            lo, hi = knots[i - 1], knots[i]
            t = (gain - lo) / (hi - lo) if hi > lo else 0.5
            value = self.score_knots[i - 1] + t * (self.score_knots[i] - self.score_knots[i - 1])
        return min(max(value, 0.0), 1.0), gain

    def rate(self, conversation: Conversation) -> Score:
        """Score `conversation`: the base score, re-ranked by the learned gain (see the module docstring)."""
        base = self.base.rate(conversation)
        features = base.features
        if not (
            isinstance(features, dict) and features.get("v") == FEATURES_VERSION and features.get("b") == self.buckets
        ):
            features = featurize(conversation, self.buckets)
        value, gain = self.adapt(base.value, features["n"])
        kept = {"v": FEATURES_VERSION, "b": self.buckets, "d": features["d"], "n": features["n"], "s": base.value}
        return Score(value, f"gain {gain:+.3f} ({self.records} records); base {base.value:.2f}", kept)

    # ------------------------------------------------------------------------------------------- persistence
    def to_dict(self) -> dict[str, Any]:
        """The adapted scorer as a JSON-ready dict (the format `save` writes); only buckets with data are kept.

        The base scorer is referenced (``{"pretrained": "learned", "sha256": ...}`` for the shipped model,
        ``{"name": "heuristic"}``) or embedded (any other `LearnedScorer`, as its own `to_dict`).

        Raises:
            ConfigError: the base scorer cannot be saved (only `LearnedScorer` and the default `HeuristicScorer`
                can), or a value is not finite.
        """
        used = sorted({i for table in (*self.mass, *self.residual) for i, v in enumerate(table) if v})
        tables = {
            "buckets": used,
            "mass": [[_round(table[i]) for i in used] for table in self.mass],
            "residual": [[_round(table[i]) for i in used] for table in self.residual],
        }
        data = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "base": _base_reference(self.base),
            "features": {"v": FEATURES_VERSION, "buckets": self.buckets},
            "records": self.records,
            "linear": [_round(v) for v in self.linear],
            "prior_mass": _round(self.prior_mass),
            "pooled_mass": _round(self.pooled_mass),
            "calibration": {
                "gain": [_round(v) for v in self.gain_knots],
                "score": [_round(v) for v in self.score_knots],
            },
            "tables": tables,
        }
        if not _finite(data):
            raise ConfigError("FeedbackScorer: a value is not finite; not a usable model (was the learner fed NaN?)")
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "model") -> FeedbackScorer:
        """Rebuild a scorer from `to_dict` output.

        Raises:
            InputError: `data` is not a feedback-scorer model of a supported version, or a value is invalid; the
                message names `source` and the field.
        """
        check_saved_model(
            data,
            source,
            kind="feedback-scorer",
            format=FORMAT,
            version=FORMAT_VERSION,
            retrain="'langroute train --from-store'",
        )
        try:
            features = data["features"]
            if features["v"] != FEATURES_VERSION:
                raise InputError(
                    f"{source}: features version {features['v']!r}; this release computes {FEATURES_VERSION}"
                )
            buckets = features["buckets"]
            if isinstance(buckets, bool) or not isinstance(buckets, int) or buckets <= 0:
                raise InputError(f"{source}: features.buckets is {buckets!r:.40}; expected an int > 0")
            base = _base_from_reference(data["base"], source)
            tables = data["tables"]
            used = [int(i) for i in tables["buckets"]]
            if any(not 0 <= i < buckets for i in used):
                raise InputError(f"{source}: tables.buckets holds a bucket outside [0, {buckets})")
            dense = []
            for name in ("mass", "residual"):
                rows = tables[name]
                if len(rows) != 2 or any(len(row) != len(used) for row in rows):
                    raise InputError(f"{source}: tables.{name}: expected 2 rows of {len(used)} values")
                full = [[0.0] * buckets, [0.0] * buckets]
                for row, values in zip(full, rows, strict=True):
                    for i, v in zip(used, values, strict=True):
                        row[i] = float(v)
                dense.append(full)
            calibration = data["calibration"]
            gain_knots = [float(v) for v in calibration["gain"]]
            score_knots = [float(v) for v in calibration["score"]]
            if not gain_knots or len(gain_knots) != len(score_knots) or gain_knots != sorted(gain_knots):
                raise InputError(f"{source}: calibration: expected two lists of equal length, gain knots sorted")
            linear = [float(v) for v in data["linear"]]
            if len(linear) != 2:
                raise InputError(f"{source}: linear: expected 2 values, got {len(linear)}")
            scorer = cls(
                base,
                buckets=buckets,
                linear=linear,
                mass=dense[0],
                residual=dense[1],
                prior_mass=float(data["prior_mass"]),
                pooled_mass=float(data["pooled_mass"]),
                gain_knots=gain_knots,
                score_knots=score_knots,
                records=int(data["records"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            if isinstance(exc, InputError):
                raise
            raise InputError(
                f"{source}: corrupt feedback-scorer model ({type(exc).__name__}: {str(exc)[:200]})"
            ) from exc
        numbers = [*linear, scorer.prior_mass, scorer.pooled_mass, *gain_knots, *score_knots]
        if not all(map(math.isfinite, numbers)) or scorer.prior_mass <= 0 or scorer.pooled_mass <= 0:
            raise InputError(f"{source}: a value of linear / prior_mass / pooled_mass / calibration is not valid")
        if not all(0.0 <= v <= 1.0 for v in score_knots):
            raise InputError(f"{source}: calibration.score: expected scores in [0, 1]")
        return scorer

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the scorer to `path` as JSON, atomically (a temporary file, fsync, rename); return the path.

        ```python
        learner.scorer().save("adapted.json")
        router = Router(["small", "large"], scorer=FeedbackScorer.load("adapted.json"))
        ```

        Raises:
            ConfigError: the base scorer cannot be saved, or a value is not finite; nothing is written.
            OSError: the file cannot be written.
        """
        return write_atomically(path, json.dumps(self.to_dict(), separators=(",", ":"), allow_nan=False) + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> FeedbackScorer:
        """Read a scorer written by `save`.

        Raises:
            InputError: the file is not UTF-8 JSON, not a feedback-scorer model, of another version, references a
                pretrained model this release does not ship, or holds an invalid value; the message names the file.
            OSError: the file cannot be read.
        """
        return cls.from_dict(read_model_file(path, "feedback-scorer model"), source=str(path))

    def __repr__(self) -> str:
        return f"FeedbackScorer(base={self.base!r}, records={self.records})"


def read_model_file(path: str | os.PathLike[str], kind: str = "model") -> Any:
    """The JSON value in the model file `path` (at most 256 MB).

    Raises:
        InputError: too big, or not UTF-8 JSON; the message names the file.
        OSError: the file cannot be read.
    """
    source = str(path)
    with Path(path).open("rb") as handle:
        raw = handle.read(_MAX_FILE_BYTES + 1)
    if len(raw) > _MAX_FILE_BYTES:
        raise InputError(f"{source}: larger than {_MAX_FILE_BYTES} bytes; not a {kind}")
    try:
        return json.loads(raw.decode("utf-8"))
    except RecursionError as exc:
        raise InputError(f"{source}: not a {kind}: JSON nested too deeply") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{source}: not a {kind}: invalid JSON ({str(exc)[:200]})") from exc
    except ValueError as exc:  # an integer of more digits than Python converts
        raise InputError(f"{source}: not a {kind}: a number with too many digits") from exc


def load_scorer(path: str | os.PathLike[str]) -> Scorer:
    """The scorer saved in `path`: a `FeedbackScorer` (``langroute train --from-store``) or a `LearnedScorer`.

    Raises:
        InputError: the file is neither (the message names it and the format found).
        OSError: the file cannot be read.
    """
    from langroute.scorers.learned import FORMAT as LEARNED_FORMAT
    from langroute.scorers.learned import LearnedScorer

    data = read_model_file(path)
    found = data.get("format") if isinstance(data, dict) else None
    if found == LEARNED_FORMAT:
        return LearnedScorer.from_dict(data, source=str(path))
    if found == FORMAT:
        return FeedbackScorer.from_dict(data, source=str(path))
    raise InputError(
        f"{path}: not a langroute scorer model (format={found!r}, expected {LEARNED_FORMAT!r} or {FORMAT!r})"
    )


def _round(value: float) -> float:
    return float(f"{value:.7g}")


def _finite(data: Any) -> bool:
    if isinstance(data, float):
        return math.isfinite(data)
    if isinstance(data, dict):
        return all(map(_finite, data.values()))
    if isinstance(data, list):
        return all(map(_finite, data))
    return True


def _fingerprint(model: Mapping[str, Any]) -> str:
    """sha256 of a learned-scorer model's weights (metadata excluded), to check a "pretrained" reference."""
    weights = {k: v for k, v in model.items() if k != "metadata"}
    return hashlib.sha256(json.dumps(weights, sort_keys=True).encode()).hexdigest()


def _base_reference(base: Scorer) -> dict[str, Any]:
    from langroute.scorers.heuristic import HeuristicScorer
    from langroute.scorers.learned import LearnedScorer

    if isinstance(base, LearnedScorer):
        model = base.to_dict()
        fingerprint = _fingerprint(model)
        if fingerprint == _fingerprint(LearnedScorer.pretrained().to_dict()):
            return {"pretrained": "learned", "sha256": fingerprint}
        return {"embedded": model}
    if type(base) is HeuristicScorer and repr(base) == "HeuristicScorer()":
        return {"name": "heuristic"}
    raise ConfigError(
        f"cannot save a FeedbackScorer over {base!r}: only a LearnedScorer or the default HeuristicScorer base "
        "can be saved; learn over one of them"
    )


def _base_from_reference(reference: Any, source: str) -> Scorer:
    from langroute.scorers.heuristic import HeuristicScorer
    from langroute.scorers.learned import LearnedScorer

    if not isinstance(reference, Mapping):
        raise InputError(f"{source}: base: expected an object, got {type(reference).__name__}")
    if "embedded" in reference:
        return LearnedScorer.from_dict(reference["embedded"], source=f"{source} (base)")
    if reference.get("pretrained") == "learned":
        pretrained = LearnedScorer.pretrained()
        if reference.get("sha256") != _fingerprint(pretrained.to_dict()):
            raise InputError(
                f"{source}: adapted from another release's pretrained model (base.sha256 differs); retrain it "
                "with 'langroute train --from-store URL --out FILE'"
            )
        return pretrained
    if reference.get("name") == "heuristic":
        return HeuristicScorer()
    raise InputError(f"{source}: base: expected 'pretrained', 'embedded' or 'name', got {sorted(reference)}")


class FeedbackLearner:
    """Adapt `base_scorer` from recorded decisions and their outcomes (see the module docstring for the method).

    Args:
        base_scorer: the scorer the router used before learning (typically `LearnedScorer.pretrained()`).
        prior_records: strength of the prior on the gain's slope along the base score, in records.
        prior_slope: the prior gain per standard deviation of the base score's logit (> 0: higher base scores
            mean the strong model helps more).
        neighbours: how many identical prompts' worth of evidence a model's own topic deviation needs to outweigh
            the deviation pooled over both models.
        pooled_neighbours: the same, for the pooled deviation against 0.
        idf_power: exponent of the inverse document frequency in the similarity (2: TF-IDF cosine).
        clip: largest importance weight ``1 / propensity`` (bounds the variance of explored records).
        half_life: forget old records: their weight halves every `half_life` records (None: never).
        calibration: recent records kept for the quantile map of the adapted score.
        buckets: n-gram buckets of the features (the base `LearnedScorer`'s by default, else 16384).

    Raises:
        ConfigError: an argument is out of range.
        ImportError: numpy is missing (``pip install 'langroute[learn]'``).
    """

    def __init__(
        self,
        base_scorer: Scorer,
        *,
        prior_records: float = 1e5,
        prior_slope: float = 0.05,
        neighbours: float = 10.0,
        pooled_neighbours: float = 3.0,
        idf_power: float = 2.0,
        clip: float = 10.0,
        half_life: float | None = None,
        calibration: int = 1024,
        buckets: int | None = None,
    ) -> None:
        if not isinstance(base_scorer, Scorer):
            raise TypeError(f"base_scorer={base_scorer!r}: expected a langroute Scorer such as LearnedScorer()")
        if isinstance(
            base_scorer, FeedbackScorer
        ):  # an adapted scorer (e.g. loaded from a file): learn anew over its base
            base_scorer = base_scorer.base
        for name, value in (("prior_records", prior_records), ("neighbours", neighbours)):
            _check_positive(name, value)
        _check_positive("idf_power", idf_power)
        _check_positive("half_life", half_life, allow_none=True)
        _check_positive("calibration", calibration, integer=True)
        if isinstance(prior_slope, bool) or not isinstance(prior_slope, (int, float)) or not math.isfinite(prior_slope):
            raise ConfigError(f"prior_slope={prior_slope!r}: expected a finite number")
        if isinstance(clip, bool) or not isinstance(clip, (int, float)) or not 1 <= clip < math.inf:
            raise ConfigError(f"clip={clip!r}: expected a finite number >= 1 (the largest 1 / propensity)")
        try:
            import numpy as np
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("FeedbackLearner needs numpy: pip install 'langroute[learn]'") from exc

        base_buckets = getattr(base_scorer, "buckets", None)
        self.base = base_scorer
        self.buckets = buckets or (base_buckets if isinstance(base_buckets, int) else 1 << 14)
        self.prior_records = float(prior_records)
        self.prior_slope = float(prior_slope)
        self.neighbours = float(neighbours)
        self.pooled_neighbours = float(pooled_neighbours)
        self.idf_power = float(idf_power)
        self.clip = float(clip)
        self.half_life = half_life
        self.calibration = calibration
        b = self.buckets
        self._df = np.zeros(b)  # records containing each bucket
        self._docs = 0.0
        self._gram = np.zeros((2, 2, 2))  # per arm: sum w [1, z][1, z]^T
        self._moment = np.zeros((2, 2))  # per arm: sum w y [1, z]
        self._sums = np.zeros((2, 3, b))  # per arm, per bucket: sum w u y, sum w u, sum w u z (y, 1, z)
        self._seen = [0, 0]
        self._recent: list[tuple[np.ndarray, np.ndarray, float, float]] = []  # (keys, u, z, base score)
        self.cursor = 0  # highest `seq` seen: `update` skips records at or below it
        self.records = 0
        self.skipped: dict[str, int] = {}

    # ------------------------------------------------------------------------------------------------- reading
    def _parse(self, record: Mapping[str, Any]) -> tuple[int, float, float, float, Mapping[str, Any]] | str:
        """(arm, weight, outcome, base score, features) of a record, or why it is skipped."""
        if record.get("failed") or record.get("forced"):
            return "failed" if record.get("failed") else "forced"
        outcome = record.get("outcome")
        if isinstance(outcome, Mapping):
            outcome = outcome.get("score")
        if isinstance(outcome, bool) or not isinstance(outcome, (int, float)) or not 0.0 <= outcome <= 1.0:
            return "no outcome"
        model, served = record.get("model"), record.get("served")
        if served is not None and served != model:
            return "fallback"
        candidates = record.get("candidates") or ()
        if len(candidates) < 2 or model not in candidates:
            return "single candidate"
        arm = _CHEAP if model == candidates[0] else _STRONG if model == candidates[-1] else None
        if arm is None:
            return "middle candidate"
        features = record.get("features")
        if not isinstance(features, Mapping) or features.get("v") != FEATURES_VERSION:
            return "no features"
        if features.get("b") != self.buckets or not isinstance(features.get("n"), Mapping):
            return "other features"
        base = features.get("s", record.get("score"))
        if isinstance(base, bool) or not isinstance(base, (int, float)) or not 0.0 <= base <= 1.0:
            return "no score"
        propensity = record.get("propensity")
        propensity = 1.0 if propensity is None else float(propensity)
        if not 0.0 < propensity <= 1.0:
            return "bad propensity"
        return arm, min(1.0 / propensity, self.clip), float(outcome), float(base), features

    # ------------------------------------------------------------------------------------------------ learning
    def update(self, records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
        """Learn from `records` (those with a ``seq`` at or below `cursor` are skipped); return a summary.

        A record is a decision dict (``model``, ``candidates``, ``score``, ``propensity``, ``features``,
        optionally ``seq``, ``served``, ``failed``, ``forced``) with its outcome under ``"outcome"``: the
        feedback score in [0, 1], or a mapping with that ``"score"``.

        Returns:
            ``{"records": read, "used": learned from, "skipped": {reason: count}, "total": used so far,
            "per_model": {"cheapest": n, "strongest": n}, "cursor": highest seq, "seconds": time taken}``.
        """

        started = time.perf_counter()
        parsed, skipped, read = [], {}, 0
        for record in records:
            seq = record.get("seq")
            if isinstance(seq, int) and not isinstance(seq, bool):
                if seq <= self.cursor:
                    continue
                self.cursor = seq
            read += 1
            item = self._parse(record)
            if isinstance(item, str):
                skipped[item] = skipped.get(item, 0) + 1
            else:
                parsed.append(item)
        for reason, count in skipped.items():
            self.skipped[reason] = self.skipped.get(reason, 0) + count
        if parsed:
            self._learn(parsed)
        summary = {
            "records": read,
            "used": len(parsed),
            "skipped": skipped,
            "total": self.records,
            "per_model": {"cheapest": self._seen[_CHEAP], "strongest": self._seen[_STRONG]},
            "cursor": self.cursor,
            "seconds": round(time.perf_counter() - started, 4),
        }
        logger.debug("feedback learner update: %s", summary)
        return summary

    def _learn(self, parsed: Sequence[tuple[int, float, float, float, Mapping[str, Any]]]) -> None:
        import numpy as np

        n = len(parsed)
        if self.half_life:
            decay = 0.5 ** (n / self.half_life)
            for array in (self._df, self._gram, self._moment, self._sums):
                array *= decay
            self._docs *= decay
        grams = [p[4]["n"] for p in parsed]
        lengths = list(map(len, grams))
        total = sum(lengths)
        chained = itertools.chain.from_iterable(grams)  # ints, or strings after a JSON round trip
        strings = any(g and type(next(iter(g))) is not int for g in grams)
        keys = np.fromiter(map(int, chained) if strings else chained, dtype=np.int64, count=total)
        counts = np.fromiter(itertools.chain.from_iterable(g.values() for g in grams), dtype=float, count=total)
        which = np.repeat(np.arange(n), lengths)
        norms = np.sqrt(np.bincount(which, weights=counts * counts, minlength=n))
        norms[norms == 0] = 1.0
        valid = (keys >= 0) & (keys < self.buckets)
        keys, counts, which = keys[valid], counts[valid], which[valid]
        u = counts / norms[which]
        arms = np.array([p[0] for p in parsed])
        weights = np.array([p[1] for p in parsed])
        outcomes = np.array([p[2] for p in parsed])
        z = np.array([_logit(p[3]) for p in parsed])
        self._df += np.bincount(keys, minlength=self.buckets)
        self._docs += n
        for arm in (_CHEAP, _STRONG):
            mask = arms == arm
            if not mask.any():
                continue
            x = np.stack([np.ones(int(mask.sum())), z[mask]], axis=1)
            self._gram[arm] += x.T @ (x * weights[mask, None])
            self._moment[arm] += x.T @ (weights[mask] * outcomes[mask])
            self._seen[arm] += int(mask.sum())
            on = mask[which]
            wu = u[on] * weights[which[on]]
            for row, factor in enumerate((outcomes, None, z)):
                values = wu if factor is None else wu * factor[which[on]]
                self._sums[arm, row] += np.bincount(keys[on], weights=values, minlength=self.buckets)
        starts = np.concatenate([[0], np.cumsum(np.bincount(which, minlength=n))])
        for i in range(max(0, n - self.calibration), n):
            self._recent.append((keys[starts[i] : starts[i + 1]], u[starts[i] : starts[i + 1]], z[i], parsed[i][3]))
        del self._recent[: -self.calibration]
        self.records += n

    def _linear(self) -> np.ndarray:
        """Per arm, ``[intercept, slope]`` of the outcome on the base logit: ridge towards the prior."""
        import numpy as np

        total = self._gram[_CHEAP] + self._gram[_STRONG]
        mass = max(total[0, 0], 1e-12)
        var = max(total[1, 1] / mass - (total[0, 1] / mass) ** 2, 1e-6)
        penalty = np.diag([1e-6, self.prior_records * var])
        slope = self.prior_slope / math.sqrt(var)
        coef = np.empty((2, 2))
        for arm, prior in ((_CHEAP, -slope / 2), (_STRONG, slope / 2)):
            coef[arm] = np.linalg.solve(self._gram[arm] + penalty, self._moment[arm] + penalty @ [0.0, prior])
        return coef

    # ---------------------------------------------------------------------------------------------- the scorer
    def scorer(self) -> Scorer:
        """The adapted scorer (a `FeedbackScorer` snapshot), or the base scorer while nothing was learned."""
        if not self.records:
            return self.base
        import numpy as np

        coef = self._linear()
        idf = np.log((self._docs + 1.0) / (self._df + 1.0)) ** self.idf_power
        mass = idf * self._sums[:, 1]
        residual = idf * (self._sums[:, 0] - coef[:, :1] * self._sums[:, 1] - coef[:, 1:] * self._sums[:, 2])
        recent = len(self._recent)
        rows = np.repeat(np.arange(recent), [len(r[0]) for r in self._recent])
        keys = np.concatenate([r[0] for r in self._recent]) if recent else np.zeros(0, dtype=np.int64)
        u = np.concatenate([r[1] for r in self._recent]) if recent else np.zeros(0)
        self_mass = float(np.mean(np.bincount(rows, weights=idf[keys] * u * u, minlength=recent))) if recent else 1.0
        self_mass = max(self_mass, 1e-9)  # prompts without any n-gram (e.g. only punctuation): no topic term, no 0/0
        prior_mass = self.neighbours * self_mass
        linear = coef[_STRONG] - coef[_CHEAP]
        scorer = FeedbackScorer(
            self.base,
            buckets=self.buckets,
            linear=linear.tolist(),
            mass=mass.tolist(),
            residual=residual.tolist(),
            prior_mass=prior_mass,
            pooled_mass=self.pooled_neighbours * self_mass,
            gain_knots=[0.0],
            score_knots=[0.5],
            records=self.records,
        )
        # FeedbackScorer.gain on the recent records, vectorised (their n-gram weights u are normalised already)
        near0, near1, off0, off1 = (
            np.bincount(rows, weights=u * table[keys], minlength=recent) for table in (*mass, *residual)
        )
        pooled = (off0 + off1) / (near0 + near1 + scorer.pooled_mass)
        strong = (off1 + prior_mass * pooled) / (near1 + prior_mass)
        cheap = (off0 + prior_mass * pooled) / (near0 + prior_mass)
        z = np.array([r[2] for r in self._recent])
        gains = linear[0] + linear[1] * z + strong - cheap
        q = np.linspace(0.0, 1.0, _KNOTS)
        scorer.gain_knots = np.quantile(gains, q).tolist()
        scorer.score_knots = np.quantile([r[3] for r in self._recent], q).tolist()
        return scorer

    def __repr__(self) -> str:
        return f"FeedbackLearner(base={self.base!r}, records={self.records})"
