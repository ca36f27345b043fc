"""The scorer contract: rate a conversation from 0 (trivial) to 1 (hardest).

A scorer subclasses `Scorer` and implements `rate` (and `arate` when it does I/O). Callers use
`score` / `ascore` for the number, `explain` / `aexplain` for the number and the reason.

```python
from langroute import Conversation, Score, Scorer

class LengthScorer(Scorer):
    def rate(self, conversation: Conversation) -> Score:
        return Score(min(1.0, conversation.char_count / 2000), "length")

LengthScorer().score("hi")  # 0.001
```
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from langroute.conversation import Conversation, MessagesInput, as_conversation
from langroute.errors import InputError, ScoreError

__all__ = ["Score", "Scorer", "check_saved_model", "check_score"]


@dataclass(frozen=True, slots=True, init=False)
class Score:
    """A scorer's verdict: `value` in [0, 1], a short human-readable `reason`, and optional `features`.

    `features` is a JSON-ready hashed feature vector that a scorer may attach (no prompt text); a feedback store
    records it so a learner can adapt the scorer without keeping prompts.
    """

    value: float
    reason: str = ""
    features: Any = None

    def __init__(self, value: float, reason: str = "", features: Any = None) -> None:
        _set_value(self, value)  # the slots directly: cheaper than the frozen __init__'s object.__setattr__
        _set_reason(self, reason)
        _set_features(self, features)


_set_value, _set_reason, _set_features = (Score.__dict__[f.name].__set__ for f in fields(Score))


class Scorer(ABC):
    """Base class of every scorer. Subclasses implement `rate`; async scorers also `arate`."""

    offload_chars: int | None = 32_768
    """The inherited `arate` runs `rate` in a worker thread (`asyncio.to_thread`) for conversations of more
    characters than this, so a slow CPU-bound scorer does not stall the event loop; `None` always runs it inline.
    Set it on a subclass or an instance: ``scorer.offload_chars = 4096``."""

    @property
    def name(self) -> str:
        """The name reported in decisions (the class name)."""
        return type(self).__name__

    @abstractmethod
    def rate(self, conversation: Conversation) -> Score:
        """Rate `conversation`; return a `Score` whose value is in [0, 1]."""

    async def arate(self, conversation: Conversation) -> Score:
        """Async `rate`. CPU-only scorers inherit this; scorers that do I/O override it.

        `rate` runs inline, or in a worker thread above `offload_chars` characters (a thread hop costs tens of
        microseconds; a big conversation given to a slow scorer would hold the event loop far longer).
        """
        limit = self.offload_chars
        if limit is not None and conversation.char_count > limit:
            import asyncio  # already loaded under a running loop; kept off `import langroute`

            return await asyncio.to_thread(self.rate, conversation)
        return self.rate(conversation)

    def explain(self, messages: MessagesInput) -> Score:
        """Score `messages` and say why. Accepts anything `as_conversation` accepts."""
        return check_score(self.rate(as_conversation(messages)), self.name)

    async def aexplain(self, messages: MessagesInput) -> Score:
        """Async `explain`."""
        return check_score(await self.arate(as_conversation(messages)), self.name)

    def score(self, messages: MessagesInput) -> float:
        """How hard `messages` is, in [0, 1]."""
        return self.explain(messages).value

    async def ascore(self, messages: MessagesInput) -> float:
        """Async `score`; gives the same value."""
        return (await self.aexplain(messages)).value

    def __repr__(self) -> str:
        return f"{self.name}()"


def check_score(score: object, scorer: str) -> Score:
    """Return `score` as a `Score` if it is a finite number in [0, 1], else raise `ScoreError`."""
    value = score.value if isinstance(score, Score) else score
    if isinstance(value, bool) or not isinstance(value, (int, float)):  # its type only: it may hold prompt text
        raise ScoreError(f"{scorer} returned a {type(value).__name__}; a scorer must return a float in [0, 1]")
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise ScoreError(f"{scorer} returned {value!r}; a scorer must return a float in [0, 1]")
    if isinstance(score, Score):
        return score if type(value) is float else Score(float(value), score.reason, score.features)
    return Score(float(value))


def check_saved_model(data: object, source: str, *, kind: str, format: str, version: int, retrain: str) -> None:
    """Raise `InputError` unless `data` is a saved `kind` model (``data["format"] == format``) of `version`.

    The one header check of every saved scorer's ``from_dict``; `retrain` says how to make a current file.
    """
    if not isinstance(data, Mapping) or data.get("format") != format:
        found = data.get("format") if isinstance(data, Mapping) else type(data).__name__
        raise InputError(f"{source}: not a langroute {kind} model (format={found!r}, expected {format!r})")
    if data.get("version") != version:
        raise InputError(
            f"{source}: model version {data.get('version')!r} is not supported (this release reads version "
            f"{version}); retrain it with {retrain}"
        )
