"""Embeddings from any framework, and the small vector maths `EmbeddingScorer` and `EmbeddingClassifier` share.

`embeddings` can be a LangChain `Embeddings` (or any object with ``embed_documents`` / ``embed_query``), a
LlamaIndex `BaseEmbedding` (``get_text_embedding_batch`` / ``get_query_embedding``), or a plain callable
``list[str] -> list[list[float]]``. No framework is imported: the object's methods are used as they are.
"""

from __future__ import annotations

import inspect
import math
import operator
from collections.abc import Callable, Sequence
from typing import Any, Final

from langroute.conversation import Conversation
from langroute.errors import ConfigError, InputError

__all__ = ["Embedder", "query_text", "unit"]

QUERY_WINDOW: Final = 4096  # characters embedded from each end of the conversation text (bounded cost on 1 MB)


def unit(vector: Sequence[float], what: str) -> list[float]:
    """`vector` scaled to length 1 (a zero vector stays zero).

    Raises:
        InputError: it is not a non-empty list of finite numbers (`what` names it).
    """
    try:
        values = [float(x) for x in vector]
    except (TypeError, ValueError) as exc:
        raise InputError(f"{what}: the embedding is a {type(vector).__name__}, not a list of numbers") from exc
    norm = math.sqrt(sum(x * x for x in values))
    if not values or not math.isfinite(norm):
        raise InputError(f"{what}: the embedding is empty or not finite")
    return [x / norm for x in values] if norm else values


def query_text(conversation: Conversation) -> str:
    """The text embedded for a conversation: all of it, or its first and last 4 KB."""
    text = conversation.text
    return text if len(text) <= 2 * QUERY_WINDOW else text[:QUERY_WINDOW] + "\n" + text[-QUERY_WINDOW:]


Embed = Callable[[list[str]], Sequence[Sequence[float]]]


class Embedder:
    """Embed texts with any supported embeddings object; keeps unit vectors of the examples it is given.

    Raises:
        ConfigError: `embeddings` has no known embedding method, or returns vectors that do not fit the examples.
    """

    def __init__(self, embeddings: Any, examples: Sequence[str]) -> None:
        self.embeddings = embeddings
        self._many, self._one, self._aone = _adapt(embeddings)
        vectors = list(self._many([str(e) for e in examples]))
        if len(vectors) != len(examples):
            raise ConfigError(f"embeddings returned {len(vectors)} vectors for {len(examples)} examples")
        self.vectors = [unit(v, f"examples[{i}]") for i, v in enumerate(vectors)]
        self.dim = len(self.vectors[0])
        if any(len(v) != self.dim for v in self.vectors):
            raise ConfigError("embeddings returned vectors of different lengths for the examples")

    def similarities(self, query: Sequence[float]) -> list[float]:
        """Cosine similarity of `query` to every example, in the examples' order."""
        q = unit(query, "query")
        if len(q) != self.dim:
            raise InputError(f"query embedding has {len(q)} dimensions; the examples have {self.dim}")
        return [sum(map(operator.mul, q, v)) for v in self.vectors]

    def embed(self, conversation: Conversation) -> Sequence[float]:
        """The embedding of `conversation` (see `query_text`)."""
        return self._one(query_text(conversation))

    async def aembed(self, conversation: Conversation) -> Sequence[float]:
        """Async `embed`: the client's async method when it has one, else its sync one in a worker thread."""
        return await self._aone(query_text(conversation))


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
