from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage
from llama_index.core.base.llms.types import CompletionResponse, CompletionResponseGen, LLMMetadata
from llama_index.core.llms import CustomLLM, MockLLM
from pydantic import Field

from langroute import ConfigError, LLMScorer


class FixedLLM(CustomLLM):
    """A real LlamaIndex LLM that replies with a fixed text and records the prompts it got."""

    reply: str = "7"
    prompts: list[str] = Field(default_factory=list)

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="fixed")

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        self.prompts.append(prompt)
        return CompletionResponse(text=self.reply)

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        yield self.complete(prompt)


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("7", 0.7),
        ("Rating: 3/10", 0.3),
        ("I'd rate it 8.5.", 0.85),
        ("10", 1.0),
        ("0", 0.0),
        ("hard", 0.25),
        ("42", 0.25),
        ("This conversation is about sorting; I would rate it 6", 0.25),
    ],
)
def test_langchain_replies_are_parsed_or_fall_back_to_default(reply, expected):
    scorer = LLMScorer(FakeListChatModel(responses=[reply]), default=0.25)
    assert scorer.score("Explain quicksort") == pytest.approx(expected)


async def test_langchain_async_and_the_conversation_is_sent():
    model = GenericFakeChatModel(messages=iter([AIMessage(content="9")]))
    scorer = LLMScorer(model)
    assert await scorer.ascore([("system", "be terse"), ("user", "prove the Riemann hypothesis")]) == 0.9


def test_llama_index_llm_sees_the_conversation_text():
    llm = FixedLLM(reply="6")
    scorer = LLMScorer(llm)
    assert scorer.score([("user", "design a compiler"), ("assistant", "ok"), ("user", "now optimise it")]) == 0.6
    assert "design a compiler" in llm.prompts[-1]
    assert "now optimise it" in llm.prompts[-1]


async def test_llama_index_async_chat():
    llm = FixedLLM(reply="  2 ")
    assert await LLMScorer(llm).ascore("hello") == pytest.approx(0.2)


def test_an_echoing_llama_index_mock_gives_the_default():
    # MockLLM replies with the prompt it got: no rating, even though the prompt contains numbers
    assert LLMScorer(MockLLM(), default=0.4).score("What is 6 * 7? Answer in 2 words.") == pytest.approx(0.4)


@pytest.mark.parametrize("messages", [None, "", "  ", [("user", None)]])
def test_blank_conversations_score_zero_without_a_call(messages):
    llm = FixedLLM(reply="9")
    assert LLMScorer(llm).score(messages) == 0.0
    assert llm.prompts == []


def test_huge_input_is_windowed_and_images_are_skipped():
    llm = FixedLLM(reply="5")
    content = [{"type": "image_url", "image_url": {"url": "data:"}}, {"type": "text", "text": "y" * 1_000_000}]
    assert LLMScorer(llm).score([("user", content)]) == 0.5
    assert len(llm.prompts[-1]) < 12_000


def test_bad_configuration_is_explained():
    with pytest.raises(ConfigError, match="default=2"):
        LLMScorer(FakeListChatModel(responses=["1"]), default=2)
    with pytest.raises(ConfigError, match="expected a LangChain chat model"):
        LLMScorer(object())


@pytest.mark.parametrize("prompt", [None, "", "   ", 3])
def test_the_rating_prompt_must_be_a_non_empty_string(prompt):
    with pytest.raises(ConfigError, match=r"prompt is a \w+: expected the rating instruction, a non-empty str"):
        LLMScorer(FakeListChatModel(responses=["5"]), prompt=prompt)
