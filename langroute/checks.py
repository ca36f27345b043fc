"""Answer checks for quality cascades: escalate a call to a stronger candidate when the answer is bad.

A check is any callable ``(conversation, answer) -> bool | str | Verdict``, sync or async: ``True`` (or a passed
`Verdict`) means the answer is fine; ``False`` or a string means it failed, the string saying why. The adapters
build the framework-free `Answer` from their framework's response; the router runs the checks after each
candidate answers and sends the call to the next stronger candidate on the first failure.

```python
from langroute import as_conversation
from langroute.checks import Answer, empty_answer, refusal, run_checks

def cites_a_source(conversation, answer):
    return "http" in answer.text or "no link in the answer"

conversation = as_conversation("Where are the docs?")
verdict = run_checks([empty_answer, refusal, cites_a_source], conversation, Answer(text="See the docs."))
verdict.escalation   # 'cites_a_source: no link in the answer'  (the decision dict's "escalation")
```

Built-in checks (each reports its ``__name__``):

| check | fails when |
|---|---|
| `empty_answer` | no text, no tool call and no structured output |
| `truncated` | the finish reason says the token limit cut the answer |
| `invalid_tool_call` | a tool call names an unknown tool, or its arguments are not a JSON object or break its schema |
| `refusal` | the answer opens with common refusal phrasing (`REFUSAL_PHRASES`) |
| `invalid_structured_output` | structured output was requested and the answer does not parse or validate |

A check that raises does not break the call: `run_checks` catches the exception (``Exception`` subclasses only;
cancellation and ``KeyboardInterrupt`` propagate) and returns an *undecided* `Verdict` (``undecided=True``,
reason ``"undecided: raised KeyError"``, the class name only, never the message), which escalates like a
failure: the router cannot vouch for the answer, and a stronger model is the safe choice. The exception is
logged at WARNING (class name) and DEBUG (traceback). Misusing the contract is a bug and raises `TypeError`:
a check that is not callable, one that returns anything but ``bool | str | Verdict``, or an async check given to
the sync `run_checks`.

Verdict reasons from the built-in checks never contain prompt or answer text (only tool names and schema paths
that are plain identifiers); keep your own checks' reasons free of it too, since they reach the decision dict,
logs and telemetry.
"""

from __future__ import annotations

import enum
import functools
import inspect
import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Final, TypeAlias

from langroute._jsonschema import schema_error
from langroute.conversation import Conversation

__all__ = [
    "REFUSAL_PHRASES",
    "Answer",
    "Check",
    "CheckResult",
    "ToolCall",
    "Verdict",
    "arun_checks",
    "as_checks",
    "check_name",
    "empty_answer",
    "invalid_structured_output",
    "invalid_tool_call",
    "normalise_finish_reason",
    "refusal",
    "run_checks",
    "truncated",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool call in an answer.

    Attributes:
        name: the tool the model called.
        arguments: its arguments, as the model's JSON string or already parsed.
        id: the provider's tool-call id, when there is one.
    """

    name: str
    arguments: str | Mapping[str, Any]
    id: str | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """A candidate's answer as the checks see it (framework-free; built by the adapters).

    Attributes:
        text: the answer's text (``""`` when it has none).
        tool_calls: the tool calls it makes.
        finish_reason: why generation stopped, normalised by `normalise_finish_reason`: ``"stop"``, ``"length"``,
            ``"tool_calls"``, ``"content_filter"``, or the provider's own value lower-cased; ``None`` if unknown.
        tools: the tools bound to the call, name -> JSON schema of the arguments (``None`` when a tool's schema is
            unknown); ``None`` when the adapter does not know which tools were bound.
        schema: the JSON schema of the requested structured output, if any.
        structured: the parsed structured output, if the adapter has it (a dict, a list or a pydantic model).
    """

    text: str
    tool_calls: tuple[ToolCall, ...] = ()
    finish_reason: str | None = None
    tools: Mapping[str, Mapping[str, Any] | None] | None = None
    schema: Mapping[str, Any] | None = None
    structured: Any = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a check concluded about an answer.

    Attributes:
        passed: whether the answer is fine. An undecided verdict never passes.
        reason: why it failed (``""`` when it passed); never prompt text.
        check: the check's name (filled in by `run_checks`).
        undecided: the check could not decide (it raised); escalates like a failure.
    """

    passed: bool
    reason: str = ""
    check: str = ""
    undecided: bool = False

    @property
    def escalation(self) -> str:
        """The decision dict's ``escalation`` string: ``"<check>: <reason>"``."""
        return f"{self.check}: {self.reason}" if self.reason else self.check


CheckResult: TypeAlias = "bool | str | Verdict"
"""What a check returns: ``True`` / a passed `Verdict` = fine; ``False``, a string (the why) or a failed `Verdict`."""

Check: TypeAlias = "Callable[[Conversation, Answer], CheckResult | Awaitable[CheckResult]]"
"""A check: a sync or async callable taking the conversation and the answer."""


# --- running checks --------------------------------------------------------------------------------------------


def check_name(check: Callable[..., Any]) -> str:
    """The name a check reports: its ``__name__`` (a partial's function's, or the class name of a callable object)."""
    while isinstance(check, functools.partial):
        check = check.func
    name = getattr(check, "__name__", None)
    return name if isinstance(name, str) and name else type(check).__name__


def as_checks(checks: Check | Iterable[Check] | None, *, field: str = "escalate") -> tuple[Check, ...]:
    """Validate a checks argument once, at construction: ``None``, one check, or an iterable of checks.

    Raises:
        TypeError: an item is not callable (or `checks` is a string); the message names `field` and the position.
    """
    if checks is None:
        return ()
    if isinstance(checks, str):
        raise TypeError(
            f"{field}={checks!r} is a string: pass the check itself, e.g. {field}=[langroute.checks.{checks}]"
            if checks in _BUILTIN_NAMES
            else f"{field}={checks!r} is a string: pass callables (conversation, answer) -> bool | str | Verdict"
        )
    items = (checks,) if callable(checks) else tuple(checks)
    for i, check in enumerate(items):
        if not callable(check):
            raise TypeError(
                f"{field}[{i}]={type(check).__name__} is not a check: pass callables "
                "(conversation, answer) -> bool | str | Verdict, e.g. langroute.checks.empty_answer"
            )
    return items


def _is_async(check: Callable[..., Any]) -> bool:
    while isinstance(check, functools.partial):
        check = check.func
    call = type(check).__call__ if not inspect.isroutine(check) else None  # a callable object's async __call__
    return inspect.iscoroutinefunction(check) or inspect.iscoroutinefunction(call)


def _verdict(result: object, name: str) -> Verdict:
    if result is True:
        return Verdict(passed=True, check=name)
    if result is False:
        return Verdict(passed=False, reason="failed", check=name)
    if isinstance(result, str):
        return Verdict(passed=False, reason=result or "failed", check=name)
    if isinstance(result, Verdict):
        if result.undecided and result.passed:
            result = replace(result, passed=False)
        if not result.passed and not result.reason:
            result = replace(result, reason="undecided" if result.undecided else "failed")
        return result if result.check else replace(result, check=name)
    if type(result).__module__ == "numpy" and type(result).__name__ in ("bool", "bool_"):
        return _verdict(bool(result), name)
    raise TypeError(
        f"check {name!r} returned {type(result).__name__}: return True (passed), False or a reason string "
        "(failed), or a langroute.checks.Verdict"
    )


def _undecided(name: str, exc: Exception) -> Verdict:
    logger.warning("answer check %s raised %s: treated as undecided (escalates)", name, type(exc).__name__)
    logger.debug("answer check %s raised", name, exc_info=exc)
    return Verdict(passed=False, reason=f"undecided: raised {type(exc).__name__}", check=name, undecided=True)


def run_checks(checks: Iterable[Check], conversation: Conversation, answer: Answer) -> Verdict | None:
    """Run `checks` in order; return the first failed (or undecided) `Verdict`, or ``None`` when all pass.

    ```python
    run_checks([empty_answer, truncated], conversation, Answer(text="", finish_reason="length"))
    # Verdict(passed=False, reason='no text, no tool call and no structured output', check='empty_answer')
    ```

    Raises:
        TypeError: a check is async (use `arun_checks`) or returned something other than ``bool | str | Verdict``.
    """
    for check in checks:
        name = check_name(check)
        if _is_async(check):
            raise TypeError(f"check {name!r} is async: run it with arun_checks (async calls), or make it a plain def")
        try:
            result = check(conversation, answer)
        except Exception as exc:  # noqa: BLE001 -- the escalation boundary: a broken check escalates, see module doc
            return _undecided(name, exc)
        if inspect.isawaitable(result):
            if inspect.iscoroutine(result):
                result.close()
            raise TypeError(f"check {name!r} returned an awaitable: run it with arun_checks (async calls)")
        verdict = _verdict(result, name)
        if not verdict.passed:
            return verdict
    return None


async def arun_checks(checks: Iterable[Check], conversation: Conversation, answer: Answer) -> Verdict | None:
    """Async `run_checks`: awaits async checks, runs sync ones inline, in order; first failure or ``None``.

    Raises:
        TypeError: a check returned something other than ``bool | str | Verdict``.
    """
    for check in checks:
        name = check_name(check)
        try:
            result = check(conversation, answer)
            if inspect.isawaitable(result):
                result = await result
        except Exception as exc:  # noqa: BLE001 -- the escalation boundary: a broken check escalates, see module doc
            return _undecided(name, exc)
        verdict = _verdict(result, name)
        if not verdict.passed:
            return verdict
    return None


# --- finish reasons ----------------------------------------------------------------------------------------------

_FINISH_REASONS: Final[dict[str, str]] = {
    # OpenAI (chat completions / responses), Anthropic, Gemini, Bedrock, Ollama, Mistral, Cohere
    "stop": "stop",
    "end_turn": "stop",
    "stop_sequence": "stop",
    "complete": "stop",
    "eos": "stop",
    "length": "length",
    "max_tokens": "length",
    "max_output_tokens": "length",
    "model_length": "length",
    "model_context_window_exceeded": "length",
    "tool_calls": "tool_calls",
    "tool_use": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
    "safety": "content_filter",
    "recitation": "content_filter",
    "prohibited_content": "content_filter",
    "blocklist": "content_filter",
    "spii": "content_filter",
    "refusal": "content_filter",
    "guardrail_intervened": "content_filter",
    "error_toxic": "content_filter",
}


def normalise_finish_reason(value: object) -> str | None:
    """Map a provider's finish / stop reason to ``"stop"``, ``"length"``, ``"tool_calls"`` or ``"content_filter"``.

    Unknown values come back lower-cased; ``None`` and ``""`` give ``None``.

    ```python
    normalise_finish_reason("max_tokens")   # 'length'   (Anthropic)
    normalise_finish_reason("MAX_TOKENS")   # 'length'   (Gemini)
    normalise_finish_reason("end_turn")     # 'stop'
    ```
    """
    if value is None:
        return None
    text = (value.name if isinstance(value, enum.Enum) else str(value)).strip().lower()  # Gemini: an IntEnum
    return _FINISH_REASONS.get(text, text) or None


# --- built-in checks ---------------------------------------------------------------------------------------------


def empty_answer(conversation: Conversation, answer: Answer) -> bool | str:
    """Fail an answer with no text, no tool call and no structured output.

    Whitespace-only text counts as no text. An answer that only calls tools passes (a tool-calling step has no
    text), and so does one whose structured output the adapter parsed.
    """
    if answer.text.strip() or answer.tool_calls or answer.structured is not None:
        return True
    if answer.finish_reason == "content_filter":
        return "no text (finish reason content_filter)"
    return "no text, no tool call and no structured output"


def truncated(conversation: Conversation, answer: Answer) -> bool | str:
    """Fail an answer that the token limit cut off (finish reason ``"length"``, Anthropic's ``"max_tokens"``...).

    Limits: it trusts the finish reason; when the adapter does not know it (``None``) the check passes.
    """
    reason = normalise_finish_reason(answer.finish_reason)
    if reason == "length":
        return "finish reason 'length': the answer hit the token limit"
    return True


def _arguments(call: ToolCall) -> tuple[Mapping[str, Any] | None, str]:
    """Parse a tool call's arguments: (object, "") or (None, why)."""
    arguments = call.arguments
    if isinstance(arguments, Mapping):
        return arguments, ""
    if not isinstance(arguments, str):
        return None, f"arguments are a {type(arguments).__name__}, not a JSON object"
    if not arguments.strip():
        return {}, ""  # some providers send "" for a tool without parameters
    try:
        parsed = json.loads(arguments)
    except (ValueError, RecursionError):
        return None, "arguments are not valid JSON"
    if not isinstance(parsed, dict):
        return None, "arguments are not a JSON object"
    return parsed, ""


_SAFE_NAME: Final = re.compile(r"[\w.\-]{1,64}")


def _shown(name: str) -> str:
    return repr(name) if _SAFE_NAME.fullmatch(name) else "<unnamed>"


def invalid_tool_call(conversation: Conversation, answer: Answer) -> bool | str:
    """Fail an answer with a tool call that names an unknown tool or whose arguments do not fit the tool.

    Each call's arguments must parse as a JSON object (``""`` counts as ``{}``) and, when the adapter knows the
    tool's JSON schema, validate against it (the subset of JSON schema pydantic, LangChain and LlamaIndex
    generate: types, required, properties, additionalProperties, enum, const, items, anyOf/oneOf/allOf, $ref,
    numeric and length bounds; ``pattern`` and ``format`` are not checked).

    Limits: with ``answer.tools`` unknown (``None``) only the JSON is checked; a tool whose schema is ``None``
    accepts any object.
    """
    tools = answer.tools
    for i, call in enumerate(answer.tool_calls):
        if tools is not None and call.name not in tools:
            return f"tool call {i} names unknown tool {_shown(call.name)}"
        arguments, why = _arguments(call)
        if arguments is None:
            return f"tool call {i} ({_shown(call.name)}): {why}"
        schema = tools.get(call.name) if tools is not None else None
        if schema and isinstance(schema.get("function"), Mapping):  # a whole OpenAI tool dict: use its parameters
            schema = schema["function"].get("parameters")
        if schema:
            problem = schema_error(arguments, schema)
            if problem:
                return f"tool call {i} ({_shown(call.name)}) arguments do not match its schema: {problem}"
    return True


def _title(schema: Mapping[str, Any]) -> str | None:
    title = schema.get("title")
    return title if isinstance(title, str) else None


def _structured_value(answer: Answer, schema: Mapping[str, Any]) -> tuple[Any, str]:
    """Find the structured output in an answer: (value, "") or (None, why)."""
    if answer.structured is not None:
        value = answer.structured
        dump = getattr(value, "model_dump", None)
        return (dump(mode="json") if callable(dump) else value), ""
    title = _title(schema)
    calls = [c for c in answer.tool_calls if c.name == title] or (
        list(answer.tool_calls) if len(answer.tool_calls) == 1 else []
    )
    if calls:  # function-calling structured output: the arguments of the schema's tool
        return _arguments(calls[0])
    text = answer.text.strip()
    if text.startswith("```"):  # a fenced block, as LangChain's JSON parsers accept
        text = text.removeprefix("```json").removeprefix("```JSON").removeprefix("```").removesuffix("```").strip()
    if not text:
        return None, "the answer has no structured output"
    try:
        return json.loads(text), ""
    except (ValueError, RecursionError):
        return None, "the answer is not valid JSON"


def invalid_structured_output(conversation: Conversation, answer: Answer) -> bool | str:
    """Fail an answer that does not parse or validate against the requested structured-output schema.

    Passes when no schema was requested (``answer.schema is None``). The value checked is, in order:
    ``answer.structured`` (a pydantic model is dumped to JSON form first), the arguments of the tool call named
    after the schema's ``title`` (or of the only tool call: function-calling structured output), else the text
    parsed as JSON (a surrounding markdown code fence is allowed).

    Limits: the JSON-schema subset of `invalid_tool_call`; ``pattern`` and ``format`` are not checked.
    """
    schema = answer.schema
    if schema is None:
        return True
    value, why = _structured_value(answer, schema)
    if why:
        return why
    problem = schema_error(value, schema)
    return f"does not match the schema: {problem}" if problem else True


REFUSAL_PHRASES: Final[tuple[str, ...]] = (
    "sorry i can't",
    "sorry but i can't",
    "sorry i'm unable",
    "sorry but i'm unable",
    "sorry i'm not able",
    "sorry but i'm not able",
    "sorry i won't",
    "sorry but i won't",
    "apologize but i can't",
    "apologize but i'm unable",
    "i can't help with",
    "i can't help you with",
    "i can't assist with",
    "i can't assist you with",
    "i can't comply",
    "i can't fulfill",
    "i can't provide that",
    "i can't do that",
    "i can't and won't",
    "i'm unable to help",
    "i'm unable to assist",
    "i'm unable to comply",
    "i'm unable to fulfill",
    "i'm not able to help",
    "i'm not able to assist",
    "i won't be able to help",
    "i won't help with",
    "i won't assist",
    "i must decline",
    "i have to decline",
    "as an ai language model i can't",
    "as an ai i can't",
)
"""The phrases `refusal` looks for, in normalised form (see `refusal`)."""

_REFUSAL_WINDOW: Final = 100
_REFUSAL_MAX_CHARS: Final = 1000
_NORMALISE: Final = (
    (re.compile(r"[\u2018\u2019\u02bc`]"), "'"),
    (re.compile(r"[,;:\u2014\u2013]"), " "),
    (re.compile(r"\s+"), " "),
    (re.compile(r"\bcan ?not\b"), "can't"),
    (re.compile(r"\bi am\b"), "i'm"),
    (re.compile(r"\bwill not\b"), "won't"),
    (re.compile(r"\bapologi[sz]e\b"), "apologize"),
    (re.compile(r"\bfulfil\b"), "fulfill"),
)


def _normalised(text: str) -> str:
    text = text.lower()
    for pattern, replacement in _NORMALISE:
        text = pattern.sub(replacement, text)
    return text.strip()


def refusal(conversation: Conversation, answer: Answer) -> bool | str:
    """Fail an answer that opens with a refusal ("I'm sorry, but I can't help with that.").

    Conservative by design: it flags an answer only when one of `REFUSAL_PHRASES` starts within its first 100
    characters, the answer has at most 1,000 characters and no tool call. The text is normalised first
    (lower case, curly apostrophes, commas and dashes dropped, "cannot"/"can not" -> "can't", "I am" -> "I'm",
    "will not" -> "won't", "apologise" -> "apologize"), so "I am sorry, but I cannot assist with that" matches.

    Limits: English only; misses refusals phrased otherwise, partial refusals buried in a long answer, and
    refusals after a preamble; can flag an answer that quotes such a phrase when the user asked for one (an
    apology letter, a dialogue). A stronger model may refuse too: pair it with `max_escalations`. For anything
    subtler, write your own check or use the provider's refusal field.
    """
    if answer.tool_calls:
        return True
    text = answer.text.lstrip()
    if not text or len(text) > _REFUSAL_MAX_CHARS:
        return True
    head = _normalised(text[: _REFUSAL_WINDOW + 60])
    for phrase in REFUSAL_PHRASES:
        at = head.find(phrase)
        if 0 <= at < _REFUSAL_WINDOW:
            return f"opens with refusal phrasing ({phrase!r})"
    return True


_BUILTIN_NAMES: Final = frozenset(
    {"empty_answer", "truncated", "invalid_tool_call", "refusal", "invalid_structured_output"}
)
