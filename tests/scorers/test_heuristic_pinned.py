"""Pinned `HeuristicScorer` outputs: the exact score and reason for a spread of inputs.

A regression guard: recorded from the set-lookup scorer (the rewrite for speed). A change of weights or signals
that is meant to change scores updates these values in the same commit. 0.3 reads 256 characters at each end of
the newest user turn instead of 1,024 (only "windowed 1 MB" moved); ``window=1024`` gives the 0.2 scores back.
"""

from __future__ import annotations

import pytest

from langroute import HeuristicScorer

DESIGN = (
    "Design a distributed rate limiter for a multi-region API. First, explain the trade-offs between a token "
    "bucket and a sliding window log. Then implement the core algorithm in Python:\n```python\nclass Limiter:\n"
    "    def allow(self, key: str) -> bool:\n        ...\n```\nDerive the expected error bound as an equation "
    "(e.g. error <= 2 * r / n), prove that it holds under clock skew, and finally analyze the time and space "
    "complexity. It must handle 1M requests/s, should degrade gracefully, and must not exceed 50 ms p99."
)

CASES = {
    "greeting": "hi",
    "thanks on its own line": "  \n Thank you so much!",
    "lookup": "What is the capital of France?",
    "where is": "Where is the train station?",
    "design task": DESIGN,
    "latex and operators": r"Show that \int_0^1 x^2 dx = 1/3 and \limit x -> 0; also a==5, b != 3, c => 4, 2*3^2 = 18",
    "lists and steps": "Plan:\n1. parse\n2) validate\n- write\n* log\n• then ship\nfinally, step-by-step, review it",
    "constraints": "Return exactly 3 items as JSON; do not exceed the budget, don't use more than 2 calls, at least 1",
    "c++ and unit tests": "Refactor the c++11 code, add unit tests and a unit test for the stack trace; use c++ only",
    "multi-turn": [
        ("system", "You are a helpful assistant."),
        ("user", "hello"),
        ("assistant", "Hi! How can I help?"),
        ("user", "Why does my docker build fail? Explain the trade-off of caching layers."),
    ],
    "image part": [("user", [{"type": "text", "text": "what is in this picture?"}, {"type": "image_url"}])],
    "unicode maths": "Prove that ∑ 1/n² = π²/6 and ≤ 2; ∫ f ≥ 0, naïve café résumé, Größe = 5",
    "block and semicolons": "fn main() {\n    let x = 5;  \n}\n\n- item after a blank line\n  1. nested {\n\n- x",
    "windowed 1 MB": DESIGN + ("lorem ipsum dolor, sit amet? " * 36_000) + DESIGN,
    "windowed 20 KB of code": "def f(x):\n    return x == 2 * 3\n" * 700,
    "good morning and markdown": "Good morning!\n**Note**: run it with --fast\n--- \n- then compare 1.5 and 2",
    "single keyword": "python",
    "empty": "",
}

PINNED = {
    "greeting": (0.026596993576865863, "simple=1.00"),
    "thanks on its own line": (0.026596993576865863, "simple=1.00"),
    "lookup": (0.03539967433775482, "simple=0.92, questions=0.33, length=0.04"),
    "where is": (0.032883777576116685, "simple=0.96, questions=0.33, length=0.02"),
    "design task": (0.9755602332388709, "reasoning=1.00, code=1.00, math=1.00, steps=1.00"),
    "latex and operators": (0.8379659250302697, "reasoning=1.00, math=1.00, code=0.67, length=0.24"),
    "lists and steps": (0.5662219136757282, "reasoning=1.00, steps=1.00, length=0.23"),
    "constraints": (0.2731672229094491, "constraints=1.00, length=0.25, code=0.17"),
    "c++ and unit tests": (0.32368498722318273, "code=0.83, length=0.24, constraints=0.25"),
    "multi-turn": (0.4808932325922939, "reasoning=1.00, length=0.30, code=0.17, questions=0.33"),
    "image part": (0.038543321452784704, "simple=1.00, attachments=0.50, questions=0.33"),
    "unicode maths": (0.6258142286343583, "reasoning=1.00, math=1.00, length=0.20"),
    "block and semicolons": (0.468962026839628, "code=0.67, steps=0.75, math=0.33, length=0.21"),
    "windowed 1 MB": (0.9878715650157257, "length=1.00, reasoning=1.00, code=1.00, math=1.00"),
    "windowed 20 KB of code": (0.8455347349164652, "length=1.00, code=1.00, math=1.00"),
    "good morning and markdown": (0.13153570818216695, "simple=0.60, reasoning=0.33, steps=0.50, length=0.20"),
    "single keyword": (0.10125717724657173, "code=0.17"),
    "empty": (0.08317269649392238, "no complexity signals"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_score_and_reason_are_pinned(name):
    score = HeuristicScorer().explain(CASES[name])
    assert score.reason == PINNED[name][1]
    assert score.value == pytest.approx(PINNED[name][0], abs=1e-12)


# What 0.2 (1 KB windows) gave where 0.3's default differs; every other case above is the same with window=1024.
PINNED_0_2 = {"windowed 1 MB": (0.9918374288468401, "length=1.00, reasoning=1.00, code=1.00, math=1.00")}


@pytest.mark.parametrize("name", list(CASES))
def test_a_1024_character_window_gives_the_0_2_scores(name):
    score = HeuristicScorer(window=1024).explain(CASES[name])
    value, reason = PINNED_0_2.get(name, PINNED[name])
    assert score.reason == reason
    assert score.value == pytest.approx(value, abs=1e-12)
