"""A call that no callback handler listens to opens no router run; the candidate's run is configured as usual."""

from __future__ import annotations

import asyncio

import pytest
from langchain_core.callbacks import CallbackManager, StdOutCallbackHandler, get_usage_metadata_callback
from langchain_core.globals import set_debug
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.tracers.context import collect_runs
from langsmith import tracing_context

from langroute import RouterChatModel
from langroute.langchain._runs import _with_response_metadata, may_listen

from .helpers import RunLog, fixed, two_models


def _router_with_logged_candidates() -> tuple[RouterChatModel, RunLog]:
    log = RunLog()
    models = two_models()
    for model in models.values():
        model.callbacks = [log]  # the candidate's own handler: it sees only the candidate's runs
    return RouterChatModel(models=models, scorer=fixed(0.9)), log


def test_unobserved_invoke_gives_the_candidate_the_callers_tags_and_metadata():
    router, log = _router_with_logged_candidates()
    msg = router.invoke("hi", {"tags": ["checkout"], "metadata": {"user": "u1"}})
    assert msg.content == "large says hi"
    assert msg.response_metadata["langroute"]["model"] == "large"
    (start,) = log.starts  # only the candidate's run: the router opened none
    assert start["tags"] == ["checkout"]
    assert start["metadata"]["user"] == "u1"
    assert start["metadata"]["ls_model_type"] == "chat"
    assert start["parent"] is None
    assert log.events == []


def test_unobserved_stream_and_async_calls_route_and_tag_the_answer():
    router, log = _router_with_logged_candidates()
    chunks = list(router.stream("hi", {"tags": ["t"]}))
    assert "".join(str(c.content) for c in chunks) == "large says hi"
    assert chunks[0].response_metadata["langroute"]["model"] == "large"
    msg = asyncio.run(router.ainvoke("hi", {"metadata": {"k": 1}}))
    assert msg.response_metadata["langroute"]["model"] == "large"

    async def astream() -> list[str]:
        return [str(c.content) async for c in router.astream("hi")]

    assert "".join(asyncio.run(astream())) == "large says hi"
    assert len(log.starts) == 3
    assert all(s["parent"] is None for s in log.starts)
    assert log.starts[0]["tags"] == ["t"]
    assert log.starts[1]["metadata"]["k"] == 1


def test_a_handler_of_the_caller_sees_the_router_run_with_the_candidate_as_its_child():
    router, candidate_log = _router_with_logged_candidates()
    caller_log = RunLog()
    msg = router.invoke("hi", {"callbacks": [caller_log]})
    router_run, candidate_run = caller_log.starts
    assert router_run["metadata"]["ls_provider"] == "langroute"
    assert candidate_run["parent"] == router_run["run_id"]
    assert msg.response_metadata["langroute"]["id"] == str(router_run["run_id"])
    assert [name for name, _, _ in caller_log.events] == ["langroute_decision"]
    assert candidate_log.starts[0]["parent"] == router_run["run_id"]


def test_a_handler_installed_by_a_context_manager_counts_as_a_listener():
    router, _ = _router_with_logged_candidates()
    with collect_runs() as collector:
        msg = router.invoke("hi")
    names = [run.name for run in collector.traced_runs]
    assert names == ["RouterChatModel"]  # the router's run, with the candidate's run as its child
    (child,) = collector.traced_runs[0].child_runs
    assert msg.response_metadata["langroute"]["id"] == str(collector.traced_runs[0].id)
    assert child.parent_run_id == collector.traced_runs[0].id


def _configured(callbacks: object, local: object = None, verbose: bool = False) -> bool:
    return bool(CallbackManager.configure(callbacks, local, verbose).handlers)


@pytest.mark.parametrize(
    ("callbacks", "local", "verbose"),
    [
        (None, None, False),
        ([], None, False),
        (CallbackManager(handlers=[]), None, False),
        ([StdOutCallbackHandler()], None, False),
        (CallbackManager(handlers=[StdOutCallbackHandler()]), None, False),
        (None, [StdOutCallbackHandler()], False),
        (None, None, True),
    ],
)
def test_the_quick_check_agrees_with_configure(callbacks, local, verbose):
    assert may_listen(callbacks, local, verbose) == _configured(callbacks, local, verbose)


def test_context_managers_debug_and_tracing_switches_count_as_listeners(monkeypatch):
    with collect_runs():
        assert may_listen(None, None, False)
        assert _configured(None)
    with get_usage_metadata_callback():
        assert may_listen(None, None, False)
        assert _configured(None)
    set_debug(True)
    try:
        assert may_listen(None, None, False)
        assert _configured(None)
    finally:
        set_debug(False)
    with tracing_context(enabled=True):
        assert may_listen(None, None, False)  # configure would add a LangSmith tracer
    monkeypatch.setenv("LANGSMITH_TRACING", "true")
    assert may_listen(None, None, False)  # a tracing variable: "maybe", configure decides
    with tracing_context(enabled=False):
        assert not may_listen(None, None, False)  # switched off for this block, whatever the environment says


@pytest.mark.parametrize(
    "message",
    [
        AIMessage("hi", id="a", response_metadata={"model_name": "x"}, usage_metadata=None),
        AIMessage("", tool_calls=[{"name": "f", "args": {"a": 1}, "id": "t1"}], custom="extra field"),
        AIMessageChunk(content="chunk", id="c", response_metadata={"finish_reason": "stop"}),
    ],
)
def test_the_decision_copy_equals_model_copy(message):
    metadata = {**message.response_metadata, "langroute": {"model": "small"}}
    fast = _with_response_metadata(message, metadata)
    slow = message.model_copy(update={"response_metadata": metadata})
    assert type(fast) is type(slow)
    assert fast == slow
    assert fast.model_fields_set == slow.model_fields_set
    assert fast.model_extra == slow.model_extra
    assert fast.model_dump() == slow.model_dump()
    assert message.response_metadata.get("langroute") is None  # the original is untouched
