"""Train the model that `LearnedScorer.pretrained()` ships: the committed, reproducible recipe.

    python benchmarks/train_pretrained.py            # writes langroute/scorers/weights/learned-v1.json

Data: the RouteLLM MMLU + GSM8K records in benchmarks/data/ minus a held-out split (whole MMLU subjects and
20% of the GSM8K prompts, chosen with a fixed seed; `benchmarks/quality.py` reports the shipped model on it),
plus the 80 hand-written everyday prompts of benchmarks/data/everyday.jsonl (greetings and lookups vs long
multi-step technical tasks) so that the model stays sane on ordinary chat traffic.
Label: `Record.label` = (1 + strong - weak) / 2, the expected gain of a strong call mapped to [0, 1].
Deterministic: same data, same code, same weights (full-batch training, seeded initial weights).
"""

from __future__ import annotations

import argparse
import hashlib
import math
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

from langroute.evaluation import Record, groups, load_records
from langroute.scorers.learned import PRETRAINED_PATH, LearnedScorer

ROOT = Path(__file__).resolve().parent.parent

DATA = ROOT / "benchmarks" / "data"
DEV_FILES = ("dev_mmlu_1.jsonl", "dev_mmlu_2.jsonl", "dev_mmlu_3.jsonl", "dev_gsm8k.jsonl")
EVERYDAY_FILE = "everyday.jsonl"
HOLDOUT_SEED = 2024
HOLDOUT_SHARE = 0.2  # of the MMLU subjects and of the GSM8K prompts
DATASET_WEIGHTS = {"mmlu": 1.0, "gsm8k": 3.0, "everyday": 5.0}  # GSM8K is 14x smaller than MMLU
HYPERPARAMETERS = {"buckets": 1 << 14, "l2": 0.03, "sparse_l2": 1e-3, "epochs": 200, "seed": 0}  # chosen by CV


def dev_records(data: Path = DATA) -> list[Record]:
    """The RouteLLM development records (MMLU and GSM8K)."""
    return load_records([data / name for name in DEV_FILES])


def holdout_split(records: Sequence[Record], seed: int = HOLDOUT_SEED) -> tuple[list[Record], list[Record]]:
    """(train, held_out): a share of whole groups (MMLU subjects, GSM8K prompts) per dataset, seeded."""
    labels = groups(records)
    held: set[str] = set()
    for dataset in sorted({r.dataset for r in records}):
        names = sorted({g for g, r in zip(labels, records, strict=True) if r.dataset == dataset})
        random.Random(f"{seed}:{dataset}").shuffle(names)
        held.update(names[: max(1, round(HOLDOUT_SHARE * len(names)))])
    train = [r for g, r in zip(labels, records, strict=True) if g not in held]
    test = [r for g, r in zip(labels, records, strict=True) if g in held]
    return train, test


def record_weights(records: Sequence[Record]) -> list[float]:
    """Per-record training weights: `DATASET_WEIGHTS`, times sqrt(median domain size / domain size) inside a
    dataset with domains (MMLU subjects), so that the biggest subjects (professional_law: 1,534 prompts,
    moral_scenarios: 895) do not decide alone what "hard" looks like; that generalises better to new subjects."""
    sizes = Counter((r.dataset, r.domain) for r in records)
    medians = {}
    for dataset in {r.dataset for r in records}:
        domain_sizes = [n for (d, domain), n in sizes.items() if d == dataset and domain != dataset]
        medians[dataset] = statistics.median(domain_sizes) if domain_sizes else None
    weights = []
    for r in records:
        weight = DATASET_WEIGHTS.get(r.dataset, 1.0)
        median = medians[r.dataset]
        if median is not None and r.domain != r.dataset:
            weight *= math.sqrt(median / sizes[r.dataset, r.domain])
        weights.append(weight)
    return weights


TARGETS: dict[str, Callable[[Record], float]] = {
    "gain": lambda r: r.label,  # (1 + strong - weak) / 2: the recipe's choice
    "strong helps": lambda r: max(0.0, r.strong - r.weak),
    "weak fails": lambda r: 1.0 - r.weak,
}
"""Training targets compared by `benchmarks/quality.py --target-study`."""


def train_model(records: Sequence[Record], *, target: str = "gain", progress=None, **overrides) -> LearnedScorer:
    """Fit a `LearnedScorer` on `records` with the recipe's target, weights and hyper-parameters."""
    scorer = LearnedScorer(**{**HYPERPARAMETERS, **overrides})
    labels = [TARGETS[target](r) for r in records]
    return scorer.fit([r.prompt for r in records], labels, sample_weights=record_weights(records), progress=progress)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=PRETRAINED_PATH, help="where to write the model")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    train, held_out = holdout_split(dev_records())
    everyday = load_records([DATA / EVERYDAY_FILE])
    scorer = train_model([*train, *everyday])
    scorer.metadata.update(
        {
            "recipe": "python benchmarks/train_pretrained.py",
            "label": "(1 + strong_correct - weak_correct) / 2",
            "data": {name: _sha256(DATA / name) for name in (*DEV_FILES, EVERYDAY_FILE)},
            "dataset_weights": DATASET_WEIGHTS,
            "domain_balancing": "sqrt(median subject size / subject size) within MMLU",
            "train_records": {d: sum(r.dataset == d for r in [*train, *everyday]) for d in DATASET_WEIGHTS},
            "held_out_subjects": sorted({r.domain for r in held_out if r.dataset == "mmlu"}),
            "held_out_gsm8k_prompts": sum(r.dataset == "gsm8k" for r in held_out),
            "holdout_seed": HOLDOUT_SEED,
        }
    )
    path = scorer.save(args.out)
    size = path.stat().st_size / 1024
    print(f"trained on {len(train) + len(everyday)} records in {time.perf_counter() - started:.0f} s; ", end="")
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} ({size:.0f} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
