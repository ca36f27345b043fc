"""Honest cross-validation folds for routing data: whole domains, and identical prompts, stay in one fold.

A scorer that saw an MMLU subject in training looks better on that subject than it will on a new one, and a
prompt repeated across folds is memorised; both inflate every metric. `group_folds` therefore assigns whole
groups to folds, where a group is a domain (e.g. an MMLU subject) merged with every domain it shares a prompt
with. Records whose domain equals their dataset name (no finer grouping, e.g. GSM8K) are grouped by prompt.

```python
from langroute.evaluation import group_folds, load_records

records = load_records(["benchmarks/data/dev_mmlu_1.jsonl"])
folds = group_folds(records, k=5, seed=0)   # folds[i] is the fold (0..4) of records[i]
```
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from langroute.errors import ConfigError
from langroute.evaluation.data import Record

__all__ = ["group_folds", "groups"]


def groups(records: Sequence[Record]) -> list[str]:
    """The group of each record: its domain merged with all domains sharing a prompt with it."""
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    first: dict[str, str] = {}
    keys = []
    for record in records:
        key = f"domain:{record.domain}" if record.domain != record.dataset else f"prompt:{record.prompt}"
        keys.append(key)
        seen = first.setdefault(record.prompt, key)
        if seen != key:
            parent[find(key)] = find(seen)
    return [find(key) for key in keys]


def group_folds(records: Sequence[Record], *, k: int = 5, seed: int = 0) -> list[int]:
    """Assign each record a fold in ``range(k)`` so that no group is split (see the module docstring).

    Groups are shuffled with `seed`, then each one goes to the fold with the fewest records so far, so folds
    have similar sizes even when groups do not.

    Raises:
        ConfigError: `k` is below 2 or above the number of groups.
    """
    labels = groups(records)
    sizes: dict[str, int] = {}
    for label in labels:
        sizes[label] = sizes.get(label, 0) + 1
    if not 2 <= k <= len(sizes):
        raise ConfigError(f"k={k!r}: need 2 <= k <= {len(sizes)} (the number of separable groups)")
    order = sorted(sizes)
    random.Random(seed).shuffle(order)
    order.sort(key=lambda g: -sizes[g])  # stable: big groups first, ties in shuffled order
    load = [0] * k
    fold_of: dict[str, int] = {}
    for group in order:
        fold = min(range(k), key=lambda f: (load[f], f))
        fold_of[group] = fold
        load[fold] += sizes[group]
    return [fold_of[label] for label in labels]
