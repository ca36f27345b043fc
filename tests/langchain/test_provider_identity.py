"""Provider identity: middleware sees the candidates' shared provider; tracing prices and counts each call once."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import get_usage_metadata_callback
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.tracers.langchain import LangChainTracer
from langchain_core.tracers.schemas import Run
from langsmith import Client

from langroute import RouterChatModel
from langroute.langchain.callbacks import RoutingStats

from .helpers import fixed, replies
from .openai_fakes import chat_openai, completion


def _openai_router(requests: list[dict[str, Any]] | None = None, **options: Any) -> RouterChatModel:
    log = [] if requests is None else requests
    models = {
        "small": chat_openai(lambda b: completion("ok"), log),
        "large": chat_openai(lambda b: completion("ok"), log),
    }
    return RouterChatModel(models=models, scorer=fixed(0.0), **options)


def test_candidates_of_one_provider_make_the_router_report_that_provider():
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

    router = _openai_router()
    assert (
        router._get_ls_params()["ls_provider"]
        == "openai"
        == chat_openai(completion, [])._get_ls_params()["ls_provider"]
    )
    mixed = RouterChatModel(models={"a": chat_openai(completion, []), "b": GenericFakeChatModel(messages=replies("x"))})
    assert mixed._get_ls_params()["ls_provider"] == "langroute"


def _history(total_tokens: int) -> list[Any]:
    """A short conversation whose last answer (an OpenAI one) reported `total_tokens`."""
    usage = {"input_tokens": total_tokens - 10, "output_tokens": 10, "total_tokens": total_tokens}
    answer = AIMessage("hello", usage_metadata=usage, response_metadata={"model_provider": "openai"})  # type: ignore[arg-type]
    return [HumanMessage("hi"), answer, HumanMessage("and then?")]


def test_summarization_middleware_trusts_reported_tokens_behind_a_single_provider_router():
    from langchain.agents import create_agent
    from langchain.agents.middleware import SummarizationMiddleware

    def summaries(summarizer: Any, summary_requests: list[dict[str, Any]]) -> int:
        agent = create_agent(
            chat_openai(lambda b: completion("done"), []),
            middleware=[SummarizationMiddleware(summarizer, trigger=("tokens", 1000), keep=("messages", 1))],
        )
        agent.invoke({"messages": _history(total_tokens=50_000)})  # few characters, many reported tokens
        return len(summary_requests)

    plain_requests: list[dict[str, Any]] = []
    routed_requests: list[dict[str, Any]] = []
    assert summaries(chat_openai(lambda b: completion("summary"), plain_requests), plain_requests) == 1
    assert summaries(_openai_router(routed_requests), routed_requests) == 1  # on main: 0, "langroute" != "openai"


class _RecordingTracer(LangChainTracer):
    """LangSmith's own tracer, with the two methods that post to the server replaced by a record of the runs."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("client", Client(api_key="test", api_url="http://127.0.0.1:9"))
        super().__init__(**kwargs)
        self.finished: list[Run] = []

    def copy_with_metadata_defaults(self, **kwargs: Any) -> LangChainTracer:
        copy = super().copy_with_metadata_defaults(**kwargs)
        copy.finished = self.finished  # type: ignore[attr-defined]
        return copy

    def _persist_run_single(self, run: Run) -> None:
        pass

    def _update_run_single(self, run: Run) -> None:  # type: ignore[override]
        self.finished.append(run)


def _llm_runs(tracer: _RecordingTracer) -> dict[str, Run]:
    return {"router" if run.parent_run_id is None else "candidate": run for run in tracer.finished}


def test_the_router_run_is_unpriced_and_the_candidate_run_carries_the_usage():
    for call in ("invoke", "stream"):
        tracer = _RecordingTracer()
        router = _openai_router()
        if call == "invoke":
            router.invoke("hi", {"callbacks": [tracer]})
        else:
            list(router.stream("hi", {"callbacks": [tracer]}))
        runs = _llm_runs(tracer)
        router_meta, candidate_meta = runs["router"].extra["metadata"], runs["candidate"].extra["metadata"]
        assert (router_meta["ls_provider"], router_meta["ls_model_name"]) == ("langroute", "small")
        assert "usage_metadata" not in router_meta  # nothing to price on the router's run
        assert (candidate_meta["ls_provider"], candidate_meta["ls_model_name"]) == ("openai", "gpt-4o-mini")
        assert candidate_meta["usage_metadata"]["total_tokens"] == 60


async def test_usage_handlers_count_each_call_once_and_routing_stats_still_sees_tokens():
    router = _openai_router()
    stats = RoutingStats()
    with get_usage_metadata_callback() as usage:
        out = router.invoke("hi", {"callbacks": [stats]})
        list(router.stream("hi", {"callbacks": [stats]}))
        await router.ainvoke("hi", {"callbacks": [stats]})
    assert usage.usage_metadata["gpt-4o-mini-2024-07-18"]["total_tokens"] == 3 * 60
    assert out.usage_metadata is not None
    assert out.usage_metadata["total_tokens"] == 60  # the caller's message keeps its usage
    assert stats.summary()["small"]["input_tokens"] == 3 * 50
