"""`EmbeddingClassifier`: the task whose labelled utterances are nearest, semantic-router style.

```python
from langroute import EmbeddingClassifier

classifier = EmbeddingClassifier(
    my_embeddings,  # a LangChain Embeddings, a LlamaIndex BaseEmbedding, or a callable list[str] -> vectors
    examples={
        "legal": ["review this NDA", "is this clause enforceable?", "GDPR obligations of a processor"],
        "code": ["fix this stack trace", "write a SQL query that", "refactor this function"],
    },
    threshold=0.5,
)
classifier.task("can they terminate the lease early?")   # 'legal' (when the embeddings agree)
```
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

from langroute._embeddings import Embedder
from langroute.classifiers.base import Classifier, TaskMatch, check_task_name
from langroute.conversation import Conversation
from langroute.errors import ConfigError

__all__ = ["EmbeddingClassifier"]

_AGGREGATE: Final = {
    "mean": lambda sims: sum(sims) / len(sims),
    "max": max,
    "sum": sum,
}


class EmbeddingClassifier(Classifier):
    """Classify by the labelled utterances most similar to the conversation.

    The `k` nearest utterances (cosine similarity of their embeddings) vote: each task present among them gets the
    `aggregation` (``"mean"``, ``"max"`` or ``"sum"``) of its utterances' similarities, and the best task wins if
    that value reaches `threshold`; otherwise the result is `default`. The utterances are embedded once, when the
    classifier is built; each call embeds one query (the conversation's first and last 4 KB).

    Args:
        embeddings: a LangChain `Embeddings`, a LlamaIndex `BaseEmbedding`, any object with
            ``embed_documents``/``embed_query``, or a callable ``list[str] -> list[list[float]]``.
        examples: task name -> example utterances.
        threshold: the similarity a task needs, in [-1, 1].
        k: how many nearest utterances vote.
        aggregation: how a task's similarities among the `k` combine.
        default: the task when no task reaches `threshold` (``None``: no task).

    Raises:
        ConfigError: no examples, an empty or non-str utterance list, a bad `threshold`, `k` or `aggregation`,
            or embeddings that do not fit the examples.
    """

    def __init__(
        self,
        embeddings: Any,
        examples: Mapping[str, Sequence[str]],
        *,
        threshold: float = 0.5,
        k: int = 5,
        aggregation: Literal["mean", "max", "sum"] = "mean",
        default: str | None = None,
    ) -> None:
        if not isinstance(examples, Mapping) or not examples:
            raise ConfigError("examples: expected a non-empty dict task name -> example utterances")
        texts: list[str] = []
        self._labels: list[str] = []
        for task, utterances in examples.items():
            check_task_name(task, "examples key")
            if isinstance(utterances, str) or not isinstance(utterances, Sequence) or not utterances:
                raise ConfigError(f"examples[{task!r}]: expected a non-empty list of example utterances")
            for i, text in enumerate(utterances):
                if not isinstance(text, str) or not text.strip():
                    raise ConfigError(f"examples[{task!r}][{i}]: expected a non-empty str")
                texts.append(text)
                self._labels.append(task)
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not -1 <= threshold <= 1:
            raise ConfigError(f"threshold={threshold!r}: expected a cosine similarity in [-1, 1]")
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ConfigError(f"k={k!r}: expected an int >= 1")
        if aggregation not in _AGGREGATE:
            raise ConfigError(f"aggregation={aggregation!r}: expected one of {sorted(_AGGREGATE)}")
        self.threshold = float(threshold)
        self.k = min(k, len(texts))
        self.aggregation = aggregation
        self.default = check_task_name(default, "default")
        self._embedder = Embedder(embeddings, texts)

    @property
    def tasks(self) -> frozenset[str]:
        """The tasks of the examples (and the default)."""
        return frozenset(self._labels) | ({self.default} if self.default else frozenset())

    def _vote(self, query: Sequence[float]) -> TaskMatch:
        sims = self._embedder.similarities(query)
        top = sorted(range(len(sims)), key=lambda i: -sims[i])[: self.k]
        by_task: dict[str, list[float]] = {}
        for i in top:
            by_task.setdefault(self._labels[i], []).append(sims[i])
        combine = _AGGREGATE[self.aggregation]
        task, value = max(((t, combine(s)) for t, s in by_task.items()), key=lambda kv: kv[1])
        if value < self.threshold:
            return TaskMatch(self.default, f"nearest task {task!r} at {value:.2f} < threshold {self.threshold:g}")
        return TaskMatch(task, f"{len(by_task[task])} of {len(top)} nearest examples, {self.aggregation} {value:.2f}")

    def classify(self, conversation: Conversation) -> TaskMatch:
        """Embed the conversation and let its nearest utterances vote."""
        if conversation.is_blank:
            return TaskMatch(self.default, "blank conversation")
        return self._vote(self._embedder.embed(conversation))

    async def aclassify(self, conversation: Conversation) -> TaskMatch:
        """Async `classify`: the embeddings' async method when it has one, else a worker thread."""
        if conversation.is_blank:
            return TaskMatch(self.default, "blank conversation")
        return self._vote(await self._embedder.aembed(conversation))

    def __repr__(self) -> str:
        return f"EmbeddingClassifier(tasks={sorted(set(self._labels))}, threshold={self.threshold:g}, k={self.k})"
