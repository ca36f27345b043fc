"""Candidates and the router for the LangChain adapter (shared by `RouterChatModel` and `RoutingMiddleware`).

```python
candidates = read_candidates({"small": small, "large": large})   # or [Candidate("small", small, ...), ...]
candidates[0].context_window    # from small.profile["max_input_tokens"], when the model has a profile
router = build_router(candidates, {"thresholds": [0.6], "escalate": [empty_answer]})
```
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from langchain_core.language_models import BaseChatModel

from langroute.candidates import Candidate, as_candidates
from langroute.router import ADAPTER_OPTIONS, Router

__all__ = ["ROUTER_OPTIONS", "build_router", "read_candidates", "thread_id"]

ROUTER_OPTIONS: Final = ADAPTER_OPTIONS
"""The `Router` options both LangChain entry points take (the core's `ADAPTER_OPTIONS`)."""

_DESCRIPTION: Final = "a LangChain chat model (BaseChatModel)"


def read_candidates(models: object) -> list[Candidate]:
    """``models=`` (a dict name -> chat model, or a list of `Candidate`) as Candidates, cheapest first.

    Capabilities left unknown are read from each model's LangChain ``profile``: ``max_input_tokens`` ->
    ``context_window``, ``image_inputs`` -> ``vision``, ``tool_calling`` -> ``tools``, ``structured_output``.

    Raises:
        TypeError: `models` is neither form, or a model is not a `BaseChatModel`.
        ConfigError: no candidate, or a duplicate name.
    """
    return [_with_profile(c) for c in as_candidates(models, BaseChatModel, _DESCRIPTION)]


def _with_profile(candidate: Candidate) -> Candidate:
    profile = candidate.model.profile
    if not profile:
        return candidate
    window = profile.get("max_input_tokens")
    known = {
        "context_window": window if isinstance(window, int) and not isinstance(window, bool) and window > 0 else None,
        "vision": profile.get("image_inputs"),
        "tools": profile.get("tool_calling"),
        "structured_output": profile.get("structured_output"),
    }
    return candidate.with_known(**{k: v for k, v in known.items() if k == "context_window" or isinstance(v, bool)})


def build_router(candidates: list[Candidate], options: Mapping[str, Any]) -> Router:
    """The core `Router` over `candidates` with `options` (keys of `ROUTER_OPTIONS`; its errors name the field)."""
    return Router(candidates, **options)


def thread_id(router: Router, config: Mapping[str, Any] | None) -> str | None:
    """The run's ``configurable["thread_id"]`` as a str, read only when `router` holds threads (``sticky="thread"``)."""
    if router.sticky != "thread" or config is None:
        return None
    found = (config.get("configurable") or {}).get("thread_id")
    return None if found is None else str(found)
