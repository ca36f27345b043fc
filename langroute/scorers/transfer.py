"""`TransferScorer`: a small logistic model over the *form* of a request, trained to rank prompts of unseen tasks.

Measured leave-task-out (each task family held out of training in turn, ``benchmarks/quality.py
--leave-task-out``), what carries over to a task nobody trained on is how a request is put, not what it is about:
the answer it expects (a choice letter, a number, code, prose), its constraints and reasoning-step markers,
question or instruction, the answer length it asks for, its size (`langroute.scorers._transfer_features`).
The shipped weights keep only the features whose effect *inside* a task has the same sign on most training tasks
(see `benchmarks/train_transfer.py`). Inference is pure Python (no numpy): a few dozen string operations and one
dot product.

The score is the model's logit re-centred on its training prompts, ``sigmoid(1.7 * (z - center) / spread)``: about
the share of (family-weighted) training prompts rated lower, so one threshold sends a similar share of each task
to the strong model.

```python
from langroute.scorers.transfer import TransferScorer

scorer = TransferScorer.pretrained()
scorer.score("hi") < scorer.score("Write a Python function that merges k sorted lists; explain its complexity.")
TransferScorer.load("model.json")   # a model written by benchmarks/train_transfer.py --out model.json
```
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from operator import mul, sub
from pathlib import Path
from typing import Any, Final

from langroute._atomic import write_atomically
from langroute.conversation import Conversation
from langroute.errors import InputError
from langroute.scorers._transfer_features import FEATURES, extract
from langroute.scorers.base import Score, Scorer, check_saved_model

__all__ = ["FORMAT", "FORMAT_VERSION", "PRETRAINED_PATH", "TransferScorer"]

FORMAT: Final = "langroute.transfer-scorer"
"""The ``format`` field of a saved model file."""

FORMAT_VERSION: Final = 1
"""The ``version`` field this release writes and reads."""

PRETRAINED_PATH: Final = Path(__file__).parent / "weights" / "transfer-v1.json"
"""The model `TransferScorer.pretrained` loads."""

_SPREAD: Final = 1.7  # sigmoid(1.7 x) ~ the normal CDF: a score ~ the share of training prompts rated lower


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


class TransferScorer(Scorer):
    """Rate how much a conversation needs the strong model from the form of its newest request.

    Args:
        weights: feature name -> weight on the standardised feature (names from `FEATURES`; missing = 0).
        means / scales: feature name -> the mean and scale used to standardise it.
        bias: the intercept.
        center / spread: the logit's mean and sd on the training prompts (the output scale).
        metadata: how the model was trained (free-form, saved with it).

    Raises:
        InputError: a feature name is unknown, or a number is not finite (or a scale or spread not positive).
    """

    offload_chars = None
    """`arate` rates inline at any size: the features read 2 KB at each end of the newest user turn, so a 1 MB
    paste costs what 100 KB does (~60 us), where a hop to a worker thread took ~165 us (p50; p99 ~610 us)."""

    def __init__(
        self,
        *,
        weights: Mapping[str, float],
        means: Mapping[str, float] | None = None,
        scales: Mapping[str, float] | None = None,
        bias: float = 0.0,
        center: float = 0.0,
        spread: float = 1.0,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        means, scales = means or {}, scales or {}
        unknown = sorted(set(weights) - set(FEATURES))
        if unknown:
            raise InputError(f"weights: unknown features {unknown}; choose from {list(FEATURES)}")
        numbers = {"bias": bias, "center": center, "spread": spread}
        for label, values in (("weights", weights), ("means", means), ("scales", scales)):
            numbers.update({f"{label}[{name!r}]": value for name, value in values.items()})
        for label, value in numbers.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise InputError(f"{label}={value!r}: expected a finite number")
        bad = next((k for k, v in numbers.items() if (k == "spread" or k.startswith("scales[")) and v <= 0), None)
        if bad is not None:
            raise InputError(f"{bad}={numbers[bad]!r}: expected a number > 0 (a standard deviation)")
        # Only the weighted features are computed, and the standardisation is folded into the weights:
        # sum(w * (x - m) / s) = sum((w / s) * x) - sum(w * m / s), so scoring is one short dot product.
        self._names = tuple(f for f in FEATURES if weights.get(f))
        self._slope = [float(weights[f]) / float(scales.get(f, 1.0)) for f in self._names]
        self._offsets = [a * float(means.get(f, 0.0)) for a, f in zip(self._slope, self._names, strict=True)]
        self._intercept = float(bias) - math.fsum(self._offsets) - float(center)
        self._gain = _SPREAD / float(spread)
        self.weights = {f: float(weights[f]) for f in FEATURES if f in weights}
        self.means = {f: float(means.get(f, 0.0)) for f in self.weights}
        self.scales = {f: float(scales.get(f, 1.0)) for f in self.weights}
        self.bias = float(bias)
        self.center = float(center)
        self.spread = float(spread)
        self.metadata: dict[str, Any] = dict(metadata or {})

    def rate(self, conversation: Conversation) -> Score:
        """Score `conversation`; the reason names the features that pushed the score most."""
        names = self._names
        terms = list(map(mul, self._slope, extract(conversation, names)))
        value = _sigmoid(self._gain * (self._intercept + sum(terms)))
        # each feature's push on the logit against a typical training prompt (the feature at its training mean)
        pushes = list(map(sub, terms, self._offsets))
        sizes = list(map(abs, pushes))
        top = sorted(range(len(pushes)), key=sizes.__getitem__, reverse=True)[:3]  # stable: ties keep their order
        return Score(value, ", ".join([f"{names[i]}{pushes[i]:+.2f}" for i in top]))

    # ------------------------------------------------------------------------------------------- persistence
    def to_dict(self) -> dict[str, Any]:
        """The model as a JSON-ready dict (the format `save` writes)."""
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "metadata": self.metadata,
            "bias": round(self.bias, 6),
            "output": {"center": round(self.center, 6), "spread": round(self.spread, 6)},
            "features": {
                f: {"weight": round(w, 6), "mean": round(self.means[f], 6), "scale": round(self.scales[f], 6)}
                for f, w in self.weights.items()
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "model") -> TransferScorer:
        """Rebuild a scorer from `to_dict` output.

        Raises:
            InputError: the dict is not a langroute transfer-scorer model of a supported version.
        """
        check_saved_model(
            data,
            source,
            kind="transfer-scorer",
            format=FORMAT,
            version=FORMAT_VERSION,
            retrain="benchmarks/train_transfer.py",
        )
        try:
            features = data["features"]
            return cls(
                weights={f: v["weight"] for f, v in features.items()},
                means={f: v["mean"] for f, v in features.items()},
                scales={f: v["scale"] for f, v in features.items()},
                bias=data["bias"],
                center=data["output"]["center"],
                spread=data["output"]["spread"],
                metadata=data.get("metadata", {}),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise InputError(f"{source}: corrupt transfer-scorer model ({type(exc).__name__}: {exc})") from exc

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the model to `path` as JSON, atomically; return the path."""
        return write_atomically(path, json.dumps(self.to_dict(), indent=1) + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> TransferScorer:
        """Read a model written by `save`.

        Raises:
            InputError: the file is not valid JSON, not a transfer-scorer model, or of another version.
            OSError: the file cannot be read.
        """
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: not a transfer-scorer model: invalid JSON ({exc})") from exc
        return cls.from_dict(data, source=str(path))

    @classmethod
    def pretrained(cls) -> TransferScorer:
        """The model shipped with langroute (trained leave-task-out-tested on RouteLLM and DCRouter labels)."""
        return cls.load(PRETRAINED_PATH)

    def __repr__(self) -> str:
        return f"TransferScorer(features={sorted(f for f, w in self.weights.items() if w)})"
