"""The decision record a router hands its feedback store carries each decision field under its own key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langroute import HeuristicScorer, Router
from langroute.feedback import FeedbackStore


class KeepingStore(FeedbackStore):
    """A real in-memory store that also keeps the records it was handed."""

    def __init__(self) -> None:
        super().__init__()
        self.handed: dict[str, dict[str, Any]] = {}

    def record_decision(self, record: Mapping[str, Any]) -> bool:
        self.handed[record["id"]] = dict(record)
        return super().record_decision(record)


def test_the_decision_record_holds_the_decision_fields():
    with KeepingStore() as store:
        router = Router(
            ["small", "medium", "large"],
            scorer=HeuristicScorer(),
            routes={"code": ["small", "medium"]},
            mode="shadow",
            shadow_model="large",
            feedback=store,
        )
        decision = router.decide("Write a function that parses a CSV file. ```python\nimport csv\n```", task="code")
        forced = router.decide("hi", route="medium", id="forced-1")
        assert store.flush(timeout=60)
        stored = {record["id"]: record for record in store.decisions()}
    record = store.handed[decision.id]
    assert (record["model"], record["shadow"], record["would_route"]) == ("large", True, decision.would_route)
    assert decision.would_route in ("small", "medium")
    assert record["candidates"] == ["small", "medium"] == list(decision.ladder)  # the task's ladder
    assert (record["score"], record["scorer"], record["task"]) == (decision.score, "HeuristicScorer", "code")
    assert (record["forced"], record["explored"], record["propensity"]) == (False, False, 1.0)
    assert {k: stored[decision.id][k] for k in ("model", "candidates", "score", "task", "forced", "propensity")} == {
        k: record[k] for k in ("model", "candidates", "score", "task", "forced", "propensity")
    }
    record = store.handed[forced.id]
    assert (record["model"], record["forced"], record["propensity"], record["score"]) == ("medium", True, None, None)
    assert (record["shadow"], record["would_route"], record["task"]) == (False, None, None)
    assert record["candidates"] == ["small", "medium", "large"]
