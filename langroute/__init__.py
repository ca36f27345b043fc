"""langroute: send each LLM call to the cheapest model that can handle it.

The core (this package's top level) is framework-free and needs only pydantic. The adapters live in
`langroute.langchain` (``RouterChatModel``) and `langroute.llama_index` (``RouterLLM``); both names are
re-exported here lazily, so `import langroute` loads no framework.

```python
from langroute import HeuristicScorer, Router

Router(["small", "large"], scorer=HeuristicScorer()).decide("hi").model   # 'small'
```
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from langroute.calibration import calibrate_thresholds, thresholds_for_shares
from langroute.candidates import Candidate
from langroute.classifiers import (
    CallableClassifier,
    Classifier,
    EmbeddingClassifier,
    LLMClassifier,
    RuleClassifier,
    TaskMatch,
)
from langroute.conversation import Conversation, Turn, as_conversation
from langroute.decision import RoutingDecision
from langroute.errors import (
    AllCandidatesFailedError,
    CandidateTimeoutError,
    ConfigError,
    InputError,
    LangrouteError,
    NoCapableCandidateError,
    ScoreError,
)
from langroute.feedback import FeedbackStore
from langroute.policy import RoutingPolicy
from langroute.router import Router
from langroute.scorers import Score, Scorer, get_scorer
from langroute.scorers.callable import CallableScorer
from langroute.scorers.embedding import EmbeddingScorer
from langroute.scorers.heuristic import HeuristicScorer
from langroute.scorers.learned import LearnedScorer
from langroute.scorers.llm import LLMScorer
from langroute.scorers.rules import RuleScorer
from langroute.scorers.transfer import TransferScorer

if TYPE_CHECKING:
    from langroute.langchain import RouterChatModel
    from langroute.llama_index import RouterLLM

__version__ = "0.3.0"

__all__ = [
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

_LAZY = {"RouterChatModel": "langroute.langchain", "RouterLLM": "langroute.llama_index"}


def __getattr__(name: str) -> object:
    """Import the framework adapters only when their names are used."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'langroute' has no attribute {name!r}")
