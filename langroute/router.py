"""`Router`: the framework-free routing engine that both adapters hold.

It scores a conversation, applies the policy, and decides what to try when a candidate fails.

```python
from langroute import HeuristicScorer, Router

router = Router(["small", "large"], scorer=HeuristicScorer())
router.decide("hi").model                          # 'small'
router.decide("hi", route="large").to_dict()["forced"]  # True
```
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TypeAlias, TypeVar

from langroute.conversation import MessagesInput, as_conversation
from langroute.decision import RoutingDecision
from langroute.errors import all_candidates_failed
from langroute.policy import RoutingPolicy
from langroute.scorers.base import Scorer, check_score

__all__ = ["Attempts", "FallbackOn", "Router", "check_fallback_on", "check_models", "check_scorer", "default_scorer"]

T = TypeVar("T")

FallbackOn: TypeAlias = "tuple[type[BaseException], ...] | Callable[[BaseException], bool]"
"""Which errors let the router fall back: exception classes, or a predicate."""

logger = logging.getLogger(__name__)


class Router:
    """Score, decide, fall back: the routing logic without any framework.

    Args:
        candidates: candidate names, cheapest first.
        scorer: how hard a conversation is; defaults to `HeuristicScorer()`.
        thresholds: ascending cut-offs in [0, 1], one fewer than candidates; ``None`` spaces them evenly.
        fallbacks: when a candidate raises, try the others (stronger first, then weaker).
        fallback_on: which errors fall back: a tuple of exception classes or a predicate ``error -> bool``;
            ``None`` (the default) falls back on any `Exception`. Other errors escape unchanged, e.g. to leave
            rate limits to a retry middleware around the router: ``fallback_on=lambda e: not is_transient(e)``.

    Raises:
        ConfigError: bad candidates or thresholds (see `RoutingPolicy`).
        TypeError: `scorer` is not a `Scorer`.
    """

    __slots__ = ("fallback_on", "fallbacks", "policy", "scorer")

    def __init__(
        self,
        candidates: Sequence[str],
        *,
        scorer: Scorer | None = None,
        thresholds: Sequence[float] | None = None,
        fallbacks: bool = True,
        fallback_on: FallbackOn | None = None,
    ) -> None:
        self.policy = RoutingPolicy(candidates, thresholds)
        self.scorer = default_scorer() if scorer is None else check_scorer(scorer)
        if not isinstance(fallbacks, bool):
            raise TypeError(f"fallbacks={fallbacks!r}: expected True or False")
        self.fallbacks = fallbacks
        self.fallback_on = check_fallback_on(fallback_on)

    def decide(self, messages: MessagesInput, *, route: str | None = None) -> RoutingDecision:
        """Choose the candidate for `messages`; `route` forces one by name (nothing is scored)."""
        if route is not None:
            return self._decided(self.policy.force(route, scorer=self.scorer.name))
        score = check_score(self.scorer.rate(as_conversation(messages)), self.scorer.name)
        return self._decided(self.policy.decide(score, scorer=self.scorer.name))

    async def adecide(self, messages: MessagesInput, *, route: str | None = None) -> RoutingDecision:
        """Async `decide` (awaits the scorer's `arate`)."""
        if route is not None:
            return self._decided(self.policy.force(route, scorer=self.scorer.name))
        score = check_score(await self.scorer.arate(as_conversation(messages)), self.scorer.name)
        return self._decided(self.policy.decide(score, scorer=self.scorer.name))

    def fallback(self, decision: RoutingDecision, errors: Mapping[str, BaseException]) -> RoutingDecision:
        """The next decision after ``decision.model`` raised ``errors[decision.model]``.

        Raises:
            BaseException: the candidate's own error (the same object), when the route was forced, fallbacks are
                off, or no other candidate was tried.
            AllCandidatesFailedError: two or more candidates were tried and all failed; it lists every error and
                is also an instance of the error class they share (see `all_candidates_failed`).
        """
        error = errors[decision.model]
        if decision.forced or not self.fallbacks or not self.falls_back_on(error):
            raise error
        following = self.policy.next_fallback(decision, errors)
        if following is None:
            if len(errors) == 1:
                raise error
            raise all_candidates_failed(errors) from error
        logger.warning(
            "candidate %s failed (%s); falling back to %s",
            decision.model,
            type(error).__name__,
            following.model,
        )
        return following

    def falls_back_on(self, error: BaseException) -> bool:
        """Whether `error` lets the router try another candidate (see ``fallback_on``)."""
        rule = self.fallback_on
        if rule is None:
            return isinstance(error, Exception)
        if isinstance(rule, tuple):
            return isinstance(error, rule)
        return bool(rule(error))

    def attempts(self, decision: RoutingDecision) -> Attempts:
        """The decisions to try for one call, starting with `decision` (see `Attempts`)."""
        return Attempts(self, decision)

    @staticmethod
    def _decided(decision: RoutingDecision) -> RoutingDecision:
        logger.debug("routed to %s (score=%s, scorer=%s)", decision.model, decision.score, decision.scorer)
        return decision

    def __repr__(self) -> str:
        return (
            f"Router(candidates={list(self.policy.candidates)}, scorer={self.scorer!r}, "
            f"thresholds={list(self.policy.thresholds)})"
        )


def default_scorer() -> Scorer:
    """The scorer used when none is given: `HeuristicScorer()`."""
    from langroute.scorers.heuristic import HeuristicScorer

    return HeuristicScorer()


def check_models(models: object, kind: type[T], description: str) -> dict[str, T]:
    """Return `models` as a dict if it maps names to instances of `kind`, else raise a `TypeError` naming the key.

    Adapters call this with their framework's model class, e.g. ``check_models(m, BaseChatModel, "a LangChain
    chat model (BaseChatModel)")``; the core itself never imports a framework.
    """
    if not isinstance(models, Mapping):
        raise TypeError(
            f"models={models!r}: expected a dict of name -> {description}, cheapest first, "
            'e.g. models={"small": small, "large": large}'
        )
    for name, model in models.items():
        if not isinstance(model, kind):
            raise TypeError(f"models[{name!r}] is a {type(model).__name__}; expected {description}")
    return dict(models)


def check_fallback_on(rule: object) -> FallbackOn | None:
    """Return `rule` if it is ``None``, a tuple of exception classes or a callable, else raise `TypeError`."""
    if rule is None or (callable(rule) and not isinstance(rule, type)):
        return rule  # type: ignore[return-value]
    classes = (rule,) if isinstance(rule, type) else rule
    if (
        isinstance(classes, (tuple, list))
        and classes
        and all(isinstance(c, type) and issubclass(c, BaseException) for c in classes)
    ):
        return tuple(classes)
    raise TypeError(
        f"fallback_on={rule!r}: expected exception classes, e.g. (openai.APIConnectionError,), or a function "
        "error -> bool"
    )


def check_scorer(scorer: object) -> Scorer:
    """Return `scorer` if it is a `Scorer`, else raise a `TypeError` that says how to wrap a function."""
    if isinstance(scorer, Scorer):
        return scorer
    if callable(scorer):
        raise TypeError(f"scorer={scorer!r} is a function, not a Scorer; wrap it: scorer=CallableScorer(fn)")
    raise TypeError(f"scorer={scorer!r}: expected a langroute Scorer such as HeuristicScorer()")


class Attempts:
    """Iterate over the decisions to try for one call: the chosen candidate, then fallbacks as they fail.

    The one fallback loop both adapters use; report each decision, call the candidate, and on error call
    `failed`. When no candidate is left, the iterator raises (see `Router.fallback`)::

        attempts = router.attempts(decision)
        for decision in attempts:
            report(decision)
            try:
                return call(decision.model)
            except Exception as exc:  # the fallback boundary
                attempts.failed(exc)
    """

    __slots__ = ("_current", "_errors", "_router", "_started")

    def __init__(self, router: Router, decision: RoutingDecision) -> None:
        self._router = router
        self._current = decision
        self._errors: dict[str, BaseException] = {}
        self._started = False

    @property
    def errors(self) -> dict[str, BaseException]:
        """Each failed candidate's exception, in the order tried."""
        return dict(self._errors)

    def failed(self, error: BaseException) -> None:
        """Record that the current decision's candidate raised `error`."""
        self._errors[self._current.model] = error

    def __iter__(self) -> Attempts:
        return self

    def __next__(self) -> RoutingDecision:
        if not self._started:
            self._started = True
            return self._current
        if self._current.model not in self._errors:  # the caller finished without failing
            raise StopIteration
        self._current = self._router.fallback(self._current, self._errors)
        return self._current
