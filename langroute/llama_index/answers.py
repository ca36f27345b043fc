"""What a candidate answered, read from LlamaIndex responses: token usage, tool calls, and the checks' `Answer`.

LlamaIndex integrations report token usage in different places; `usage` reads the common shapes:

| where | keys | who |
|---|---|---|
| ``response.additional_kwargs`` | ``prompt_tokens`` / ``completion_tokens`` | OpenAI (and OpenAI-compatible) |
| ``response.additional_kwargs["usage"]`` | ``input_tokens`` / ``output_tokens`` | Anthropic streams |
| ``raw.usage`` / ``raw["usage"]`` | either pair, or ``inputTokens`` / ``outputTokens`` | OpenAI, Anthropic, Bedrock |
| ``raw["usage_metadata"]`` | ``prompt_token_count`` / ``candidates_token_count`` | Gemini |
| ``raw`` | ``prompt_eval_count`` / ``eval_count`` | Ollama |

A stream reports usage on its last chunk (OpenAI with ``stream_options={"include_usage": True}``, Anthropic).
Structured outputs (pydantic objects) carry no usage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from llama_index.core.base.llms.types import ChatResponse, CompletionResponse, ToolCallBlock
from llama_index.core.bridge.pydantic import BaseModel

from langroute.checks import Answer, ToolCall, normalise_finish_reason

if TYPE_CHECKING:
    from llama_index.core.tools import BaseTool

__all__ = ["answer_of", "finish_reason", "tool_call_ids", "tool_schemas", "usage"]

_PAIRS: Final = (
    ("prompt_tokens", "completion_tokens"),
    ("input_tokens", "output_tokens"),
    ("inputTokens", "outputTokens"),
    ("prompt_token_count", "candidates_token_count"),
)
_NO_USAGE: Final = (None, None)


def _get(source: Any, key: str) -> Any:
    """``source[key]`` for a mapping, else ``source.key``; ``None`` when absent."""
    if type(source) is dict or isinstance(source, Mapping):
        return source.get(key)
    return getattr(source, key, None)


def _tokens(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _pair(source: Any) -> tuple[int | None, int | None] | None:
    """The first known (input, output) pair of `source`, or ``None``."""
    if source is None:
        return None
    for inp, out in _PAIRS:
        got = (_tokens(_get(source, inp)), _tokens(_get(source, out)))
        if got != _NO_USAGE:
            return got
    return None


def usage(response: Any) -> tuple[int | None, int | None]:
    """``(input_tokens, output_tokens)`` of a `ChatResponse` / `CompletionResponse`; ``None`` for what is unknown."""
    extra = getattr(response, "additional_kwargs", None)
    if extra:
        found = _pair(extra) or _pair(extra.get("usage"))
        if found is not None:
            return found
    raw = getattr(response, "raw", None)
    if raw is None or isinstance(raw, (str, bytes)):
        return _NO_USAGE
    found = _pair(_get(raw, "usage")) or _pair(_get(raw, "usage_metadata"))
    if found is not None:
        return found
    ollama = (_tokens(_get(raw, "prompt_eval_count")), _tokens(_get(raw, "eval_count")))
    return ollama


def finish_reason(response: Any) -> str | None:
    """Why generation stopped, normalised (``"stop"``, ``"length"``, ``"tool_calls"``...), when the response says."""
    sources = (getattr(response, "additional_kwargs", None), getattr(response, "raw", None))
    for source in sources:
        if source is None or isinstance(source, (str, bytes)):
            continue
        for key in ("finish_reason", "stop_reason", "done_reason"):
            value = _get(source, key)
            if value:
                return normalise_finish_reason(value)
        for key in ("choices", "candidates"):  # OpenAI, Gemini: the first choice's reason
            items = _get(source, key)
            if isinstance(items, Sequence) and items:
                value = _get(items[0], "finish_reason")
                if value:
                    return normalise_finish_reason(value)
    return None


def tool_schemas(tools: Sequence[BaseTool]) -> dict[str, Mapping[str, Any] | None]:
    """The bound tools as the checks see them: name -> JSON schema of the arguments."""
    return {tool.metadata.name or "": tool.metadata.get_parameters_dict() for tool in tools}


def _tool_calls(response: ChatResponse, candidate: Any) -> tuple[ToolCall, ...]:
    """The tool calls of `response`, read by the candidate's own ``get_tool_calls_from_response``.

    A call's arguments are the model's raw JSON string when the message has it (a `ToolCallBlock`), so a check can
    see arguments that do not parse (integrations replace those with ``{}``).
    """
    blocks = [block for block in response.message.blocks if isinstance(block, ToolCallBlock)]
    read = getattr(candidate, "get_tool_calls_from_response", None)
    if read is not None:
        try:
            selections = read(response, error_on_no_tool_call=False)
        except (ValueError, TypeError, KeyError):  # a parser that chokes on malformed calls: read the blocks
            selections = None
        if selections is not None:
            raw = {block.tool_call_id: block.tool_kwargs for block in blocks if isinstance(block.tool_kwargs, str)}
            return tuple(
                ToolCall(s.tool_name, raw.get(s.tool_id, s.tool_kwargs), s.tool_id or None) for s in selections
            )
    return tuple(ToolCall(block.tool_name, block.tool_kwargs, block.tool_call_id) for block in blocks)


def tool_call_ids(response: Any) -> list[str]:
    """The ids of the tool calls in a `ChatResponse` (for sticky tool loops); ``[]`` for anything else.

    Read from the message itself, without calling the candidate: its `ToolCallBlock`s, and the
    ``additional_kwargs["tool_calls"]`` that older integrations fill (provider dicts or objects with an ``id``,
    or `ToolSelection`s with a ``tool_id``).
    """
    if not isinstance(response, ChatResponse):
        return []
    message = response.message
    ids = [block.tool_call_id for block in message.blocks if isinstance(block, ToolCallBlock) and block.tool_call_id]
    listed = message.additional_kwargs.get("tool_calls")
    if isinstance(listed, Sequence) and not isinstance(listed, str):
        for item in listed:
            call_id = _get(item, "id") or _get(item, "tool_id")
            if isinstance(call_id, str) and call_id:
                ids.append(call_id)
    return ids


def answer_of(
    payload: Any,
    candidate: Any,
    *,
    tools: Mapping[str, Mapping[str, Any] | None] | None = None,
    schema: Mapping[str, Any] | None = None,
) -> Answer:
    """The checks' view of a candidate's answer.

    Args:
        payload: a `ChatResponse`, a `CompletionResponse`, or a structured output (a pydantic object).
        candidate: the LLM that answered (its ``get_tool_calls_from_response`` reads tool calls).
        tools: the tools bound to the call (see `tool_schemas`), when it was a ``*_with_tools`` call.
        schema: the JSON schema of the structured output the call asked for.
    """
    if isinstance(payload, ChatResponse):
        calls = _tool_calls(payload, candidate) if tools is not None else ()
        structured = payload.raw if schema is not None and isinstance(payload.raw, BaseModel) else None
        text = payload.message.content or ""
        return Answer(text, calls, finish_reason(payload), tools, schema, structured)
    if isinstance(payload, CompletionResponse):
        structured = payload.raw if schema is not None and isinstance(payload.raw, BaseModel) else None
        return Answer(payload.text or "", (), finish_reason(payload), tools, schema, structured)
    return Answer("", (), None, tools, schema, payload)
