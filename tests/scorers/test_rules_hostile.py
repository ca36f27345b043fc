"""RuleScorer on hostile input: bounded text windows and the linear-time RE2 engine."""

from __future__ import annotations

import re
import sys

import pytest

from langroute import ConfigError, RuleScorer, as_conversation
from langroute.scorers.rules import RULE_TURNS, RULE_WINDOW

re2 = pytest.importorskip("re2")


def test_a_regex_reads_the_head_and_tail_of_a_long_turn_not_its_middle():
    scorer = RuleScorer([(r"prove", 0.9)], default=0.1)
    filler = "x" * (3 * RULE_WINDOW)
    assert scorer.score("prove " + filler) == 0.9
    assert scorer.score(filler + " prove") == 0.9
    assert scorer.score(filler + " prove " + filler) == 0.1
    assert RuleScorer([(r"prove", 0.9)], default=0.1, window=None).score(filler + " prove " + filler) == 0.9


def test_the_cut_is_a_newline_so_head_and_tail_never_join_into_a_match():
    scorer = RuleScorer([(r"ab", 0.9)], default=0.1, window=4)
    assert scorer.searched_text(as_conversation("a123456789b")) == "a123\n789b"
    assert scorer.score("a123456789b") == 0.1


def test_a_regex_reads_the_newest_turns_and_the_newest_user_turn_of_a_tool_loop():
    tool_loop = [("system", "you are a prover"), ("user", "prove it")] + [("tool", "result")] * RULE_TURNS
    scorer = RuleScorer([(r"prover", 0.9), (r"prove it", 0.7)], default=0.1)
    assert scorer.score(tool_loop) == 0.7  # the system turn is too old; the user turn is read
    assert scorer.searched_text(as_conversation(tool_loop)) == "\n".join(["prove it"] + ["result"] * RULE_TURNS)
    assert RuleScorer([(r"prover", 0.9)], turns=None).score(tool_loop) == 0.9
    chat = [("user", "prove it"), ("assistant", "ok"), ("user", "thanks"), ("assistant", "np"), ("user", "bye")]
    assert scorer.searched_text(as_conversation(chat)) == "ok\nthanks\nnp\nbye"


def test_predicates_see_every_turn_whole():
    seen = []
    long_chat = [("user", "x" * 10_000)] * 10
    RuleScorer([(lambda conv: seen.append(conv), 0.9)]).score(long_chat)
    assert seen == [long_chat]


def test_patterns_run_on_re2_and_fall_back_to_re_when_re2_cannot_compile_them():
    scorer = RuleScorer(
        [(r"(\w)\1", 0.9), (r"(?i)prove", 0.8), (re.compile("theorem", re.I), 0.7), (re.compile("x # c", re.X), 0.6)]
    )
    assert scorer.engines == ["re", "re2", "re2", "re"]
    assert scorer.score("PROVE") == 0.8
    assert scorer.score("THEOREM") == 0.7  # the compiled pattern's IGNORECASE flag is kept on RE2
    assert scorer.score("abba") == 0.9
    assert scorer.score("x") == 0.6
    assert RuleScorer([(r"prove", 0.8)], engine="re").engines == ["re"]


def test_engine_re2_refuses_what_re2_cannot_run():
    with pytest.raises(ConfigError, match=r"rules\[1\]: RE2 cannot run pattern '\(a\)\\\\1' \(invalid escape"):
        RuleScorer([("ok", 0.5), (r"(a)\1", 0.9)], engine="re2")
    with pytest.raises(ConfigError, match=r"rules\[0\]: RE2 cannot run .*flags other than"):
        RuleScorer([(re.compile("a b", re.X), 0.9)], engine="re2")


def test_without_google_re2_auto_uses_re_and_engine_re2_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "re2", None)  # makes `import re2` raise ImportError
    assert RuleScorer([("prove", 0.9)]).engines == ["re"]
    with pytest.raises(ConfigError, match=r"engine='re2' needs google-re2: pip install 'langroute\[re2\]'"):
        RuleScorer([("prove", 0.9)], engine="re2")


def test_catastrophic_patterns_finish_on_re2():
    """`(a+)+$` backtracks 2**30 times on Python's re for this input; RE2 answers in linear time."""
    scorer = RuleScorer([(r"(a+)+$", 0.9), (r"a.*b.*c", 0.8)], default=0.1, window=None)
    assert scorer.engines == ["re2", "re2"]
    assert scorer.score("a" * 30 + "b") == 0.1
    assert scorer.score("a" * 100_000 + "b") == 0.1


def test_text_that_is_not_valid_unicode_is_searched_without_error():
    scorer = RuleScorer([("prove", 0.9)], default=0.1)
    assert scorer.score("\ud800 prove") == 0.9
    assert scorer.score("caf\u00e9 \ud800") == 0.1
