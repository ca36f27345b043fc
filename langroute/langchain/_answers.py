"""Read a LangChain answer for the router: its token usage, and the framework-free view the answer checks read.

```python
answer_view(AIMessage("", tool_calls=[...]), tools={"get_weather": {...}}).tool_calls[0].name   # 'get_weather'
usage(AIMessage("hi", usage_metadata={"input_tokens": 3, "output_tokens": 1, "total_tokens": 4}))   # (3, 1)
```
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.utils.function_calling import convert_to_json_schema, convert_to_openai_tool

from langroute.checks import Answer, ToolCall, normalise_finish_reason

__all__ = ["answer_view", "json_schema", "tool_schemas", "usage"]

_FINISH_KEYS = ("finish_reason", "stop_reason", "done_reason")  # OpenAI, Anthropic, Ollama


def usage(message: BaseMessage) -> tuple[int | None, int | None]:
    """The answer's input and output tokens (``(None, None)`` when the model reports no usage)."""
    found = getattr(message, "usage_metadata", None)
    if not found:
        return None, None
    return found.get("input_tokens"), found.get("output_tokens")


def answer_view(
    message: BaseMessage,
    *,
    tools: Mapping[str, Mapping[str, Any] | None] | None,
    schema: Mapping[str, Any] | None = None,
    structured: Any = None,
) -> Answer:
    """The `langroute.checks.Answer` for a LangChain answer.

    Args:
        message: the candidate's `AIMessage`; tool calls whose arguments did not parse (``invalid_tool_calls``)
            are included with their raw arguments, so `invalid_tool_call` flags them.
        tools: the tools bound to the call, name -> JSON schema of the arguments (see `tool_schemas`); ``None``
            when unknown.
        schema: the JSON schema of the requested structured output.
        structured: the parsed structured output, when there is one.
    """
    calls = [ToolCall(c["name"], c["args"], c.get("id")) for c in getattr(message, "tool_calls", ())]
    for bad in getattr(message, "invalid_tool_calls", ()):
        calls.append(ToolCall(bad.get("name") or "", bad.get("args") or "", bad.get("id")))
    metadata = message.response_metadata
    finish = next((metadata[key] for key in _FINISH_KEYS if metadata.get(key)), None)
    return Answer(message.text, tuple(calls), normalise_finish_reason(finish), tools, schema, structured)


def tool_schemas(tools: Iterable[Any]) -> dict[str, Mapping[str, Any] | None]:
    """Bound tools as name -> JSON schema of the arguments; a provider's own tool dict maps to ``None``."""
    out: dict[str, Mapping[str, Any] | None] = {}
    for tool in tools:
        if isinstance(tool, Mapping):
            function = tool.get("function")
            if isinstance(function, Mapping) and isinstance(function.get("name"), str):  # OpenAI format
                out[function["name"]] = function.get("parameters")
                continue
            name = tool.get("name")
            if isinstance(name, str):  # a provider's built-in tool, or Anthropic's format
                schema = tool.get("input_schema") or tool.get("parameters")
                out[name] = schema if isinstance(schema, Mapping) else None
            continue
        try:
            function = convert_to_openai_tool(tool)["function"]
        except (ValueError, TypeError, KeyError):
            continue  # a tool the candidate converts its own way: its calls are checked as JSON only
        out[function["name"]] = function.get("parameters")
    return out


def json_schema(schema: Any) -> Mapping[str, Any] | None:
    """The JSON schema of a structured-output schema (pydantic class, TypedDict, JSON schema, OpenAI tool)."""
    if isinstance(schema, Mapping):
        function = schema.get("function")
        if isinstance(function, Mapping):
            return function.get("parameters")
        if "json_schema" in schema and isinstance(schema["json_schema"], Mapping):  # a response_format dict
            return schema["json_schema"].get("schema")
        if "parameters" in schema and "name" in schema:
            return schema["parameters"]
    try:
        return convert_to_json_schema(schema)
    except (ValueError, TypeError, KeyError):
        return None
