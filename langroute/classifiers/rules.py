"""`RuleClassifier`: the task of the first rule that matches; patterns as in `RuleScorer`.

```python
from langroute import RuleClassifier

classifier = RuleClassifier(
    rules=[
        (r"(?i)\\b(contract|liability|indemnif\\w*|gdpr)\\b", "legal"),   # a regex, searched in bounded windows
        (r"```|\\bdef \\w+\\(|\\bclass \\w+", "code"),
        (lambda conv: len(conv) > 20, "long_chat"),                     # a predicate over [(role, text), ...]
    ],
    default=None,                                                       # no match: no task (every candidate)
)
classifier.task("Review this contract clause")   # 'legal'
```
"""

from __future__ import annotations

from collections.abc import Sequence

from langroute._rules import RULE_TURNS, RULE_WINDOW, Engine, Pattern, RuleSet
from langroute.classifiers.base import Classifier, TaskMatch, check_task_name
from langroute.conversation import Conversation
from langroute.errors import ConfigError

__all__ = ["RuleClassifier"]


class RuleClassifier(Classifier):
    """Classify by the first rule that matches; otherwise `default`.

    Args:
        rules: ``(pattern, task)`` pairs tried in order; a pattern is a regex (a `str`, add ``(?i)`` for
            case-insensitive, or a compiled pattern) searched in bounded text windows of the conversation, or a
            predicate over ``(role, text)`` pairs. Regexes run on RE2 when google-re2 is installed (see
            `RuleScorer` for the windows, the engines and the risk of untrusted patterns).
        default: the task when nothing matches (``None``: no task).
        window, turns, engine: what a regex reads and which engine runs it, as in `RuleScorer`.

    Raises:
        ConfigError: a rule is not a ``(pattern, task)`` pair, a pattern does not compile, or a task is not a
            non-empty str; the message names the rule's index.
    """

    def __init__(
        self,
        rules: Sequence[tuple[Pattern, str]],
        *,
        default: str | None = None,
        window: int | None = RULE_WINDOW,
        turns: int | None = RULE_TURNS,
        engine: Engine = "auto",
    ) -> None:
        self._rules = RuleSet(rules, _task, kind="task", window=window, turns=turns, engine=engine)
        self.default = check_task_name(default, "default")

    @property
    def tasks(self) -> frozenset[str]:
        """Every task a rule (or the default) can return."""
        return frozenset(self._rules.values) | ({self.default} if self.default else frozenset())

    @property
    def engines(self) -> list[str]:
        """The engine of each rule, in order: ``"re2"``, ``"re"`` or ``"callable"``."""
        return self._rules.engines

    def classify(self, conversation: Conversation) -> TaskMatch:
        """The first matching rule's task, else the default."""
        hit = self._rules.first(conversation)
        if hit is None:
            return TaskMatch(self.default, "no rule matched")
        i, task, label = hit
        return TaskMatch(task, f"rule {i} matched: {label}")

    def __repr__(self) -> str:
        return f"RuleClassifier({len(self._rules.values)} rules, default={self.default!r})"


def _task(value: object, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{field}={value!r}: expected a task name (a non-empty str)")
    return value
