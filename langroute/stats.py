"""`RoutingTally`: the framework-free counters behind both adapters' ``RoutingStats``.

An adapter's stats handler feeds it the decision dicts it sees (one per attempt: the first choice, each fallback and
each escalation), the final answer's decision (with its token usage and cost) and whole-call failures, keyed by the
router's run. It counts per candidate and prices the same calls at the strongest candidate to show the saving.

```python
from langroute.stats import RoutingTally

tally = RoutingTally()
tally.decided("run-1", decision_dict)
tally.answered("run-1", final_decision_dict, input_tokens=120, output_tokens=40)
tally.summary()["small"]["calls"]   # 1
tally.savings()                     # {'cost_usd': ..., 'baseline_cost_usd': ..., 'saved_usd': ..., ...}
```
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Mapping
from typing import Any, Final

__all__ = ["COUNTERS", "RoutingTally"]

COUNTERS: Final = (
    "calls",
    "fallbacks",
    "errors",
    "escalations",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "would_calls",
)
"""The per-candidate counters of `RoutingTally.summary`.

- ``calls``: calls this candidate answered; ``fallbacks``: of those, calls it took over after another failed.
- ``errors``: times it raised or timed out (each error counted once, including the last one when all failed).
- ``escalations``: times its answer failed a check and the call went to a stronger candidate.
- ``input_tokens`` / ``output_tokens``: of its answers, when the model reports usage.
- ``cost_usd``: what its calls cost (escalated-away answers included), when prices and usage are known.
- ``would_calls``: in shadow mode, calls routing would have sent to it.
"""


class RoutingTally:
    """Thread-safe routing counters per candidate, the calls that failed on every candidate, and the saving.

    Calls are counted once per call at the outermost router: a decision whose call key is nested in another
    router's call (the adapter passes ``parent``) is ignored.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, dict[str, Any]] = {}
        self._current: dict[Hashable, str] = {}  # call -> candidate being tried
        self._failed = 0
        self._cost = 0.0
        self._baseline = 0.0
        self._would = 0.0
        self._priced = False
        self._shadow = False
        self._baseline_model: str | None = None

    def _row(self, model: str) -> dict[str, Any]:
        row = self._counts.get(model)
        if row is None:
            row = self._counts[model] = {name: (0.0 if name == "cost_usd" else 0) for name in COUNTERS}
        return row

    def decided(self, call: Hashable, decision: Mapping[str, Any]) -> None:
        """A decision was reported for `call`: the first choice, a fallback, or an escalation."""
        with self._lock:
            for name in decision.get("candidates", ()):
                self._row(name)
            if decision.get("candidates"):
                self._baseline_model = decision["candidates"][-1]
            previous = self._current.get(call)
            model = decision["model"]
            if previous is not None and previous != model:
                if decision.get("escalated_from") == previous:
                    self._row(previous)["escalations"] += 1
                elif decision.get("fallback_from"):
                    self._row(previous)["errors"] += 1
            self._current[call] = model

    def answered(
        self,
        call: Hashable,
        decision: Mapping[str, Any],
        input_tokens: int | None = None,
        output_tokens: int | None = None,
    ) -> None:
        """`call` was answered; `decision` is the final decision dict (with ``cost_usd`` when known).

        When the candidate being tried is not the one that answered, it failed: an escalation's candidates all
        raised and the earlier (kept) answer is returned. Its error is counted.
        """
        with self._lock:
            current = self._current.pop(call, None)
            if current is not None and current != decision["model"]:
                self._row(current)["errors"] += 1
            row = self._row(decision["model"])
            row["calls"] += 1
            if decision.get("fallback_from"):
                row["fallbacks"] += 1
            row["input_tokens"] += int(input_tokens or 0)
            row["output_tokens"] += int(output_tokens or 0)
            cost = decision.get("cost_usd")
            if cost is not None:
                self._priced = True
                row["cost_usd"] += cost
                self._cost += cost
                self._baseline += decision.get("baseline_cost_usd") or 0.0
            if decision.get("shadow") and decision.get("would_route"):
                self._shadow = True
                self._row(decision["would_route"])["would_calls"] += 1
                self._would += decision.get("would_cost_usd") or 0.0

    def failed(self, call: Hashable) -> None:
        """`call` raised to the caller: every candidate failed, or a stream broke after its first chunk."""
        with self._lock:
            self._failed += 1
            current = self._current.pop(call, None)
            if current is not None:
                self._row(current)["errors"] += 1

    def forget(self, call: Hashable) -> None:
        """Drop `call` without counting it (e.g. a nested router's call, counted by the outer one)."""
        with self._lock:
            self._current.pop(call, None)

    @property
    def failed_calls(self) -> int:
        """Calls that raised to the caller."""
        return self._failed

    def summary(self) -> dict[str, dict[str, Any]]:
        """Counters per candidate name (candidates seen in decisions appear even with zero calls)."""
        with self._lock:
            return {model: dict(row) for model, row in self._counts.items()}

    def savings(self) -> dict[str, Any]:
        """What routing cost against always calling the strongest candidate (an estimate: the strong model's own
        answers would differ in length).

        Returns:
            ``cost_usd``, ``baseline_cost_usd``, ``saved_usd``, ``saved_share`` (of the baseline),
            ``baseline_model``; in shadow mode also ``would_cost_usd`` and ``would_saved_usd``: what routing
            would have cost and saved on the same calls. Money values are ``None`` when no candidate is priced.
        """
        with self._lock:
            if not self._priced:
                out: dict[str, Any] = dict.fromkeys(("cost_usd", "baseline_cost_usd", "saved_usd", "saved_share"))
            else:
                saved = self._baseline - self._cost
                out = {
                    "cost_usd": self._cost,
                    "baseline_cost_usd": self._baseline,
                    "saved_usd": saved,
                    "saved_share": saved / self._baseline if self._baseline else 0.0,
                }
            out["baseline_model"] = self._baseline_model
            if self._shadow:
                out["would_cost_usd"] = self._would if self._priced else None
                out["would_saved_usd"] = self._baseline - self._would if self._priced else None
            return out

    def reset(self) -> None:
        """Zero every counter."""
        with self._lock:
            self._counts.clear()
            self._current.clear()
            self._failed = 0
            self._cost = self._baseline = self._would = 0.0
            self._priced = self._shadow = False
            self._baseline_model = None

    def __str__(self) -> str:
        rows = self.summary()
        savings = self.savings()
        total = sum(r["calls"] for r in rows.values()) or 1
        width = max([len("model"), *(len(m) for m in rows)])
        header = (
            f"{'model':<{width}}  {'calls':>6}  {'share':>6}  {'fallbacks':>9}  {'errors':>6}  {'escalated':>9}"
            f"  {'in tok':>8}  {'out tok':>8}  {'cost $':>10}"
        )
        lines = [header, "-" * len(header)]
        for model, r in rows.items():
            cost = f"{r['cost_usd']:>10.4f}" if savings["cost_usd"] is not None else f"{'-':>10}"
            lines.append(
                f"{model:<{width}}  {r['calls']:>6}  {r['calls'] / total:>6.0%}  {r['fallbacks']:>9}"
                f"  {r['errors']:>6}  {r['escalations']:>9}  {r['input_tokens']:>8}  {r['output_tokens']:>8}  {cost}"
            )
        if self._failed:
            lines.append(f"failed on every candidate: {self._failed}")
        if savings["saved_usd"] is not None:
            lines.append(
                f"cost ${savings['cost_usd']:.4f} vs ${savings['baseline_cost_usd']:.4f} always on "
                f"{savings['baseline_model']}: saved ${savings['saved_usd']:.4f} ({savings['saved_share']:.0%}, "
                "an estimate)"
            )
        if self._shadow:
            shares = ", ".join(f"{m} {r['would_calls'] / total:.0%}" for m, r in rows.items() if r["would_calls"])
            line = f"shadow mode: routing would send {shares}"
            if savings.get("would_saved_usd") is not None:
                line += f" and save ${savings['would_saved_usd']:.4f}"
            lines.append(line)
        return "\n".join(lines)
