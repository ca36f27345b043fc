"""LangChain's own standard unit tests for chat models, run against RouterChatModel."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage
from langchain_tests.unit_tests import ChatModelUnitTests

from langroute import RouterChatModel
from langroute.langchain.testing import FakeToolChatModel


class TestRouterChatModelStandard(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[RouterChatModel]:
        return RouterChatModel

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {
            "models": {
                "small": FakeToolChatModel(messages=iter([AIMessage("small")] * 100)),
                "large": FakeToolChatModel(messages=iter([AIMessage("large")] * 100)),
            }
        }
