"""Responses on their way back from a candidate: tagged with the routing decision, streams resumed.

`RouterLLM` (and `RoutedStructuredLLM`) pull a stream's first item inside the fallback boundary, so a candidate that
fails before any output is replaced; the rest of the stream is handed on here as ``(first_item_or_END, rest)``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator
from typing import Any, Final

from langroute.decision import RoutingDecision

__all__ = ["END", "aresumed", "atagged_stream", "resumed", "tagged", "tagged_stream"]

END: Final = object()
"""Marks a stream that ended before its first item."""


def tagged(response: Any, decision: RoutingDecision) -> Any:
    """Put the decision dict in ``response.additional_kwargs["langroute"]`` (never in the message's kwargs)."""
    response.additional_kwargs = {**response.additional_kwargs, "langroute": decision.to_dict()}
    return response


def tagged_stream(opened: tuple[Any, Iterator[Any]], decision: RoutingDecision) -> Iterator[Any]:
    """The opened stream, each chunk tagged with `decision`."""
    first, rest = opened
    if first is END:
        return
    yield tagged(first, decision)
    for chunk in rest:
        yield tagged(chunk, decision)


async def atagged_stream(opened: tuple[Any, AsyncIterator[Any]], decision: RoutingDecision) -> AsyncIterator[Any]:
    """Async `tagged_stream`."""
    first, rest = opened
    if first is END:
        return
    yield tagged(first, decision)
    async for chunk in rest:
        yield tagged(chunk, decision)


def resumed(opened: tuple[Any, Iterator[Any]]) -> Generator[Any, None, None]:
    """The stream as the candidate produced it (first item included), for items that cannot carry the decision."""
    first, rest = opened
    if first is END:
        return
    yield first
    yield from rest


async def aresumed(opened: tuple[Any, AsyncIterator[Any]]) -> AsyncGenerator[Any, None]:
    """Async `resumed`."""
    first, rest = opened
    if first is END:
        return
    yield first
    async for item in rest:
        yield item
