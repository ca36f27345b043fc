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

import inspect
import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

from langroute.conversation import Conversation
from langroute.errors import ConfigError, InputError
from langroute.scorers.base import Score, Scorer

__all__ = ["EmbeddingScorer"]

_WINDOW = 4096  # characters embedded from each end of the conversation text (bounded cost on 1 MB input)


def _unit(vector: Sequence[float], what: str) -> list[float]:
    try:
        values = [float(x) for x in vector]
    except (TypeError, ValueError) as exc:
        raise InputError(f"{what}: the embedding is a {type(vector).__name__}, not a list of numbers") from exc
    norm = math.sqrt(sum(x * x for x in values))
    if not values or not math.isfinite(norm):
        raise InputError(f"{what}: the embedding is empty or not finite")
    return [x / norm for x in values] if norm else values


def _query_text(conversation: Conversation) -> str:
    text = conversation.text
    return text if len(text) <= 2 * _WINDOW else text[:_WINDOW] + "\n" + text[-_WINDOW:]


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
        self._embed_many, self._embed_one, self._aembed_one = _adapt(embeddings)
        vectors = list(self._embed_many([str(e) for e in examples]))
        if len(vectors) != len(examples):
            raise ConfigError(f"embeddings returned {len(vectors)} vectors for {len(examples)} examples")
        self._vectors = [_unit(v, f"examples[{i}]") for i, v in enumerate(vectors)]
        self._dim = len(self._vectors[0])
        if any(len(v) != self._dim for v in self._vectors):
            raise ConfigError("embeddings returned vectors of different lengths for the examples")

    def _vote(self, query: Sequence[float]) -> Score:
        unit = _unit(query, "query")
        if len(unit) != self._dim:
            raise InputError(f"query embedding has {len(unit)} dimensions; the examples have {self._dim}")
        sims = [sum(map(operator.mul, unit, v)) for v in self._vectors]
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
        return self._vote(self._embed_one(_query_text(conversation)))

    async def arate(self, conversation: Conversation) -> Score:
        """Async `rate`: the embeddings' async method when it has one, else its sync one in a worker thread."""
        if conversation.is_blank:
            return Score(0.0, "blank conversation")
        return self._vote(await self._aembed_one(_query_text(conversation)))

    def __repr__(self) -> str:
        return f"EmbeddingScorer({type(self.embeddings).__name__}, examples={len(self.labels)}, k={self.k})"


Embed = Callable[[list[str]], Sequence[Sequence[float]]]


def _adapt(embeddings: Any) -> tuple[Embed, Callable[[str], Sequence[float]], Callable[[str], Any]]:
    """(embed many, embed one query, async embed one query) for any supported embeddings object."""
    if hasattr(embeddings, "embed_documents") and hasattr(embeddings, "embed_query"):  # LangChain Embeddings
        one = embeddings.embed_query
        many, aone = embeddings.embed_documents, getattr(embeddings, "aembed_query", None)
    elif hasattr(embeddings, "get_text_embedding_batch") and hasattr(embeddings, "get_query_embedding"):
        one = embeddings.get_query_embedding  # LlamaIndex BaseEmbedding
        many, aone = embeddings.get_text_embedding_batch, getattr(embeddings, "aget_query_embedding", None)
    elif callable(embeddings):
        many = embeddings

        def one(text: str) -> Sequence[float]:
            vectors = list(embeddings([text]))
            if len(vectors) != 1:
                raise InputError(f"embeddings returned {len(vectors)} vectors for one query text; expected 1")
            return vectors[0]

        aone = None
    else:
        raise ConfigError(
            f"embeddings is {type(embeddings).__name__}; expected a LangChain Embeddings, a LlamaIndex "
            "BaseEmbedding, an object with embed_documents/embed_query, or a callable list[str] -> list[list[float]]"
        )

    async def aembed(text: str) -> Sequence[float]:
        if aone is None:  # a sync client (likely a network call): run it off the event loop
            import asyncio

            return await asyncio.to_thread(one, text)
        result = aone(text)
        return await result if inspect.isawaitable(result) else result

    return many, one, aembed
