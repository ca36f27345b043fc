"""Configuration that cannot silently lie: assignment takes effect or raises; one strict rule for types."""

from __future__ import annotations

import math

import pytest
from langchain_core.messages import AIMessage

from langroute import Candidate, ConfigError, Router, RouterChatModel
from langroute.checks import empty_answer
from langroute.langchain.testing import FakeToolChatModel

from .helpers import BrokenChatModel, fixed, replies, two_models


def _model(router: RouterChatModel, text: str = "hi") -> str:
    return router.invoke(text).response_metadata["langroute"]["model"]


def test_assigning_thresholds_or_the_scorer_takes_effect():
    router = RouterChatModel(models=two_models(), scorer=fixed(0.6))
    assert _model(router) == "large"
    router.thresholds = [0.8]
    assert _model(router) == "small"
    assert router.router.policy.thresholds == (0.8,)
    router.scorer = fixed(0.95)
    assert _model(router) == "large"
    assert router.router.scorer is router.scorer


def test_an_invalid_assignment_raises_and_changes_nothing():
    router = RouterChatModel(models=two_models(), scorer=fixed(0.6), thresholds=[0.7])
    before = router.router
    with pytest.raises(ConfigError, match=r"thresholds=\[nan\]: value nan is not a number in \[0, 1\]"):
        router.thresholds = [math.nan]
    with pytest.raises(TypeError, match="CallableScorer"):
        router.scorer = lambda conversation: 0.5
    with pytest.raises(TypeError, match="fallbacks='no': expected True or False"):
        router.fallbacks = "no"
    with pytest.raises(ConfigError, match="timeout=-1"):
        router.timeout = -1
    assert router.thresholds == [0.7]
    assert router.router is before
    assert _model(router) == "small"


def test_assigning_fallbacks_escalate_and_models_takes_effect():
    models = {"small": BrokenChatModel(messages=replies("x")), "large": FakeToolChatModel(messages=replies("ok"))}
    router = RouterChatModel(models=models, scorer=fixed(0.0))
    assert router.invoke("hi").content == "ok"
    router.fallbacks = False
    with pytest.raises(ConnectionError):
        router.invoke("hi")
    botched = {"small": FakeToolChatModel(messages=replies("")), "large": models["large"]}
    router.models = [
        Candidate("small", botched["small"], input_cost=1.0, output_cost=1.0),
        Candidate("large", models["large"]),
    ]
    assert router.models == botched
    assert router.candidates[0].input_cost == 1.0
    router.escalate = [empty_answer]
    assert router.invoke("hi").response_metadata["langroute"]["escalated_from"] == "small"


BAD_OPTIONS = [
    {"thresholds": [True]},
    {"thresholds": ["0.5"]},
    {"thresholds": [math.nan]},
    {"thresholds": {"default": [0.5], "legal": [0.2]}},
    {"fallbacks": "no"},
    {"fallbacks": 1},
    {"explore": True},
    {"explore": 1.5},
    {"max_escalations": 1.0},
    {"sticky": "always"},
    {"mode": "dry-run"},
    {"shadow_model": "medium"},
    {"timeout": 0},
    {"stream_timeout": "5"},
    {"cooldown": -1.0},
    {"routes": {"legal": ["premium"]}},
    {"escalate": ["empty_answer"]},
]


@pytest.mark.parametrize(
    "options", BAD_OPTIONS, ids=[next(iter(o)) + "=" + repr(next(iter(o.values()))) for o in BAD_OPTIONS]
)
def test_the_same_values_are_rejected_as_by_the_core_router(options):
    with pytest.raises((ValueError, TypeError)) as core:
        Router(["small", "large"], **options)
    with pytest.raises(type(core.value)) as adapter:
        RouterChatModel(models=two_models(), **options)
    assert str(adapter.value) == str(core.value)


def test_valid_values_are_kept_as_given():
    router = RouterChatModel(models=two_models(), thresholds=(0.3,), timeout=2, explore=0, max_escalations=2)
    assert router.router.policy.thresholds == (0.3,)
    assert router.router.timeout == 2.0
    assert router.invoke("hi").content in ("small says hi", "large says hi")


def test_model_copy_rebuilds_the_router_with_the_candidates_prices():
    small = FakeToolChatModel(messages=replies(AIMessage("s")))
    router = RouterChatModel(models=[Candidate("small", small, input_cost=1.0, output_cost=2.0)])
    copy = router.model_copy(update={"timeout": 5})
    assert copy.router is not router.router
    assert copy.router.timeout == 5.0
    assert copy.candidates[0].input_cost == 1.0
    with pytest.raises(ConfigError, match="timeout"):
        router.model_copy(update={"timeout": 0})
