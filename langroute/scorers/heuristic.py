"""`HeuristicScorer`: a pure-Python, deterministic complexity score from surface features.

It reads bounded windows of the newest user turn (the head and the tail, so a 1 MB paste costs the same as a
few KB), counts signals, and combines them with a logistic function:

    score = sigmoid(bias + sum(weight[f] * feature[f]))     every feature in [0, 1]

```python
from langroute import HeuristicScorer

scorer = HeuristicScorer()
scorer.score("hi")                                    # ~0.08
scorer.explain("Prove that sqrt(2) is irrational.")   # Score(value=..., reason='math=0.50, reasoning=0.25, ...')
HeuristicScorer(weights={"code": 3.0}).weights["code"]  # 3.0: change any weight, the rest keep their defaults
```
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import Final

from langroute.conversation import Conversation
from langroute.errors import ConfigError
from langroute.scorers.base import Score, Scorer

__all__ = ["DEFAULT_WEIGHTS", "HeuristicScorer"]

DEFAULT_WEIGHTS: Final[Mapping[str, float]] = MappingProxyType(
    {
        "bias": -2.4,
        "length": 1.6,
        "code": 1.3,
        "math": 1.2,
        "reasoning": 1.4,
        "steps": 0.9,
        "constraints": 0.8,
        "questions": 0.4,
        "turns": 0.6,
        "attachments": 0.5,
        "tools": 0.3,
        "simple": -1.2,
    }
)
"""Default feature weights; ``bias`` is the intercept. `HeuristicScorer(weights=...)` overrides any of them."""

_WINDOW: Final = 4096  # characters read from each end of the newest user turn
_LEN_LOW: Final = 24.0  # characters at which the length feature starts to rise ...
_LEN_HIGH: Final = 6000.0  # ... and where it saturates (log scale)
_LOG_LEN_SPAN: Final = math.log(_LEN_HIGH / _LEN_LOW)

# The signals, as data. Each word alternative matches a whole word (or phrase) of the lowercased text; the marks
# are the alternatives that are not words. The scan is one leftmost, non-overlapping pass in which, where several
# alternatives match at the same place, the one listed first wins (signals in this order, then alternatives in order).
_WORDS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "code": (
            *("def", "class", "function", "return", "import", "const", "let", "var", "async", "await", "lambda"),
            *("struct", "impl", "fn", "public", "private", "void", "sql", "quer(?:y|ies)", "database", "regex"),
            *("api", "endpoint", "bug", "stack trace", "traceback", "exception", "compile", "refactor"),
            *("unit tests?", "python", "javascript", "typescript", "java", "rust", "golang", r"c\+\+"),
            *("kubernetes", "docker"),
        ),
        "proof": ("prove", "proof", "show that", "demonstrate that", "irrational", r"q\.e\.d"),
        "math": (
            *("theorem", "lemma", "integral", "derivative", "differentiate", "equation", "matrix", "matrices"),
            *(r"eigen\w*", "probability", "polynomial", "logarithm", "modulo", "prime", "induction", r"converge\w*"),
            *("optimi[sz]ation", "complexity", "asymptotic", "big-o", "calculus", "algebra", r"statistic\w*"),
            *("variance", "gradient", "vector"),
        ),
        "reasoning": (
            *("step[- ]by[- ]step", "why", "explain", "analy[sz]e", "analysis", "compare", "contrast"),
            *("trade-?offs?", "evaluate", "justify", "derive", "design", r"architect\w*", "strategy", "plan"),
            *("debug", "diagnose", "implement", "critique", "review", "reason", "assess", "pros and cons"),
            *("edge cases?", r"scalab\w*", "in depth", r"rigorous\w*", r"formal\w*"),
        ),
        "steps": (
            *("first(?:ly)?", "second(?:ly)?", "then", "next", "finally", "after that", "afterwards"),
            *("subsequently", "lastly"),
        ),
        "constraints": (
            *("must", "should", "shall", "at least", "at most", "no more than", "no less than", "without"),
            *("ensure", "exactly", "only", "do not", "don't", "never", "always", "require[sd]?", "requirements?"),
            *("constraints?", r"limit\w*", "format", "json", "schema", "deadline", "budget"),
        ),
        "simple": (
            *("what is", "what's", "who is", "who was", "when is", "when was", "where is", "capital of"),
            *("translate", "define", "spell", "synonym", "how do you say"),
        ),
    }
)
# (signal, the characters a mark starts with, what follows): the alternatives that are not words, in priority order.
_MARKS: Final = (
    ("fence", "`", "``"),
    ("fence", "~", "~~"),
    ("code", "=", ">"),
    ("code", r"\-", ">"),
    ("code", ":", ":"),
    ("code", "{", r"\s*$"),
    ("code", ";", r"\s*$"),
    ("code", "=", "="),
    ("code", "!", "="),
    ("math", "\\\\", "(?:frac|int|sum|sqrt|prod|lim|begin|mathbb|partial)"),
    ("math", "=^<>≤≥∑∫√π∞", r"\s*\d"),
    ("math", r"\d", r"\s*[*/^]\s*\d"),
    ("question", "?", ""),
)
# (signal, what may follow the start of a line and its indentation): list markers and greetings.
_LINE_STARTS: Final = (
    ("steps", r"(?:\d+[.)]|[-*•])\s+"),
    ("simple", r"(?:hi|hello|hey|thanks|thank you|ok|okay|good (?:morning|evening|night)|bye)\b"),
)


def _compile_signals() -> tuple[re.Pattern[str], tuple[str, ...]]:
    """One pattern for every signal, and the signal of each of its (empty) groups; a word match has no group.

    It matches exactly what the plain alternation of the signals (in order) matches, but several times faster: the
    word alternatives are grouped by first letter behind one ``\\b``, so a word start tries a handful of them; the
    marks sit behind one character class, which the regex engine rules out in one test at most places; and a group
    is entered only at the end of a match. Alternatives that can both match at one place keep
    their relative order, so the leftmost-first result is unchanged (`tests/scorers/test_heuristic_pinned.py`).
    """
    by_letter: dict[str, list[str]] = {}
    for alternatives in _WORDS.values():
        for alternative in alternatives:
            by_letter.setdefault(alternative[0], []).append(alternative[1:])
    words = "|".join(f"{letter}(?:{'|'.join(rests)})" for letter, rests in by_letter.items())
    signals: list[str] = [""]  # group 0 is the whole match
    marks = []
    for signal, first, rest in _MARKS:  # after the first character, a look-behind says which it was
        marks.append(f"(?<=[{first}]){rest}()")
        signals.append(signal)
    starts = "".join(first for _, first, _ in _MARKS)
    branches = [rf"\b(?:{words})\b", f"[{starts}](?:{'|'.join(marks)})"]
    lines = []
    for signal, body in _LINE_STARTS:
        lines.append(f"{body}()")
        signals.append(signal)
    branches.append(rf"^\s*(?:{'|'.join(lines)})")
    return re.compile("|".join(branches), re.MULTILINE), tuple(signals)


_SIGNALS, _GROUP_SIGNALS = _compile_signals()
_WORD_SIGNALS: Final = tuple((signal, re.compile("|".join(words))) for signal, words in _WORDS.items())


@lru_cache(maxsize=1024)
def _word_signal(word: str) -> str:
    """The signal of a word that `_SIGNALS` matched: the first whose alternatives match all of it.

    That is the signal the scan chose (an earlier one would have matched the same place first). A pure function of
    the word, so its results are kept for the thousand words seen most recently.
    """
    return next(signal for signal, pattern in _WORD_SIGNALS if pattern.fullmatch(word))


# signal -> count at which its feature saturates at 1.0
_SATURATION: Final[Mapping[str, float]] = MappingProxyType(
    {
        "fence": 2.0,
        "proof": 1.0,
        "code": 8.0,
        "math": 4.0,
        "reasoning": 4.0,
        "steps": 5.0,
        "constraints": 5.0,
        "question": 3.0,
        "simple": 1.0,
    }
)


class HeuristicScorer(Scorer):
    """Rate complexity from length, code, math, reasoning and multi-step markers, constraints, and turns.

    Pure Python, deterministic, no network. Cost is bounded: only the first and last 4 KB of the newest user
    turn are scanned, so a 1 MB prompt costs about as much as an 8 KB one.

    Args:
        weights: overrides for `DEFAULT_WEIGHTS` (feature name -> weight; ``bias`` is the intercept).

    Raises:
        ConfigError: a weight name is unknown or a weight is not a finite number.
    """

    __slots__ = ("_bias", "_weights")

    def __init__(self, *, weights: Mapping[str, float] | None = None) -> None:
        merged = dict(DEFAULT_WEIGHTS)
        for key, value in (weights or {}).items():
            if key not in DEFAULT_WEIGHTS:
                raise ConfigError(f"weights: unknown feature {key!r}; choose from {sorted(DEFAULT_WEIGHTS)}")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ConfigError(f"weights[{key!r}]={value!r}: expected a finite number")
            merged[key] = float(value)
        self._bias = merged.pop("bias")
        self._weights = merged

    @property
    def weights(self) -> dict[str, float]:
        """The weights in force, ``bias`` included."""
        return {"bias": self._bias, **self._weights}

    def features(self, conversation: Conversation) -> dict[str, float]:
        """Each feature's value in [0, 1] for `conversation` (what `rate` combines)."""
        text = conversation.last_user_text
        if len(text) > 2 * _WINDOW:
            text = text[:_WINDOW] + "\n" + text[-_WINDOW:]
        counts: dict[str, int] = {}
        for match in _SIGNALS.finditer(text.lower()):  # a mark or a line start is known by its group, a word by itself
            group = match.lastindex
            signal = _GROUP_SIGNALS[group] if group else _word_signal(match.group())
            counts[signal] = counts.get(signal, 0) + 1
        sat = dict.fromkeys(_SATURATION, 0.0)
        for signal, count in counts.items():
            sat[signal] = min(1.0, count / _SATURATION[signal])
        chars = conversation.char_count
        user_turns = sum(1 for turn in conversation.turns if turn.role == "user")
        length = math.log(max(chars, _LEN_LOW) / _LEN_LOW) / _LOG_LEN_SPAN
        return {
            "length": min(1.0, length),
            "code": max(sat["code"], sat["fence"]),
            "math": max(sat["math"], sat["proof"]),
            "reasoning": max(sat["reasoning"], sat["proof"]),
            "steps": sat["steps"],
            "constraints": sat["constraints"],
            "questions": sat["question"],
            "turns": min(1.0, max(0, user_turns - 1) / 6),
            "attachments": min(1.0, conversation.non_text_parts / 2),
            "tools": 1.0 if conversation.has_tools else 0.0,
            # short chit-chat or a lookup; fades out as the text gets longer
            "simple": sat["simple"] * max(0.0, 1.0 - 2.0 * length),
        }

    def rate(self, conversation: Conversation) -> Score:
        """Combine the features; the reason lists the ones that pushed the score most."""
        features = self.features(conversation)
        contributions = {k: self._weights[k] * v for k, v in features.items() if v}
        z = self._bias + sum(contributions.values())
        value = 1.0 / (1.0 + math.exp(-z))
        top = sorted(contributions.items(), key=lambda kv: -abs(kv[1]))[:4]
        reason = ", ".join(f"{k}={features[k]:.2f}" for k, _ in top) or "no complexity signals"
        return Score(value, reason)

    def __repr__(self) -> str:
        changed = {k: v for k, v in self.weights.items() if DEFAULT_WEIGHTS[k] != v}
        return f"HeuristicScorer(weights={changed})" if changed else "HeuristicScorer()"
