from __future__ import annotations

import asyncio
import re

import pytest

from langroute import CallableScorer, ConfigError, HeuristicScorer, RuleScorer, ScoreError


def test_first_matching_rule_wins_and_reason_says_which():
    scorer = RuleScorer(rules=[(r"(?i)prove", 0.9), (r"(?i)prove|translate", 0.1)], default=0.5)
    assert scorer.explain("Prove it").value == 0.9
    assert scorer.explain("Prove it").reason == "rule 0 matched: '(?i)prove'"
    assert scorer.score("translate this") == 0.1
    assert scorer.explain("nothing").reason == "no rule matched; default"


def test_rules_search_every_turn_and_callables_get_role_text_pairs():
    seen = []

    def many_turns(conv):
        seen.append(conv)
        return len(conv) > 2

    scorer = RuleScorer(rules=[(many_turns, 0.8), (re.compile("SQL", re.I), 0.7)])
    assert scorer.score([("system", "you write sql"), ("user", "hi")]) == 0.7
    assert seen[-1] == [("system", "you write sql"), ("user", "hi")]
    assert scorer.score([("user", "a"), ("assistant", "b"), ("user", "c")]) == 0.8


async def test_default_can_be_another_scorer_sync_and_async():
    scorer = RuleScorer(rules=[("never", 1.0)], default=HeuristicScorer())
    assert scorer.score("hi") == HeuristicScorer().score("hi")
    assert await scorer.ascore("hi") == HeuristicScorer().score("hi")
    assert "HeuristicScorer" in scorer.explain("hi").reason


@pytest.mark.parametrize(
    ("rules", "match"),
    [
        ([("a",)], "expected a"),
        ([("(", 0.5)], "not a valid regex"),
        ([("a", 1.5)], r"rules\[0\] score=1.5"),
        ([(3, 0.5)], "must be a regex string"),
        ([("ok", 0.5), (re.compile(b"x"), 0.9)], r"rules\[1\]: re.compile\(b'x'\) is a bytes pattern; compile a str"),
        ([(b"x", 0.9)], r"rules\[0\]: pattern b'x' is bytes"),
        ([("a", float("nan"))], r"rules\[0\] score=nan: expected a number in \[0, 1\]"),
        ([("a", True)], r"rules\[0\] score=True"),
        ([("a{99999999999}", 0.5)], r"rules\[0\]: pattern 'a\{99999999999\}' is not a valid regex"),
        (None, "rules is a NoneType: expected a list of"),
        ("prove", "rules is a str: expected a list of"),
        ({"prove": 0.9}, r"rules is a dict: .* list\(rules.items\(\)\)"),
    ],
)
def test_bad_rules_are_config_errors_naming_the_rule(rules, match):
    with pytest.raises(ConfigError, match=match):
        RuleScorer(rules=rules)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"window": 0}, r"window=0: expected an int >= 1, or None"),
        ({"turns": True}, r"turns=True: expected an int >= 1"),
        ({"window": 2.5}, r"window=2.5"),
        ({"engine": "pcre"}, r"engine='pcre': expected one of \['auto', 're', 're2'\]"),
    ],
)
def test_bad_window_turns_or_engine_are_config_errors(options, match):
    with pytest.raises(ConfigError, match=match):
        RuleScorer([("x", 0.5)], **options)


def test_default_must_be_a_number_or_scorer():
    with pytest.raises(TypeError, match="default="):
        RuleScorer(default="high")  # type: ignore[arg-type]


def test_callable_scorer_receives_role_text_pairs_newest_last():
    received = []
    scorer = CallableScorer(lambda conv: received.append(conv) or 0.25)
    assert scorer.score("hello") == 0.25
    assert received[-1] == [("user", "hello")]
    scorer.score([("system", "s"), ("user", [{"type": "text", "text": "q"}])])
    assert received[-1] == [("system", "s"), ("user", "q")]


async def test_async_callable_works_with_score_and_ascore():
    async def rate(conv):
        await asyncio.sleep(0)
        return 0.75

    scorer = CallableScorer(rate)
    assert await scorer.ascore("x") == 0.75
    assert scorer.score("x") == 0.75  # no running loop here: run to completion


async def test_sync_score_of_async_fn_inside_a_running_loop():
    async def rate(conv):
        return 0.6

    assert CallableScorer(rate).score("x") == 0.6


@pytest.mark.parametrize("bad", [1.5, -0.1, float("nan"), "0.5", None, True])
def test_out_of_range_or_non_numeric_results_raise_value_error(bad):
    with pytest.raises(ScoreError, match=r"must return a float in \[0, 1\]") as info:
        CallableScorer(lambda conv: bad).score("x")
    assert isinstance(info.value, ValueError)


def test_callable_scorer_needs_a_callable():
    with pytest.raises(TypeError, match="expected a function"):
        CallableScorer(0.5)  # type: ignore[arg-type]


async def test_a_sync_fn_runs_in_a_worker_thread_for_big_conversations_only():
    import threading

    threads = []

    def fn(conv):
        threads.append(threading.get_ident())
        return 0.5

    scorer = CallableScorer(fn)
    assert await scorer.ascore("small") == 0.5
    assert await scorer.ascore("x" * (scorer.offload_chars + 1)) == 0.5
    assert threads[0] == threading.get_ident() != threads[1]


async def test_an_async_fn_is_awaited_on_the_loop_even_for_big_conversations():
    import threading

    threads = []

    async def fn(conv):
        threads.append(threading.get_ident())
        return 0.5

    assert await CallableScorer(fn).ascore("x" * 100_000) == 0.5
    assert threads == [threading.get_ident()]
