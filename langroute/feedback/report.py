"""`langroute report`: one self-contained HTML page that shows the feedback loop at work, from a `FeedbackStore`.

```python
from langroute.feedback import FeedbackStore
from langroute.feedback.report import write_report

write_report(FeedbackStore("feedback.db"), "report.html")   # needs matplotlib: pip install 'langroute[plot]'
```

Over time (the span of the recorded decisions, cut into equal buckets) the page plots each model's share of the
traffic, the mean feedback score per model, the cost against sending every call to the strongest candidate, and
the share of explored calls; then the scorer's calibration: the mean feedback per band of the scorer's score, for
each model. Plots are inline SVG: the page loads nothing else. The store is read in one streaming pass over the
decisions (and their results) and one over the outcomes, so memory does not grow with the store.

Costs: a result's ``cost_usd`` when recorded, else its tokens times the decision's ``prices`` (USD per million
tokens) for the model that served. The baseline prices the same tokens at the strongest candidate's prices (the
last of the decision's ``candidates``, which are ordered cheapest first). Without prices the cost plot shows
tokens per model instead.
"""

from __future__ import annotations

import html
import io
import os
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from langroute._atomic import write_atomically
from langroute.errors import ConfigError

if TYPE_CHECKING:
    from langroute.feedback.store import FeedbackStore

__all__ = ["ReportData", "build_report", "report_data", "write_report"]

_SCORE_BANDS: Final = 10
_SVG_METADATA: Final = ("Creator", "Date", "Format", "Type")


@dataclass
class ReportData:
    """What the report shows, aggregated from a store (the plots' data; usable without matplotlib).

    Attributes:
        starts: each time bucket's start (unix seconds); `width` seconds long.
        traffic: per model, the calls it served in each bucket (the chosen model when no result says otherwise).
        explored: explored calls per bucket.
        feedback: per model, (sum of outcome scores, number of outcomes) per bucket, by decision time.
        cost, baseline: USD per bucket, actual and if the strongest candidate had served every priced call.
        priced: whether any call had a cost (``cost_usd`` or ``prices``).
        tokens: per model, input + output tokens per bucket.
        calibration: per model, (sum of outcomes, count) per band of the scorer's score ([0, 0.1), ... [0.9, 1]).
    """

    starts: list[float]
    width: float
    traffic: dict[str, list[int]] = field(default_factory=dict)
    explored: list[int] = field(default_factory=list)
    feedback: dict[str, list[tuple[float, int]]] = field(default_factory=dict)
    cost: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)
    priced: bool = False
    tokens: dict[str, list[int]] = field(default_factory=dict)
    calibration: dict[str, list[tuple[float, int]]] = field(default_factory=dict)

    @property
    def calls(self) -> list[int]:
        """Calls per bucket."""
        return [sum(column) for column in zip(*self.traffic.values(), strict=True)] if self.traffic else []

    @property
    def saving(self) -> float | None:
        """Share of the baseline cost saved over the whole span (None without prices)."""
        total = sum(self.baseline)
        return 1.0 - sum(self.cost) / total if self.priced and total > 0 else None


def _bucket_of(t: float, start: float, width: float, n: int) -> int:
    return min(max(int((t - start) / width), 0), n - 1)


def _with_results(store: FeedbackStore) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None]]:
    """Each decision with its result (or None): a merge of two streams ordered by the decision's seq."""
    results = store.results()
    pending = next(results, None)
    for decision in store.decisions():
        while pending is not None and pending["seq"] < decision["seq"]:
            pending = next(results, None)
        yield decision, pending if pending is not None and pending["seq"] == decision["seq"] else None


def _price(prices: Any, model: str, input_tokens: int, output_tokens: int) -> float | None:
    pair = prices.get(model) if isinstance(prices, dict) else None
    if not isinstance(pair, (list, tuple)) or len(pair) != 2 or None in pair:
        return None
    return (input_tokens * float(pair[0]) + output_tokens * float(pair[1])) / 1e6


def report_data(store: FeedbackStore, *, buckets: int = 24) -> ReportData | None:
    """Aggregate `store` into `buckets` equal time buckets; None when it holds no decision.

    Raises:
        ConfigError: `buckets` is below 1.
    """
    if buckets < 1:
        raise ConfigError(f"buckets={buckets!r}: expected at least 1 time bucket")
    store.flush(10.0)
    stats = store.stats()
    if not stats["decisions"]:
        return None
    first, last = float(stats["first_time"]), float(stats["last_time"])
    n = buckets if last > first else 1
    width = (last - first) / n if last > first else 1.0
    data = ReportData(starts=[first + i * width for i in range(n)], width=width)
    data.explored, data.cost, data.baseline = [0] * n, [0.0] * n, [0.0] * n

    for decision, result in _with_results(store):
        i = _bucket_of(decision["time"], first, width, n)
        served = (result or {}).get("served") or decision["model"]
        data.traffic.setdefault(served, [0] * n)[i] += 1
        data.explored[i] += bool(decision["explored"])
        if result is None:
            continue
        tokens_in, tokens_out = result["input_tokens"] or 0, result["output_tokens"] or 0
        data.tokens.setdefault(served, [0] * n)[i] += tokens_in + tokens_out
        cost = result["cost_usd"]
        if cost is None:
            cost = _price(decision["prices"], served, tokens_in, tokens_out)
        strongest = (decision["candidates"] or [served])[-1]
        baseline = _price(decision["prices"], strongest, tokens_in, tokens_out)
        if cost is not None:
            data.priced = True
            data.cost[i] += cost
            data.baseline[i] += cost if baseline is None else baseline

    feedback: dict[str, list[list[float]]] = defaultdict(lambda: [[0.0, 0] for _ in range(n)])
    bands: dict[str, list[list[float]]] = defaultdict(lambda: [[0.0, 0] for _ in range(_SCORE_BANDS)])
    for row in store.labelled():
        model = row["served"] or row["model"]
        cell = feedback[model][_bucket_of(row["time"], first, width, n)]
        cell[0] += row["outcome"]
        cell[1] += 1
        if row["score"] is not None:
            band = bands[model][min(int(row["score"] * _SCORE_BANDS), _SCORE_BANDS - 1)]
            band[0] += row["outcome"]
            band[1] += 1
    data.feedback = {m: [(s, int(c)) for s, c in cells] for m, cells in sorted(feedback.items())}
    data.calibration = {m: [(s, int(c)) for s, c in cells] for m, cells in sorted(bands.items())}
    data.traffic = dict(sorted(data.traffic.items()))
    data.tokens = dict(sorted(data.tokens.items()))
    return data


# -- rendering -----------------------------------------------------------------------------------------------

_CSS: Final = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:980px;color:#1f2328;
background:#fff;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d0d7de}
p.note{color:#57606a;font-size:.9rem}table{border-collapse:collapse;margin:.8rem 0}
td,th{border:1px solid #d0d7de;padding:.3rem .7rem;text-align:right}th{background:#f6f8fa}
td:first-child,th:first-child{text-align:left}.cards{display:flex;flex-wrap:wrap;gap:.8rem;margin:1rem 0}
.card{border:1px solid #d0d7de;border-radius:6px;padding:.6rem 1rem;background:#f6f8fa;min-width:8rem}
.card b{display:block;font-size:1.3rem}figure{margin:0}svg{max-width:100%;height:auto}
"""


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError("langroute report needs matplotlib: pip install 'langroute[plot]'") from exc
    return plt


def _svg(fig: Any, salt: str) -> str:
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": salt, "svg.fonttype": "none"}):
        # no metadata block: the page needs no RDF, and its date would change every report
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata=dict.fromkeys(_SVG_METADATA))
    fig.clf()
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    # several SVGs share one document: give each its own ids (matplotlib numbers them per figure)
    return (
        text.replace(' id="', f' id="{salt}-').replace('href="#', f'href="#{salt}-').replace("url(#", f"url(#{salt}-")
    )


def _plots(data: ReportData) -> dict[str, str]:
    """The report's figures as inline SVG, keyed by section title."""
    plt = _pyplot()
    times = [datetime.fromtimestamp(s + data.width / 2, tz=timezone.utc) for s in data.starts]
    calls = data.calls
    figures: dict[str, str] = {}

    def figure() -> tuple[Any, Any]:
        fig, ax = plt.subplots(figsize=(9, 3.2), dpi=96)
        ax.grid(alpha=0.3)
        return fig, ax

    fig, ax = figure()
    shares = {m: [c / t if t else 0.0 for c, t in zip(v, calls, strict=True)] for m, v in data.traffic.items()}
    ax.stackplot(times, *shares.values(), labels=list(shares), alpha=0.85)
    ax.set(ylim=(0, 1), ylabel="share of calls")
    ax.legend(loc="upper left", fontsize=8)
    figures["Traffic share per model"] = _svg(fig, "traffic")

    fig, ax = figure()
    for model, cells in data.feedback.items():
        points = [(t, s / c) for t, (s, c) in zip(times, cells, strict=True) if c]
        if points:
            ax.plot(*zip(*points, strict=True), marker="o", label=f"{model} ({sum(c for _, c in cells)} outcomes)")
    ax.set(ylim=(-0.02, 1.02), ylabel="mean feedback score")
    if data.feedback:
        ax.legend(loc="lower left", fontsize=8)
    figures["Feedback score per model"] = _svg(fig, "feedback")

    fig, ax = figure()
    if data.priced:
        ax.plot(times, data.baseline, "--", color="grey", label="every priced call on the strongest model")
        ax.plot(times, data.cost, marker="o", label="routed")
        ax.fill_between(times, data.cost, data.baseline, alpha=0.15, label="saving")
        ax.set(ylabel="USD per bucket")
    else:
        for model, counts in data.tokens.items():
            ax.plot(times, counts, marker="o", label=model)
        ax.set(ylabel="tokens per bucket (no prices recorded)")
    ax.legend(loc="upper left", fontsize=8)
    figures["Cost and saving against the strongest model"] = _svg(fig, "cost")

    fig, ax = figure()
    ax.plot(times, [e / t if t else 0.0 for e, t in zip(data.explored, calls, strict=True)], marker="o")
    ax.set(ylim=(0, None), ylabel="share of calls explored")
    figures["Exploration share"] = _svg(fig, "explore")

    fig, ax = figure()
    centres = [(b + 0.5) / _SCORE_BANDS for b in range(_SCORE_BANDS)]
    ax.plot([0, 1], [1, 0], ":", color="grey", label="1 - score (a calibrated score = P(cheapest model fails))")
    for model, cells in data.calibration.items():
        points = [(x, s / c, c) for x, (s, c) in zip(centres, cells, strict=True) if c]
        if points:
            xs, ys, counts = zip(*points, strict=True)
            ax.plot(xs, ys, alpha=0.6)
            ax.scatter(xs, ys, s=[12 + 60 * c / max(counts) for c in counts], label=model)
    ax.set(xlim=(0, 1), ylim=(-0.02, 1.02), xlabel="scorer's score", ylabel="mean feedback score")
    ax.legend(loc="lower left", fontsize=8)
    figures["Calibration: the scorer's score against observed feedback"] = _svg(fig, "calibration")
    plt.close("all")
    return figures


def _cards(stats: dict[str, Any], data: ReportData | None) -> str:
    items = [
        ("decisions", f"{stats['decisions']:,}"),
        ("outcomes", f"{stats['outcomes']:,}"),
        ("explored", f"{stats['exploration_share']:.1%}"),
        ("dropped", f"{stats['dropped']:,}"),
    ]
    if data is not None and data.saving is not None:
        items += [("cost", f"${sum(data.cost):,.4f}"), ("saved vs strongest", f"{data.saving:.1%}")]
    return "".join(f'<div class="card">{html.escape(k)}<b>{html.escape(v)}</b></div>' for k, v in items)


def _model_table(stats: dict[str, Any]) -> str:
    head = "<tr><th>model</th><th>chosen</th><th>share</th><th>served</th><th>outcomes</th><th>mean feedback</th></tr>"
    rows = []
    for name, m in stats["models"].items():
        mean = "&ndash;" if m["mean_feedback"] is None else f"{m['mean_feedback']:.3f}"
        rows.append(
            f"<tr><td>{html.escape(name)}</td><td>{m['decisions']:,}</td><td>{m['share']:.1%}</td>"
            f"<td>{m['served']:,}</td><td>{m['outcomes']:,}</td><td>{mean}</td></tr>"
        )
    return f"<table>{head}{''.join(rows)}</table>"


def build_report(store: FeedbackStore, *, buckets: int = 24, title: str = "langroute feedback report") -> str:
    """The report of `store` as one HTML page (a string); see the module docstring.

    Raises:
        ImportError: matplotlib is not installed.
    """
    data = report_data(store, buckets=buckets)
    stats = store.stats()
    parts = [f"<h1>{html.escape(title)}</h1>"]
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts.append(f'<p class="note">store {html.escape(repr(store))}, generated {when}</p>')
    parts.append(f'<div class="cards">{_cards(stats, data)}</div>')
    if data is None:
        parts.append("<p>No decisions are recorded yet: attach the store to a router and route some calls.</p>")
    else:
        span = [
            datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%d %H:%M")
            for t in (data.starts[0], data.starts[-1] + data.width)
        ]
        parts.append(
            f'<p class="note">{len(data.starts)} time buckets from {span[0]} to {span[1]} UTC. Cost: each result\'s '
            "cost, or its tokens at the decision's prices; the baseline prices the same tokens at the strongest "
            "candidate's prices.</p>"
        )
        parts.append(_model_table(stats))
        for heading, svg in _plots(data).items():
            parts.append(f"<h2>{html.escape(heading)}</h2><figure>{svg}</figure>")
    body = "\n".join(parts)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_CSS}</style></head>'
        f"<body>\n{body}\n</body></html>\n"
    )


def write_report(
    store: FeedbackStore, path: str | os.PathLike[str], *, buckets: int = 24, title: str = "langroute feedback report"
) -> Path:
    """Write `store`'s report to `path` atomically; return the path.

    Raises:
        ImportError: matplotlib is not installed.
    """
    return write_atomically(path, build_report(store, buckets=buckets, title=title))
