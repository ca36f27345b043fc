from __future__ import annotations

import math

import pytest

from langroute import ConfigError, HeuristicScorer, as_conversation

DESIGN_TASK = (
    "Design a distributed rate limiter for a multi-region API. First, explain the trade-offs between a token "
    "bucket and a sliding window log. Then implement the core algorithm in Python:\n```python\nclass Limiter:\n"
    "    def allow(self, key: str) -> bool:\n        ...\n```\nDerive the expected error bound as an equation "
    "(e.g. error <= 2 * r / n), prove that it holds under clock skew, and finally analyze the time and space "
    "complexity. It must handle 1M requests/s, should degrade gracefully, and must not exceed 50 ms p99."
)


def test_greeting_is_easy_and_long_design_task_is_hard():
    scorer = HeuristicScorer()
    assert scorer.score("hi") < 1 / 3
    assert scorer.score(DESIGN_TASK) >= 2 / 3


def test_score_is_deterministic_and_async_gives_the_same_value():
    scorer = HeuristicScorer()
    assert scorer.score(DESIGN_TASK) == scorer.score(DESIGN_TASK)


async def test_ascore_equals_score():
    scorer = HeuristicScorer()
    assert await scorer.ascore(DESIGN_TASK) == scorer.score(DESIGN_TASK)


async def test_ascore_rates_huge_prompts_inline_because_the_windows_bound_the_cost():
    huge = DESIGN_TASK * 200  # ~120 KB, over the base class's offload limit
    assert HeuristicScorer.offload_chars is None
    assert await HeuristicScorer().ascore(huge) == HeuristicScorer().score(huge)


def test_reason_names_the_features_that_drove_the_score():
    reason = HeuristicScorer().explain(DESIGN_TASK).reason
    assert "reasoning=" in reason
    assert "code=" in reason or "math=" in reason
    assert HeuristicScorer().explain("hi").reason.startswith("simple=")


@pytest.mark.parametrize("empty", ["", "   \n\t", None, [], [("user", "")], [("user", None)]])
def test_empty_or_blank_input_gets_a_low_score(empty):
    assert 0.0 <= HeuristicScorer().score(empty) < 1 / 3


def test_non_text_parts_are_counted_not_read():
    scorer = HeuristicScorer()
    with_image = [("user", [{"type": "text", "text": "what is this?"}, {"type": "image_url", "image_url": {}}])]
    assert scorer.features(__import__("langroute").as_conversation(with_image))["attachments"] == 0.5
    assert scorer.score(with_image) > scorer.score("what is this?")


def test_more_turns_and_longer_text_score_higher():
    scorer = HeuristicScorer()
    short = [("user", "Compare these two options.")]
    long = [("user", "Compare these two options."), ("assistant", "Sure.")] * 6
    assert scorer.score(long) > scorer.score(short)
    assert scorer.score("word " * 600) > scorer.score("word " * 5)


def test_huge_prompts_are_scored_from_bounded_windows():
    scorer = HeuristicScorer()
    huge = DESIGN_TASK + ("lorem ipsum " * 90_000) + DESIGN_TASK  # ~1 MB
    assert len(huge) > 1_000_000
    assert scorer.score(huge) >= 2 / 3


def test_weights_can_be_changed_and_are_validated():
    heavy_code = HeuristicScorer(weights={"code": 4.0})
    assert heavy_code.weights["code"] == 4.0
    assert heavy_code.weights["math"] == HeuristicScorer().weights["math"]
    snippet = "```python\nprint(1)\n```"
    assert heavy_code.score(snippet) > HeuristicScorer().score(snippet)
    with pytest.raises(ConfigError, match=r"unknown feature 'coding'; choose from \[.*'code'"):
        HeuristicScorer(weights={"coding": 1.0})
    with pytest.raises(ConfigError, match="expected a finite number"):
        HeuristicScorer(weights={"code": float("inf")})


@pytest.mark.parametrize(
    ("weights", "error", "message"),
    [
        (
            [("code", 1.0)],
            TypeError,
            r"weights=\[\('code', 1.0\)\] is a list; expected a dict .*weights=\{'code': 2.0\}",
        ),
        ("code", TypeError, "weights='code' is a str; expected a dict"),
        ({"code": "2"}, ConfigError, r"weights\['code'\]='2': expected a finite number"),
        ({"code": True}, ConfigError, r"weights\['code'\]=True: expected a finite number"),
        ({"bias": float("nan")}, ConfigError, r"weights\['bias'\]=nan: expected a finite number"),
        ({1: 2.0}, ConfigError, "weights: unknown feature 1; choose from"),
    ],
)
def test_bad_weights_fail_at_construction_naming_the_field(weights, error, message):
    with pytest.raises(error, match=message):
        HeuristicScorer(weights=weights)


@pytest.mark.parametrize(
    ("window", "error", "message"),
    [
        (0, ConfigError, "window=0: expected at least 1 character at each end"),
        (-5, ConfigError, "window=-5: expected at least 1"),
        (256.0, TypeError, "window=256.0: expected an int"),
        (True, TypeError, "window=True: expected an int"),
        ("1024", TypeError, "window='1024': expected an int"),
    ],
)
def test_bad_windows_fail_at_construction_naming_the_field(window, error, message):
    with pytest.raises(error, match=message):
        HeuristicScorer(window=window)


def test_the_window_bounds_what_is_read_and_shows_in_the_repr():
    text = "x " * 300 + "Prove the theorem. " + "lorem ipsum " * 50  # the keyword 600 characters in, of 1,219
    assert HeuristicScorer().features(as_conversation(text))["math"] == 0.0  # 256 at each end miss it
    assert HeuristicScorer(window=1024).features(as_conversation(text))["math"] == 1.0
    assert HeuristicScorer(window=1024).explain(text) == HeuristicScorer(window=610).explain(text)
    assert repr(HeuristicScorer(window=1024)) == "HeuristicScorer(window=1024)"
    assert (
        repr(HeuristicScorer(weights={"code": 2.0}, window=64)) == "HeuristicScorer(weights={'code': 2.0}, window=64)"
    )
    assert repr(HeuristicScorer()) == "HeuristicScorer()"


def test_each_signal_count_fits_its_byte_of_the_packed_sum():
    from langroute.scorers import heuristic

    # `_signals` sums the distinct keywords' slots: a signal with 256 keywords and phrases would carry over
    for words in heuristic._KEYWORDS:
        assert len(words) + len(heuristic._PHRASES) < 256
    packed = sum(map(heuristic._SLOT.__getitem__, heuristic._VOCAB))
    assert list(packed.to_bytes(7, "little")) == [len(words) for words in heuristic._KEYWORDS]


@pytest.mark.parametrize("word", ["hi", "hi!", " Thanks. ", "OK", "hello", "xyz", "python", "why", "Translate", ""])
def test_the_short_cut_for_one_short_word_gives_what_the_full_scan_gives(word):
    scorer = HeuristicScorer()
    # an empty system turn changes no feature but makes the conversation take the full scan
    assert scorer.explain(word) == scorer.explain([("system", ""), ("user", word)])


def test_extreme_weights_give_a_score_in_range_instead_of_an_overflow():
    assert HeuristicScorer(weights={"bias": -1e6}).score("hi there, what is this?") == 0.0
    assert HeuristicScorer(weights={"bias": 1e6}).score("hi there, what is this?") == 1.0


def test_only_the_head_and_tail_of_a_long_turn_are_read_but_length_counts_everything():
    scorer = HeuristicScorer()
    filler = "lorem ipsum " * 2_000
    middle = scorer.features(as_conversation(filler + " Prove the theorem. " + filler))
    head = scorer.features(as_conversation("Prove the theorem. " + filler + filler))
    tail = scorer.features(as_conversation(filler + filler + " Prove the theorem."))
    assert middle["math"] == 0.0
    assert head["math"] == 1.0
    assert tail["math"] == 1.0
    assert middle["length"] == head["length"] == 1.0


def test_the_reason_formats_values_as_format_does():
    from langroute.scorers.heuristic import _two_places

    lengths = [math.log(chars / 24.0) / math.log(250.0) for chars in range(25, 6001)]
    grid = [k / 1000 for k in range(1001)] + [0.125, 0.375, 0.625, 0.875]  # the last four are exact ties
    for value in [*lengths, *(1.0 - 2.0 * v for v in lengths if v < 0.5), *grid]:
        assert _two_places(value) == format(value, ".2f")
