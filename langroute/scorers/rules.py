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

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Literal, NamedTuple, TypeAlias

from langroute.conversation import Conversation
from langroute.errors import ConfigError
from langroute.scorers.base import Score, Scorer, check_score

__all__ = ["RULE_TURNS", "RULE_WINDOW", "Pattern", "RuleScorer"]

logger = logging.getLogger(__name__)

Pattern: TypeAlias = "str | re.Pattern[str] | Callable[[list[tuple[str, str]]], Any]"
"""A rule's test: a regex (searched in the conversation's text windows) or a predicate over ``(role, text)`` pairs."""

Engine: TypeAlias = Literal["auto", "re", "re2"]

RULE_WINDOW: Final = 2048
"""Default `window`: characters a regex reads from each end of a long turn."""
RULE_TURNS: Final = 4
"""Default `turns`: how many of the newest turns a regex reads (plus the newest user turn)."""

_ENGINES: Final = ("auto", "re", "re2")
_RE2_FLAGS: Final = {re.IGNORECASE: "i", re.MULTILINE: "m", re.DOTALL: "s"}  # re.ASCII / re.UNICODE: no prefix
_RE2_OK: Final = re.IGNORECASE | re.MULTILINE | re.DOTALL | re.ASCII | re.UNICODE


class _Rule(NamedTuple):
    search: Callable[[Any], object] | None  # a compiled pattern's `search` (str for `re`, UTF-8 bytes for RE2)
    predicate: Callable[[list[tuple[str, str]]], Any] | None
    engine: Literal["re", "re2", "callable"]
    value: float
    label: str


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

    __slots__ = ("_default", "_rules", "_turns", "_window")

    def __init__(
        self,
        rules: Sequence[tuple[Pattern, float]] = (),
        *,
        default: float | Scorer = 0.5,
        window: int | None = RULE_WINDOW,
        turns: int | None = RULE_TURNS,
        engine: Engine = "auto",
    ) -> None:
        if isinstance(rules, (str, bytes, Mapping)) or not isinstance(rules, Sequence):
            fix = "; for a dict use list(rules.items())" if isinstance(rules, Mapping) else ""
            raise ConfigError(f"rules is a {type(rules).__name__}: expected a list of (pattern, score) pairs{fix}")
        if engine not in _ENGINES:
            raise ConfigError(f"engine={engine!r}: expected one of {list(_ENGINES)}")
        re2 = _load_re2(engine)
        self._window = _positive(window, "window")
        self._turns = _positive(turns, "turns")
        self._rules = [_compile(i, rule, re2, engine) for i, rule in enumerate(rules)]
        if isinstance(default, Scorer):
            self._default: float | Scorer = default
        elif isinstance(default, (int, float)) and not isinstance(default, bool):
            self._default = _checked(default, "default")
        else:
            raise TypeError(f"default={default!r}: expected a float in [0, 1] or a Scorer")

    @property
    def engines(self) -> list[str]:
        """The engine of each rule, in order: ``"re2"``, ``"re"`` or ``"callable"``."""
        return [rule.engine for rule in self._rules]

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
        return _windows(conversation, self._window, self._turns)

    def _match(self, conversation: Conversation) -> Score | None:
        text: str | None = None
        encoded: bytes | None = None
        pairs: list[tuple[str, str]] | None = None
        for i, rule in enumerate(self._rules):
            if rule.search is None:
                pairs = conversation.pairs() if pairs is None else pairs
                matched = bool(rule.predicate(pairs))  # type: ignore[misc]
            else:
                text = self.searched_text(conversation) if text is None else text
                if rule.engine == "re2":  # RE2 reads UTF-8; encode once for every RE2 rule
                    encoded = text.encode("utf-8", "surrogatepass") if encoded is None else encoded
                    matched = rule.search(encoded) is not None
                else:
                    matched = rule.search(text) is not None
            if matched:
                return Score(rule.value, f"rule {i} matched: {rule.label}")
        return None


def _windows(conversation: Conversation, window: int | None, turns: int | None) -> str:
    chosen = conversation.turns
    if turns is not None and len(chosen) > turns:
        tail = chosen[-turns:]
        if all(t.role != "user" for t in tail):  # an agent's tool loop: read the task it works on too
            older = next((t for t in reversed(chosen[:-turns]) if t.role == "user"), None)
            tail = tail if older is None else (older, *tail)
        chosen = tail
    if window is None:
        return "\n".join(t.text for t in chosen)
    return "\n".join(t.text if len(t.text) <= 2 * window else f"{t.text[:window]}\n{t.text[-window:]}" for t in chosen)


def _load_re2(engine: str) -> Any:
    """The `re2` module with quiet options, or None (``engine="re"``, or not installed with ``"auto"``)."""
    if engine == "re":
        return None
    try:
        import re2  # type: ignore[import-not-found]
    except ImportError as exc:
        if engine == "re2":
            raise ConfigError("engine='re2' needs google-re2: pip install 'langroute[re2]'") from exc
        return None
    return re2


def _compile(i: int, rule: object, re2: Any, engine: str) -> _Rule:
    if not isinstance(rule, (tuple, list)) or len(rule) != 2:
        raise ConfigError(f"rules[{i}] is a {type(rule).__name__}: expected a (pattern, score) pair")
    pattern, value = rule
    score = _checked(value, f"rules[{i}] score")
    if isinstance(pattern, re.Pattern):
        if not isinstance(pattern.pattern, str):
            raise ConfigError(f"rules[{i}]: {pattern!r} is a bytes pattern; compile a str pattern, the text is str")
        return _regex(i, pattern.pattern, pattern.flags, score, re2, engine)
    if isinstance(pattern, str):
        return _regex(i, pattern, 0, score, re2, engine)
    if isinstance(pattern, (bytes, bytearray)):
        raise ConfigError(f"rules[{i}]: pattern {pattern!r} is bytes; write it as a str regex")
    if callable(pattern):
        return _Rule(None, pattern, "callable", score, getattr(pattern, "__name__", type(pattern).__name__))
    raise ConfigError(f"rules[{i}]: pattern {pattern!r} must be a regex string, a compiled pattern or a callable")


def _regex(i: int, source: str, flags: int, score: float, re2: Any, engine: str) -> _Rule:
    label = repr(source)
    try:
        compiled = re.compile(source, flags)  # validates the pattern and is the fallback engine
    except (re.error, OverflowError, RecursionError) as exc:
        raise ConfigError(f"rules[{i}]: pattern {label} is not a valid regex ({exc})") from exc
    if re2 is None:
        return _Rule(compiled.search, None, "re", score, label)
    why = "flags other than IGNORECASE, MULTILINE, DOTALL" if flags & ~_RE2_OK else ""
    if not why:
        prefix = "".join(f"(?{letter})" for flag, letter in _RE2_FLAGS.items() if flags & flag)
        options = re2.Options()
        options.log_errors = False  # RE2 would print each rejected pattern to stderr
        try:
            return _Rule(re2.compile((prefix + source).encode("utf-8"), options).search, None, "re2", score, label)
        except (re2.error, UnicodeEncodeError) as exc:
            detail = exc.args[0] if exc.args else exc
            why = detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)
    if engine == "re2":
        raise ConfigError(f"rules[{i}]: RE2 cannot run pattern {label} ({why}); rewrite it, or pass engine='auto'")
    logger.debug("rules[%d]: RE2 cannot run pattern %s (%s); using Python's re", i, label, why)
    return _Rule(compiled.search, None, "re", score, label)


def _positive(value: object, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{field}={value!r}: expected an int >= 1, or None for no limit")
    return value


def _checked(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ConfigError(f"{field}={value!r}: expected a number in [0, 1]")
    return float(value)
