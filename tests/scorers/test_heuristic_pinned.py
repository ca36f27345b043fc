"""Pinned `HeuristicScorer` outputs: the exact score and reason for a spread of inputs.

Recorded from the scorer before its speed work, so any optimisation must reproduce them to the last bit. A change
of weights or signals that is meant to change scores updates these values in the same commit.
"""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest

from langroute import HeuristicScorer
from langroute.scorers import heuristic

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
    "empty": "",
}

PINNED = {
    "greeting": (0.026596993576865863, "simple=1.00"),
    "thanks on its own line": (0.026596993576865863, "simple=1.00"),
    "lookup": (0.03539967433775482, "simple=0.92, questions=0.33, length=0.04"),
    "where is": (0.032883777576116685, "simple=0.96, questions=0.33, length=0.02"),
    "design task": (0.9764960063949017, "reasoning=1.00, code=1.00, math=1.00, length=0.55"),
    "latex and operators": (0.7732061275758412, "reasoning=1.00, math=1.00, code=0.50, length=0.24"),
    "lists and steps": (0.4791253892051655, "reasoning=0.75, steps=1.00, length=0.23"),
    "constraints": (0.26254570075129685, "constraints=1.00, length=0.25, code=0.12"),
    "c++ and unit tests": (0.2596628724728915, "code=0.62, length=0.24, constraints=0.20"),
    "multi-turn": (0.38210314182801675, "reasoning=0.75, length=0.30, code=0.12, questions=0.33"),
    "image part": (0.038543321452784704, "simple=1.00, attachments=0.50, questions=0.33"),
    "unicode maths": (0.6258142286343583, "reasoning=1.00, math=1.00, length=0.20"),
    "block and semicolons": (0.3980783603457406, "code=0.62, steps=0.60, length=0.21, math=0.25"),
    "windowed 1 MB": (0.9945137011005495, "length=1.00, reasoning=1.00, code=1.00, math=1.00"),
    "windowed 20 KB of code": (0.8455347349164655, "length=1.00, code=1.00, math=1.00"),
    "empty": (0.08317269649392238, "no complexity signals"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_score_and_reason_are_pinned(name):
    score = HeuristicScorer().explain(CASES[name])
    assert (score.value, score.reason) == PINNED[name]


def _plain_alternation() -> re.Pattern[str]:
    """The signals as one plain alternation, signal by signal in priority order: the form before the speed work."""
    groups: dict[str, list[str]] = {}
    for signal, words in heuristic._WORDS.items():
        groups.setdefault(signal, []).append(rf"\b(?:{'|'.join(words)})\b")
    for signal, first, rest in heuristic._MARKS:
        groups.setdefault(signal, []).append(f"[{first}]{rest}")
    for signal, body in heuristic._LINE_STARTS:
        groups.setdefault(signal, []).insert(0, rf"^\s*{body}")
    order = ("fence", "code", "proof", "math", "reasoning", "steps", "constraints", "question", "simple")
    assert sorted(order) == sorted(groups)
    return re.compile("|".join(f"(?P<{s}>{'|'.join(groups[s])})" for s in order), re.MULTILINE)


def _fuzz_texts(count: int) -> list[str]:
    """Random texts made of the signal words (and near misses), marks, digits, unicode and line breaks."""
    words = [w for alternatives in heuristic._WORDS.values() for w in alternatives]
    for pattern, literal in ((r"\w*", "ing"), ("(?:ly)?", "ly"), ("[sz]", "z"), ("[- ]", "-"), ("-?", "-")):
        words = [w.replace(pattern, literal) for w in words]
    words = [w.replace("s?", "s").replace("[sd]?", "d").replace("(?:y|ies)", "ies").replace("\\", "") for w in words]
    words += [w[:-1] for w in words] + [w + "s" for w in words]
    words += ["hi", "hello", "thanks", "thank you", "good morning", "ok", "bye", "x", "foo", "3", "12", "π", "naïve"]
    words += [r"\int", r"\integral", r"\limit", r"\sum", "c++", "c++11", "q.e.d", "don't", "٣", "Größe"]
    marks = [
        " ",
        " ",
        " ",
        "\n",
        "\n\n",
        "  ",
        "\t",
        "",
        "```",
        "~~~",
        "=>",
        "->",
        "::",
        "{",
        ";",
        "==",
        "!=",
        "=",
        "<",
    ]
    marks += [
        ">",
        "^",
        "*",
        "/",
        "?",
        "- ",
        "* ",
        "• ",
        "1. ",
        "2) ",
        "\n- ",
        "\n1. ",
        "\n  ",
        ",",
        ".",
        "\\",
        "≤",
        "∑",
    ]
    marks += ["√", "∞", "{\n", ";\n", "{ \n\n", "= 5", "2 * 3", "2*3*4", "\n\n3\n* 4", "=\n1. x"]
    rng = random.Random(5)
    return ["".join(rng.choice(words) + rng.choice(marks) for _ in range(rng.randint(1, 30))) for _ in range(count)]


def test_the_fast_scan_counts_exactly_what_the_plain_alternation_counts():
    plain = _plain_alternation()
    for text in _fuzz_texts(4000):
        text = text.lower()
        expected = Counter(m.lastgroup for m in plain.finditer(text))
        fast = Counter(
            heuristic._GROUP_SIGNALS[m.lastindex] if m.lastindex else heuristic._word_signal(m.group())
            for m in heuristic._SIGNALS.finditer(text)
        )
        assert fast == expected, text
