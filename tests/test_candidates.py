"""`Candidate`: prices, capabilities and timeouts; the capability filter; reading an adapter's ``models=``."""

from __future__ import annotations

import pytest

from langroute import Candidate, ConfigError
from langroute.candidates import Needs, as_candidates, exclusions


def test_cost_is_usd_per_million_tokens():
    small = Candidate("small", object(), input_cost=0.15, output_cost=0.60)
    assert small.cost_usd(1_000_000, 0) == pytest.approx(0.15)
    assert small.cost_usd(1_000, 200) == pytest.approx(0.00027)
    assert small.cost_usd(None, 200) is None
    assert Candidate("free", object(), input_cost=0.1).cost_usd(10, 10) is None  # half-priced: unknown
    assert small.describe()["input_cost"] == 0.15
    assert "model" not in small.describe()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"input_cost": -1}, r"Candidate\('m'\): input_cost=-1 is negative"),
        ({"output_cost": float("nan")}, r"output_cost=nan: expected USD per 1M tokens"),
        ({"input_cost": "1"}, r"input_cost='1'"),
        ({"context_window": 0}, r"context_window=0: expected a positive number of tokens"),
        ({"context_window": 1.5}, r"context_window=1.5"),
        ({"vision": "yes"}, r"vision='yes': expected True, False or None"),
        ({"timeout": 0}, r"timeout=0: expected seconds > 0"),
        ({"timeout": float("inf")}, r"timeout=inf"),
    ],
)
def test_bad_fields_name_the_field(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        Candidate("m", object(), **kwargs)


def test_with_known_fills_only_unknown_capabilities():
    c = Candidate("m", object(), vision=False)
    filled = c.with_known(vision=True, tools=True, context_window=8000, structured_output=None)
    assert (filled.vision, filled.tools, filled.context_window, filled.structured_output) == (False, True, 8000, None)
    assert c.with_known(vision=None) is c


def test_exclusions_name_what_is_missing_and_unknown_never_excludes():
    cands = [
        Candidate("text", 1, vision=False, context_window=1000),
        Candidate("notools", 2, tools=False),
        Candidate("unknown", 3),
    ]
    assert exclusions(cands, Needs()) == {}
    assert exclusions(cands, Needs(vision=True)) == {"text": "no vision: the request has images"}
    assert exclusions(cands, Needs(tools=True)) == {"notools": "no tool calling: the request binds tools"}
    assert exclusions(cands, Needs(tokens=5000)) == {"text": "context window 1000 < ~5000 tokens"}


def test_as_candidates_reads_both_forms():
    assert [c.name for c in as_candidates({"a": 1, "b": 2}, int, "an int")] == ["a", "b"]
    listed = [Candidate("a", 1, input_cost=1.0), Candidate("b", 2)]
    assert as_candidates(listed, int, "an int") == listed


@pytest.mark.parametrize(
    ("models", "error", "match"),
    [
        ({}, ConfigError, "models is empty"),
        ([Candidate("a", 1), Candidate("a", 2)], ConfigError, "'a' appears twice"),
        ({"a": "x"}, TypeError, r"models\['a'\] is a str; expected an int"),
        ([1, 2], TypeError, r"models\[0\] is a int; a list of models must hold Candidate objects"),
        ({"a": Candidate("a", 1)}, TypeError, "pass a list of Candidates"),
        ("ab", TypeError, "expected a dict of name -> an int"),
    ],
)
def test_as_candidates_errors(models, error, match):
    with pytest.raises(error, match=match):
        as_candidates(models, int, "an int")
