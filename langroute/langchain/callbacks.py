"""LangChain callback handlers for routing: `RoutingStats` (traffic, errors, cost, savings) and `FeedbackHandler`.

```python
from langroute.callbacks import RoutingStats

stats = RoutingStats()
router.invoke("hi", config={"callbacks": [stats]})
stats.summary()   # {'small': {'calls': 1, 'fallbacks': 0, 'errors': 0, 'escalations': 0, 'cost_usd': ..., ...}}
stats.savings()   # {'cost_usd': ..., 'baseline_cost_usd': ..., 'saved_usd': ..., 'saved_share': ..., ...}
print(stats)      # a table with cost columns and the saving line
```
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from typing import Any, Final, Protocol
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import ChatGeneration, LLMResult

from langroute.errors import ConfigError
from langroute.langchain._runs import DECISION_EVENT, NESTED_KEY, RESULT_EVENT, USAGE_KEY
from langroute.stats import RoutingTally

__all__ = ["FEEDBACK_EVENT", "FeedbackHandler", "RoutingStats"]

FEEDBACK_EVENT: Final = "langroute_feedback"
"""Name of the custom event `FeedbackHandler` records: data ``{"id": ..., "score": ..., "comment": ...}``."""


class RoutingStats(BaseCallbackHandler):
    """Count routing per candidate: calls, fallbacks, errors, escalations, tokens, cost; calls that failed; savings.

    Pass it in ``config={"callbacks": [stats]}`` (or the router's ``callbacks=``, or an agent's config with
    `RoutingMiddleware`). Thread-safe, so one instance can watch `batch` and concurrent async calls. Built on
    `langroute.stats.RoutingTally` (the LlamaIndex twin uses it too, so both report the same numbers):

    - ``calls``: calls this candidate answered; ``fallbacks``: of those, calls it took over after another failed.
    - ``errors``: times it raised or timed out, each counted once (the last candidate's error when all failed, a
      stream that broke after its first chunk too).
    - ``escalations``: times its answer failed a check and the call went to a stronger candidate.
    - ``input_tokens`` / ``output_tokens``: from the answers' usage, when the model reports it.
    - ``cost_usd``: what its calls cost, escalated-away answers included, when `Candidate` prices are set.
    - ``would_calls``: in shadow mode, calls routing would have sent to it.

    `failed` counts calls that raised to the caller. A router used as another router's candidate is counted once,
    at the outermost router (whose decision keeps the inner one under ``"inner"``).
    """

    run_inline = True
    """Count on the event loop in async calls (the handlers only add to counters under a lock). Otherwise LangChain
    sends every event of a sync handler through the loop's thread pool, which delays each call under heavy
    concurrency and can push healthy candidates past ``timeout=``."""

    def __init__(self) -> None:
        self._tally = RoutingTally()
        self._lock = threading.Lock()
        self._routed: set[UUID] = set()  # router runs (or agent model steps) with a decision, not yet ended
        self._nested: set[UUID] = set()  # runs of routers called by another router: counted by the outer one

    def on_custom_event(
        self, name: str, data: Any, *, run_id: UUID, metadata: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> None:
        """Track each decision of a call (first choice, fallbacks, escalations) and `RoutingMiddleware` results."""
        if name == DECISION_EVENT and isinstance(data, Mapping):
            with self._lock:
                if metadata and metadata.get(NESTED_KEY) is not None:
                    self._nested.add(run_id)
                    return
                self._routed.add(run_id)
            self._tally.decided(run_id, data)
        elif name == RESULT_EVENT and isinstance(data, Mapping) and self._end(run_id):
            if data.get("failed"):
                self._tally.failed(run_id)
            else:
                self._tally.answered(run_id, data["decision"], data.get("input_tokens"), data.get("output_tokens"))

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        """Count the answer of a router run (its message carries the final decision, with the cost)."""
        if self._end(run_id) and not self._answered(run_id, response):
            self._tally.forget(run_id)

    def on_llm_error(
        self, error: BaseException, *, run_id: UUID, response: LLMResult | None = None, **kwargs: Any
    ) -> None:
        """Count a router run that raised to its caller (every candidate failed, or its stream broke).

        A stream its consumer closed early (``GeneratorExit``) counts as answered by the candidate that was
        streaming, as in the LlamaIndex adapter; a cancelled call is neither answered nor failed.
        """
        if not self._end(run_id):
            return
        if isinstance(error, Exception):
            self._tally.failed(run_id)
        elif response is None or not self._answered(run_id, response):
            self._tally.forget(run_id)

    def _answered(self, run_id: UUID, response: LLMResult) -> bool:
        """Count `response` as the answer of `run_id` if it carries a decision; whether it did."""
        usage = (response.llm_output or {}).get(USAGE_KEY) or {}
        for generations in response.generations:
            for generation in generations:
                if not isinstance(generation, ChatGeneration):
                    continue
                decision = generation.message.response_metadata.get("langroute")
                if isinstance(decision, Mapping):
                    self._tally.answered(run_id, decision, usage.get("input_tokens"), usage.get("output_tokens"))
                    return True
        return False

    def _end(self, run_id: UUID) -> bool:
        """Whether `run_id` is a routed call this handler counts (and stop tracking it)."""
        with self._lock:
            if run_id in self._nested:
                self._nested.discard(run_id)
                return False
            if run_id not in self._routed:
                return False  # a candidate's own run, or another model
            self._routed.discard(run_id)
            return True

    @property
    def failed(self) -> int:
        """Calls that raised to the caller: every candidate failed, or a stream broke after its first chunk."""
        return self._tally.failed_calls

    def summary(self) -> dict[str, dict[str, Any]]:
        """Counters per candidate name (candidates seen in decisions appear even with zero calls)."""
        return self._tally.summary()

    def savings(self) -> dict[str, Any]:
        """What routing cost against always calling the strongest candidate (an estimate; see `RoutingTally`).

        Returns:
            ``cost_usd``, ``baseline_cost_usd``, ``saved_usd``, ``saved_share``, ``baseline_model``; in shadow mode
            also ``would_cost_usd`` and ``would_saved_usd``. Money values are ``None`` when nothing is priced.
        """
        return self._tally.savings()

    def reset(self) -> None:
        """Zero every counter."""
        with self._lock:
            self._routed.clear()
            self._nested.clear()
        self._tally.reset()

    def __str__(self) -> str:
        return str(self._tally)


class _Recorder(Protocol):
    def record_feedback(self, id: str, score: float, comment: str | None = None) -> None: ...


class FeedbackHandler(BaseCallbackHandler):
    """Record feedback sent as a ``langroute_feedback`` custom event (e.g. a UI's thumbs, from inside a graph).

    ```python
    from langchain_core.callbacks import dispatch_custom_event
    from langroute.langchain import FeedbackHandler

    feedback = FeedbackHandler(router)          # a RouterChatModel, RoutingMiddleware or Router with feedback=
    # ...in a LangGraph node or a tool, once the user rated the answer:
    dispatch_custom_event("langroute_feedback", {"id": decision_id, "score": 1.0, "comment": "spot on"})
    graph.invoke(inputs, config={"callbacks": [feedback]})
    ```

    Outside a run (a web handler receiving the thumbs later) call ``router.record_feedback(id, score)`` instead.
    Errors are raised to the code that dispatched the event (``raise_error``): an unknown id, a score outside
    [0, 1] or NaN (`ValueError`), event data that is not ``{"id", "score"[, "comment"]}``.

    Args:
        target: what records the outcome: anything with ``record_feedback(id, score, comment)``, such as
            `RouterChatModel`, `RoutingMiddleware` or the core `Router` (each needs a ``feedback=`` store).
    """

    raise_error = True

    def __init__(self, target: _Recorder) -> None:
        if not callable(getattr(target, "record_feedback", None)):
            raise TypeError(
                f"target={type(target).__name__}: expected a RouterChatModel, RoutingMiddleware or Router "
                "(anything with record_feedback(id, score, comment))"
            )
        self.target = target

    def on_custom_event(self, name: str, data: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """Record a ``langroute_feedback`` event's outcome (durable when the dispatch returns)."""
        if name != FEEDBACK_EVENT:
            return
        if not isinstance(data, Mapping) or not isinstance(data.get("id"), str) or "score" not in data:
            raise ConfigError(
                f"{FEEDBACK_EVENT} event data must be a dict {{'id': str, 'score': float, 'comment': str | None}}, "
                f"got a {type(data).__name__}"
                + (f" with keys {sorted(map(str, data))}" if isinstance(data, Mapping) else "")
            )
        score = data["score"]
        if isinstance(score, bool) or not isinstance(score, (int, float)) or math.isnan(score):
            raise ConfigError(f"{FEEDBACK_EVENT}: score={score!r}: expected a number in [0, 1]")
        self.target.record_feedback(data["id"], float(score), data.get("comment"))
