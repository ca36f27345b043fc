"""Shared by the examples: real chat models when an API key is set, offline stand-ins otherwise."""

from __future__ import annotations

import os

from langchain_core.language_models import BaseChatModel

from langroute.langchain.testing import StandInChatModel


def candidate_models() -> dict[str, BaseChatModel]:
    """``{"small": ..., "large": ...}``: OpenAI models if ``OPENAI_API_KEY`` is set and langchain-openai is
    installed, Anthropic ones for ``ANTHROPIC_API_KEY``, else offline stand-ins that make no network call."""
    try:
        if os.environ.get("OPENAI_API_KEY"):
            from langchain_openai import ChatOpenAI

            return {"small": ChatOpenAI(model="gpt-4o-mini"), "large": ChatOpenAI(model="gpt-4o")}
        if os.environ.get("ANTHROPIC_API_KEY"):
            from langchain_anthropic import ChatAnthropic

            return {
                "small": ChatAnthropic(model="claude-3-5-haiku-latest"),
                "large": ChatAnthropic(model="claude-sonnet-4-5"),
            }
    except ImportError:
        pass
    return {"small": StandInChatModel(label="small"), "large": StandInChatModel(label="large")}
