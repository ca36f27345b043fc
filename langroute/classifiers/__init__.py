"""Task classifiers: which kind of request a conversation is, so the router can use that task's ladder.

Built-ins: `RuleClassifier` (patterns, first match wins), `EmbeddingClassifier` (nearest labelled utterances),
`LLMClassifier` (asks a cheap model), `CallableClassifier` (your function). Write your own by subclassing
`Classifier` and implementing `classify(conversation) -> TaskMatch` (and `aclassify` if it does I/O).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from langroute._lazy import lazy_exports
from langroute.classifiers.base import Classifier, TaskMatch
from langroute.classifiers.callable import CallableClassifier
from langroute.classifiers.rules import RuleClassifier

if TYPE_CHECKING:
    from langroute.classifiers.embedding import EmbeddingClassifier
    from langroute.classifiers.llm import LLMClassifier

__all__ = ["CallableClassifier", "Classifier", "EmbeddingClassifier", "LLMClassifier", "RuleClassifier", "TaskMatch"]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {"EmbeddingClassifier": "langroute.classifiers.embedding", "LLMClassifier": "langroute.classifiers.llm"},
    __all__,
)
