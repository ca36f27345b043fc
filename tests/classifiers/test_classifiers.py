"""Task classifiers: rules, embeddings, an LLM, a function; and how the router uses their tasks."""

from __future__ import annotations

import re

import pytest
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from langroute import (
    CallableClassifier,
    CallableScorer,
    ConfigError,
    EmbeddingClassifier,
    LLMClassifier,
    Router,
    RuleClassifier,
    TaskMatch,
    as_conversation,
)

VOCAB = ["contract", "clause", "lease", "liability", "python", "function", "bug", "sql", "weather", "hello"]


def bag_of_words(texts: list[str]) -> list[list[float]]:
    return [[float(len(re.findall(rf"\b{w}\w*", t.lower()))) for w in VOCAB] + [0.01] for t in texts]


class WordEmbeddings(Embeddings):
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return bag_of_words(texts)

    def embed_query(self, text: str) -> list[float]:
        return bag_of_words([text])[0]


EXAMPLES = {
    "legal": ["review this contract clause", "who carries liability under the lease"],
    "code": ["fix the bug in this python function", "write a sql query"],
}


def test_rule_classifier_first_match_wins_and_names_the_rule():
    classifier = RuleClassifier([(r"(?i)\bcontract\b", "legal"), (lambda pairs: len(pairs) > 2, "long")], default="x")
    assert classifier.classify(as_conversation("Sign the CONTRACT")) == TaskMatch(
        "legal", r"rule 0 matched: '(?i)\\bcontract\\b'"
    )
    assert classifier.task([("user", "a"), ("assistant", "b"), ("user", "c")]) == "long"
    assert classifier.classify(as_conversation("hi")) == TaskMatch("x", "no rule matched")
    assert classifier.tasks == {"legal", "long", "x"}


@pytest.mark.parametrize(
    ("rules", "match"),
    [
        ([("x", "")], r"rules\[0\] task='': expected a task name"),
        ([("(", "code")], r"rules\[0\]: pattern '\(' is not a valid regex"),
        ([(b"x", "code")], r"rules\[0\]: pattern b'x' is bytes"),
        ("x", "rules is a str"),
    ],
)
def test_rule_classifier_rejects_bad_rules(rules, match):
    with pytest.raises(ConfigError, match=match):
        RuleClassifier(rules)


@pytest.mark.parametrize("embeddings", [WordEmbeddings(), bag_of_words])
async def test_embedding_classifier_picks_the_nearest_task_or_none(embeddings):
    classifier = EmbeddingClassifier(embeddings, EXAMPLES, threshold=0.5, k=2)
    assert classifier.task("is this lease clause fair?") == "legal"
    assert await classifier.atask("my python function has a bug") == "code"
    weather = classifier.classify(as_conversation("what's the weather, hello"))
    assert weather.task is None
    assert "< threshold 0.5" in weather.reason
    assert classifier.tasks == {"legal", "code"}
    assert EmbeddingClassifier(embeddings, EXAMPLES, default="chat").task("weather") == "chat"


def test_embedding_classifier_validates_examples():
    with pytest.raises(ConfigError, match=r"examples\['legal'\]: expected a non-empty list"):
        EmbeddingClassifier(bag_of_words, {"legal": []})
    with pytest.raises(ConfigError, match="aggregation='median'"):
        EmbeddingClassifier(bag_of_words, EXAMPLES, aggregation="median")  # type: ignore[arg-type]


def _model(*replies: str) -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter([AIMessage(content=r) for r in replies]))


async def test_llm_classifier_reads_the_task_from_the_reply_and_never_quotes_it():
    classifier = LLMClassifier(
        _model("Legal", "I think this is code.", "no idea at all"), {"legal": "contracts", "code": "programming"}
    )
    assert classifier.classify(as_conversation("review")) == TaskMatch("legal", "model chose 'legal'")
    assert await classifier.atask("fix it") == "code"
    unparsed = classifier.classify(as_conversation("hmm"))
    assert unparsed.task is None
    assert "idea" not in unparsed.reason
    assert "- legal: contracts" in classifier.prompt


def test_llm_classifier_prefers_the_longest_task_name():
    classifier = LLMClassifier(_model("legal_review"), {"legal": "", "legal_review": ""})
    assert classifier.task("x") == "legal_review"


def test_callable_classifier_sync_async_and_type_errors():
    assert (
        CallableClassifier(lambda conv: "code" if "def" in conv.last_user_text else None).task("def f(): ...") == "code"
    )

    async def remote(conv):
        return "legal"

    assert CallableClassifier(remote).task("x") == "legal"
    with pytest.raises(TypeError, match="returned int; expected a task name or None"):
        CallableClassifier(lambda conv: 3).task("x")


def test_router_routes_each_task_on_its_ladder():
    router = Router(
        ["small", "code-model", "premium"],
        scorer=CallableScorer(lambda conv: 0.1),
        routes={"code": ["code-model", "premium"], "legal": ["premium"]},
        classifier=RuleClassifier([(r"(?i)contract", "legal"), (r"def |```", "code")]),
    )
    assert router.decide("review this contract").model == "premium"
    code = router.decide("def parse(): ...")
    assert (code.model, code.task) == ("code-model", "code")
    assert code.reason.startswith("task 'code' (RuleClassifier: rule 1 matched")
    assert router.decide("hello").model == "small"
    with pytest.raises(ConfigError, match=r"task='tax' is unknown; choose one of \['code', 'legal'\]"):
        router.decide("x", task="tax")
