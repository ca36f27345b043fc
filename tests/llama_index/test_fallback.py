"""Fallback: stronger candidates first, then weaker ones; streams only before their first chunk."""

from __future__ import annotations

import pytest
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.llms import MockLLM

from langroute import AllCandidatesFailedError, CallableScorer
from langroute.llama_index import RouterLLM

MSGS = [ChatMessage(role="user", content="hello")]


def _router(models: dict, score: float = 0.0, **kwargs) -> RouterLLM:
    return RouterLLM(models=models, scorer=CallableScorer(lambda conv: score), **kwargs)


def test_falls_back_to_the_next_stronger_candidate(make_failing, events):
    llm = _router({"small": make_failing(message="small down"), "medium": MockLLM(), "large": MockLLM()})
    response = llm.chat(MSGS)
    decision = response.additional_kwargs["langroute"]
    assert (decision["model"], decision["fallback_from"]) == ("medium", "small")
    assert "fallback: small raised RuntimeError" in decision["reason"]
    assert [(e.model, e.fallback_from) for e in events.decisions()] == [("small", None), ("medium", "small")]


def test_after_the_stronger_ones_tries_the_weaker_ones(make_failing):
    llm = _router(
        {"small": MockLLM(), "medium": make_failing(message="m"), "large": make_failing(message="l")}, score=0.5
    )
    decision = llm.complete("hi").additional_kwargs["langroute"]
    assert (decision["model"], decision["fallback_from"]) == ("small", "medium")


def test_all_fail_lists_each_candidates_error(make_failing):
    llm = _router({"small": make_failing(message="quota"), "large": make_failing(message="timeout")})
    with pytest.raises(AllCandidatesFailedError) as info:
        llm.chat(MSGS)
    assert list(info.value.errors) == ["small", "large"]
    assert "small: RuntimeError: quota" in str(info.value)
    assert "large: RuntimeError: timeout" in str(info.value)


async def test_async_fallback_and_all_fail(make_failing):
    llm = _router({"small": make_failing(message="a"), "large": MockLLM()})
    response = await llm.achat(MSGS)
    assert response.additional_kwargs["langroute"]["fallback_from"] == "small"
    broken = _router({"small": make_failing(message="a"), "large": make_failing(message="b")})
    with pytest.raises(AllCandidatesFailedError, match="large: RuntimeError: b"):
        await broken.acomplete("x")


def test_forced_route_does_not_fall_back(make_failing):
    llm = _router({"small": MockLLM(), "large": make_failing(message="down")})
    with pytest.raises(RuntimeError, match=r"^down$"):
        llm.chat(MSGS, route="large")


def test_fallbacks_off_raises_the_candidates_error(make_failing):
    llm = _router({"small": make_failing(message="down"), "large": MockLLM()}, fallbacks=False)
    with pytest.raises(RuntimeError, match=r"^down$"):
        llm.complete("x")


def test_stream_falls_back_before_the_first_chunk(make_failing, events):
    llm = _router({"small": make_failing(message="no stream"), "large": MockLLM(max_tokens=3)})
    chunks = list(llm.stream_chat(MSGS))
    assert [c.delta for c in chunks] == ["text ", "text ", "text"]
    assert {c.additional_kwargs["langroute"]["fallback_from"] for c in chunks} == {"small"}
    assert [e.model for e in events.decisions()] == ["small", "large"]


def test_stream_does_not_fall_back_after_the_first_chunk(make_failing, events):
    llm = _router({"small": make_failing(message="cut", chunks_before_error=1), "large": MockLLM(max_tokens=3)})
    stream = llm.stream_complete("x")
    first = next(stream)
    assert (first.delta, first.additional_kwargs["langroute"]["model"]) == ("x", "small")
    with pytest.raises(RuntimeError, match="cut"):
        next(stream)
    assert [e.model for e in events.decisions()] == ["small"]


async def test_async_streams_fall_back_only_before_the_first_chunk(make_failing):
    llm = _router({"small": make_failing(message="no stream"), "large": MockLLM(max_tokens=2)})
    chunks = [c async for c in await llm.astream_complete("x")]
    assert [c.additional_kwargs["langroute"]["model"] for c in chunks] == ["large", "large"]

    cut = _router({"small": make_failing(message="cut", chunks_before_error=2), "large": MockLLM(max_tokens=2)})
    seen: list[str] = []

    async def drain() -> None:
        async for chunk in await cut.astream_chat(MSGS):
            seen.append(chunk.additional_kwargs["langroute"]["model"])

    with pytest.raises(RuntimeError, match="cut"):
        await drain()
    assert seen == ["small", "small"]


async def test_all_streams_fail_before_output(make_failing):
    llm = _router({"small": make_failing(message="a"), "large": make_failing(message="b")})
    with pytest.raises(AllCandidatesFailedError):
        llm.stream_complete("x")
    with pytest.raises(AllCandidatesFailedError):
        await llm.astream_chat(MSGS)
