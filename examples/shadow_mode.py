"""Shadow mode: keep answering from your current model while measuring what routing would do and save.

Run: ``python examples/shadow_mode.py`` (offline stand-in models; example prices).

With ``mode="shadow"`` every call is answered by the shadow model (default: the strongest candidate), exactly as
before; each decision reports ``would_route``, the model routing would have chosen, and `RoutingStats` prices the
same calls at those models. Switch to ``mode="route"`` once the numbers convince you.
"""

from __future__ import annotations

from langroute import Candidate, RouterChatModel
from langroute.callbacks import RoutingStats
from langroute.langchain.testing import StandInChatModel

router = RouterChatModel(
    models=[
        Candidate("small", StandInChatModel(label="small"), input_cost=0.15, output_cost=0.6),
        Candidate("large", StandInChatModel(label="large"), input_cost=2.5, output_cost=10.0),
    ],
    mode="shadow",
)

TRAFFIC = [
    "Hi there!",
    "Translate 'good morning' into Spanish.",
    "What is the capital of Portugal?",
    "Summarize: the meeting moved to Tuesday at 10.",
    "Design a distributed rate limiter step by step: explain the trade-offs, implement it in Python with "
    "```code```, derive the error bound as an equation, prove it, and analyze the complexity.",
    "Thanks, that's all.",
]

stats = RoutingStats()
for prompt in TRAFFIC:
    message = router.invoke(prompt, config={"callbacks": [stats]})
    decision = message.response_metadata["langroute"]
    print(f"answered by {decision['model']:<6} would route to {decision['would_route']:<6} {prompt[:50]!r}")

print()
print(stats)
savings = stats.savings()
print(
    f"\nrouting would have cost ${savings['would_cost_usd']:.5f} instead of ${savings['cost_usd']:.5f} "
    f"(saving ${savings['would_saved_usd']:.5f}, example prices)"
)
