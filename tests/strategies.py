"""Named, bounded hypothesis strategies for langroute's property tests, and the hypothesis profiles.

Every strategy is bounded in size, so every property runs in bounded time. Profiles: ``langroute-ci`` (loaded when
``CI`` is set: derandomized, no deadline, no example database) and ``langroute-dev`` (random, no deadline: timings
belong in benchmarks/). Pick one by hand with ``HYPOTHESIS_PROFILE=langroute-ci`` (or ``langroute-thorough``: 1,000
examples a test, for a bug hunt).
"""

from __future__ import annotations

import json
import math
import operator
import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

__all__ = [
    "SECRET",
    "any_numbers",
    "candidate_names",
    "conversations",
    "hostile_texts",
    "jsonl_files",
    "messages_inputs",
    "model_mutations",
    "policies",
    "regex_patterns",
    "scores",
    "share_lists",
    "texts",
]

settings.register_profile(
    "langroute-ci",
    derandomize=True,
    deadline=None,
    database=None,
    max_examples=60,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("langroute-dev", deadline=None, max_examples=60)
settings.register_profile("langroute-thorough", deadline=None, max_examples=1000)  # a bug hunt: minutes
_DEFAULT_PROFILE = "langroute-ci" if os.environ.get("CI") else "langroute-dev"
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or _DEFAULT_PROFILE)

SECRET = "S3CR3T-7f1c"
"""A marker planted in every generated prompt: it must never appear in an error message or a reason."""

_KEYWORDS = ("prove", "theorem", "def ", "```", "why", "step by step", "must", "translate", "hi", "?", "\n", SECRET)

texts = st.text(max_size=200)
"""Any Unicode text up to 200 characters (no lone surrogates)."""

hostile_texts = st.one_of(
    texts,
    st.lists(st.sampled_from(_KEYWORDS), max_size=30).map(" ".join),
    st.builds(operator.mul, st.sampled_from(["a", "ab", " ", "\n", "é", "\ud800", "\x00"]), st.integers(0, 20_000)),
    st.text(alphabet=st.characters(exclude_categories=()), max_size=50),  # lone surrogates included
)
"""Text a router must survive: keywords, long runs (up to 40 KB), NUL bytes and lone surrogates."""

_ROLES = st.one_of(
    st.sampled_from(["system", "developer", "user", "human", "assistant", "ai", "model", "tool", "function"]),
    st.text(max_size=12),
    st.sampled_from([None, 3, b"user"]),
)
_PARTS = st.one_of(
    hostile_texts,
    st.builds(lambda t: {"type": "text", "text": t}, hostile_texts),
    st.just({"type": "image_url", "image_url": {"url": "data:"}}),
    st.just({"type": "tool_use", "id": "1"}),
    st.builds(lambda t: {"type": "text", "text": t}, st.one_of(st.none(), st.integers())),
    st.integers(),
)
_CONTENTS = st.one_of(st.none(), hostile_texts, st.lists(_PARTS, max_size=4), st.integers(), st.binary(max_size=8))
_TURNS = st.one_of(
    st.tuples(_ROLES, _CONTENTS),
    st.builds(lambda r, c: {"role": r, "content": c}, _ROLES, _CONTENTS),
    st.builds(lambda c: {"content": c}, _CONTENTS),
    hostile_texts,
    st.integers(),
)

_SECRET_TEXTS = st.builds(lambda t: f"{SECRET} {t}", texts)
_MISTAKES = st.one_of(  # what callers get wrong, each carrying the secret where it could leak
    st.lists(_SECRET_TEXTS, min_size=1, max_size=3),  # a list of strings
    st.lists(st.tuples(_SECRET_TEXTS, st.just("user")), min_size=1, max_size=3),  # (content, role) reversed
    st.lists(st.builds(lambda t: {"role": t}, _SECRET_TEXTS), min_size=1, max_size=2),
    st.lists(st.tuples(st.just("user"), st.builds(lambda t: {t}, _SECRET_TEXTS)), min_size=1, max_size=2),
)

messages_inputs = st.one_of(
    hostile_texts,
    st.none(),
    _MISTAKES,
    st.lists(_TURNS, max_size=6),
    st.binary(max_size=20),
    st.integers(),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
)
"""Anything a caller may pass as messages, valid or not; every text carries at most 40 KB."""

conversations = st.lists(
    st.tuples(st.sampled_from(["system", "user", "assistant", "tool"]), hostile_texts), min_size=0, max_size=6
).map(lambda turns: [*turns, ("user", f"{SECRET} please")])
"""Valid ``(role, text)`` conversations whose newest user turn carries `SECRET`."""

scores = st.floats(0.0, 1.0)
"""A valid score."""

any_numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**20), 10**20),
    st.booleans(),
    st.none(),
    st.text(max_size=4),
)
"""Numbers of every kind, and a few things that are not numbers."""

candidate_names = st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=6, unique=True)
"""Valid candidate names: 1 to 6 unique non-empty strings."""


@st.composite
def policies(draw: st.DrawFn) -> tuple[list[str], list[float]]:
    """Candidate names and valid ascending thresholds for them, built (not filtered)."""
    names = draw(candidate_names)
    cuts = sorted(draw(st.lists(scores, min_size=len(names) - 1, max_size=len(names) - 1)))
    return names, cuts


share_lists = (
    st.lists(st.floats(0.0, 1.0), min_size=2, max_size=5)
    .filter(lambda xs: sum(xs) > 0.01)
    .map(lambda xs: [x / math.fsum(xs) for x in xs])
)
"""Traffic shares: 2 to 5 non-negative numbers summing to 1 (within float rounding)."""

regex_patterns = st.text(alphabet="ab()[]{}+*?|.^$\\1,-:=!<>P", max_size=12)
"""Short strings of regex metacharacters: valid and invalid patterns, backreferences, lookarounds."""

_JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=10),
)
_JSON_VALUES = st.recursive(
    _JSON_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
)


def _record_line(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 6))
    if kind == 0:  # a valid record carrying the secret
        record = {"prompt": f"{SECRET} {draw(texts)}", "weak_correct": draw(st.booleans()), "strong_score": 1.0}
        return json.dumps(record).encode()
    if kind == 1:  # a record whose fields hold anything
        keys = st.sampled_from(["prompt", "weak_correct", "strong_correct", "weak_score", "strong_score", "dataset"])
        record = draw(st.dictionaries(keys, _JSON_VALUES, max_size=6))
        return json.dumps(record, allow_nan=True).encode()
    if kind == 2:  # any JSON value
        return json.dumps(draw(_JSON_VALUES)).encode()
    if kind == 3:  # deep nesting
        depth = draw(st.integers(1, 50_000))
        return b"[" * depth + b"]" * depth
    if kind == 4:  # a number longer than Python converts
        return b'{"prompt": "p", "weak_score": ' + b"9" * draw(st.integers(1, 6000)) + b"}"
    if kind == 5:  # a prompt that is not a string, carrying the secret
        return json.dumps({"prompt": [SECRET], "weak_correct": True, "strong_correct": False}).encode()
    return draw(st.binary(max_size=40)).replace(b"\n", b"")  # bytes: maybe not UTF-8


@st.composite
def jsonl_files(draw: st.DrawFn) -> bytes:
    """A JSON Lines file's bytes: valid records, hostile JSON, binary lines, blank lines, maybe no final newline."""
    lines = [_record_line(draw) for _ in range(draw(st.integers(0, 5)))]
    return b"\n".join(lines) + draw(st.sampled_from([b"\n", b"", b"\r\n", b"\n\n"]))


_MODEL_FIELDS = (
    ("bias",),
    ("output", "center"),
    ("output", "spread"),
    ("dense", "log_chars", "weight"),
    ("dense", "log_chars", "scale"),
    ("dense", "log_chars", "mean"),
    ("ngram_weights", 3),
    ("ngram_weights",),
    ("features", "buckets"),
    ("features", "dense"),
    ("hyperparameters", "seed"),
    ("hyperparameters", "learning_rate"),
    ("hyperparameters", "epochs"),
    ("hyperparameters",),
    ("metadata",),
    ("version",),
    ("format",),
    ("output",),
    ("dense",),
)


@st.composite
def model_mutations(draw: st.DrawFn) -> list[tuple[tuple[Any, ...], Any]]:
    """One to three ``(field path, new value)`` changes to apply to a saved LearnedScorer model dict."""
    count = draw(st.integers(1, 3))
    return [(draw(st.sampled_from(_MODEL_FIELDS)), draw(_JSON_VALUES)) for _ in range(count)]
