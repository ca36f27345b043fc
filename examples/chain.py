"""A ``prompt | router | parser`` chain: the router is a drop-in chat model.

Run: ``python examples/chain.py`` (offline stand-ins; real models when OPENAI_API_KEY or ANTHROPIC_API_KEY is set).
"""

from __future__ import annotations

from _models import candidate_models
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from langroute import RouterChatModel

router = RouterChatModel(models=candidate_models())
prompt = ChatPromptTemplate.from_messages([("system", "You are a concise assistant."), ("user", "{question}")])
chain = prompt | router | StrOutputParser()

for question in [
    "What is the capital of Japan?",
    "Design a rate limiter for a multi-region API step by step, explain the trade-offs, and prove its error bound.",
]:
    decision = router.decide(prompt.invoke({"question": question}))
    print(f"{decision.model:<6} (score {decision.score:.2f}) <- {question[:60]}")
    print("  ", chain.invoke({"question": question}))
