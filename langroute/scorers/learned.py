"""`LearnedScorer`: a small logistic model over prompt features, trained on labelled routing data.

Inference is pure Python (no numpy, no scikit-learn, no network): hashed word unigrams and bigrams of the newest
user turn, plus a few dense features (lengths, numbers, answer options, keyword families for code, math,
reasoning, steps, constraints and chit-chat, turns, attachments, tools), combined by one logistic function.
Training (`fit`) uses numpy (``pip install 'langroute[learn]'``); `partial_fit` does online updates in pure
Python, from scratch or on top of a trained model.

The label of a prompt is a number in [0, 1]; the shipped model is trained on ``(1 + strong - weak) / 2``,
the expected gain of calling the strong model mapped to [0, 1] (see ``langroute/scorers/weights/README.md``).
The score is the model's logit re-centred on its training prompts, ``sigmoid(1.7 * (z - mean) / std)``: about
the share of training prompts rated lower, so 0.5 is a typical training prompt and scores use all of [0, 1].

```python
from langroute import LearnedScorer

scorer = LearnedScorer.pretrained()
scorer.score("hi") < scorer.score("Design a sharded rate limiter, then prove its fairness bound.")  # True

mine = LearnedScorer().fit(["hi", "prove the lemma"], [0.0, 1.0])
mine.save("model.json"); LearnedScorer.load("model.json").score("hi")
```
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import operator
import os
from collections.abc import Callable, Mapping, Sequence
from numbers import Real
from pathlib import Path
from typing import Any, Final

from langroute._atomic import write_atomically
from langroute.conversation import Conversation, MessagesInput, as_conversation
from langroute.errors import ConfigError, InputError
from langroute.scorers._learned_features import (
    DENSE_FEATURES,
    FEATURES_VERSION,
    extract_counts,
    extract_features,
)
from langroute.scorers.base import Score, Scorer, check_saved_model

__all__ = [
    "DENSE_FEATURES",
    "FORMAT",
    "FORMAT_VERSION",
    "MAX_MODEL_BYTES",
    "PRETRAINED_PATH",
    "LearnedScorer",
    "extract_features",
]

logger = logging.getLogger(__name__)

FORMAT: Final = "langroute.learned-scorer"
"""The ``format`` field of a saved model file."""
FORMAT_VERSION: Final = 1
"""The ``version`` field this release writes and reads."""
PRETRAINED_PATH: Final = Path(__file__).parent / "weights" / "learned-v1.json"
"""The model `LearnedScorer.pretrained` loads."""

MAX_MODEL_BYTES: Final = 128 * 1024 * 1024
"""The largest file `LearnedScorer.load` reads (a model of the maximum 4,194,304 buckets is ~50 MB)."""

_ADAGRAD_START: Final = 1.0  # partial_fit's squared-gradient sums start here: steps proportional to gradients
_PARTIAL_RATE: Final = 0.4  # partial_fit's default step: this share of `learning_rate` (measured on new subjects)
_SPREAD: Final = 1.7  # sigmoid(1.7 x) ~ the normal CDF: a score ~ the share of training prompts rated lower


def _check_sample_weights(sample_weights: Sequence[float], n: int) -> list[float]:
    if isinstance(sample_weights, (str, bytes)) or not isinstance(sample_weights, Sequence):
        raise InputError(f"sample_weights is a {type(sample_weights).__name__}: expected {n} numbers >= 0")
    if len(sample_weights) != n:
        raise InputError(f"sample_weights has {len(sample_weights)} items for {n} texts; give one weight per text")
    for i, w in enumerate(sample_weights):
        if isinstance(w, bool) or not isinstance(w, Real) or not 0.0 <= w < math.inf:
            raise InputError(f"sample_weights[{i}]={w!r}: expected a finite number >= 0")
    weights = [float(w) for w in sample_weights]
    if not 0 < sum(weights) < math.inf:
        raise InputError(f"sample_weights: expected {n} non-negative numbers with a positive, finite sum")
    return weights


def _check_model(model: LearnedScorer, source: str, error: type[ValueError]) -> None:
    """Raise `error` naming the first value that makes `model` unusable: not finite, or a negative spread/scale."""
    named: list[tuple[str, float, bool]] = [  # (field, value, must be >= 0)
        ("bias", model.bias, False),
        ("output.center", model.center, False),
        ("output.spread", model.spread, True),
    ]
    for n, w, m, s in zip(DENSE_FEATURES, model.dense_weights, model.mean, model.scale, strict=True):
        named += [(f"dense.{n}.weight", w, False), (f"dense.{n}.mean", m, False), (f"dense.{n}.scale", s, True)]
    for name, value, positive in named:
        if not math.isfinite(value):
            raise error(f"{source}: {name} is {value!r}; expected a finite number")
        if positive and value < 0:
            raise error(f"{source}: {name} is {value!r}; expected a number > 0 (a negative one inverts the ranking)")
    if not all(map(math.isfinite, model.ngram_weights)):
        k = next(i for i, w in enumerate(model.ngram_weights) if not math.isfinite(w))
        raise error(f"{source}: ngram_weights[{k}] is {model.ngram_weights[k]!r}; expected a finite number")


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


class LearnedScorer(Scorer):
    """Rate complexity with a logistic model learned from labelled prompts.

    Args:
        buckets: size of the hashed n-gram space (more buckets, fewer collisions, a bigger file).
        l2: L2 penalty on the dense weights.
        sparse_l2: L2 penalty on the n-gram weights (higher keeps the model from memorising topics).
        epochs: full-batch steps of `fit`.
        learning_rate: step size of `fit` (Adam) and `partial_fit` (AdaGrad).
        seed: seed of the initial weights of `fit`; the same data and seed give the same model.

    Raises:
        ConfigError: a hyper-parameter is out of range.
    """

    def __init__(
        self,
        *,
        buckets: int = 1 << 14,
        l2: float = 0.03,
        sparse_l2: float = 1e-3,
        epochs: int = 200,
        learning_rate: float = 0.05,
        seed: int = 0,
    ) -> None:
        if isinstance(buckets, bool) or not isinstance(buckets, int) or not 16 <= buckets <= 1 << 22:
            raise ConfigError(f"buckets={buckets!r}: expected an int in [16, 4194304]")
        for name, value in (("l2", l2), ("sparse_l2", sparse_l2), ("learning_rate", learning_rate)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
                raise ConfigError(f"{name}={value!r}: expected a finite number >= 0")
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
            raise ConfigError(f"epochs={epochs!r}: expected an int >= 1")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ConfigError(f"seed={seed!r}: expected an int >= 0")
        self.buckets = buckets
        self.l2 = float(l2)
        self.sparse_l2 = float(sparse_l2)
        self.epochs = epochs
        self.learning_rate = float(learning_rate)
        self.seed = seed
        self.bias = 0.0
        self.dense_weights = [0.0] * len(DENSE_FEATURES)
        self.mean = [0.0] * len(DENSE_FEATURES)
        self.scale = [1.0] * len(DENSE_FEATURES)
        self.ngram_weights = [0.0] * buckets
        self.center = 0.0  # score = sigmoid(_SPREAD * (logit - center) / spread); fit sets both
        self.spread = _SPREAD
        self.metadata: dict[str, Any] = {}
        self._squares: tuple[list[float], list[float], list[float]] | None = None  # partial_fit's AdaGrad state

    # ----------------------------------------------------------------------------------------------- inference
    def _features(self, conversation: Conversation) -> tuple[list[float], list[float], dict[int, float]]:
        """(raw dense, standardised dense, n-grams) of `conversation`."""
        raw, sparse = extract_features(conversation, self.buckets)
        return raw, [(x - m) / s for x, m, s in zip(raw, self.mean, self.scale, strict=True)], sparse

    def _dense_terms(self, dense: Sequence[float]) -> list[float]:
        return [w * x for w, x in zip(self.dense_weights, dense, strict=True)]

    def _ngram_logit(self, sparse: Mapping[int, float]) -> float:
        return sum(map(operator.mul, map(self.ngram_weights.__getitem__, sparse), sparse.values()))

    def _logit(self, dense: Sequence[float], sparse: Mapping[int, float]) -> float:
        return self.bias + sum(self._dense_terms(dense)) + self._ngram_logit(sparse)

    def rate(self, conversation: Conversation) -> Score:
        """Score `conversation`; the reason lists the features present that pushed the score most.

        The `Score` carries `featurize`'s dict (hashed n-gram counts and dense values, no text) as `features`.
        """
        raw, counts, norm = extract_counts(conversation, self.buckets)
        terms = [  # weight * standardised feature, as _logit computes them
            w * ((x - m) / s) for w, x, m, s in zip(self.dense_weights, raw, self.mean, self.scale, strict=True)
        ]
        # _ngram_logit(extract_features(...)[1]) without building that dict: the same products, in the same order
        scaled = map(operator.truediv, counts.values(), itertools.repeat(norm))
        ngrams = sum(map(operator.mul, map(self.ngram_weights.__getitem__, counts), scaled))
        value = _sigmoid(_SPREAD * (self.bias + sum(terms) + ngrams - self.center) / self.spread)
        present = [(name, c) for name, c, r in zip(DENSE_FEATURES, terms, raw, strict=True) if r]
        contributions = sorted(present, key=lambda kv: -abs(kv[1]))
        reason = ", ".join(f"{name}{c:+.2f}" for name, c in contributions[:3])
        # the hashed features a feedback store keeps (`featurize`'s dict): references to what was computed anyway
        features = {"v": FEATURES_VERSION, "b": self.buckets, "d": raw, "n": counts}
        return Score(value, f"{reason}, ngrams{ngrams:+.2f}", features)

    # ------------------------------------------------------------------------------------------------ training
    def _check_labels(self, texts: Sequence[MessagesInput], labels: Sequence[float]) -> list[float]:
        if isinstance(texts, (str, bytes)) or not isinstance(texts, Sequence):
            raise InputError(f"texts is {type(texts).__name__}; expected a list of prompts or conversations")
        if len(texts) != len(labels):
            raise InputError(
                f"texts has {len(texts)} items but labels has {len(labels)}; give one label in [0, 1] per text"
            )
        out = []
        for i, label in enumerate(labels):
            if isinstance(label, bool):
                label = float(label)
            if not isinstance(label, (int, float)) or not 0.0 <= label <= 1.0:
                raise InputError(f"labels[{i}]={label!r}: expected a number in [0, 1] (1 = needs the strong model)")
            out.append(float(label))
        return out

    def fit(
        self,
        texts: Sequence[MessagesInput],
        labels: Sequence[float],
        *,
        sample_weights: Sequence[float] | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> LearnedScorer:
        """Train from scratch on `texts` and their `labels` (numbers in [0, 1]); return `self`.

        Args:
            texts: prompts or conversations (anything `as_conversation` reads).
            labels: one number in [0, 1] per text: how much the strong model is needed.
            sample_weights: optional weight per text (default 1).
            progress: called as ``progress(done, total)`` after each epoch.

        The model changes only when training succeeds: on any error it is left as it was.

        Raises:
            InputError: lengths differ, a label is outside [0, 1], or a sample weight is not a finite number >= 0.
            ConfigError: training diverged (non-finite weights): lower `learning_rate` or `l2`.
            ImportError: numpy is not installed (``pip install 'langroute[learn]'``).
        """
        ys = self._check_labels(texts, labels)
        if not ys:
            raise InputError("texts is empty: fit needs at least one labelled text")
        weights = None if sample_weights is None else _check_sample_weights(sample_weights, len(ys))
        from langroute.scorers._training import fit_logistic

        conversations = [as_conversation(t) for t in texts]
        features = [extract_features(c, self.buckets) for c in conversations]
        dense = [f[0] for f in features]
        sparse = [f[1] for f in features]
        bias, dense_weights, mean, scale, ngram_weights = fit_logistic(
            dense,
            sparse,
            ys,
            sample_weights=weights,
            buckets=self.buckets,
            l2=self.l2,
            sparse_l2=self.sparse_l2,
            epochs=self.epochs,
            learning_rate=self.learning_rate,
            seed=self.seed,
            progress=progress,
        )
        logits = [
            bias
            + sum(w * ((x - m) / s) for w, x, m, s in zip(dense_weights, d, mean, scale, strict=True))
            + sum(ngram_weights[k] * v for k, v in n.items())
            for d, n in features
        ]
        center = sum(logits) / len(logits)
        spread = math.sqrt(sum((z - center) ** 2 for z in logits) / len(logits)) or _SPREAD
        if not all(map(math.isfinite, [bias, center, spread, *dense_weights, *ngram_weights])):
            raise ConfigError(
                f"fit diverged to non-finite weights (learning_rate={self.learning_rate:g}, l2={self.l2:g}, "
                f"sparse_l2={self.sparse_l2:g}); lower learning_rate (default 0.05) or l2; the model is unchanged"
            )
        # every value is computed and checked: swap them in together
        self.bias, self.center, self.spread = bias, center, spread
        self.dense_weights, self.mean, self.scale = dense_weights, mean, scale
        self.ngram_weights = ngram_weights
        self._squares = None
        self.metadata = {"examples": len(ys), "mean_label": sum(ys) / len(ys)}
        return self

    def partial_fit(
        self,
        texts: Sequence[MessagesInput],
        labels: Sequence[float],
        *,
        sample_weights: Sequence[float] | None = None,
        learning_rate: float | None = None,
    ) -> LearnedScorer:
        """Update the model online, one text at a time, and return `self`; atomic: on error nothing changes.

        AdaGrad on the logistic loss whose squared-gradient sums start at `_ADAGRAD_START` (not 0): a step is
        ``learning_rate * gradient / sqrt(start + sum of squared gradients)``, proportional to the gradient, so a
        single text cannot flip a weight by a full `learning_rate` (the sign-like first steps of plain AdaGrad made
        the pretrained model worse on new subjects). The sums persist across calls: later batches move the model
        less, as an online learner should. Works from scratch or on top of `fit` / `load` / `pretrained`. Pure Python.

        ```python
        scorer = LearnedScorer.pretrained()
        scorer.partial_fit(["prompts of your domain", ...], [0.9, ...])  # labels in [0, 1]: gain of the strong model
        ```

        Args:
            texts: prompts or conversations (anything `as_conversation` reads).
            labels: one number in [0, 1] per text.
            sample_weights: optional non-negative weight per text (default 1): scales that text's gradient; 0 skips it.
            learning_rate: the AdaGrad step; default ``0.4 * self.learning_rate`` (0.02 by default; larger steps
                made the model noisier, not better, on new subjects: see `benchmarks/feedback.py`).

        Raises:
            InputError: lengths differ, a label is outside [0, 1], a weight is negative, or a text cannot be read
                (the weights are left untouched).
        """
        ys = self._check_labels(texts, labels)
        weights = [1.0] * len(ys) if sample_weights is None else list(sample_weights)
        if len(weights) != len(ys) or any(
            isinstance(w, bool) or not isinstance(w, (int, float)) or not 0.0 <= w < math.inf for w in weights
        ):
            raise InputError(f"sample_weights: expected {len(ys)} finite numbers >= 0, one per text")
        if learning_rate is not None and (
            isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float)) or not 0 < learning_rate < 10
        ):
            raise InputError(f"learning_rate={learning_rate!r}: expected a number in (0, 10)")
        features = []
        for i, text in enumerate(texts):  # read every text before any weight moves
            try:
                features.append(self._features(as_conversation(text))[1:])
            except (InputError, TypeError, ValueError) as exc:
                raise InputError(f"texts[{i}]: {exc}; no weight was updated") from exc
        if self._squares is None:
            start = _ADAGRAD_START
            self._squares = ([start], [start] * len(self.dense_weights), [start] * self.buckets)
        sq_bias, sq_dense, sq_ngrams = (list(sq) for sq in self._squares)
        bias, dense_weights, ngram_weights = self.bias, list(self.dense_weights), list(self.ngram_weights)
        rate = _PARTIAL_RATE * self.learning_rate if learning_rate is None else learning_rate
        l2, sparse_l2 = self.l2, self.sparse_l2
        for (dense, sparse), y, weight in zip(features, ys, weights, strict=True):
            if not weight:
                continue
            logit = bias + sum(map(operator.mul, dense_weights, dense))
            logit += sum(map(operator.mul, map(ngram_weights.__getitem__, sparse), sparse.values()))
            error = weight * (_sigmoid(logit) - y)
            sq_bias[0] += error * error
            bias -= rate * error / math.sqrt(sq_bias[0])
            for i, x in enumerate(dense):
                grad = error * x + l2 * dense_weights[i]
                sq_dense[i] += grad * grad
                dense_weights[i] -= rate * grad / math.sqrt(sq_dense[i])
            for k, x in sparse.items():
                grad = error * x + sparse_l2 * ngram_weights[k]
                sq_ngrams[k] += grad * grad
                ngram_weights[k] -= rate * grad / math.sqrt(sq_ngrams[k])
        # commit all at once
        self.bias, self.dense_weights, self.ngram_weights = bias, dense_weights, ngram_weights
        self._squares = (sq_bias, sq_dense, sq_ngrams)
        self.metadata["examples"] = int(self.metadata.get("examples", 0)) + len(ys)
        return self

    # ------------------------------------------------------------------------------------------- persistence
    def to_dict(self) -> dict[str, Any]:
        """The model as a JSON-ready dict (the format `save` writes).

        Raises:
            ConfigError: a weight is not finite (a diverged `partial_fit`, or one set by hand): not a usable model.
        """
        _check_model(self, "model", ConfigError)
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "features": {"dense": list(DENSE_FEATURES), "ngrams": [1, 2], "hash": "crc32-mix", "buckets": self.buckets},
            "hyperparameters": {
                "l2": self.l2,
                "sparse_l2": self.sparse_l2,
                "epochs": self.epochs,
                "learning_rate": self.learning_rate,
                "seed": self.seed,
            },
            "metadata": self.metadata,
            "bias": round(self.bias, 6),
            "output": {"center": round(self.center, 6), "spread": round(self.spread, 6)},
            "dense": {
                name: {"weight": round(w, 6), "mean": round(m, 6), "scale": round(s, 6)}
                for name, w, m, s in zip(DENSE_FEATURES, self.dense_weights, self.mean, self.scale, strict=True)
            },
            "ngram_weights": [round(w, 5) for w in self.ngram_weights],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "model") -> LearnedScorer:
        """Rebuild a scorer from `to_dict` output.

        Raises:
            InputError: the dict is not a langroute learned-scorer model of a supported version, or a value is
                invalid (a weight that is not finite, a negative spread or scale); the message names the field.
        """
        check_saved_model(
            data, source, kind="learned-scorer", format=FORMAT, version=FORMAT_VERSION, retrain="'langroute train'"
        )
        try:
            features, hyper, dense = data["features"], data["hyperparameters"], data["dense"]
            if list(features["dense"]) != list(DENSE_FEATURES):
                raise InputError(f"{source}: its dense features {features['dense']} differ from {DENSE_FEATURES}")
            buckets = features["buckets"]
            if isinstance(buckets, bool) or not isinstance(buckets, int):
                raise InputError(f"{source}: features.buckets is {buckets!r:.40}; expected an int")
            try:
                scorer = cls(buckets=buckets, **hyper)
            except ConfigError as exc:
                raise InputError(f"{source}: hyperparameters: {exc}") from exc
            scorer.bias = float(data["bias"])
            scorer.center = float(data["output"]["center"])
            scorer.spread = float(data["output"]["spread"]) or _SPREAD
            scorer.dense_weights = [float(dense[n]["weight"]) for n in DENSE_FEATURES]
            scorer.mean = [float(dense[n]["mean"]) for n in DENSE_FEATURES]
            scorer.scale = [float(dense[n]["scale"]) or 1.0 for n in DENSE_FEATURES]
            scorer.ngram_weights = [float(w) for w in data["ngram_weights"]]
            if len(scorer.ngram_weights) != scorer.buckets:
                raise InputError(f"{source}: {len(scorer.ngram_weights)} n-gram weights for {scorer.buckets} buckets")
            scorer.metadata = dict(data.get("metadata", {}))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            if isinstance(exc, InputError):
                raise
            detail = f"{type(exc).__name__}: {exc}"
            raise InputError(f"{source}: corrupt learned-scorer model ({detail[:200]})") from exc
        _check_model(scorer, source, InputError)
        return scorer

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the model to `path` as JSON, atomically (a temporary file, fsync, then rename); return the path.

        Raises:
            ConfigError: a weight is not finite; nothing is written.
            OSError: the file cannot be written.
        """
        return write_atomically(path, json.dumps(self.to_dict(), indent=1, allow_nan=False) + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> LearnedScorer:
        """Read a model written by `save` (at most `MAX_MODEL_BYTES`; the largest model `save` writes is ~50 MB).

        Raises:
            InputError: the file is too big, not UTF-8 JSON (nested too deeply, a number too long...), not a
                learned-scorer model, of another version, or holds an invalid value; the message names the file.
            OSError: the file cannot be read.
        """
        source = str(path)
        with Path(path).open("rb") as handle:
            raw = handle.read(MAX_MODEL_BYTES + 1)
        if len(raw) > MAX_MODEL_BYTES:
            raise InputError(f"{source}: larger than {MAX_MODEL_BYTES} bytes; not a learned-scorer model")
        try:
            data = json.loads(raw.decode("utf-8"))
        except RecursionError as exc:
            raise InputError(f"{source}: not a learned-scorer model: JSON nested too deeply") from exc
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"{source}: not a learned-scorer model: invalid JSON ({str(exc)[:200]})") from exc
        except ValueError as exc:  # an integer of more digits than Python converts (sys.get_int_max_str_digits)
            raise InputError(f"{source}: not a learned-scorer model: a number with too many digits") from exc
        return cls.from_dict(data, source=source)

    @classmethod
    def pretrained(cls) -> LearnedScorer:
        """The model shipped with langroute (trained on MMLU and GSM8K routing labels; see weights/README.md)."""
        return cls.load(PRETRAINED_PATH)

    def __repr__(self) -> str:
        trained = self.metadata.get("examples", 0)
        return f"LearnedScorer(buckets={self.buckets}, trained_on={trained})"
