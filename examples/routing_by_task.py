"""Route by task, capability and cost, and print what routing saved.

Run: ``python examples/routing_by_task.py`` (offline stand-in models; the prices are example prices, not quotes).

- code goes to the code model (a task route picked by a classifier),
- a contract question goes to the premium model (the ``legal`` route: sensitive work),
- an image question skips the text-only models (``vision=False``),
- a long document skips the small context windows,
- everything else takes the cheapest model the score allows.
"""

from __future__ import annotations

import re

from langchain_core.messages import HumanMessage

from langroute import CallableClassifier, Candidate, Conversation, RouterChatModel
from langroute.callbacks import RoutingStats
from langroute.langchain.testing import StandInChatModel

CODE = re.compile(r"```|\bdef |\bclass |Traceback")
LEGAL = re.compile(r"\b(contract|clause|liabilit|indemnif)", re.IGNORECASE)


def task_of(conversation: Conversation) -> str | None:
    text = conversation.last_user_text
    return "code" if CODE.search(text) else "legal" if LEGAL.search(text) else None


# example prices in USD per 1M tokens (input, output); capabilities as a provider's model card would state them
router = RouterChatModel(
    models=[
        Candidate(
            "mini", StandInChatModel(label="mini"), input_cost=0.15, output_cost=0.6, context_window=2_000, vision=False
        ),
        Candidate(
            "coder",
            StandInChatModel(label="coder"),
            input_cost=0.3,
            output_cost=1.2,
            context_window=2_000,
            vision=False,
        ),
        Candidate("vision", StandInChatModel(label="vision"), input_cost=1.0, output_cost=4.0, context_window=128_000),
        Candidate(
            "premium", StandInChatModel(label="premium"), input_cost=5.0, output_cost=15.0, context_window=200_000
        ),
    ],
    routes={"code": ["coder", "premium"], "legal": ["premium"]},
    classifier=CallableClassifier(task_of),
    thresholds=[0.4, 0.7, 0.9],
)

IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
REQUESTS = {
    "greeting": "Hi! What can you do?",
    "code": "Why does this fail?\n```python\ndef mean(xs): return sum(xs) / len(xs)\nmean([])\n```",
    "contract": "Is the limitation of liability clause in this contract enforceable if we terminate early?",
    "image": [HumanMessage(["What is on this receipt?", IMAGE])],
    "long document": "Summarize the minutes below in three bullets.\n" + "The committee discussed the budget. " * 400,
}

stats = RoutingStats()
print(f"{'request':<14} {'model':<8} {'task':<6} {'cost $':>9}  why")
for name, request in REQUESTS.items():
    decision = router.invoke(request, config={"callbacks": [stats]}).response_metadata["langroute"]
    skipped = ", ".join(f"{model} ({why})" for model, why in decision["excluded"].items())
    if skipped:
        why = f"skipped {skipped}"
    elif decision["task"]:
        why = f"the {decision['task']} route {decision['ladder']}, score {decision['score']:.2f}"
    else:
        why = f"score {decision['score']:.2f} on {decision['ladder']}"
    print(f"{name:<14} {decision['model']:<8} {decision['task'] or '-':<6} {decision['cost_usd']:>9.6f}  {why}")

print()
print(stats)
savings = stats.savings()  # the same numbers as a dict
print(f"\nsaved {savings['saved_share']:.0%} against always calling {savings['baseline_model']} (example prices)")
