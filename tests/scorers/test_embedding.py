import re

import pytest
from langchain_core.embeddings import Embeddings
from llama_index.core.embeddings import MockEmbedding

from langroute import ConfigError, EmbeddingScorer

EXAMPLES = ["hi there", "thanks", "prove the theorem", "design the compiler"]
LABELS = [0.0, 0.1, 0.9, 1.0]
TOPICS = ("hi", "thanks", "prove", "design")


def bag(text: str) -> list[float]:
    """A tiny deterministic embedding: one dimension per topic word, plus a constant."""
    words = set(re.findall(r"[a-z]+", text.lower()))
    return [float(word in words) for word in TOPICS] + [0.1]


class CountingEmbeddings(Embeddings):
    """A real LangChain `Embeddings` subclass that counts its calls."""

    def __init__(self) -> None:
        self.documents = 0
        self.queries = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.documents += len(texts)
        return [bag(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        self.queries += 1
        return bag(text)


async def test_langchain_embeddings_nearest_examples_vote_and_examples_are_embedded_once():
    embeddings = CountingEmbeddings()
    scorer = EmbeddingScorer(embeddings, EXAMPLES, LABELS, k=1)
    assert scorer.score("hi, how are you") == pytest.approx(0.0)
    assert scorer.score("please prove this") == pytest.approx(0.9)
    assert await scorer.ascore("design a database") == pytest.approx(1.0)
    assert embeddings.documents == len(EXAMPLES)
    assert embeddings.queries == 3


def test_callable_embeddings_and_weighted_vote():
    scorer = EmbeddingScorer(lambda texts: [bag(t) for t in texts], EXAMPLES, LABELS, k=2)
    value = scorer.score("prove and design")
    assert 0.9 <= value <= 1.0
    assert "2 nearest examples" in scorer.explain("prove it").reason


async def test_llama_index_embedding_is_supported():
    scorer = EmbeddingScorer(MockEmbedding(embed_dim=8), EXAMPLES, LABELS, k=4)
    value = scorer.score("anything")
    assert value == pytest.approx(sum(LABELS) / 4)  # constant embeddings: every example is equally near
    assert await scorer.ascore("anything") == pytest.approx(value)


@pytest.mark.parametrize("messages", [None, "", [("user", None)], [("user", [{"type": "image_url"}])]])
def test_blank_conversations_score_zero_without_embedding(messages):
    embeddings = CountingEmbeddings()
    assert EmbeddingScorer(embeddings, EXAMPLES, LABELS).score(messages) == 0.0
    assert embeddings.queries == 0


def test_huge_input_is_windowed():
    seen = []

    def embed(texts):
        seen.extend(texts)
        return [bag(t) for t in texts]

    EmbeddingScorer(embed, EXAMPLES, LABELS).score("prove " * 200_000)
    assert len(seen[-1]) < 10_000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((bag, [], []), "non-empty"),
        ((bag, ["a", "b"], [1.0]), "examples has 2 items but labels has 1"),
        ((bag, ["a"], [2.0]), r"labels\[0\]=2.0"),
        ((object(), ["a"], [1.0]), "expected a LangChain Embeddings"),
    ],
)
def test_bad_configuration_is_explained(args, message):
    with pytest.raises(ConfigError, match=message):
        EmbeddingScorer(*args)
    with pytest.raises(ConfigError, match="k=0"):
        EmbeddingScorer(bag, ["a"], [1.0], k=0)


async def test_a_sync_callable_embeds_in_a_worker_thread_under_ascore():
    import threading

    threads = []

    def embed(texts):
        threads.append(threading.get_ident())
        return [bag(t) for t in texts]

    scorer = EmbeddingScorer(embed, EXAMPLES, LABELS, k=1)
    assert await scorer.ascore("please prove this") == pytest.approx(0.9)
    assert threads[0] == threads[-2] == threading.get_ident()  # the examples, embedded at construction
    assert threads[-1] != threading.get_ident()


@pytest.mark.parametrize(
    ("query_vectors", "match"),
    [
        ([], "embeddings returned 0 vectors for one query text; expected 1"),
        ([["x", "y"]], "query: the embedding is a list, not a list of numbers"),
        ([None], "query: the embedding is a NoneType, not a list of numbers"),
        ([[float("nan")] * 5], "query: the embedding is empty or not finite"),
    ],
)
def test_a_broken_embedding_callable_is_an_input_error(query_vectors, match):
    from langroute import InputError

    def embed(texts):
        return [bag(t) for t in texts] if len(texts) > 1 else query_vectors

    scorer = EmbeddingScorer(embed, EXAMPLES, LABELS)
    with pytest.raises(InputError, match=match):
        scorer.score("hello")
