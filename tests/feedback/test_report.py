"""``langroute report``: the aggregated data, the self-contained page, and the page as a real browser shows it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from langroute.feedback import FeedbackStore
from langroute.feedback.report import build_report, report_data, write_report

from .services import chromium, screenshot, unavailable
from .traffic import PRICES, fill

pytest.importorskip("matplotlib")


@pytest.fixture
def filled() -> FeedbackStore:
    store = FeedbackStore()
    fill(store, 240, seed=3)
    yield store
    store.close()


def test_report_data_adds_up(filled: FeedbackStore):
    data = report_data(filled, buckets=12)
    assert data is not None
    stats = filled.stats()
    assert len(data.starts) == 12
    assert sum(data.calls) == 240
    assert {m: sum(v) for m, v in data.traffic.items()} == {m: s["served"] for m, s in stats["models"].items()}
    assert sum(data.explored) == stats["explored"]
    assert sum(c for cells in data.feedback.values() for _, c in cells) == stats["outcomes"]
    assert sum(c for cells in data.calibration.values() for _, c in cells) == stats["outcomes"]
    for model, cells in data.feedback.items():
        total = sum(s for s, _ in cells) / sum(c for _, c in cells)
        assert total == pytest.approx(stats["models"][model]["mean_feedback"])

    expected_cost = expected_baseline = 0.0
    for row in filled.results():
        tokens = (row["input_tokens"], row["output_tokens"])
        expected_cost += (tokens[0] * PRICES[row["served"]][0] + tokens[1] * PRICES[row["served"]][1]) / 1e6
        expected_baseline += (tokens[0] * PRICES["large"][0] + tokens[1] * PRICES["large"][1]) / 1e6
    assert data.priced
    assert sum(data.cost) == pytest.approx(expected_cost)
    assert sum(data.baseline) == pytest.approx(expected_baseline)
    assert data.saving == pytest.approx(1 - expected_cost / expected_baseline)
    # the synthetic router moves traffic to the small model during the day
    assert data.traffic["small"][-1] / data.calls[-1] > data.traffic["small"][0] / data.calls[0]


def test_recorded_cost_wins_over_prices():
    with FeedbackStore() as store:
        store.record_decision({"id": "a", "model": "small", "candidates": ["small", "large"], "prices": PRICES})
        store.record_result("a", served="small", input_tokens=1000, output_tokens=0, cost_usd=0.5)
        data = report_data(store)
    assert data is not None
    assert (data.cost, data.baseline) == ([0.5], [0.003])  # one bucket: all decisions at one time


def test_without_prices_the_cost_plot_shows_tokens():
    with FeedbackStore() as store:
        fill(store, 40, prices=False)
        data = report_data(store, buckets=4)
        page = build_report(store)
        tokens = sum(r["input_tokens"] + r["output_tokens"] for r in store.results())
    assert data is not None
    assert not data.priced
    assert data.saving is None
    assert sum(sum(v) for v in data.tokens.values()) == tokens
    assert "tokens per bucket (no prices recorded)" in page
    assert "saved vs strongest" not in page


def test_an_empty_store_gives_a_page_that_says_so(tmp_path: Path):
    with FeedbackStore() as store:
        path = write_report(store, tmp_path / "report.html")
    page = path.read_text()
    assert "No decisions are recorded yet" in page
    assert "<svg" not in page


def test_the_page_is_self_contained(filled: FeedbackStore):
    page = build_report(filled, title="Feedback <loop>")
    assert page.startswith("<!DOCTYPE html>")
    assert "<title>Feedback &lt;loop&gt;</title>" in page
    assert page.count("<svg") == 5
    assert not re.search(r"<script|<link|<img|<iframe|src=|@import|url\((?!#)", page)
    # every URL is an SVG namespace, never something to fetch
    assert set(re.findall(r"https?://[^\"' )<]+", page)) == {
        "http://www.w3.org/2000/svg",
        "http://www.w3.org/1999/xlink",
    }
    ids = re.findall(r' id="([^"]+)"', page)
    assert len(ids) == len(set(ids))  # the inline SVGs do not share ids
    for heading in ("Traffic share per model", "Feedback score per model", "Exploration share", "Calibration"):
        assert heading in page


def test_report_renders_in_headless_chromium(filled: FeedbackStore, tmp_path: Path):
    if chromium() is None:
        unavailable("chromium is not installed (apt-get install chromium)")
    page = write_report(filled, tmp_path / "report.html")
    shot = screenshot(page, tmp_path / "report.png")
    assert shot.stat().st_size > 10_000
    from PIL import Image

    with Image.open(shot) as image:
        pixels = image.convert("RGB")
        assert pixels.size == (1100, 2600)
        colours = {colour: count for count, colour in pixels.getcolors(maxcolors=1 << 22)}
    assert len(colours) > 50  # not blank: text, plots, fills
    # matplotlib's first three series colours are drawn (lines and markers of the plots)
    for series in ((31, 119, 180), (255, 127, 14), (44, 160, 44)):
        assert colours.get(series, 0) > 100, series
