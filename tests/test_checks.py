"""Answer checks: the runner's contract and each built-in check."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import functools
import gc
import logging
import warnings

import pytest
from pydantic import BaseModel

from langroute import as_conversation
from langroute.checks import (
    REFUSAL_PHRASES,
    Answer,
    ToolCall,
    Verdict,
    arun_checks,
    as_checks,
    check_name,
    empty_answer,
    invalid_structured_output,
    invalid_tool_call,
    normalise_finish_reason,
    refusal,
    run_checks,
    truncated,
)

CONV = as_conversation("What is the weather in Oslo? my secret is hunter2")
WEATHER = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1}},
    "required": ["city"],
}


def text(s: str, **kw) -> Answer:
    return Answer(text=s, **kw)


# --- the runner ---------------------------------------------------------------------------------------------------


def test_value_types_are_frozen_and_slotted():
    answer = Answer(text="hi", tool_calls=(ToolCall("f", "{}"),))
    with pytest.raises(dataclasses.FrozenInstanceError):
        answer.text = "x"  # type: ignore[misc]
    assert not hasattr(answer, "__dict__")
    assert Verdict(False, "no text", "empty_answer").escalation == "empty_answer: no text"


def test_first_failure_in_order_wins_and_later_checks_do_not_run():
    ran: list[str] = []

    def first(conversation, answer):
        ran.append("first")
        return True

    def second(conversation, answer):
        ran.append("second")
        return "too short"

    def third(conversation, answer):
        ran.append("third")
        return False

    verdict = run_checks([first, second, third], CONV, text("ok"))
    assert verdict == Verdict(passed=False, reason="too short", check="second")
    assert verdict.escalation == "second: too short"
    assert ran == ["first", "second"]
    assert run_checks([first], CONV, text("ok")) is None
    assert run_checks([], CONV, text("")) is None


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (True, None),
        (False, Verdict(False, "failed", "check")),
        ("", Verdict(False, "failed", "check")),
        ("why", Verdict(False, "why", "check")),
        (Verdict(True), None),
        (Verdict(False, "bad"), Verdict(False, "bad", "check")),
        (Verdict(False, "bad", check="named"), Verdict(False, "bad", "named")),
        (Verdict(True, undecided=True), Verdict(False, "undecided", "check", undecided=True)),
    ],
)
def test_results_are_normalised_to_verdicts(result, expected):
    def check(conversation, answer):
        return result

    assert run_checks([check], CONV, text("x")) == expected


def test_numpy_bools_count_as_bools():
    np = pytest.importorskip("numpy")
    assert run_checks([lambda c, a: np.bool_(False)], CONV, text("x")) == Verdict(False, "failed", "<lambda>")
    assert run_checks([lambda c, a: np.bool_(True)], CONV, text("x")) is None


def test_check_names():
    class LongEnough:
        def __call__(self, conversation, answer):
            return len(answer.text) > 3

    def at_least(conversation, answer, n):
        return len(answer.text) >= n or f"shorter than {n}"

    assert check_name(empty_answer) == "empty_answer"
    assert check_name(LongEnough()) == "LongEnough"
    assert check_name(functools.partial(at_least, n=5)) == "at_least"
    verdict = run_checks([LongEnough(), functools.partial(at_least, n=5)], CONV, text("abcd"))
    assert verdict == Verdict(False, "shorter than 5", "at_least")


def test_a_check_that_raises_is_undecided_and_escalates_without_leaking_its_message(caplog):
    def fragile(conversation, answer):
        raise KeyError(f"no key in {conversation.last_user_text}")

    with caplog.at_level(logging.WARNING, logger="langroute.checks"):
        verdict = run_checks([fragile, empty_answer], CONV, text(""))
    assert verdict == Verdict(False, "undecided: raised KeyError", "fragile", undecided=True)
    assert verdict.escalation == "fragile: undecided: raised KeyError"
    assert "fragile raised KeyError" in caplog.text
    assert "hunter2" not in caplog.text


async def test_cancellation_is_not_swallowed():
    async def cancelled(conversation, answer):
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await arun_checks([cancelled], CONV, text("x"))


def test_bad_return_type_is_a_type_error_naming_the_check():
    def forgot_return(conversation, answer):
        len(answer.text)

    with pytest.raises(TypeError, match=r"check 'forgot_return' returned NoneType: return True \(passed\), False"):
        run_checks([forgot_return], CONV, text("x"))


def test_sync_runner_rejects_async_checks_clearly():
    async def judge(conversation, answer):
        return True

    class AsyncJudge:
        async def __call__(self, conversation, answer):
            return True

    def returns_coroutine(conversation, answer):
        return judge(conversation, answer)

    with pytest.raises(TypeError, match="check 'judge' is async: run it with arun_checks"):
        run_checks([judge], CONV, text("x"))
    with pytest.raises(TypeError, match="check 'AsyncJudge' is async"):
        run_checks([AsyncJudge()], CONV, text("x"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(TypeError, match="check 'returns_coroutine' returned an awaitable"):
            run_checks([returns_coroutine], CONV, text("x"))
        gc.collect()
    assert not [w for w in caught if "never awaited" in str(w.message)]


async def test_async_runner_awaits_async_checks_and_runs_sync_ones_in_order():
    seen: list[str] = []

    async def grounded(conversation, answer):
        seen.append("grounded")
        await asyncio.sleep(0)
        return "no source cited" if "http" not in answer.text else True

    async def partial_async(conversation, answer, word):
        return word in answer.text or f"missing {word!r}"

    def sync_check(conversation, answer):
        seen.append("sync")
        return True

    assert await arun_checks([sync_check, grounded], CONV, text("see http://x")) is None
    verdict = await arun_checks([sync_check, grounded, empty_answer], CONV, text("no link"))
    assert verdict == Verdict(False, "no source cited", "grounded")
    assert seen == ["sync", "grounded", "sync", "grounded"]
    verdict = await arun_checks([functools.partial(partial_async, word="Oslo")], CONV, text("Bergen"))
    assert verdict == Verdict(False, "missing 'Oslo'", "partial_async")

    async def broken(conversation, answer):
        raise ValueError("boom")

    verdict = await arun_checks([broken], CONV, text("x"))
    assert verdict is not None
    assert verdict.undecided
    assert verdict.reason == "undecided: raised ValueError"


def test_as_checks_validates_once():
    assert as_checks(None) == ()
    assert as_checks(empty_answer) == (empty_answer,)
    assert as_checks([empty_answer, refusal]) == (empty_answer, refusal)
    with pytest.raises(TypeError, match=r"escalate\[1\]=str is not a check: pass callables"):
        as_checks([empty_answer, "refusal"])
    with pytest.raises(
        TypeError,
        match=r"escalate='refusal' is a string: pass the check itself, e.g. escalate=\[langroute.checks.refusal\]",
    ):
        as_checks("refusal")
    with pytest.raises(TypeError, match=r"checks\[0\]=int"):
        as_checks([3], field="checks")


# --- finish reasons -------------------------------------------------------------------------------------------------


class FinishReason(enum.IntEnum):
    STOP = 1
    MAX_TOKENS = 2


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("stop", "stop"),
        ("end_turn", "stop"),
        ("STOP", "stop"),
        (FinishReason.STOP, "stop"),
        ("length", "length"),
        ("max_tokens", "length"),
        ("MAX_TOKENS", "length"),
        (FinishReason.MAX_TOKENS, "length"),
        ("tool_use", "tool_calls"),
        ("SAFETY", "content_filter"),
        ("pause_turn", "pause_turn"),
        ("", None),
        (None, None),
    ],
)
def test_normalise_finish_reason(raw, expected):
    assert normalise_finish_reason(raw) == expected


# --- built-in checks ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (text("Sunny."), True),
        (text(""), "no text, no tool call and no structured output"),
        (text(" \n\t"), "no text, no tool call and no structured output"),
        (text("", finish_reason="content_filter"), "no text (finish reason content_filter)"),
        (text("", tool_calls=(ToolCall("get_weather", '{"city": "Oslo"}'),)), True),
        (text("", structured={"city": "Oslo"}), True),
    ],
)
def test_empty_answer(answer, expected):
    assert empty_answer(CONV, answer) == expected


@pytest.mark.parametrize(
    ("finish_reason", "failed"),
    [
        ("length", True),
        ("max_tokens", True),
        ("MAX_TOKENS", True),
        ("stop", False),
        ("tool_calls", False),
        (None, False),
    ],
)
def test_truncated(finish_reason, failed):
    got = truncated(CONV, text("The forecast for", finish_reason=finish_reason))
    assert got == ("finish reason 'length': the answer hit the token limit" if failed else True)


@pytest.mark.parametrize(
    ("calls", "tools", "expected"),
    [
        ((ToolCall("get_weather", '{"city": "Oslo", "days": 2}'),), {"get_weather": WEATHER}, True),
        ((ToolCall("get_weather", {"city": "Oslo"}),), {"get_weather": WEATHER}, True),
        ((ToolCall("get_wether", '{"city": "Oslo"}'),), {"get_weather": WEATHER}, "tool call 0 names unknown tool"),
        (
            (ToolCall("get_weather", '{"city": "Oslo"}'), ToolCall("get_weather", '{"city": "Oslo", days: 2}')),
            {"get_weather": WEATHER},
            "tool call 1 ('get_weather'): arguments are not valid JSON",
        ),
        (
            (ToolCall("get_weather", '["Oslo"]'),),
            {"get_weather": WEATHER},
            "tool call 0 ('get_weather'): arguments are not a JSON object",
        ),
        (
            (ToolCall("get_weather", '{"city": "Oslo", "days": 0}'),),
            {"get_weather": WEATHER},
            "tool call 0 ('get_weather') arguments do not match its schema: $.days: below minimum 1",
        ),
        (
            (ToolCall("get_weather", "{}"),),
            {"get_weather": WEATHER},
            "tool call 0 ('get_weather') arguments do not match its schema: $: missing required property 'city'",
        ),
        ((ToolCall("now", ""),), {"now": {"type": "object", "properties": {}}}, True),
        (
            (ToolCall("get_weather", '{"days": 2}'),),
            {"get_weather": {"type": "function", "function": {"name": "get_weather", "parameters": WEATHER}}},
            "tool call 0 ('get_weather') arguments do not match its schema: $: missing required property 'city'",
        ),
        ((ToolCall("anything", '{"x": 1}'),), {"anything": None}, True),
        ((ToolCall("unknown_tools", '{"x": 1}'),), None, True),
        ((ToolCall("unknown_tools", "{x}"),), None, "tool call 0 ('unknown_tools'): arguments are not valid JSON"),
        ((), {"get_weather": WEATHER}, True),
    ],
)
def test_invalid_tool_call(calls, tools, expected):
    got = invalid_tool_call(CONV, Answer(text="", tool_calls=calls, tools=tools))
    if expected is True:
        assert got is True
    else:
        assert isinstance(got, str)
        assert got.startswith(expected), got


def test_invalid_tool_call_reasons_never_quote_arguments_or_odd_names():
    leaked = Answer(
        text="",
        tool_calls=(ToolCall("my secret is hunter2", '{"city": 1}'),),
        tools={"get_weather": WEATHER},
    )
    assert invalid_tool_call(CONV, leaked) == "tool call 0 names unknown tool <unnamed>"
    wrong = Answer(
        text="",
        tool_calls=(ToolCall("get_weather", '{"city": "hunter2", "days": "hunter2"}'),),
        tools={"get_weather": WEATHER},
    )
    reason = invalid_tool_call(CONV, wrong)
    assert isinstance(reason, str)
    assert "hunter2" not in reason


class Forecast(BaseModel):
    """A forecast."""

    city: str
    celsius: float


FORECAST = Forecast.model_json_schema()


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (text("not JSON at all"), True),  # no schema requested
        (text('{"city": "Oslo", "celsius": 4.5}', schema=FORECAST), True),
        (text('```json\n{"city": "Oslo", "celsius": 4}\n```', schema=FORECAST), True),
        (
            text('{"city": "Oslo"}', schema=FORECAST),
            "does not match the schema: $: missing required property 'celsius'",
        ),
        (text("It is 4 degrees in Oslo.", schema=FORECAST), "the answer is not valid JSON"),
        (text("", schema=FORECAST), "the answer has no structured output"),
        (text("", schema=FORECAST, structured=Forecast(city="Oslo", celsius=4)), True),
        (
            text("", schema=FORECAST, structured={"city": "Oslo", "celsius": "warm"}),
            "does not match the schema: $.celsius",
        ),
        (
            text("", schema=FORECAST, tool_calls=(ToolCall("Forecast", '{"city": "Oslo", "celsius": 4}'),)),
            True,
        ),
        (
            text(
                "",
                schema=FORECAST,
                tool_calls=(ToolCall("search", '{"q": "x"}'), ToolCall("Forecast", '{"city": "Oslo"}')),
            ),
            "does not match the schema: $: missing required property 'celsius'",
        ),
        (text("", schema=FORECAST, tool_calls=(ToolCall("Forecast", "{oops"),)), "arguments are not valid JSON"),
    ],
)
def test_invalid_structured_output(answer, expected):
    got = invalid_structured_output(CONV, answer)
    if expected is True:
        assert got is True
    else:
        assert isinstance(got, str)
        assert got.startswith(expected), got


@pytest.mark.parametrize(
    "reply",
    [
        "I'm sorry, but I can't help with that.",
        "I\u2019m sorry, but I can\u2019t help with that request.",
        "I am sorry, but I cannot assist with that.",
        "Sorry — I can't do that.",
        "I can't help with creating malware.",
        "I apologise, but I'm unable to fulfil this request.",
        "As an AI language model, I cannot browse the internet.",
        "I must decline this request.",
        "  \nI won't help with that.",
        "Unfortunately, I'm not able to help with this one.",
    ],
)
def test_refusal_flags_common_refusals(reply):
    got = refusal(CONV, text(reply))
    assert isinstance(got, str)
    assert got.startswith("opens with refusal phrasing ("), got


@pytest.mark.parametrize("phrase", REFUSAL_PHRASES)
def test_every_documented_phrase_is_detected_at_the_start(phrase):
    assert refusal(CONV, text(phrase.capitalize() + " that.")) == f"opens with refusal phrasing ({phrase!r})"


@pytest.mark.parametrize(
    "answer",
    [
        text("The forecast for Oslo is sunny, 4 °C."),
        text("I can't believe how easy this is: use `sorted()`."),
        text("Here is a draft apology. " + "x" * 80 + " I'm sorry, but I can't make it on Friday."),  # past 100 chars
        text("I'm sorry, but I can't find that file. " + "Here is how to search for it instead. " * 30),  # long
        text("I can't help with that directly, so I'll call a tool.", tool_calls=(ToolCall("search", "{}"),)),
        text(""),
    ],
)
def test_refusal_is_conservative(answer):
    assert refusal(CONV, answer) is True


def test_builtin_checks_report_their_names():
    answer = text("", finish_reason="length")
    assert run_checks([truncated, empty_answer], CONV, answer) == Verdict(
        False, "finish reason 'length': the answer hit the token limit", "truncated"
    )
    for check in (empty_answer, truncated, invalid_tool_call, refusal, invalid_structured_output):
        assert check_name(check) == check.__name__
