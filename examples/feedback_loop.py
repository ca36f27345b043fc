"""Record how good each routed answer was: from your UI, or as an event inside a LangGraph graph.

Run: ``python examples/feedback_loop.py`` (offline stand-in models, an in-memory feedback store).

Every decision has an ``id`` (``response_metadata["langroute"]["id"]``, the router run's id). Send it with the
answer to your UI; when the user rates the answer, record the score in [0, 1]. ``router.learn()`` then adapts the
scorer to your traffic from what the store holds (no prompt text is stored unless you opt in).
"""

from __future__ import annotations

from typing import TypedDict

from langchain_core.callbacks import dispatch_custom_event
from langgraph.graph import END, START, StateGraph

from langroute import FeedbackStore, RouterChatModel
from langroute.callbacks import FeedbackHandler
from langroute.langchain.testing import StandInChatModel

store = FeedbackStore()  # in-memory SQLite; FeedbackStore("sqlite:///feedback.db") keeps it on disk
router = RouterChatModel(
    models={"small": StandInChatModel(label="small"), "large": StandInChatModel(label="large")},
    feedback=store,
    explore=0.1,  # 10% of calls routed at random, so the store also learns about the model routing would skip
    seed=0,
)

# 1. From a UI: the answer goes out with its decision id, the thumbs come back later.
answer = router.invoke("What is the capital of Portugal?")
decision_id = answer.response_metadata["langroute"]["id"]
router.record_feedback(decision_id, 1.0, comment="thumbs up")  # durable when it returns


# 2. Inside a graph: a node rates the answer (e.g. a user's reply was "thanks!") and dispatches the event.
class State(TypedDict):
    question: str
    answer_id: str


def answer_node(state: State) -> dict[str, str]:
    message = router.invoke(state["question"])
    return {"answer_id": message.response_metadata["langroute"]["id"]}


def rate_node(state: State) -> dict[str, str]:
    dispatch_custom_event("langroute_feedback", {"id": state["answer_id"], "score": 0.0, "comment": "wrong city"})
    return {}


graph = StateGraph(State)
graph.add_node("answer", answer_node)
graph.add_node("rate", rate_node)
graph.add_edge(START, "answer")
graph.add_edge("answer", "rate")
graph.add_edge("rate", END)
graph.compile().invoke({"question": "Capital of Australia?"}, {"callbacks": [FeedbackHandler(router)]})

for outcome in store.outcomes():
    print(f"decision ...{outcome['id'][-12:]}  score {outcome['score']}  comment {outcome['comment']!r}")
print(f"{sum(1 for _ in store.decisions())} decisions recorded")
# router.learn() adapts the scorer from these outcomes (see the README's "Feedback loop").
