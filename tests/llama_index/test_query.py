"""`RouterLLM` behind LlamaIndex's query and chat engines, set explicitly or through `Settings`."""

from __future__ import annotations

import pytest
from llama_index.core import Document, Settings, SummaryIndex
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.llms import MockLLM

from langroute import RuleScorer
from langroute.llama_index import RouterLLM

DOCS = [
    Document(text="langroute sends each call to the cheapest model that can handle it."),
    Document(text="A scorer rates a conversation from 0 to 1; a policy maps the score onto candidates."),
]


@pytest.fixture
def llm() -> RouterLLM:
    # MockLLM echoes its prompt: the answer shows the retrieved text reached the chosen candidate
    scorer = RuleScorer([(r"(?i)\bprove\b", 0.95)], default=0.2)
    return RouterLLM(models={"small": MockLLM(), "large": MockLLM(max_tokens=5)}, scorer=scorer)


@pytest.fixture
def index(clean_settings) -> SummaryIndex:
    Settings.embed_model = MockEmbedding(embed_dim=8)  # never called by SummaryIndex; keeps it offline regardless
    return SummaryIndex.from_documents(DOCS)


def test_query_engine_with_explicit_llm(index, llm, events):
    response = index.as_query_engine(llm=llm).query("What does langroute do?")
    assert "cheapest model" in str(response)
    assert [(d.model, d.score) for d in events.decisions()] == [("small", 0.2)]


def test_query_engine_routes_hard_questions_through_settings(index, llm, events):
    Settings.llm = llm
    response = index.as_query_engine().query("Prove that the policy is monotone.")
    assert str(response) == "text text text text text"  # MockLLM(max_tokens=5): the large candidate answered
    assert [d.model for d in events.decisions()] == ["large"]


def test_streaming_query_engine(index, llm, events):
    response = index.as_query_engine(llm=llm, streaming=True).query("What does langroute do?")
    assert "cheapest model" in "".join(response.response_gen)
    assert [d.model for d in events.decisions()] == ["small"]


def test_chat_engine(index, llm, events):
    engine = index.as_chat_engine(chat_mode="simple", llm=llm)
    engine.chat("hello")
    engine.chat("now prove it")
    assert [d.model for d in events.decisions()] == ["small", "large"]
    assert all("langroute" not in m.additional_kwargs for m in engine.chat_history)
