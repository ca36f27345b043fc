"""`LLMScorer`: ask a (cheap) chat model to rate a conversation's complexity from 0 to 10.

`model` is a LangChain chat model (anything with ``invoke`` / ``ainvoke`` taking ``(role, text)`` pairs and
returning a message with ``content``) or a LlamaIndex LLM (``chat`` / ``achat``, or ``complete`` /
``acomplete``). The conversation's text (its first and last 4 KB) is sent to the model. The first number in
the reply (starting within its first 20 characters), from 0 to 10, becomes the score divided by 10; an
unparseable or out-of-range reply gives `default`. A blank conversation scores 0 without a call. Errors of the
model itself propagate.

```python
from langroute import LLMScorer

scorer = LLMScorer(cheap_chat_model)
scorer.explain("Prove that there are infinitely many primes.")   # Score(value=0.7, reason='model rated 7/10')
```
"""

from __future__ import annotations

import math
import re
from typing import Any, Final

from langroute._ask import ModelAsker, transcript
from langroute.conversation import Conversation
from langroute.errors import ConfigError
from langroute.scorers.base import Score, Scorer

__all__ = ["RATING_PROMPT", "LLMScorer"]

RATING_PROMPT: Final = (
    "You rate how hard a conversation is for an AI assistant to answer well, on a scale from 0 to 10: "
    "0-2 greetings, chit-chat, simple lookups; 3-5 ordinary questions and short writing; 6-8 multi-step "
    "reasoning, math, non-trivial code; 9-10 expert-level proofs, system design, long complex tasks. "
    "Reply with the number only."
)
"""The system instruction sent with every conversation."""

_NUMBER: Final = re.compile(r"-?\d+(?:\.\d+)?")
_REPLY_HEAD: Final = 20  # the rating must start within this many characters of the (stripped) reply


class LLMScorer(Scorer):
    """Rate complexity by asking a chat model for a 0-10 rating.

    Args:
        model: a LangChain chat model or a LlamaIndex LLM (see the module docstring).
        default: the score when the reply has no number in [0, 10].
        prompt: the system instruction (default `RATING_PROMPT`).

    Raises:
        ConfigError: `default` is not in [0, 1], `prompt` is not a non-empty str, or `model` has none of the
            supported methods.
    """

    def __init__(self, model: Any, default: float = 0.5, *, prompt: str = RATING_PROMPT) -> None:
        if isinstance(default, bool) or not isinstance(default, (int, float)) or not 0.0 <= default <= 1.0:
            raise ConfigError(f"default={default!r}: expected a number in [0, 1]")
        if not isinstance(prompt, str) or not prompt.strip():
            raise ConfigError(f"prompt is a {type(prompt).__name__}: expected the rating instruction, a non-empty str")
        self._asker = ModelAsker(model)
        self.model = model
        self.default = float(default)
        self.prompt = prompt

    def parse(self, reply: str) -> Score:
        """Turn the model's reply into a score: its first number in [0, 10] divided by 10, else `default`.

        The number must start within the first 20 characters of the reply ("7", "Rating: 7/10", "I'd say 7"),
        so a model that echoes the prompt or writes an essay falls back to `default` instead of being misread.
        The reason gives the rating, or the reply's length: never its text, which may echo the prompt.
        """
        match = _NUMBER.search(reply.strip())
        if match is not None and match.start() < _REPLY_HEAD:
            rating = float(match.group())
            if math.isfinite(rating) and 0.0 <= rating <= 10.0:
                return Score(rating / 10.0, f"model rated {match.group()}/10")
        # never quote the reply: a model may echo the prompt
        return Score(self.default, f"no rating 0-10 in a {len(reply)}-character reply; default {self.default}")

    def rate(self, conversation: Conversation) -> Score:
        """Ask the model; parse its reply."""
        if conversation.is_blank:
            return Score(0.0, "blank conversation")
        return self.parse(self._asker.ask(self.prompt, _question(conversation), "Rating:"))

    async def arate(self, conversation: Conversation) -> Score:
        """Async `rate` (``ainvoke`` / ``achat`` / ``acomplete``)."""
        if conversation.is_blank:
            return Score(0.0, "blank conversation")
        return self.parse(await self._asker.aask(self.prompt, _question(conversation), "Rating:"))

    def __repr__(self) -> str:
        return f"LLMScorer({type(self.model).__name__}, default={self.default})"


def _question(conversation: Conversation) -> str:
    return f"Rate this conversation:\n<conversation>\n{transcript(conversation)}\n</conversation>"
