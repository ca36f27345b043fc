"""A LlamaIndex query engine whose LLM is a `RouterLLM`, set once in `Settings`.

Shows: `Settings.llm = RouterLLM(...)` routes every query engine call; the decision is in each response's
``additional_kwargs["langroute"]`` and reaches legacy `callback_manager` handlers and instrumentation alike.

Run:
    python examples/llama_index_query.py

Offline it uses LlamaIndex's `MockLLM` stand-ins (the small one echoes its prompt, the large one answers
"text text ..."), over a `SummaryIndex`, which needs no embeddings. With `llama-index-llms-openai` installed and
`OPENAI_API_KEY` set it uses real OpenAI models instead (names from `LANGROUTE_SMALL_MODEL` /
`LANGROUTE_LARGE_MODEL`, defaulting to gpt-4o-mini / gpt-4o).
"""

from __future__ import annotations

import importlib.util
import os

from llama_index.core import Document, Settings, SummaryIndex
from llama_index.core.callbacks import CallbackManager, CBEventType, EventPayload, LlamaDebugHandler
from llama_index.core.llms import LLM, MockLLM

from langroute import HeuristicScorer, RuleScorer
from langroute.llama_index import RouterLLM

DOCS = [
    Document(text="langroute sends each LLM call to the cheapest model that can handle it."),
    Document(text="A scorer rates the conversation from 0 to 1; thresholds map the score onto the candidates."),
]


def candidates() -> dict[str, LLM]:
    """Real OpenAI models when available, else offline stand-ins (cheapest first)."""
    if os.environ.get("OPENAI_API_KEY") and importlib.util.find_spec("llama_index.llms.openai"):
        from llama_index.llms.openai import OpenAI

        return {
            "small": OpenAI(model=os.environ.get("LANGROUTE_SMALL_MODEL", "gpt-4o-mini")),
            "large": OpenAI(model=os.environ.get("LANGROUTE_LARGE_MODEL", "gpt-4o")),
        }
    return {"small": MockLLM(), "large": MockLLM(max_tokens=6)}


def main() -> None:
    debug = LlamaDebugHandler(print_trace_on_end=False)
    Settings.callback_manager = CallbackManager([debug])  # a legacy handler: it sees the candidates' LLM events
    Settings.llm = RouterLLM(
        models=candidates(),
        scorer=RuleScorer([(r"(?i)\b(prove|derive|why)\b", 0.9)], default=HeuristicScorer()),
    )
    engine = SummaryIndex.from_documents(DOCS).as_query_engine()
    for question in ["What does langroute do?", "Why must the thresholds be ascending? Prove it."]:
        response = engine.query(question)
        answer = str(response).replace("\n", " ")
        end = debug.get_llm_inputs_outputs()[-1][1].payload  # the candidate's LLM end event
        output = end.get(EventPayload.RESPONSE) or end[EventPayload.COMPLETION]
        decision = output.additional_kwargs["langroute"]
        print(f"Q: {question}")
        print(f"   routed to {decision['model']} (score={decision['score']:.2f}: {decision['reason']})")
        print(f"A: {answer[:100]}")
    print(f"LLM calls seen by the legacy handler: {len(debug.get_event_pairs(CBEventType.LLM))}")


if __name__ == "__main__":
    main()
