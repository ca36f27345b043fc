"""Task classifiers: which kind of request a conversation is, so the router can use that task's ladder.

Built-ins: `RuleClassifier` (patterns, first match wins), `EmbeddingClassifier` (nearest labelled utterances),
`LLMClassifier` (asks a cheap model), `CallableClassifier` (your function). Write your own by subclassing
`Classifier` and implementing `classify(conversation) -> TaskMatch` (and `aclassify` if it does I/O).
"""

from __future__ import annotations

from langroute.classifiers.base import Classifier, TaskMatch
from langroute.classifiers.callable import CallableClassifier
from langroute.classifiers.embedding import EmbeddingClassifier
from langroute.classifiers.llm import LLMClassifier
from langroute.classifiers.rules import RuleClassifier

__all__ = ["CallableClassifier", "Classifier", "EmbeddingClassifier", "LLMClassifier", "RuleClassifier", "TaskMatch"]
