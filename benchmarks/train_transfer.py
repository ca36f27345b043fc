"""Train the model that `TransferScorer.pretrained()` ships, and the recipes `quality.py --leave-task-out` compares.

    python benchmarks/train_transfer.py          # writes langroute/scorers/weights/transfer-v1.json

Data: every development record in benchmarks/data/: RouteLLM MMLU + GSM8K (Mixtral-8x7B vs GPT-4), LLMRouter's
DCRouter tasks (Llama-3.1-8B vs Nemotron-51B), and the 80 hand-written everyday prompts. Task families (`family`):
each MMLU subject *group* (`MMLU_GROUPS`), RouteLLM GSM8K, and each DCRouter task. The everyday prompts belong to no
family: they are never evaluated (their labels are invented); the logistic candidates train on them, the shipped
recipe (which only looks inside families) does not use them.

Recipe (`fit_consistent`, the one that won leave-task-out; the others are in `CANDIDATES`): the form features of
`langroute.scorers._transfer_features` (answer form, constraints, reasoning markers, question vs instruction,
length...), no topic n-grams. For each feature and each training family, the correlation of the feature with the
gain of a strong call *inside* that family (so labels need no normalisation across model pairs: a correlation has
no unit); a feature is kept when its mean correlation over families is at least `T_MIN` standard errors from zero,
with that mean, shrunk by (1 - 1/t^2), as its weight on the standardised feature. Features whose effect changes
sign from task to task (most of them: they identify tasks rather than hard prompts) get no weight. Deterministic.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

from langroute.conversation import Conversation, as_conversation
from langroute.evaluation import Record, load_records
from langroute.scorers._transfer_features import FEATURES, extract
from langroute.scorers.base import Score, Scorer
from langroute.scorers.transfer import PRETRAINED_PATH, TransferScorer

ROOT: Final = Path(__file__).resolve().parent.parent
DATA: Final = ROOT / "benchmarks" / "data"
FILES: Final = (
    "dev_mmlu_1.jsonl",
    "dev_mmlu_2.jsonl",
    "dev_mmlu_3.jsonl",
    "dev_gsm8k.jsonl",
    "dev_dcrouter.jsonl",
    "everyday.jsonl",
)

MMLU_GROUPS: Final[dict[str, tuple[str, ...]]] = {
    "stem": (
        "abstract_algebra", "astronomy", "college_biology", "college_chemistry", "college_computer_science",
        "college_mathematics", "college_physics", "computer_security", "conceptual_physics", "electrical_engineering",
        "elementary_mathematics", "high_school_biology", "high_school_chemistry", "high_school_computer_science",
        "high_school_mathematics", "high_school_physics", "high_school_statistics", "machine_learning",
    ),
    "medicine": (
        "anatomy", "clinical_knowledge", "college_medicine", "human_aging", "medical_genetics", "nutrition",
        "professional_medicine", "virology",
    ),
    "law": ("international_law", "jurisprudence", "professional_law"),
    "humanities": (
        "formal_logic", "high_school_european_history", "high_school_us_history", "high_school_world_history",
        "logical_fallacies", "moral_disputes", "moral_scenarios", "philosophy", "prehistory", "world_religions",
    ),
    "social": (
        "high_school_geography", "high_school_government_and_politics", "high_school_psychology", "human_sexuality",
        "professional_psychology", "public_relations", "security_studies", "sociology", "us_foreign_policy",
    ),
    "business": (
        "business_ethics", "econometrics", "high_school_macroeconomics", "high_school_microeconomics", "management",
        "marketing", "professional_accounting",
    ),
    "other": ("global_facts", "miscellaneous"),
}  # fmt: skip
"""The 57 MMLU subjects in 7 groups (MMLU's own four categories, with medicine, law and business split out)."""

_GROUP_OF: Final = {subject: group for group, subjects in MMLU_GROUPS.items() for subject in subjects}
PAIRS: Final = {"mmlu": "routellm", "gsm8k": "routellm", "dcrouter": "dcrouter", "everyday": "routellm"}
"""The model pair of each dataset: RouteLLM's (Mixtral-8x7B / GPT-4) or LLMRouter's (Llama-3.1-8B / Nemotron-51B)."""


def family(record: Record) -> str | None:
    """The task family of `record` (what leave-task-out holds out), or None for train-only records."""
    if record.dataset == "mmlu":
        return f"mmlu/{_GROUP_OF[record.domain]}"
    if record.dataset == "gsm8k":
        return "gsm8k"
    if record.dataset == "dcrouter":
        return f"dcrouter/{record.domain}"
    return None


def all_records(data: Path = DATA) -> list[Record]:
    """Every development record, RouteLLM first, then DCRouter, then the everyday prompts."""
    return load_records([data / name for name in FILES])


def features(records: Sequence[Record], progress: Callable[[int, int], None] | None = None) -> list[list[float]]:
    """The `FEATURES` row of each record's prompt."""
    rows = []
    for done, record in enumerate(records, start=1):
        rows.append(extract(as_conversation(record.prompt)))
        if progress is not None and done % 500 == 0:
            progress(done, len(records))
    return rows


# ------------------------------------------------------------------------------------------------------- recipes
@dataclass(frozen=True)
class Recipe:
    """How to turn training records into a model: which labels, which record weights, which objective.

    Attributes:
        name: the label in the tables.
        label: "gain" = (1 + strong - weak) / 2; "pair" = the gain standardised per model pair (so the pair with
            the larger gap does not dominate); "family" = the gain minus its family mean, standardised per pair
            (only what ranks prompts *inside* a task is learned).
        weighting: "record" (every record 1), "family" (every family the same total weight), "sqrt" (a family
            weighs sqrt(its size)).
        l2: L2 penalty of the logistic model (features standardised).
        drop: features left out.
    """

    name: str
    label: str = "pair"
    weighting: str = "family"
    l2: float = 1e-2
    drop: tuple[str, ...] = ()


def labels_for(records: Sequence[Record], how: str) -> list[float]:
    """Training labels in [0, 1] by the rule `how` (see `Recipe.label`)."""
    gains = [r.strong - r.weak for r in records]
    if how == "gain":
        return [(1.0 + g) / 2.0 for g in gains]
    keys = [PAIRS.get(r.dataset, r.dataset) for r in records]
    if how == "family":
        groups = [family(r) or r.domain for r in records]
        means = {g: statistics.fmean([x for x, k in zip(gains, groups, strict=True) if k == g]) for g in set(groups)}
        gains = [x - means[g] for x, g in zip(gains, groups, strict=True)]
    elif how != "pair":
        raise ValueError(f"label={how!r}: expected 'gain', 'pair' or 'family'")
    sds = {k: statistics.pstdev([x for x, key in zip(gains, keys, strict=True) if key == k]) or 1.0 for k in set(keys)}
    return [min(1.0, max(0.0, 0.5 + 0.25 * x / sds[k])) for x, k in zip(gains, keys, strict=True)]


def weights_for(records: Sequence[Record], how: str) -> list[float]:
    """Per-record training weights by the rule `how` (see `Recipe.weighting`), normalised to mean 1."""
    groups = [family(r) or r.domain for r in records]
    sizes = Counter(groups)
    if how == "record":
        weights = [1.0] * len(records)
    elif how == "family":
        weights = [1.0 / sizes[g] for g in groups]
    elif how == "sqrt":
        weights = [1.0 / math.sqrt(sizes[g]) for g in groups]
    else:
        raise ValueError(f"weighting={how!r}: expected 'record', 'family' or 'sqrt'")
    scale = len(weights) / math.fsum(weights)
    return [w * scale for w in weights]


def fit(
    rows: Sequence[Sequence[float]],
    labels: Sequence[float],
    weights: Sequence[float],
    *,
    l2: float,
    keep: Sequence[int],
) -> dict[str, object]:
    """Fit a logistic model with soft labels on the columns `keep` of `rows` (numpy, Newton's method)."""
    import numpy as np

    x = np.asarray(rows, dtype=float)[:, list(keep)]
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = np.hstack([np.ones((len(x), 1)), (x - mean) / scale])
    y = np.asarray(labels, dtype=float)
    w = np.asarray(weights, dtype=float)
    beta = np.zeros(z.shape[1])
    penalty = l2 * np.eye(z.shape[1])
    penalty[0, 0] = 0.0
    n = w.sum()
    for _ in range(50):  # Newton's method on the weighted cross-entropy: converges in a few steps, deterministic
        p = 1.0 / (1.0 + np.exp(-(z @ beta)))
        grad = z.T @ (w * (p - y)) / n + penalty @ beta
        hess = (z * (w * p * (1 - p))[:, None]).T @ z / n + penalty
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-10:
            break
    logits = z @ beta
    return {
        "bias": float(beta[0]),
        "weights": beta[1:].tolist(),
        "mean": mean.tolist(),
        "scale": scale.tolist(),
        "center": float(np.average(logits, weights=w)),
        "spread": float(math.sqrt(np.average((logits - np.average(logits, weights=w)) ** 2, weights=w))) or 1.0,
        "features": [FEATURES[i] for i in keep],
    }


T_MIN: Final = 2.0
"""How many standard errors from zero a feature's mean within-family correlation must be to get a weight."""


def fit_consistent(
    records: Sequence[Record], rows: Sequence[Sequence[float]], *, t_min: float = T_MIN
) -> TransferScorer:
    """The shipped recipe: weight the features whose within-family correlation with the gain is consistent."""
    by_family: dict[str, list[int]] = {}
    for i, record in enumerate(records):
        name = family(record)
        if name is not None:
            by_family.setdefault(name, []).append(i)
    correlations: list[list[float]] = []  # family -> feature -> correlation
    for index in by_family.values():
        gains = [records[i].strong - records[i].weak for i in index]
        correlations.append([_correlation([rows[i][j] for i in index], gains) for j in range(len(FEATURES))])
    weights: dict[str, float] = {}
    stats: dict[str, list[float]] = {}
    for j, name in enumerate(FEATURES):
        values = [c[j] for c in correlations]
        mean = statistics.fmean(values)
        se = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else math.inf
        t = mean / se if se > 0 else 0.0
        stats[name] = [round(mean, 4), round(t, 2)]
        if abs(t) >= t_min:
            weights[name] = mean * (1.0 - 1.0 / (t * t))
    kept = [j for j, name in enumerate(FEATURES) if name in weights]
    train = [i for index in by_family.values() for i in index]
    means = {FEATURES[j]: statistics.fmean(rows[i][j] for i in train) for j in kept}
    scales = {FEATURES[j]: statistics.pstdev(rows[i][j] for i in train) or 1.0 for j in kept}
    logits = [sum(weights[FEATURES[j]] * (rows[i][j] - means[FEATURES[j]]) / scales[FEATURES[j]] for j in kept)
              for i in train]  # fmt: skip
    family_size = {i: len(index) for index in by_family.values() for i in index}
    total = math.fsum(1.0 / family_size[i] for i in train)
    center = math.fsum(z / family_size[i] for z, i in zip(logits, train, strict=True)) / total
    variance = math.fsum((z - center) ** 2 / family_size[i] for z, i in zip(logits, train, strict=True)) / total
    return TransferScorer(
        weights=weights,
        means=means,
        scales=scales,
        center=center,
        spread=math.sqrt(variance) or 1.0,
        metadata={"t_min": t_min, "families": sorted(by_family), "within_family_correlation": stats},
    )


def _correlation(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Pearson correlation, 0 when either side is constant."""
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxy = math.fsum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = math.fsum((x - mx) ** 2 for x in xs)
    syy = math.fsum((y - my) ** 2 for y in ys)
    return sxy / math.sqrt(sxx * syy) if sxx > 1e-12 and syy > 1e-12 else 0.0


def fit_logistic(records: Sequence[Record], rows: Sequence[Sequence[float]], recipe: Recipe) -> TransferScorer:
    """A pooled logistic model on the same features (the usual recipe, for comparison), as a `TransferScorer`."""
    keep = [i for i, name in enumerate(FEATURES) if name not in recipe.drop]
    model = fit(
        rows, labels_for(records, recipe.label), weights_for(records, recipe.weighting), l2=recipe.l2, keep=keep
    )
    names = [FEATURES[i] for i in keep]
    return TransferScorer(
        weights=dict(zip(names, model["weights"], strict=True)),  # type: ignore[call-overload]
        means=dict(zip(names, model["mean"], strict=True)),  # type: ignore[call-overload]
        scales=dict(zip(names, model["scale"], strict=True)),  # type: ignore[call-overload]
        bias=model["bias"],  # type: ignore[arg-type]
        center=model["center"],  # type: ignore[arg-type]
        spread=model["spread"],  # type: ignore[arg-type]
    )


class FeatureCache:
    """Feature rows by prompt, computed once and shared by every fold and recipe."""

    def __init__(self) -> None:
        self._rows: dict[str, list[float]] = {}

    def rows(self, records: Sequence[Record]) -> list[list[float]]:
        """The `FEATURES` row of each record (computed on first use)."""
        missing = [r for r in dict.fromkeys(r.prompt for r in records) if r not in self._rows]
        for prompt in missing:
            self._rows[prompt] = extract(as_conversation(prompt))
        return [self._rows[r.prompt] for r in records]


_CACHE: Final = FeatureCache()


def _consistent(records: list[Record]) -> Scorer:
    return fit_consistent(records, _CACHE.rows(records))


def _logistic(recipe: Recipe) -> Callable[[list[Record]], Scorer]:
    return lambda records: fit_logistic(records, _CACHE.rows(records), recipe)


class Blend(Scorer):
    """The weighted mean of the scorers' logits, squashed back to [0, 1] (an ensemble; not shipped).

    Args:
        parts: (scorer, weight) pairs.
    """

    def __init__(self, parts: Sequence[tuple[Scorer, float]]) -> None:
        self.parts = list(parts)
        self.total = math.fsum(w for _, w in self.parts)

    def rate(self, conversation: Conversation) -> Score:
        """Blend the parts' scores of `conversation`."""
        z = 0.0
        for scorer, weight in self.parts:
            p = min(max(scorer.rate(conversation).value, 1e-9), 1 - 1e-9)
            z += weight * math.log(p / (1 - p))
        z /= self.total
        return Score(1 / (1 + math.exp(-z)), "blend")


def _learned_recipe(records: list[Record]) -> Scorer:
    from train_pretrained import train_model

    return train_model(records)


def _blend_pretrained(records: list[Record]) -> Scorer:
    from langroute.scorers.learned import LearnedScorer

    return Blend([(_consistent(records), 1.0), (LearnedScorer.pretrained(), 0.5)])


def _blend_heuristic(records: list[Record]) -> Scorer:
    from langroute.scorers.heuristic import HeuristicScorer

    return Blend([(_consistent(records), 1.0), (HeuristicScorer(), 1.0)])


CANDIDATES: Final[dict[str, Callable[[list[Record]], Scorer]]] = {
    "TransferScorer (consistent features)": _consistent,
    "logistic, gain labels": _logistic(Recipe("gain", label="gain", weighting="record")),
    "logistic, pair-normalised, family-weighted": _logistic(Recipe("pair", label="pair", weighting="family")),
    "logistic, within-family labels": _logistic(Recipe("family", label="family", weighting="family")),
    "LearnedScorer recipe (retrained)": _learned_recipe,
    "blend: Transfer + 0.5 LearnedScorer.pretrained()": _blend_pretrained,
    "blend: Transfer + HeuristicScorer": _blend_heuristic,
}
"""The recipes `quality.py --leave-task-out` retrains per fold: name -> train(records) -> scorer."""


def sha256(path: Path) -> str:
    """The first 16 hex digits of the file's sha256 (recorded in the model's metadata)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=PRETRAINED_PATH, help="where to write the model")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    records = all_records()
    scorer = fit_consistent(records, features(records))
    scorer.metadata.update(
        {
            "recipe": "python benchmarks/train_transfer.py",
            "label": "strong - weak, correlated with each feature inside each family",
            "data": {name: sha256(DATA / name) for name in FILES},
            "records": {d: sum(r.dataset == d for r in records) for d in PAIRS},
        }
    )
    path = scorer.save(args.out)
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    kept = {f: round(w, 4) for f, w in scorer.weights.items()}
    print(f"trained on {len(records)} records in {time.perf_counter() - started:.0f} s; weights {kept}; wrote {shown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
