"""`RuleScorer`: fixed scores for conversations that match rules; first match wins.

```python
import re
from langroute import HeuristicScorer, RuleScorer

scorer = RuleScorer(
    rules=[
        (r"(?i)\\b(prove|theorem)\\b", 0.9),             # a regex, searched in the conversation's text windows
        (lambda conv: len(conv) > 10, 0.8),              # a predicate over [(role, text), ...]
        (re.compile("translate", re.I), 0.1),            # a compiled pattern keeps its flags
    ],
    default=HeuristicScorer(),                          # a float, or a scorer for everything else
)
```

What a regex reads (bounded, so a 1 MB paste costs what a few KB do): the newest `turns` turns (default 4) and
the newest user turn when it is older than those (an agent's tool loop), in order, joined by newlines; of each
turn longer than ``2 * window`` characters (default 2,048), only the first and last `window` characters, joined
by a newline. ``window=None, turns=None`` reads every turn whole, as langroute 0.2 did. Predicates receive every
turn, whole: their cost is their own.

The regex engine: with ``pip install 'langroute[re2]'`` (google-re2) patterns run on RE2, whose time is linear in
the text, so no pattern can backtrack for seconds. A pattern RE2 cannot compile (backreferences, lookaround,
atomic groups, ``\\Z``, the verbose flag) falls back to Python's `re`, and `RuleScorer.engines` says which engine
each rule got. RE2's ``\\d \\w \\s \\b`` are ASCII-only and its ``$`` matches only at the very end; pass
``engine="re"`` to keep Python's semantics, or ``engine="re2"`` to refuse any pattern RE2 cannot run.

Security: a regex from an untrusted source (a tenant's config, a web form) can make Python's `re` backtrack
exponentially: ``(a+)+$`` on ``"a" * 30 + "b"`` runs for about 5 minutes, and the windows do not help (31
characters suffice). Python's `re` holds the GIL while it runs, so a worker thread does not help either. Use
``engine="re2"`` for such patterns (7 microseconds for that one). With `re`, the windows bound only the cost that
grows with the text: ``a.*b.*c`` on a 100 KB turn takes 12 s unbounded, 15 ms inside the windows, 55 ms on five
such turns, 0.3 s with ``(?s)``; RE2 takes 0.15 ms unbounded (``benchmarks/hostile_input.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

from langroute._rules import RULE_TURNS, RULE_WINDOW, Engine, Pattern, RuleSet
from langroute.conversation import Conversation
from langroute.errors import ConfigError
from langroute.scorers.base import Score, Scorer, check_score

__all__ = ["RULE_TURNS", "RULE_WINDOW", "Pattern", "RuleScorer"]


class RuleScorer(Scorer):
    """Score by the first rule that matches; otherwise by `default`.

    Args:
        rules: ``(pattern, score)`` pairs tried in order. A `str` pattern is compiled as a regex (add ``(?i)``
            for case-insensitive); a compiled pattern keeps its flags; a callable receives the conversation as
            a list of ``(role, text)`` pairs (newest last) and matches when it returns a truthy value.
        default: the score when no rule matches: a float in [0, 1], or another scorer to ask.
        window: characters a regex reads from each end of a long turn (`None`: whole turns).
        turns: newest turns a regex reads, plus the newest user turn (`None`: every turn).
        engine: ``"auto"`` (RE2 when google-re2 is installed, else `re`; per pattern, `re` when RE2 cannot compile
            it), ``"re"`` (Python's engine only) or ``"re2"`` (RE2 only; a pattern it cannot run is an error).

    Raises:
        ConfigError: `rules` is not a list of pairs, a pattern is a bytes pattern or does not compile, a score is
            outside [0, 1], `window` / `turns` is not a positive int, or ``engine="re2"`` cannot be honoured. The
            message names the rule's index.
        TypeError: `default` is neither a number nor a `Scorer`.
    """

    __slots__ = ("_default", "_rules")

    def __init__(
        self,
        rules: Sequence[tuple[Pattern, float]] = (),
        *,
        default: float | Scorer = 0.5,
        window: int | None = RULE_WINDOW,
        turns: int | None = RULE_TURNS,
        engine: Engine = "auto",
    ) -> None:
        self._rules = RuleSet(rules, _checked, kind="score", window=window, turns=turns, engine=engine)
        if isinstance(default, Scorer):
            self._default: float | Scorer = default
        elif isinstance(default, (int, float)) and not isinstance(default, bool):
            self._default = _checked(default, "default")
        else:
            raise TypeError(f"default={default!r}: expected a float in [0, 1] or a Scorer")

    @property
    def engines(self) -> list[str]:
        """The engine of each rule, in order: ``"re2"``, ``"re"`` or ``"callable"``."""
        return self._rules.engines

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
        """Async `rate`: awaits a default scorer's `arate`. The rules run inline (their text is bounded)."""
        hit = self._match(conversation)
        if hit is not None:
            return hit
        if isinstance(self._default, Scorer):
            inner = check_score(await self._default.arate(conversation), self._default.name)
            return Score(inner.value, f"no rule matched; {self._default.name}: {inner.reason}")
        return Score(self._default, "no rule matched; default")

    def searched_text(self, conversation: Conversation) -> str:
        """The text the regex rules search in `conversation` (see the module docstring)."""
        return self._rules.searched_text(conversation)

    def _match(self, conversation: Conversation) -> Score | None:
        hit = self._rules.first(conversation)
        if hit is None:
            return None
        i, value, label = hit
        return Score(value, f"rule {i} matched: {label}")


def _checked(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ConfigError(f"{field}={value!r}: expected a number in [0, 1]")
    return float(value)
