"""`RoutingStats`: a LangChain callback handler that counts routing per candidate.

```python
from langroute.callbacks import RoutingStats

stats = RoutingStats()
router.invoke("hi", config={"callbacks": [stats]})
stats.summary()   # {'small': {'calls': 1, 'fallbacks': 0, 'errors': 0, 'input_tokens': 3, 'output_tokens': 5}, ...}
print(stats)      # a small table
```
"""

from __future__ import annotations

import threading
from typing import Any, Final
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import ChatGeneration, LLMResult

__all__ = ["RoutingStats"]

_COUNTERS: Final = ("calls", "fallbacks", "errors", "input_tokens", "output_tokens")
_EVENT: Final = "langroute_decision"
_USAGE: Final = "langroute_usage"  # the router run's llm_output key holding its candidate's usage (see _runs.py)


class RoutingStats(BaseCallbackHandler):
    """Count, per candidate: calls answered, fallbacks served, errors, input and output tokens.

    Pass it in ``config={"callbacks": [stats]}`` (or the router's ``callbacks=``). Thread-safe, so one instance
    can watch `batch` and concurrent async calls.

    - ``calls``: calls this candidate answered.
    - ``fallbacks``: of those, calls it took over after another candidate failed.
    - ``errors``: times it raised and the router fell back away from it.
    - ``input_tokens`` / ``output_tokens``: from the answer's ``usage_metadata``, when the model reports it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, dict[str, int]] = {}
        self._current: dict[UUID, str] = {}  # router run -> candidate currently tried

    def _bump(self, model: str, counter: str, amount: int = 1) -> None:
        counts = self._counts.setdefault(model, dict.fromkeys(_COUNTERS, 0))
        counts[counter] += amount

    def on_custom_event(self, name: str, data: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """Track the candidate each router run is trying; a new decision on the same run is a fallback."""
        if name != _EVENT or not isinstance(data, dict):
            return
        with self._lock:
            previous = self._current.get(run_id)
            if previous is not None and data.get("fallback_from"):
                self._bump(previous, "errors")
            for candidate in data.get("candidates", ()):
                self._counts.setdefault(candidate, dict.fromkeys(_COUNTERS, 0))
            self._current[run_id] = data["model"]

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        """Count the answer of a router run (the one whose message carries the decision)."""
        usage = (response.llm_output or {}).get(_USAGE)
        for generations in response.generations:
            for generation in generations:
                if isinstance(generation, ChatGeneration):
                    self._count_answer(generation, run_id, usage)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """Forget a router run that failed as a whole."""
        with self._lock:
            self._current.pop(run_id, None)

    def _count_answer(self, generation: ChatGeneration, run_id: UUID, usage: dict[str, Any] | None) -> None:
        decision = generation.message.response_metadata.get("langroute")
        if not isinstance(decision, dict):
            return  # a candidate's own run, or another model
        # the router's run records no usage_metadata (the candidate's run does): read the copy it keeps
        usage = usage or getattr(generation.message, "usage_metadata", None) or {}
        with self._lock:
            self._current.pop(run_id, None)
            model = decision["model"]
            self._bump(model, "calls")
            if decision.get("fallback_from"):
                self._bump(model, "fallbacks")
            self._bump(model, "input_tokens", int(usage.get("input_tokens", 0)))
            self._bump(model, "output_tokens", int(usage.get("output_tokens", 0)))

    def summary(self) -> dict[str, dict[str, int]]:
        """Counters per candidate name (candidates seen in decisions appear even with zero calls)."""
        with self._lock:
            return {model: dict(counts) for model, counts in self._counts.items()}

    def reset(self) -> None:
        """Zero every counter."""
        with self._lock:
            self._counts.clear()
            self._current.clear()

    def __str__(self) -> str:
        rows = self.summary()
        total = sum(r["calls"] for r in rows.values()) or 1
        width = max([len("model"), *(len(m) for m in rows)])
        header = (
            f"{'model':<{width}}  {'calls':>6}  {'share':>6}  {'fallbacks':>9}  {'errors':>6}"
            f"  {'in tok':>8}  {'out tok':>8}"
        )
        lines = [header, "-" * len(header)]
        for model, r in rows.items():
            lines.append(
                f"{model:<{width}}  {r['calls']:>6}  {r['calls'] / total:>6.0%}  {r['fallbacks']:>9}  {r['errors']:>6}"
                f"  {r['input_tokens']:>8}  {r['output_tokens']:>8}"
            )
        return "\n".join(lines)
