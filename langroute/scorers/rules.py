"""`RuleScorer`: fixed scores for conversations that match rules; first match wins.

```python
import re
from langroute import HeuristicScorer, RuleScorer

scorer = RuleScorer(
    rules=[
        (r"(?i)\\b(prove|theorem)\\b", 0.9),             # a regex, searched in the conversation text
        (lambda conv: len(conv) > 10, 0.8),              # a predicate over [(role, text), ...]
        (re.compile("translate", re.I), 0.1),            # a compiled pattern keeps its flags
    ],
    default=HeuristicScorer(),                          # a float, or a scorer for everything else
)
```
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

from langroute.conversation import Conversation
from langroute.errors import ConfigError
from langroute.scorers.base import Score, Scorer, check_score

__all__ = ["Pattern", "RuleScorer"]

Pattern: TypeAlias = "str | re.Pattern[str] | Callable[[list[tuple[str, str]]], Any]"
"""A rule's test: a regex (searched in the text of all turns) or a predicate over ``(role, text)`` pairs."""


class RuleScorer(Scorer):
    """Score by the first rule that matches; otherwise by `default`.

    Args:
        rules: ``(pattern, score)`` pairs tried in order. A `str` pattern is compiled as a regex (add ``(?i)``
            for case-insensitive); a compiled pattern keeps its flags; a callable receives the conversation as
            a list of ``(role, text)`` pairs (newest last) and matches when it returns a truthy value.
        default: the score when no rule matches: a float in [0, 1], or another scorer to ask.

    Raises:
        ConfigError: a rule is not a pair, a regex does not compile, or a score is outside [0, 1].
        TypeError: `default` is neither a number nor a `Scorer`.
    """

    __slots__ = ("_default", "_rules")

    def __init__(
        self,
        rules: Sequence[tuple[Pattern, float]] = (),
        *,
        default: float | Scorer = 0.5,
    ) -> None:
        self._rules = [_compile(i, rule) for i, rule in enumerate(rules)]
        if isinstance(default, Scorer):
            self._default: float | Scorer = default
        elif isinstance(default, (int, float)) and not isinstance(default, bool):
            self._default = _checked(default, "default")
        else:
            raise TypeError(f"default={default!r}: expected a float in [0, 1] or a Scorer")

    def rate(self, conversation: Conversation) -> Score:
        """Return the first matching rule's score, else the default's."""
        hit = self._match(conversation)
        if hit is not None:
            return hit
        if isinstance(self._default, Scorer):
            inner = check_score(self._default.rate(conversation), self._default.name)
            return Score(inner.value, f"no rule matched; {self._default.name}: {inner.reason}")
        return Score(self._default, "no rule matched; default")

    async def arate(self, conversation: Conversation) -> Score:
        """Async `rate`: awaits a default scorer's `arate`."""
        hit = self._match(conversation)
        if hit is not None:
            return hit
        if isinstance(self._default, Scorer):
            inner = check_score(await self._default.arate(conversation), self._default.name)
            return Score(inner.value, f"no rule matched; {self._default.name}: {inner.reason}")
        return Score(self._default, "no rule matched; default")

    def _match(self, conversation: Conversation) -> Score | None:
        text: str | None = None
        pairs: list[tuple[str, str]] | None = None
        for i, (test, value, label) in enumerate(self._rules):
            if isinstance(test, re.Pattern):
                text = conversation.text if text is None else text
                matched = test.search(text) is not None
            else:
                pairs = conversation.pairs() if pairs is None else pairs
                matched = bool(test(pairs))
            if matched:
                return Score(value, f"rule {i} matched: {label}")
        return None


def _compile(i: int, rule: object) -> tuple[re.Pattern[str] | Callable[[Any], Any], float, str]:
    if not isinstance(rule, (tuple, list)) or len(rule) != 2:
        raise ConfigError(f"rules[{i}]={rule!r}: expected a (pattern, score) pair")
    pattern, value = rule
    score = _checked(value, f"rules[{i}] score")
    if isinstance(pattern, re.Pattern):
        return pattern, score, repr(pattern.pattern)
    if isinstance(pattern, str):
        try:
            return re.compile(pattern), score, repr(pattern)
        except re.error as exc:
            raise ConfigError(f"rules[{i}]: pattern {pattern!r} is not a valid regex ({exc})") from exc
    if callable(pattern):
        return pattern, score, getattr(pattern, "__name__", type(pattern).__name__)
    raise ConfigError(f"rules[{i}]: pattern {pattern!r} must be a regex string, a compiled pattern or a callable")


def _checked(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ConfigError(f"{field}={value!r}: expected a number in [0, 1]")
    return float(value)
