"""Property-based tests (issue 12, "Measured"): scorers, policy, calibration, loaders and CLI readers.

Each test's docstring states its invariant. The shared contract: a result in [0, 1] (or a valid object), or a
`TypeError` / one of langroute's own `ValueError` subclasses with a one-line message that never quotes the
prompt; never any other exception, never unbounded time (every strategy in tests/strategies.py is bounded).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from langroute import (
    CallableScorer,
    ConfigError,
    EmbeddingScorer,
    HeuristicScorer,
    InputError,
    LangrouteError,
    LearnedScorer,
    RoutingPolicy,
    RuleScorer,
    Score,
    Scorer,
    thresholds_for_shares,
)
from langroute.cli import main
from langroute.decision import RoutingDecision
from langroute.evaluation.data import load_prompts, load_records
from tests.strategies import (
    SECRET,
    any_numbers,
    conversations,
    jsonl_files,
    messages_inputs,
    model_mutations,
    policies,
    regex_patterns,
    scores,
    share_lists,
)

_TOPICS = ("prove", "design", "hi", "thanks")


def _bag(texts: list[str]) -> list[list[float]]:
    return [[float(word in text.lower()) for word in _TOPICS] + [0.1] for text in texts]


_PRETRAINED = LearnedScorer.pretrained()
_SMALL_MODEL = LearnedScorer(buckets=16, epochs=3).fit(["hi", "prove the theorem"], [0.0, 1.0]).to_dict()
SCORERS: dict[str, Scorer] = {
    "heuristic": HeuristicScorer(),
    "rules": RuleScorer([(r"(?i)\bprove\b", 0.9), (r"(a+)+$", 0.8), (lambda conv: len(conv) > 4, 0.7)], default=0.2),
    "rules-re": RuleScorer([(r"(?i)\bprove\b", 0.9), (r"```", 0.8)], default=HeuristicScorer(), engine="re"),
    "callable": CallableScorer(lambda conv: min(1.0, sum(len(text) for _, text in conv) / 1000)),
    "learned": _PRETRAINED,
    "embedding": EmbeddingScorer(_bag, ["hi there", "thanks", "prove it", "design it"], [0.0, 0.1, 0.9, 1.0], k=2),
}


def _attempt(call: Callable[[], Any]) -> tuple[Any, BaseException | None]:
    """``(result, None)``, or ``(None, error)`` for the errors a caller may have to handle."""
    try:
        return call(), None
    except (TypeError, ValueError) as error:
        return None, error


def _check_error(error: BaseException, prefix: str = "") -> None:
    """A clear error: a TypeError or one of langroute's ValueErrors, one non-empty line, no prompt text."""
    assert isinstance(error, (TypeError, LangrouteError)), f"{type(error).__name__}: {error}"
    message = str(error)
    assert message.startswith(prefix)
    assert len(message) > len(prefix)
    assert "\n" not in message
    assert SECRET not in message


def _score_or_clear_error(call: Callable[[], Any]) -> Score | None:
    score, error = _attempt(call)
    if error is not None:
        _check_error(error)
        return None
    assert isinstance(score, Score)
    assert isinstance(score.value, float)
    assert 0.0 <= score.value <= 1.0
    assert SECRET not in score.reason
    return score


@pytest.mark.parametrize("name", list(SCORERS))
@given(messages=messages_inputs)
def test_every_scorer_gives_a_score_in_0_1_or_a_clear_error(name, messages):
    """Any input: `explain` returns a value in [0, 1] whose reason never quotes the prompt, or a clear error."""
    _score_or_clear_error(lambda: SCORERS[name].explain(messages))


@pytest.mark.parametrize("name", list(SCORERS))
@given(conversation=conversations)
def test_every_scorer_is_the_same_sync_and_async_and_never_quotes_the_prompt(name, conversation):
    """A valid conversation: `ascore` equals `score`, and the reason holds no prompt text."""
    scorer = SCORERS[name]
    score = _score_or_clear_error(lambda: scorer.explain(conversation))
    assert score is not None
    assert asyncio.run(scorer.aexplain(conversation)).value == score.value


@pytest.mark.filterwarnings("ignore:Possible nested set:FutureWarning")  # Python's own warning on "[[" patterns
@given(rules=st.lists(st.tuples(regex_patterns, any_numbers), max_size=3), text=st.text(max_size=30))
def test_rule_scorer_with_any_rules_builds_or_raises_config_error_then_scores(rules, text):
    """Any (pattern, score) list: a RuleScorer that scores in [0, 1], or a ConfigError naming the rule."""
    scorer, error = _attempt(lambda: RuleScorer(rules))
    if error is not None:
        assert isinstance(error, ConfigError)
        _check_error(error, "rules[")
        return
    value = scorer.score(text)
    assert 0.0 <= value <= 1.0
    assert value == 0.5 or value in [float(v) for _, v in rules]


@given(mutations=model_mutations())
def test_a_corrupted_model_dict_loads_into_a_working_scorer_or_raises_input_error(mutations):
    """Any change to a saved model: `from_dict` gives a scorer whose scores are in [0, 1], or a clear InputError."""
    data = _SMALL_MODEL
    data = json.loads(json.dumps(data))
    for path, value in mutations:
        target = data
        with contextlib.suppress(KeyError, IndexError, TypeError):
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value
    scorer, error = _attempt(lambda: LearnedScorer.from_dict(data, source="model.json"))
    if error is not None:
        assert isinstance(error, InputError)
        _check_error(error, "model.json: ")
        return
    for text in ("hi", "Prove that there are infinitely many primes.", ""):
        assert 0.0 <= scorer.score(text) <= 1.0


@given(
    labels=st.lists(scores, min_size=1, max_size=4),
    weights=st.one_of(st.none(), st.lists(any_numbers, min_size=1, max_size=4)),
    rate=st.sampled_from([0.05, 1.0, 1e6, 1e200]),
)
def test_fit_gives_a_finite_model_or_raises_and_leaves_the_model_unchanged(labels, weights, rate):
    """Any labels, sample weights and learning rate: a finite, savable model, or an error and no change at all."""
    scorer = LearnedScorer(buckets=16, epochs=4, learning_rate=rate)
    before = scorer.to_dict()
    texts = [f"text {i} prove" * i for i in range(len(labels))]
    _, error = _attempt(lambda: scorer.fit(texts, labels, sample_weights=weights))
    if error is not None:
        assert isinstance(error, (InputError, ConfigError))
        _check_error(error)
        assert scorer.to_dict() == before
        return
    assert LearnedScorer.from_dict(scorer.to_dict()).to_dict() == scorer.to_dict()
    assert 0.0 <= scorer.score("hi") <= 1.0


@given(spec=policies(), a=scores, b=scores)
def test_policy_choose_is_monotonic_in_the_score(spec, a, b):
    """s <= t implies choose(s) <= choose(t), and every choice is a candidate."""
    names, cuts = spec
    policy = RoutingPolicy(names, cuts)
    low, high = sorted((a, b))
    assert 0 <= policy.choose(low) <= policy.choose(high) < len(names)


@given(spec=policies(), data=st.data())
def test_fallback_order_is_a_permutation_of_the_other_candidates(spec, data):
    """fallback_order(m) holds every candidate but m exactly once: stronger ones up, then weaker ones down."""
    names, cuts = spec
    policy = RoutingPolicy(names, cuts)
    model = data.draw(st.sampled_from(names))
    order = policy.fallback_order(model)
    assert sorted(order) == sorted(n for n in names if n != model)
    i = names.index(model)
    assert order == names[i + 1 :] + names[:i][::-1]


@given(spec=policies(), score=scores, reason=st.text(max_size=20))
def test_a_decision_dict_round_trips_through_json_and_back(spec, score, reason):
    """decide(...).to_dict() is strict JSON, and rebuilding the decision from it gives an equal decision."""
    names, cuts = spec
    decision = RoutingPolicy(names, cuts).decide(Score(score, reason), scorer="S")
    data = decision.to_dict()
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    rebuilt = {key: tuple(value) if isinstance(value, list) else value for key, value in data.items()}
    assert RoutingDecision(**rebuilt) == decision


@given(names=st.lists(any_numbers, max_size=4), cuts=st.lists(any_numbers, max_size=4))
def test_any_policy_arguments_build_a_policy_or_raise_config_error(names, cuts):
    """Any names and thresholds: a valid policy (ascending cut-offs in [0, 1]), or a ConfigError."""
    policy, error = _attempt(lambda: RoutingPolicy(names, cuts))
    if error is not None:
        assert isinstance(error, ConfigError)
        _check_error(error)
        return
    assert list(policy.thresholds) == sorted(policy.thresholds)
    assert all(0.0 <= t <= 1.0 for t in policy.thresholds)


@given(values=st.lists(scores, min_size=1, max_size=50), shares=share_lists)
def test_calibrated_thresholds_are_ascending_in_0_1_one_per_boundary(values, shares):
    """Valid scores and shares: len(shares) - 1 ascending thresholds, all in [0, 1]."""
    cuts = thresholds_for_shares(values, shares)
    assert len(cuts) == len(shares) - 1
    assert cuts == sorted(cuts)
    assert all(0.0 <= t <= 1.0 for t in cuts)


@given(values=st.lists(st.one_of(scores, any_numbers), max_size=10), shares=share_lists)
def test_calibration_with_any_scores_returns_thresholds_in_0_1_or_raises_config_error(values, shares):
    """Any scores (NaN, out of range, not numbers): thresholds in [0, 1], or a ConfigError naming the score."""
    cuts, error = _attempt(lambda: thresholds_for_shares(values, shares))
    if error is not None:
        assert isinstance(error, ConfigError)
        _check_error(error)
        return
    assert all(isinstance(t, float) and 0.0 <= t <= 1.0 for t in cuts)


@given(values=st.lists(scores, min_size=1, max_size=10), shares=st.lists(any_numbers, max_size=4))
def test_calibration_with_any_shares_returns_thresholds_in_0_1_or_raises_config_error(values, shares):
    """Any shares: one threshold in [0, 1] per boundary, or a ConfigError naming the shares."""
    cuts, error = _attempt(lambda: thresholds_for_shares(values, shares))
    if error is not None:
        assert isinstance(error, ConfigError)
        _check_error(error, "shares=")
        return
    assert len(cuts) == len(shares) - 1
    assert all(0.0 <= t <= 1.0 for t in cuts)


@pytest.fixture(scope="module")
def workdir():
    with tempfile.TemporaryDirectory() as path:
        yield Path(path)


@given(content=jsonl_files())
def test_loaders_read_records_or_raise_input_error_naming_the_file_and_line(workdir, content):
    """Any file bytes: records with qualities in [0, 1], or an InputError `file:line: ...` that quotes no prompt."""
    path = workdir / "data.jsonl"
    path.write_bytes(content)
    for load in (load_records, load_prompts):
        result, error = _attempt(lambda load=load: load([path]))
        if error is not None:
            assert isinstance(error, InputError)
            _check_error(error, "no records in" if str(error).startswith("no records in") else f"{path}:")
            continue
        if load is load_records:
            assert all(0.0 <= r.weak <= 1.0 and 0.0 <= r.strong <= 1.0 for r in result)
        assert all(isinstance(item if load is load_prompts else item.prompt, str) for item in result)


@given(content=jsonl_files(), command=st.sampled_from(["calibrate", "eval"]))
def test_the_cli_exits_0_or_2_with_one_line_on_stderr(workdir, content, command):
    """Any data file: exit 0, or exit 2 with a single `langroute CMD: error: ...` line; never a traceback."""
    path = workdir / "cli.jsonl"
    path.write_bytes(content)
    args = [command, "--data", str(path), "--json"]
    args += ["--shares", "0.5,0.5"] if command == "calibrate" else ["--resamples", "0"]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    if code == 0:
        json.loads(out.getvalue(), parse_constant=lambda c: pytest.fail(f"{c} in --json output"))
        assert err.getvalue() == ""
    else:
        assert code == 2
        assert err.getvalue().startswith(f"langroute {command}: error: ")
        assert err.getvalue().count("\n") == 1
        assert SECRET not in err.getvalue()


@given(value=st.one_of(any_numbers, st.floats(-10, 10).map(str), st.sampled_from(["nan", "inf", "-0", "1e400"])))
def test_cli_numeric_options_parse_or_exit_2(value):
    """Any --quality-target / --resamples / --prices text: a valid value or argparse's exit 2; never NaN accepted."""
    from langroute._commands._common import count, floats, fraction

    text = str(value)
    for parse, check in (
        (fraction("--quality-target"), lambda v: 0.0 < v <= 1.0),
        (count("--resamples"), lambda v: isinstance(v, int) and v >= 0),
        (floats("--prices"), lambda v: all(map(math.isfinite, v))),
    ):
        try:
            parsed = parse(text)
        except argparse.ArgumentTypeError:  # argparse prints it and exits 2
            continue
        assert check(parsed)
