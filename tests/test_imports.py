"""The public surface and the import boundary of the core."""

from __future__ import annotations

import subprocess
import sys

import pytest

import langroute

EXPECTED_ALL = [
    "AllCandidatesFailedError",
    "CallableClassifier",
    "CallableScorer",
    "Candidate",
    "CandidateTimeoutError",
    "Classifier",
    "ConfigError",
    "Conversation",
    "EmbeddingClassifier",
    "EmbeddingScorer",
    "FeedbackStore",
    "HeuristicScorer",
    "InputError",
    "LLMClassifier",
    "LLMScorer",
    "LangrouteError",
    "LearnedScorer",
    "NoCapableCandidateError",
    "Router",
    "RouterChatModel",
    "RouterLLM",
    "RoutingDecision",
    "RoutingPolicy",
    "RuleClassifier",
    "RuleScorer",
    "Score",
    "ScoreError",
    "Scorer",
    "TaskMatch",
    "TransferScorer",
    "Turn",
    "__version__",
    "as_conversation",
    "calibrate_thresholds",
    "get_scorer",
    "thresholds_for_shares",
]


def test_all_is_sorted_and_as_expected():
    assert sorted(langroute.__all__) == EXPECTED_ALL


def test_import_langroute_loads_no_framework():
    code = (
        "import sys, langroute; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('langchain_core', 'langchain', 'langgraph', "
        "'llama_index', 'numpy')]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_missing_extra_says_what_to_install():
    code = (
        "import sys; sys.modules['langchain_core'] = None\n"
        "try:\n    from langroute import RouterChatModel\nexcept ImportError as e:\n    print(e)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert 'pip install "langroute[langchain]"' in out.stdout


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="NoSuchThing"):
        langroute.NoSuchThing  # noqa: B018
