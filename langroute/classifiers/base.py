"""The classifier contract: which task a conversation is (``"code"``, ``"legal"``...), or none.

A classifier subclasses `Classifier` and implements `classify` (and `aclassify` when it does I/O). "No match" is a
value, ``TaskMatch(None, reason)``, never an exception. The router maps the task onto its ladder
(``routes={"code": ["code-model", "large"]}``); a task without a route uses every candidate.

```python
from langroute import Classifier, Conversation, TaskMatch

class ByLength(Classifier):
    def classify(self, conversation: Conversation) -> TaskMatch:
        long = conversation.char_count > 20_000
        return TaskMatch("long_document" if long else None, "length")

ByLength().task("hi")   # None
```
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from langroute.conversation import Conversation, MessagesInput, as_conversation
from langroute.errors import ConfigError

__all__ = ["Classifier", "TaskMatch", "check_classifier", "check_task_name"]


@dataclass(frozen=True, slots=True)
class TaskMatch:
    """A classifier's verdict: the `task` (``None`` = no match) and a short `reason` (never prompt text)."""

    task: str | None
    reason: str = ""


class Classifier(ABC):
    """Base class of every task classifier.

    Attributes:
        default: the task returned when nothing matches (``None`` = no task: the full ladder).
    """

    default: str | None = None

    @property
    def name(self) -> str:
        """The name reported in decision reasons (the class name)."""
        return type(self).__name__

    @property
    def tasks(self) -> frozenset[str] | None:
        """The task names this classifier can return (``None`` when it cannot tell in advance)."""
        return None

    @abstractmethod
    def classify(self, conversation: Conversation) -> TaskMatch:
        """The task of `conversation`."""

    async def aclassify(self, conversation: Conversation) -> TaskMatch:
        """Async `classify`. CPU-only classifiers inherit this; classifiers that do I/O override it."""
        return self.classify(conversation)

    def task(self, messages: MessagesInput) -> str | None:
        """The task name of `messages` (anything `as_conversation` accepts), or ``None``."""
        return self.classify(as_conversation(messages)).task

    async def atask(self, messages: MessagesInput) -> str | None:
        """Async `task`."""
        return (await self.aclassify(as_conversation(messages))).task

    def __repr__(self) -> str:
        return f"{self.name}()"


def check_task_name(task: object, field: str) -> str | None:
    """`task` if it is ``None`` or a non-empty str, else `ConfigError` naming `field`."""
    if task is None or (isinstance(task, str) and task):
        return task
    raise ConfigError(f"{field}={task!r}: expected a task name (a non-empty str) or None")


def check_classifier(classifier: object) -> Classifier | None:
    """Return `classifier` if it is ``None`` or a `Classifier`, else a `TypeError` saying how to wrap a function."""
    if classifier is None or isinstance(classifier, Classifier):
        return classifier
    if callable(classifier):
        raise TypeError(
            f"classifier={classifier!r} is a function, not a Classifier; wrap it: classifier=CallableClassifier(fn)"
        )
    raise TypeError(f"classifier={classifier!r}: expected a langroute Classifier such as RuleClassifier([...])")
