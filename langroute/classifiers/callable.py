"""`CallableClassifier`: turn any function into a task classifier.

```python
from langroute import CallableClassifier

by_keyword = CallableClassifier(lambda conv: "legal" if "contract" in conv.last_user_text.lower() else None)
by_keyword.task("Review this contract")   # 'legal'
```
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from langroute.classifiers.base import Classifier, TaskMatch
from langroute.conversation import Conversation
from langroute.scorers.callable import _run_sync

__all__ = ["CallableClassifier"]


class CallableClassifier(Classifier):
    """A classifier backed by `fn(conversation) -> str | None`, sync or async.

    Args:
        fn: receives the `Conversation` (iterate it for ``(role, text)`` turns, newest last; ``.last_user_text``,
            ``.has_images``...) and returns a task name, ``None`` for no task, or a coroutine giving one.
        default: the task used when `fn` returns ``None``.
        tasks: the task names `fn` can return, when known (lets the router validate ``task=`` and routes).

    Raises:
        TypeError: `fn` is not callable; at call time, `fn` returned something other than a str or None.
    """

    def __init__(
        self,
        fn: Callable[[Conversation], str | Awaitable[str | None] | None],
        *,
        default: str | None = None,
        tasks: set[str] | frozenset[str] | None = None,
    ) -> None:
        if not callable(fn):
            raise TypeError(f"fn={fn!r}: expected a function taking a Conversation and returning a task name or None")
        self._fn = fn
        self._label = getattr(fn, "__name__", type(fn).__name__)
        self._tasks = frozenset(tasks) if tasks is not None else None
        self.default = default

    @property
    def tasks(self) -> frozenset[str] | None:
        """The task names given at construction (plus `default`), or ``None``."""
        if self._tasks is None:
            return None
        return self._tasks | ({self.default} if self.default else set())

    def classify(self, conversation: Conversation) -> TaskMatch:
        """Call `fn`; an async `fn` is run to completion."""
        result: Any = self._fn(conversation)
        if inspect.isawaitable(result):
            result = _run_sync(result)
        return self._match(result)

    async def aclassify(self, conversation: Conversation) -> TaskMatch:
        """Call `fn`, awaiting it when it is async."""
        result: Any = self._fn(conversation)
        if inspect.isawaitable(result):
            result = await result
        return self._match(result)

    def _match(self, result: object) -> TaskMatch:
        if result is None:
            return TaskMatch(self.default, f"{self._label} returned None")
        if not isinstance(result, str) or not result:
            raise TypeError(
                f"{self.name}({self._label}) returned {type(result).__name__}; expected a task name or None"
            )
        return TaskMatch(result, f"{self._label} returned {result!r}")
