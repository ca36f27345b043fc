"""Routing quality on labelled data: metrics, dataset loading, honest folds, reports and plots.

Standard library only, except `langroute.evaluation.plot` (matplotlib: ``pip install 'langroute[plot]'``).

```python
from langroute import HeuristicScorer
from langroute.evaluation import evaluate, load_records

records = load_records(["benchmarks/data/dev_gsm8k.jsonl"])
scorer = HeuristicScorer()
metrics = evaluate([scorer.score(r.prompt) for r in records], [r.weak for r in records], [r.strong for r in records])
metrics.apgr, metrics.cpt50, metrics.saving
```
"""

from __future__ import annotations

from langroute.evaluation.crossval import group_folds, groups
from langroute.evaluation.data import Record, by_dataset, load_prompts, load_records, parse_record
from langroute.evaluation.metrics import (
    DEFAULT_PRICES,
    CurvePoint,
    Metrics,
    apgr,
    cost_saving,
    cpt,
    evaluate,
    lift,
    pgr,
    quality_curve,
    share_at_quality,
)

__all__ = [
    "DEFAULT_PRICES",
    "CurvePoint",
    "Metrics",
    "Record",
    "apgr",
    "by_dataset",
    "cost_saving",
    "cpt",
    "evaluate",
    "group_folds",
    "groups",
    "lift",
    "load_prompts",
    "load_records",
    "parse_record",
    "pgr",
    "quality_curve",
    "share_at_quality",
]
