"""`Candidate`: a model the router may call, with its prices, capabilities and timeout.

Adapters accept ``models={"small": m1, "large": m2}`` (names -> models, cheapest first) or a list of
`Candidate`; either way the router holds `Candidate` objects. A capability left at ``None`` is unknown: the adapter
fills it from what the framework knows (LangChain's ``profile``, LlamaIndex's ``metadata``), else the candidate is
treated as able.

```python
from langroute import Candidate

small = Candidate("small", small_model, input_cost=0.15, output_cost=0.60, context_window=128_000, vision=False)
large = Candidate("large", large_model, input_cost=2.50, output_cost=10.0, timeout=30)
small.cost_usd(input_tokens=1_000, output_tokens=200)   # 0.00027
```
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, Final

from langroute.errors import ConfigError

__all__ = ["CAPABILITIES", "Candidate", "Needs", "as_candidates", "exclusions"]

CAPABILITIES: Final = ("context_window", "vision", "tools", "structured_output")
"""The capability fields of `Candidate`, in the order exclusions are checked."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """A candidate model: its name, the framework model, and what it costs and can do.

    Args:
        name: the name decisions report; unique among a router's candidates.
        model: the framework model (a LangChain chat model, a LlamaIndex LLM...); the core never calls it.
        input_cost: USD per 1M input tokens; ``None`` = unknown (calls are counted in tokens only).
        output_cost: USD per 1M output tokens; ``None`` = unknown.
        context_window: the most input tokens the model takes; ``None`` = unknown (no limit is applied).
        vision: whether it reads images; ``None`` = unknown (treated as able).
        tools: whether it calls tools; ``None`` = unknown (treated as able).
        structured_output: whether it returns structured output; ``None`` = unknown (treated as able).
        timeout: seconds an attempt on this candidate may take before the router falls back; wins over the
            router's own ``timeout``. ``None`` = the router's.

    Raises:
        ConfigError: an empty name, a negative or non-finite price, a context window below 1, a timeout <= 0.
    """

    name: str
    model: Any = field(repr=False, compare=False)
    input_cost: float | None = field(default=None, kw_only=True)
    output_cost: float | None = field(default=None, kw_only=True)
    context_window: int | None = field(default=None, kw_only=True)
    vision: bool | None = field(default=None, kw_only=True)
    tools: bool | None = field(default=None, kw_only=True)
    structured_output: bool | None = field(default=None, kw_only=True)
    timeout: float | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        where = f"Candidate({self.name!r})"
        if not isinstance(self.name, str) or not self.name:
            raise ConfigError(f"Candidate name {self.name!r}: expected a non-empty str")
        for price in ("input_cost", "output_cost"):
            value = getattr(self, price)
            if value is not None:
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                    raise ConfigError(f"{where}: {price}={value!r}: expected USD per 1M tokens, a number >= 0")
                if value < 0:
                    raise ConfigError(f"{where}: {price}={value!r} is negative; prices are USD per 1M tokens, >= 0")
                object.__setattr__(self, price, float(value))
        window = self.context_window
        if window is not None and (isinstance(window, bool) or not isinstance(window, int) or window < 1):
            raise ConfigError(f"{where}: context_window={window!r}: expected a positive number of tokens, or None")
        for flag in ("vision", "tools", "structured_output"):
            value = getattr(self, flag)
            if value is not None and not isinstance(value, bool):
                raise ConfigError(f"{where}: {flag}={value!r}: expected True, False or None (unknown)")
        timeout = self.timeout
        if timeout is not None:
            if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < math.inf:
                raise ConfigError(f"{where}: timeout={timeout!r}: expected seconds > 0, or None")
            object.__setattr__(self, "timeout", float(timeout))

    @property
    def priced(self) -> bool:
        """Whether both prices are known."""
        return self.input_cost is not None and self.output_cost is not None

    def cost_usd(self, input_tokens: int | None, output_tokens: int | None) -> float | None:
        """What a call with this usage costs in USD; ``None`` when a price or the usage is unknown."""
        if self.input_cost is None or self.output_cost is None or input_tokens is None or output_tokens is None:
            return None
        return (input_tokens * self.input_cost + output_tokens * self.output_cost) / 1_000_000

    def with_known(self, **capabilities: Any) -> Candidate:
        """A copy whose unknown (``None``) capabilities take the given values; known ones are kept.

        Adapters call this with what the framework reports, e.g. ``with_known(context_window=128000, vision=True)``.
        """
        updates = {k: v for k, v in capabilities.items() if v is not None and getattr(self, k) is None}
        return replace(self, **updates) if updates else self

    def describe(self) -> dict[str, Any]:
        """The candidate without its model: name, prices, capabilities, timeout (JSON-ready)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "model"}


@dataclass(frozen=True, slots=True)
class Needs:
    """What a request needs from a candidate (read from the conversation by the router)."""

    vision: bool = False
    tools: bool = False
    structured_output: bool = False
    tokens: int = 0


def exclusions(candidates: Sequence[Candidate], needs: Needs) -> dict[str, str]:
    """The candidates that cannot serve `needs`, each with the reason: ``{name: reason}`` (``{}`` when all can).

    A capability that is ``None`` (unknown) never excludes. The token count is an estimate (see
    `Conversation.token_estimate`: ~4 characters a token), so a candidate is set aside only when the estimate is
    over its window.
    """
    out: dict[str, str] = {}
    for c in candidates:
        if needs.vision and c.vision is False:
            out[c.name] = "no vision: the request has images"
        elif needs.tools and c.tools is False:
            out[c.name] = "no tool calling: the request binds tools"
        elif needs.structured_output and c.structured_output is False:
            out[c.name] = "no structured output: the request asks for it"
        elif c.context_window is not None and needs.tokens > c.context_window:
            out[c.name] = f"context window {c.context_window} < ~{needs.tokens} tokens"
    return out


def as_candidates(models: object, kind: type[Any] | tuple[type[Any], ...], description: str) -> list[Candidate]:
    """Read an adapter's ``models=`` argument: a dict name -> model, or a list of `Candidate`, cheapest first.

    Args:
        models: what the user passed.
        kind: the framework's model class; every model must be an instance.
        description: how to name that class in errors, e.g. ``"a LangChain chat model (BaseChatModel)"``.

    Raises:
        TypeError: `models` is neither form, or a model is not a `kind`.
        ConfigError: no candidate, or duplicate names.
    """
    example = 'e.g. models={"small": small, "large": large} or models=[Candidate("small", small), ...]'
    if isinstance(models, Mapping):
        items = []
        for name, model in models.items():
            if isinstance(model, Candidate):
                raise TypeError(f"models[{name!r}] is a Candidate; pass a list of Candidates, or a dict of models")
            if not isinstance(name, str):
                raise TypeError(f"models: key {name!r} is a {type(name).__name__}; candidate names are str")
            items.append(Candidate(name, model))
    elif isinstance(models, Sequence) and not isinstance(models, (str, bytes)):
        items = list(models)
        for i, item in enumerate(items):
            if not isinstance(item, Candidate):
                raise TypeError(
                    f"models[{i}] is a {type(item).__name__}; a list of models must hold Candidate objects ({example})"
                )
    else:
        raise TypeError(f"models={models!r:.80}: expected a dict of name -> {description}, cheapest first; {example}")
    if not items:
        raise ConfigError(f"models is empty: give at least one candidate model, cheapest first ({example})")
    seen: set[str] = set()
    for c in items:
        if c.name in seen:
            raise ConfigError(f"models: candidate name {c.name!r} appears twice; names must be unique")
        seen.add(c.name)
        if not isinstance(c.model, kind):
            raise TypeError(f"models[{c.name!r}] is a {type(c.model).__name__}; expected {description}")
    return items
