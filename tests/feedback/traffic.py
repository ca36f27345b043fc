"""Seeded synthetic traffic for feedback-store tests: decisions, results and outcomes over a day."""

from __future__ import annotations

import random

from langroute.feedback import FeedbackStore

PRICES = {"small": [0.15, 0.6], "medium": [1.0, 4.0], "large": [3.0, 15.0]}
START = 1_767_225_600.0  # 2026-01-01 00:00 UTC


def fill(store: FeedbackStore, n: int = 300, *, seed: int = 0, prices: bool = True) -> list[str]:
    """Record `n` decisions over 24 h (a quarter of them with feedback); return their ids, oldest first.

    The router drifts from the large model to the small one through the day, as a learner would make it; 10% of
    calls are explored; the feedback on the small model falls as the scorer's score rises (a calibrated scorer).
    """
    rng = random.Random(seed)
    ids = []
    models = list(PRICES)
    for i in range(n):
        t = START + 86_400 * i / n
        score = rng.random()
        explored = rng.random() < 0.1
        learned = i / n  # how far the loop has moved traffic to cheaper models
        if explored:
            model = rng.choice(models)
        elif score < 0.3 + 0.4 * learned:
            model = "small"
        elif score < 0.6 + 0.2 * learned:
            model = "medium"
        else:
            model = "large"
        decision_id = f"d{seed}-{i:05d}"
        store.record_decision(
            {
                "id": decision_id,
                "time": t,
                "model": model,
                "candidates": models,
                "score": score,
                "scorer": "heuristic",
                "task": None,
                "forced": False,
                "explored": explored,
                "propensity": 1 / 3 if explored else 0.9,
                "features": {"h": [rng.randrange(64) for _ in range(3)]},
                "prices": PRICES if prices else None,
                "text": f"prompt number {i}",
            }
        )
        store.record_result(decision_id, served=model, input_tokens=200 + rng.randrange(400), output_tokens=150)
        ids.append(decision_id)
        if i % 4 == 0:
            good = {"small": 1 - score, "medium": 1 - score / 2, "large": 0.95}[model]
            store.record_outcome(decision_id, 1.0 if rng.random() < good else 0.0)
    store.flush()
    return ids
