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

from langroute._lazy import lazy_exports
from langroute.calibration import calibrate_thresholds, thresholds_for_shares
from langroute.candidates import Candidate
from langroute.classifiers import CallableClassifier, Classifier, RuleClassifier, TaskMatch
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
from langroute.policy import RoutingPolicy
from langroute.router import Router
from langroute.scorers import Score, Scorer, get_scorer
from langroute.scorers.callable import CallableScorer
from langroute.scorers.heuristic import HeuristicScorer
from langroute.scorers.rules import RuleScorer
from langroute.scorers.transfer import TransferScorer

if TYPE_CHECKING:
    from langroute.classifiers.embedding import EmbeddingClassifier
    from langroute.classifiers.llm import LLMClassifier
    from langroute.feedback.store import FeedbackStore
    from langroute.langchain import RouterChatModel
    from langroute.llama_index import RouterLLM
    from langroute.scorers.embedding import EmbeddingScorer
    from langroute.scorers.learned import LearnedScorer
    from langroute.scorers.llm import LLMScorer

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

# Imported on first use (SQLite and the learner, models behind an API or an embedding, the frameworks), so that
# ``import langroute`` stays fast and framework-free.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "EmbeddingClassifier": "langroute.classifiers.embedding",
        "EmbeddingScorer": "langroute.scorers.embedding",
        "FeedbackStore": "langroute.feedback.store",
        "LLMClassifier": "langroute.classifiers.llm",
        "LLMScorer": "langroute.scorers.llm",
        "LearnedScorer": "langroute.scorers.learned",
        "RouterChatModel": "langroute.langchain",
        "RouterLLM": "langroute.llama_index",
    },
    __all__,
)
