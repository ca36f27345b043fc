"""Structured output through the router: route first, then use the chosen candidate's own `with_structured_output`.

```python
structured = router.with_structured_output(Answer, method="json_schema", strict=True)
structured.invoke("2 + 2?")            # Answer(answer='4', ...) from candidate.with_structured_output(Answer, ...)
router.with_structured_output(Answer, include_raw=True).invoke("2 + 2?")["raw"].response_metadata["langroute"]
```

Each call opens a chain run (as a plain model's structured-output sequence does) holding the router's chat-model
run, whose child is the candidate's own structured-output runnable. The decision is reported as usual (the
``langroute_decision`` event, ``response_metadata["langroute"]`` on the raw message). A candidate whose answer
cannot be parsed counts as failed: the router falls back, as it does when a candidate raises. With answer checks
(``escalate=``), `langroute.checks.invalid_structured_output` sees the parsed value and the schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable, RunnableConfig

from langroute.langchain._answers import json_schema
from langroute.langchain._calls import Reply

if TYPE_CHECKING:
    from langroute.langchain.chat_model import RouterChatModel

__all__ = ["StructuredOutput"]

_DEFAULTS = ("temperature", "max_tokens")  # router-level settings applied to each candidate


class StructuredOutput(Runnable[LanguageModelInput, Any]):
    """The runnable `RouterChatModel.with_structured_output` returns.

    Args:
        router: the router that decides.
        schema: the output schema, passed to the candidate unchanged.
        include_raw: return ``{"raw", "parsed", "parsing_error"}`` like the candidate would.
        options: the other `with_structured_output` arguments (``method``, ``strict``...), passed unchanged.
        route: force a candidate by name.
        task: the request's task (picks the task's ladder).
    """

    def __init__(
        self,
        router: RouterChatModel,
        schema: Mapping[str, Any] | type,
        *,
        include_raw: bool,
        options: Mapping[str, Any],
        route: str | None,
        task: str | None = None,
    ) -> None:
        self.router = router
        self.schema = schema
        self.include_raw = include_raw
        self.options = dict(options)
        self.route = route
        self.task = task
        self._bound: dict[int, tuple[BaseChatModel, Runnable[LanguageModelInput, Any]]] = {}

    def get_name(self, suffix: str | None = None, *, name: str | None = None) -> str:
        """The run name: ``RouterStructuredOutput``."""
        return super().get_name(suffix, name=name or "RouterStructuredOutput")

    def candidate(self, model: BaseChatModel) -> Runnable[LanguageModelInput, Any]:
        """``model.with_structured_output(schema, include_raw=True, **options)``, built once per candidate.

        The router's ``temperature`` / ``max_tokens``, when set, are applied to a copy of the candidate first
        (a structured-output runnable takes no call-time model arguments).
        """
        cached = self._bound.get(id(model))
        if cached is not None and cached[0] is model:
            return cached[1]
        configured = model
        defaults = {
            name: getattr(self.router, name)
            for name in _DEFAULTS
            if getattr(self.router, name) is not None and name in type(model).model_fields
        }
        if defaults:
            configured = model.model_copy(update=defaults)
        bound = configured.with_structured_output(self.schema, include_raw=True, **self.options)
        self._bound[id(model)] = (model, bound)  # a race binds twice, harmlessly
        return bound

    @cached_property
    def json_schema(self) -> Mapping[str, Any] | None:
        """The schema as JSON schema, for the answer checks (``invalid_structured_output``)."""
        return json_schema(self.schema)

    def parse(self, output: Mapping[str, Any]) -> Reply:
        """The candidate's ``{"raw", "parsed", "parsing_error"}``; without `include_raw` an error raises."""
        error = output.get("parsing_error")
        if error is not None and not self.include_raw:
            raise error
        return Reply(output["raw"], output.get("parsed"), error)

    def result(self, raw: BaseMessage, reply: Reply) -> Any:
        """What the caller gets: the parsed value, or ``{"raw", "parsed", "parsing_error"}`` with `include_raw`."""
        if not self.include_raw:
            return reply.parsed
        return {"raw": raw, "parsed": reply.parsed, "parsing_error": reply.error}

    def invoke(self, input: LanguageModelInput, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        """Route `input`, then return the chosen candidate's structured output.

        ``route=`` forces a candidate; ``task=`` gives the request's task (both also at `with_structured_output`).
        """
        return self._call_with_config(self._invoke, input, config, **kwargs)

    async def ainvoke(self, input: LanguageModelInput, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        """Async `invoke`."""
        return await self._acall_with_config(self._ainvoke, input, config, **kwargs)

    def _invoke(
        self,
        input: LanguageModelInput,
        config: RunnableConfig,
        route: str | None = None,
        task: str | None = None,
    ) -> Any:
        return self.router._routed(input, config, None, self._options(route, task), self)

    async def _ainvoke(
        self,
        input: LanguageModelInput,
        config: RunnableConfig,
        route: str | None = None,
        task: str | None = None,
    ) -> Any:
        return await self.router._arouted(input, config, None, self._options(route, task), self)

    def _options(self, route: str | None, task: str | None) -> dict[str, Any]:
        options: dict[str, Any] = {"route": route or self.route}
        if task is not None or self.task is not None:
            options["task"] = task or self.task
        return options

    def __repr__(self) -> str:
        return (
            f"StructuredOutput(schema={getattr(self.schema, '__name__', self.schema)!r}, "
            f"include_raw={self.include_raw}, options={self.options!r})"
        )
