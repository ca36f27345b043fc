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


def test_import_langroute_leaves_storage_learning_and_model_backed_parts_for_first_use():
    code = (
        "import sys, langroute; "
        "print(sorted(m for m in ('sqlite3', 'langroute.feedback', 'langroute.scorers.learned', "
        "'langroute.scorers.embedding', 'langroute.scorers.llm', 'langroute.classifiers.llm') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("package", "name", "module"),
    [
        ("langroute", "FeedbackStore", "langroute.feedback.store"),
        ("langroute", "LearnedScorer", "langroute.scorers.learned"),
        ("langroute", "EmbeddingScorer", "langroute.scorers.embedding"),
        ("langroute", "LLMScorer", "langroute.scorers.llm"),
        ("langroute", "EmbeddingClassifier", "langroute.classifiers.embedding"),
        ("langroute", "LLMClassifier", "langroute.classifiers.llm"),
        ("langroute.classifiers", "LLMClassifier", "langroute.classifiers.llm"),
        ("langroute.feedback", "FeedbackScorer", "langroute.feedback.learner"),
        ("langroute.feedback", "featurize", "langroute.scorers._learned_features"),
    ],
)
def test_lazy_names_are_the_real_objects_and_listed(package: str, name: str, module: str) -> None:
    import importlib

    value = getattr(importlib.import_module(package), name)
    assert value is getattr(importlib.import_module(module), name)
    assert name in dir(importlib.import_module(package))


def test_an_unknown_name_of_a_lazy_package_is_an_attribute_error():
    import langroute.feedback

    with pytest.raises(AttributeError, match=r"module 'langroute\.feedback' has no attribute 'Nope'"):
        langroute.feedback.Nope  # noqa: B018
