"""`LLMClassifier`: ask a cheap chat model which task a conversation is.

```python
from langroute import LLMClassifier

classifier = LLMClassifier(
    cheap_model,  # a LangChain chat model or a LlamaIndex LLM
    tasks={"legal": "contracts, compliance, liability", "code": "programming and debugging"},
)
classifier.task("Is this indemnity clause enforceable in Germany?")   # 'legal'
```

The conversation's text (its first and last 4 KB) is sent to the model with the task list. The reply is read as
the first task name it contains (whole word, case-insensitive); a reply naming no task, or ``none``, gives
`default`. Errors of the model itself propagate. Each call costs one model call: prefer `RuleClassifier` or
`EmbeddingClassifier` on the hot path, or use this one where a task decides a lot of money.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from langroute._ask import ModelAsker, transcript
from langroute.classifiers.base import Classifier, TaskMatch, check_task_name
from langroute.conversation import Conversation
from langroute.errors import ConfigError

__all__ = ["CLASSIFY_PROMPT", "LLMClassifier"]

CLASSIFY_PROMPT: Final = (
    "You sort requests to an AI assistant into tasks. The tasks:\n{tasks}\n"
    "Reply with the name of the one task the conversation belongs to, or none if it fits no task. "
    "Reply with the name only."
)
"""The system instruction; ``{tasks}`` becomes one ``- name: description`` line per task."""


class LLMClassifier(Classifier):
    """Classify by asking a chat model to pick one task.

    Args:
        model: a LangChain chat model or a LlamaIndex LLM.
        tasks: task name -> a short description the model reads.
        default: the task when the reply names none (``None``: no task).
        prompt: the system instruction, with a ``{tasks}`` placeholder (default `CLASSIFY_PROMPT`).

    Raises:
        ConfigError: no tasks, a bad task name or description, a prompt without ``{tasks}``, or a `model` with
            none of the supported methods.
    """

    def __init__(
        self,
        model: Any,
        tasks: Mapping[str, str],
        *,
        default: str | None = None,
        prompt: str = CLASSIFY_PROMPT,
    ) -> None:
        if not isinstance(tasks, Mapping) or not tasks:
            raise ConfigError("tasks: expected a non-empty dict task name -> description")
        for name, description in tasks.items():
            check_task_name(name, "tasks key")
            if not isinstance(description, str):
                raise ConfigError(f"tasks[{name!r}]: expected a description (a str)")
        if not isinstance(prompt, str) or "{tasks}" not in prompt:
            raise ConfigError("prompt: expected a str with a {tasks} placeholder")
        self._asker = ModelAsker(model)
        self.model = model
        self.descriptions = dict(tasks)
        self.default = check_task_name(default, "default")
        lines = "\n".join(f"- {name}: {text}" if text else f"- {name}" for name, text in tasks.items())
        self.prompt = prompt.replace("{tasks}", lines)
        names = sorted(tasks, key=len, reverse=True)  # longest first: "legal_review" before "legal"
        self._pattern = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, names)) + r")(?![\w-])", re.IGNORECASE)
        self._canonical = {name.lower(): name for name in tasks}

    @property
    def tasks(self) -> frozenset[str]:
        """The tasks the model chooses from (and the default)."""
        return frozenset(self.descriptions) | ({self.default} if self.default else frozenset())

    def parse(self, reply: str) -> TaskMatch:
        """The first task named in `reply`, else `default`; the reason never quotes the reply."""
        match = self._pattern.search(reply)
        if match is None:
            return TaskMatch(self.default, f"no task named in a {len(reply)}-character reply")
        task = self._canonical[match.group(1).lower()]
        return TaskMatch(task, f"model chose {task!r}")

    def classify(self, conversation: Conversation) -> TaskMatch:
        """Ask the model; parse its reply."""
        if conversation.is_blank:
            return TaskMatch(self.default, "blank conversation")
        return self.parse(self._asker.ask(self.prompt, _question(conversation), "Task:"))

    async def aclassify(self, conversation: Conversation) -> TaskMatch:
        """Async `classify`."""
        if conversation.is_blank:
            return TaskMatch(self.default, "blank conversation")
        return self.parse(await self._asker.aask(self.prompt, _question(conversation), "Task:"))

    def __repr__(self) -> str:
        return f"LLMClassifier({type(self.model).__name__}, tasks={sorted(self.descriptions)})"


def _question(conversation: Conversation) -> str:
    return f"Which task is this conversation?\n<conversation>\n{transcript(conversation)}\n</conversation>"
