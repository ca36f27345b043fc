"""`EmbeddingScorer`: k nearest labelled examples by cosine similarity of their embeddings.

`embeddings` can be a LangChain `Embeddings` (or any object with ``embed_documents`` / ``embed_query``), a
LlamaIndex `BaseEmbedding` (``get_text_embedding_batch`` / ``get_query_embedding``), or a plain callable
``list[str] -> list[list[float]]``. The examples are embedded once, when the scorer is built; each score embeds
one query. No framework is imported here: the object's methods are used as they are.

```python
from langroute import EmbeddingScorer

scorer = EmbeddingScorer(my_embeddings, ["hi", "thanks", "prove the lemma", "design a compiler"], [0, 0, 1, 1], k=2)
scorer.score("hello there")   # near 0: its nearest examples are the easy ones
```
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langroute._embeddings import Embedder
from langroute.conversation import Conversation
from langroute.errors import ConfigError
from langroute.scorers.base import Score, Scorer

__all__ = ["EmbeddingScorer"]


class EmbeddingScorer(Scorer):
    """Score a conversation by the labels of its `k` most similar examples (similarity-weighted mean).

    Args:
        embeddings: a LangChain `Embeddings`, a LlamaIndex `BaseEmbedding`, any object with
            ``embed_documents``/``embed_query``, or a callable ``list[str] -> list[list[float]]``.
        examples: example prompts.
        labels: one number in [0, 1] per example (1 = needs the strongest model).
        k: how many neighbours vote (at most the number of examples).

    Raises:
        ConfigError: no examples, lengths differ, a label is outside [0, 1], `k` < 1, or `embeddings` has no
            known embedding method.
    """

    def __init__(self, embeddings: Any, examples: Sequence[str], labels: Sequence[float], k: int = 10) -> None:
        if isinstance(examples, str) or not examples:
            raise ConfigError("examples: expected a non-empty list of example prompts")
        if len(examples) != len(labels):
            raise ConfigError(f"examples has {len(examples)} items but labels has {len(labels)}; give one label each")
        for i, label in enumerate(labels):
            if isinstance(label, bool) or not isinstance(label, (int, float)) or not 0.0 <= label <= 1.0:
                raise ConfigError(f"labels[{i}]={label!r}: expected a number in [0, 1]")
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ConfigError(f"k={k!r}: expected an int >= 1")
        self.embeddings = embeddings
        self.k = min(k, len(examples))
        self.labels = [float(label) for label in labels]
        self._embedder = Embedder(embeddings, examples)

    def _vote(self, query: Sequence[float]) -> Score:
        sims = self._embedder.similarities(query)
        top = sorted(range(len(sims)), key=lambda i: -sims[i])[: self.k]
        weights = [max(sims[i], 0.0) for i in top]
        total = sum(weights)
        if total <= 0:
            value = sum(self.labels[i] for i in top) / len(top)
        else:
            value = sum(w * self.labels[i] for w, i in zip(weights, top, strict=True)) / total
        value = min(1.0, max(0.0, value))
        return Score(value, f"{len(top)} nearest examples, best similarity {sims[top[0]]:.2f}")

    def rate(self, conversation: Conversation) -> Score:
        """Embed the conversation (its first and last 4 KB) and let its nearest examples vote."""
        if conversation.is_blank:
            return Score(0.0, "blank conversation")
        return self._vote(self._embedder.embed(conversation))

    async def arate(self, conversation: Conversation) -> Score:
        """Async `rate`: the embeddings' async method when it has one, else its sync one in a worker thread."""
        if conversation.is_blank:
            return Score(0.0, "blank conversation")
        return self._vote(await self._embedder.aembed(conversation))

    def __repr__(self) -> str:
        return f"EmbeddingScorer({type(self.embeddings).__name__}, examples={len(self.labels)}, k={self.k})"
