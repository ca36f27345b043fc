"""Quality vs share of strong calls, one panel per dataset: the random line and each scorer's curve.

Needs matplotlib (``pip install 'langroute[plot]'``); it is imported only when a plot is drawn.

```python
from langroute.evaluation.plot import plot_curves

plot_curves(rows, "curves.png")   # rows from langroute.evaluation.report.evaluate_scorer
```
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langroute._atomic import write_atomically
from langroute.evaluation.report import Row

if TYPE_CHECKING:
    from langroute.evaluation.families import FamilyResult

__all__ = ["plot_curves", "plot_families"]


def plot_curves(rows: Sequence[Row], path: str | os.PathLike[str], *, title: str | None = None) -> Path:
    """Draw each row's curve, grouped by dataset, and write a PNG to `path` atomically; return the path.

    Raises:
        ImportError: matplotlib is not installed.
        ValueError: `rows` is empty.
    """
    if not rows:
        raise ValueError("rows is empty: nothing to plot; evaluate at least one scorer on one dataset")
    plt = _pyplot()

    datasets = list(dict.fromkeys(row.dataset for row in rows))
    columns = min(2, len(datasets))
    rows_needed = -(-len(datasets) // columns)
    fig, axes = plt.subplots(rows_needed, columns, figsize=(5.6 * columns, 4.4 * rows_needed), squeeze=False)
    for ax in axes.flat[len(datasets) :]:
        ax.set_visible(False)
    for ax, dataset in zip(axes.flat, datasets, strict=False):
        group = [row for row in rows if row.dataset == dataset]
        first = group[0].metrics
        ax.plot(
            [0, 1],
            [first.weak_quality, first.strong_quality],
            "--",
            color="grey",
            label="random routing, expected (APGR 0.50)",
        )
        ax.axhline(first.quality_target * first.strong_quality, color="lightgrey", linewidth=0.8)
        for row in group:
            shares = [p.share for p in row.curve]
            quality = [p.quality for p in row.curve]
            ax.plot(shares, quality, marker=".", markersize=3, label=f"{row.scorer} (APGR {row.metrics.apgr:.2f})")
        ax.set_title(f"{dataset} (n={first.n})")
        ax.set_xlabel("share of calls to the strong model")
        ax.set_ylabel("quality of routed answers")
        ax.set_xlim(0, 1)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return write_atomically(path, buffer.getvalue())


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError("plotting needs matplotlib: pip install 'langroute[plot]'") from exc
    return plt


def plot_families(
    results: Sequence[FamilyResult], path: str | os.PathLike[str], *, title: str | None = None, gap_min: float = 0.03
) -> Path:
    """Per held-out family, one bar per scorer with its bootstrap sd: APGR (families with a gap of at least
    `gap_min`) and lift (every family). Writes a PNG to `path` atomically and returns the path.

    Raises:
        ImportError: matplotlib is not installed.
        ValueError: `results` is empty.
    """
    if not results:
        raise ValueError("results is empty: nothing to plot; evaluate at least one scorer on one family")
    plt = _pyplot()
    scorers = list(dict.fromkeys(r.scorer for r in results))
    families = list(dict.fromkeys(r.family for r in results))
    index = {(r.scorer, r.family): r for r in results}
    well = [f for f in families if index[scorers[0], f].gap >= gap_min]
    panels = [("APGR (0.5 = random)", well, "apgr", 0.5), ("lift (0 = random, 1 = oracle)", families, "lift", 0.0)]
    height = 0.8 / len(scorers)
    fig, axes = plt.subplots(1, 2, figsize=(13, 0.42 * len(families) * max(1.0, len(scorers) / 5) + 1.5))
    for ax, (label, names, metric, base) in zip(axes, panels, strict=True):
        for k, scorer in enumerate(scorers):
            ys = [i + (k - (len(scorers) - 1) / 2) * height for i in range(len(names))]
            values = [getattr(index[scorer, f], metric) for f in names]
            ax.barh(
                ys,
                [v.value - base for v in values],
                height,
                left=base,
                xerr=[v.sd for v in values],
                label=scorer,
                error_kw={"elinewidth": 0.6, "alpha": 0.6},
            )
        ax.axvline(base, color="grey", linewidth=0.8)
        ax.set_yticks(range(len(names)), names, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel(label)
        ax.grid(axis="x", alpha=0.3)
    axes[1].legend(fontsize=7, loc="lower right")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return write_atomically(path, buffer.getvalue())
