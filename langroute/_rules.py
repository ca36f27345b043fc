"""First-match rules over a conversation, shared by `RuleScorer` and `RuleClassifier`.

A rule is ``(pattern, value)``: a regex searched in bounded text windows of the conversation (RE2 when installed,
else Python's `re`), or a predicate over ``(role, text)`` pairs. `RuleSet.first` returns the first rule that
matches. See `langroute.scorers.rules` for what a regex reads and the security notes.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Generic, Literal, NamedTuple, TypeAlias, TypeVar

from langroute.conversation import Conversation
from langroute.errors import ConfigError

__all__ = ["RULE_TURNS", "RULE_WINDOW", "Engine", "Pattern", "RuleSet"]

logger = logging.getLogger(__name__)

V = TypeVar("V")

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
    value: Any
    label: str
    source: bytes | None = None  # the RE2 pattern as compiled (flags prefixed), for the combined prefilter


class RuleSet(Generic[V]):
    """Compiled ``(pattern, value)`` rules, tried in order.

    Args:
        rules: the pairs; `check` validates each value (it raises `ConfigError` naming the field it is given).
        check: ``check(value, field) -> value``.
        kind: what a value is, for error messages (``"score"``, ``"task"``).
        window: characters a regex reads from each end of a long turn (`None`: whole turns).
        turns: newest turns a regex reads, plus the newest user turn (`None`: every turn).
        engine: ``"auto"``, ``"re"`` or ``"re2"`` (see `langroute.scorers.rules`).

    Raises:
        ConfigError: `rules` is not a list of pairs, a pattern is bytes or does not compile, a value fails `check`,
            `window` / `turns` is not a positive int, or ``engine="re2"`` cannot be honoured; the message names
            the rule's index.
    """

    __slots__ = ("_any_re2", "_indexed", "_not_re2", "_rules", "_turns", "_window")

    def __init__(
        self,
        rules: Sequence[tuple[Pattern, V]],
        check: Callable[[object, str], V],
        *,
        kind: str,
        window: int | None = RULE_WINDOW,
        turns: int | None = RULE_TURNS,
        engine: Engine = "auto",
    ) -> None:
        if isinstance(rules, (str, bytes, Mapping)) or not isinstance(rules, Sequence):
            fix = "; for a dict use list(rules.items())" if isinstance(rules, Mapping) else ""
            raise ConfigError(f"rules is a {type(rules).__name__}: expected a list of (pattern, {kind}) pairs{fix}")
        if engine not in _ENGINES:
            raise ConfigError(f"engine={engine!r}: expected one of {list(_ENGINES)}")
        re2 = _load_re2(engine)
        self._window = _positive(window, "window")
        self._turns = _positive(turns, "turns")
        self._rules = [_compile(i, rule, check, kind, re2, engine) for i, rule in enumerate(rules)]
        self._any_re2 = _any_of(self._rules, re2)
        self._indexed = list(enumerate(self._rules))
        self._not_re2 = [(i, rule) for i, rule in self._indexed if rule.engine != "re2"]  # when no RE2 rule can match

    @property
    def engines(self) -> list[str]:
        """The engine of each rule, in order: ``"re2"``, ``"re"`` or ``"callable"``."""
        return [rule.engine for rule in self._rules]

    @property
    def values(self) -> list[V]:
        """The rules' values, in order."""
        return [rule.value for rule in self._rules]

    def searched_text(self, conversation: Conversation) -> str:
        """The text the regex rules search in `conversation`."""
        return _windows(conversation, self._window, self._turns)

    def first(self, conversation: Conversation) -> tuple[int, V, str] | None:
        """``(index, value, label)`` of the first rule that matches `conversation`, or ``None``."""
        text: str | None = None
        encoded: bytes | None = None
        rules = self._indexed
        if self._any_re2 is not None:  # one scan tells whether any RE2 rule can match (the common "no")
            text = self.searched_text(conversation)
            encoded = text.encode("utf-8", "surrogatepass")
            if self._any_re2(encoded) is None:
                rules = self._not_re2
        pairs: list[tuple[str, str]] | None = None
        for i, rule in rules:
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
                return i, rule.value, rule.label
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


def _any_of(rules: list[_Rule], re2: Any) -> Callable[[bytes], object] | None:
    """The `search` of one RE2 pattern that matches wherever any of the RE2 rules does, when there are two or more.

    ``(?:a)|(?:b)|...``: RE2 scopes each pattern's inline flags to its group and scans the text once (a DFA), where
    ten rules cost ten scans. It only says whether some RE2 rule matches; which one comes first is still decided
    rule by rule. ``None`` when it cannot be built (e.g. two patterns name the same group).
    """
    sources = [rule.source for rule in rules if rule.engine == "re2" and rule.source is not None]
    if re2 is None or len(sources) < 2:
        return None
    options = re2.Options()
    options.log_errors = False
    try:
        return re2.compile(b"|".join(b"(?:" + source + b")" for source in sources), options).search  # type: ignore[no-any-return]
    except re2.error:
        logger.debug("RE2 cannot combine the rules' patterns; each rule is searched on its own")
        return None


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


def _compile(i: int, rule: object, check: Callable[[object, str], Any], kind: str, re2: Any, engine: str) -> _Rule:
    if not isinstance(rule, (tuple, list)) or len(rule) != 2:
        raise ConfigError(f"rules[{i}] is a {type(rule).__name__}: expected a (pattern, {kind}) pair")
    pattern, value = rule
    score = check(value, f"rules[{i}] {kind}")
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


def _regex(i: int, source: str, flags: int, score: Any, re2: Any, engine: str) -> _Rule:
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
            encoded = (prefix + source).encode("utf-8")
            return _Rule(re2.compile(encoded, options).search, None, "re2", score, label, encoded)
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
