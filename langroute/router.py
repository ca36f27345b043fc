"""`Router`: the framework-free routing engine that both adapters hold.

One pipeline, in this order (each stage is optional and off unless configured, but sticky tool loops):

    conversation -> task (``task=`` or the classifier) -> ladder (the task's route, else every candidate)
      -> exclusions (capabilities, open circuit breakers) -> sticky (tool loop, thread) -> score -> policy
      -> exploration -> shadow -> the decision, recorded in the feedback store

`Attempts` is the one call loop the adapters run: fallback on errors and timeouts, escalation on failed answer
checks, in one order.

```python
from langroute import HeuristicScorer, Router

router = Router(["small", "large"], scorer=HeuristicScorer())
router.decide("hi").model                               # 'small'
router.decide("hi", route="large").to_dict()["forced"]  # True
```
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping, Sequence
from functools import partial
from time import perf_counter
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias, TypeVar

from langroute.candidates import Candidate, Needs, exclusions
from langroute.checks import Check, arun_checks, as_checks, run_checks
from langroute.classifiers.base import Classifier, TaskMatch, check_classifier
from langroute.conversation import Conversation, MessagesInput, as_conversation
from langroute.decision import RoutingDecision, _changed
from langroute.errors import ConfigError, all_candidates_failed
from langroute.policy import RoutingPolicy
from langroute.scorers.base import Score, Scorer, check_score

if TYPE_CHECKING:
    from langroute.feedback import FeedbackStore
    from langroute.telemetry import Telemetry
    from langroute.timeouts import TimeoutPool

__all__ = [
    "ADAPTER_OPTIONS",
    "Attempts",
    "FallbackOn",
    "Router",
    "Sticky",
    "check_fallback_on",
    "check_models",
    "check_scorer",
    "default_scorer",
]

T = TypeVar("T")

FallbackOn: TypeAlias = "tuple[type[BaseException], ...] | Callable[[BaseException], bool]"
"""Which errors let the router fall back: exception classes, or a predicate."""

Sticky: TypeAlias = Literal["tool_loop", "thread"]
"""Sticky routing: keep a tool loop on the model that issued the tool call, or a whole thread on its model."""

Mode: TypeAlias = Literal["route", "shadow"]


logger = logging.getLogger(__name__)

_STICKY: Final = ("tool_loop", "thread", None)
_MODES: Final = ("route", "shadow")


ADAPTER_OPTIONS: Final = (
    "scorer",
    "thresholds",
    "routes",
    "classifier",
    "fallbacks",
    "fallback_on",
    "sticky",
    "mode",
    "shadow_model",
    "explore",
    "seed",
    "feedback",
    "escalate",
    "max_escalations",
    "timeout",
    "stream_timeout",
    "cooldown",
    "max_failures",
)
"""The `Router` keyword options the framework adapters expose as fields, passed to the core unchanged (it
validates them). `max_threads` and `telemetry` stay core-only."""


class Router:
    """Classify, exclude, score, decide, fall back, escalate: the routing logic without any framework.

    Args:
        candidates: candidate names or `Candidate` objects (prices, capabilities, timeouts), cheapest first.
        scorer: how hard a conversation is; defaults to `TransferScorer.pretrained()` (see `default_scorer`).
        thresholds: ascending cut-offs in [0, 1], one fewer than candidates (``None`` spaces them evenly), or a
            dict ladder -> cut-offs (``"default"`` = every candidate; the other keys are tasks of `routes`).
        routes: task name -> candidate names, cheapest first: the task's own ladder.
        classifier: finds the task of a call when none is given with ``task=``.
        fallbacks: when a candidate raises (or times out), try the others (stronger first, then weaker).
        fallback_on: which errors fall back: a tuple of exception classes or a predicate ``error -> bool``;
            ``None`` (the default) falls back on any `Exception`. Other errors escape unchanged, e.g. to leave
            rate limits to a retry middleware around the router: ``fallback_on=lambda e: not is_transient(e)``.
        sticky: ``"tool_loop"`` (default): a call answering tool results goes to the candidate that issued the
            tool calls; ``"thread"``: also hold a thread's first candidate for the thread (``thread_id=``), still
            escalating when a later turn scores higher; ``None``: every call is routed afresh.
        mode: ``"route"`` (default), or ``"shadow"``: every call is answered by `shadow_model` while decisions
            report what routing would have chosen (``would_route``).
        shadow_model: the candidate that answers in shadow mode; defaults to the strongest.
        explore: share of scored calls routed uniformly at random over the capable ladder (with the propensity
            recorded), so feedback also covers the models routing would not pick. Never applies to forced or
            sticky calls.
        seed: seed of the exploration draws.
        feedback: a `FeedbackStore` that records every decision (without prompt text) and the outcomes given to
            `record_feedback`; `learn` adapts the scorer from it.
        escalate: answer checks (see `langroute.checks`); when one fails, the call goes to the next stronger
            candidate of the ladder.
        max_escalations: how many times one call may escalate.
        timeout: seconds an attempt may take before it counts as failed and falls back (a `Candidate`'s own
            `timeout` wins); ``None`` = no limit.
        stream_timeout: seconds a stream may wait for its first chunk and between chunks; ``None`` = `timeout`.
        cooldown: seconds a candidate is skipped after `max_failures` consecutive failures or timeouts (a circuit
            breaker; ``None``, the default, turns it off).
        max_failures: consecutive failures that open a candidate's circuit breaker.
        max_threads: how many threads `sticky="thread"` remembers (least recently used are forgotten).
        telemetry: report decisions to OpenTelemetry (span attributes and events, metrics; see
            `langroute.telemetry`): ``True`` (default) when ``opentelemetry-api`` is installed, ``False``, or a
            `Telemetry` built with your own providers.

    Raises:
        ConfigError: bad candidates, thresholds, routes or options (the message names the field).
        TypeError: `scorer` or `classifier` is not one, or an option has the wrong type.
    """

    def __init__(
        self,
        candidates: Sequence[str | Candidate],
        *,
        scorer: Scorer | None = None,
        thresholds: Sequence[float] | Mapping[str, Sequence[float]] | None = None,
        routes: Mapping[str, Sequence[str]] | None = None,
        classifier: Classifier | None = None,
        fallbacks: bool = True,
        fallback_on: FallbackOn | None = None,
        sticky: Sticky | None = "tool_loop",
        mode: Mode = "route",
        shadow_model: str | None = None,
        explore: float = 0.0,
        seed: int | None = None,
        feedback: FeedbackStore | None = None,
        escalate: Sequence[Check] = (),
        max_escalations: int = 1,
        timeout: float | None = None,
        stream_timeout: float | None = None,
        cooldown: float | None = None,
        max_failures: int = 3,
        max_threads: int = 10_000,
        telemetry: bool | Telemetry = True,
    ) -> None:
        self.policy = RoutingPolicy(candidates, thresholds, routes=routes)
        self.scorer = default_scorer() if scorer is None else check_scorer(scorer)
        self.classifier = check_classifier(classifier)
        self.fallbacks = _check_bool(fallbacks, "fallbacks")
        self.fallback_on = check_fallback_on(fallback_on)
        if sticky not in _STICKY:
            raise ConfigError(f"sticky={sticky!r}: expected 'tool_loop', 'thread' or None")
        self.sticky = sticky
        if mode not in _MODES:
            raise ConfigError(f"mode={mode!r}: expected 'route' or 'shadow'")
        self.mode = mode
        names = self.policy.candidates
        if shadow_model is not None and shadow_model not in names:
            raise ConfigError(f"shadow_model={shadow_model!r} is not a candidate; choose one of {list(names)}")
        self.shadow_model = shadow_model if shadow_model is not None else names[-1]
        self.explore = _check_number(explore, "explore", 0.0, 1.0, "a share in [0, 1]")
        self.seed = seed
        self._random = random.Random(seed)
        self.feedback = _check_store(feedback)
        self.escalate = as_checks(escalate)
        self.max_escalations = _check_int(max_escalations, "max_escalations", 0)
        self.timeout = _check_seconds(timeout, "timeout")
        self.stream_timeout = _check_seconds(stream_timeout, "stream_timeout")
        self.breakers = CircuitBreakers(names, cooldown=cooldown, max_failures=max_failures)
        self.threads = ThreadMemory(_check_int(max_threads, "max_threads", 1))
        known = self.classifier.tasks if self.classifier is not None else None
        self.tasks = frozenset(self.policy.tasks) | (known or frozenset())
        specs = self.policy.specs
        # recorded with every decision (the store serialises it: one dict shared by the records)
        self._prices = {name: [c.input_cost, c.output_cost] for name, c in specs.items() if c.priced} or None
        self._capabilities = any(
            c.context_window is not None or False in (c.vision, c.tools, c.structured_output) for c in specs.values()
        )
        self._learner: Any = None
        self._cursor = 0
        self._pool: Any = None
        self.telemetry = _check_telemetry(telemetry)
        self._observe = self.telemetry is not None and self.telemetry.enabled

    @property
    def pool(self) -> TimeoutPool:
        """The thread pool that runs sync calls with a timeout (started on first use)."""
        if self._pool is None:
            from langroute.timeouts import TimeoutPool

            self._pool = TimeoutPool()
        return self._pool

    @property
    def candidates(self) -> tuple[Candidate, ...]:
        """The candidates, cheapest first."""
        return tuple(self.policy.specs.values())

    # -- deciding -----------------------------------------------------------------------------------------------

    def decide(
        self,
        messages: MessagesInput,
        *,
        route: str | None = None,
        task: str | None = None,
        thread_id: str | None = None,
        id: str | None = None,
    ) -> RoutingDecision:
        """Choose the candidate for `messages`.

        Args:
            messages: anything `as_conversation` accepts (adapters pass a `Conversation` with their facts).
            route: force a candidate by name (nothing is scored; no fallback).
            task: the request's task (wins over the classifier); picks the task's ladder.
            thread_id: the conversation thread, for ``sticky="thread"``.
            id: the decision id (adapters pass the framework's run id); a fresh one by default.

        Raises:
            ConfigError: an unknown `route` or `task` (the message lists the valid names).
            NoCapableCandidateError: no candidate of the ladder can serve the request.
        """
        started = perf_counter() if self._observe else 0.0
        conversation = as_conversation(messages)
        found = None
        if route is None and task is None and self.classifier is not None:
            found = self.classifier.classify(conversation)
        step = self._prepare(conversation, route, task, found, thread_id, id)
        if isinstance(step, _Pending):
            score = check_score(self.scorer.rate(conversation), self.scorer.name)
            return self._record(self._scored(step, score), conversation, score, started)
        return self._record(step, conversation, None, started)

    async def adecide(
        self,
        messages: MessagesInput,
        *,
        route: str | None = None,
        task: str | None = None,
        thread_id: str | None = None,
        id: str | None = None,
    ) -> RoutingDecision:
        """Async `decide` (awaits the classifier's `aclassify` and the scorer's `arate`)."""
        started = perf_counter() if self._observe else 0.0
        conversation = as_conversation(messages)
        found = None
        if route is None and task is None and self.classifier is not None:
            found = await self.classifier.aclassify(conversation)
        step = self._prepare(conversation, route, task, found, thread_id, id)
        if isinstance(step, _Pending):
            score = check_score(await self.scorer.arate(conversation), self.scorer.name)
            return self._record(self._scored(step, score), conversation, score, started)
        return self._record(step, conversation, None, started)

    def _prepare(
        self,
        conversation: Conversation,
        route: str | None,
        task: str | None,
        found: TaskMatch | None,
        thread_id: str | None,
        id: str | None,
    ) -> RoutingDecision | _Pending:
        """Everything before the score: task, ladder, exclusions, forced and tool-loop routes."""
        if task is not None:
            self.check_task(task)
            how = "given"
        elif found is not None and found.task is not None:  # a verdict without a task changes nothing
            task, how = found.task, f"{self.classifier.name if self.classifier else ''}: {found.reason}"
        excluded = self._excluded(conversation)
        scorer = self.scorer.name
        if route is not None:
            return self.policy.force(route, scorer=scorer, task=task, excluded=excluded, id=id)
        prefix = f"task {task!r} ({how}); " if task is not None else ""
        caller = conversation.tool_loop_model
        if caller is not None and self.sticky is not None:
            why = f"tool loop: {caller} issued the tool calls"
            held = self.policy.stick(caller, scorer=scorer, why=prefix + why, task=task, excluded=excluded, id=id)
            if held is not None:
                return self.policy.shadow(held, self.shadow_model) if self.mode == "shadow" else held
        return _Pending(task, prefix, excluded, thread_id if self.sticky == "thread" else None, id)

    def _scored(self, step: _Pending, score: Score) -> RoutingDecision:
        """Everything after the score: policy, thread stickiness, exploration, shadow."""
        policy = self.policy
        scorer = self.scorer.name
        decision = policy.decide(
            score, scorer=scorer, task=step.task, excluded=step.excluded, reason=step.prefix + score.reason, id=step.id
        )
        if step.thread_id is not None:
            held = self.threads.get(step.thread_id)
            if held is not None and held in decision.ladder and decision.ladder.index(held) > decision.index:
                why = f"thread {step.thread_id!r} holds {held} (scored {score.value:.2f} -> {decision.model})"
                kept = policy.stick(
                    held, scorer=scorer, why=why, task=step.task, excluded=step.excluded, score=score.value, id=step.id
                )
                if kept is not None:
                    decision = kept
            self.threads.put(step.thread_id, decision.model)
        if self.explore and not decision.sticky:
            decision = self._explored(decision)
        if self.mode == "shadow":
            decision = policy.shadow(decision, self.shadow_model)
        return decision

    def _explored(self, decision: RoutingDecision) -> RoutingDecision:
        capable = [name for name in decision.ladder if name not in decision.excluded]
        share = self.explore / len(capable)
        if self._random.random() >= self.explore:
            return _changed(decision, propensity=1.0 - self.explore + share)
        drawn = capable[int(self._random.random() * len(capable))]
        propensity = share + (1.0 - self.explore if drawn == decision.model else 0.0)
        return self.policy.explore(decision, drawn, propensity)

    def _excluded(self, conversation: Conversation) -> Mapping[str, str]:
        excluded: dict[str, str] = {}
        if self._capabilities:
            needs = Needs(
                vision=conversation.has_images,
                tools=conversation.has_tools,
                structured_output=conversation.structured_output,
                tokens=conversation.token_estimate,
            )
            excluded = exclusions(list(self.policy.specs.values()), needs)
        if self.breakers.enabled:
            for name, why in self.breakers.open().items():
                excluded.setdefault(name, why)
        return excluded

    def _record(
        self, decision: RoutingDecision, conversation: Conversation, score: Score | None, started: float
    ) -> RoutingDecision:
        logger.debug("routed to %s (score=%s, scorer=%s)", decision.model, decision.score, decision.scorer)
        if self.feedback is not None:
            self.feedback.record_decision(self._feedback_record(decision, conversation, score))
        if (telemetry := self._listening()) is not None:
            telemetry.decided(decision.to_dict(), perf_counter() - started)
        return decision

    def check_task(self, task: object) -> str:
        """`task` if the router knows it (a route, or a task its classifier can return), else `ConfigError`."""
        if not isinstance(task, str) or not task:
            raise ConfigError(f"task={task!r}: expected a task name (a non-empty str)")
        if task not in self.tasks and (self.classifier is None or self.classifier.tasks is not None):
            raise ConfigError(f"task={task!r} is unknown; choose one of {sorted(self.tasks)}")
        return task

    # -- after a failure ---------------------------------------------------------------------------------------

    def fallback(self, decision: RoutingDecision, errors: Mapping[str, BaseException]) -> RoutingDecision:
        """The next decision after ``decision.model`` raised ``errors[decision.model]``.

        Raises:
            BaseException: the candidate's own error (the same object), when the route was forced, fallbacks are
                off, the error is not one to fall back on, the call runs in shadow mode, or no other candidate
                was tried.
            AllCandidatesFailedError: two or more candidates were tried and all failed; it lists every error and
                is also an instance of the error class they share (see `all_candidates_failed`).
        """
        return self._fallback(decision, errors, errors)

    def _fallback(
        self, decision: RoutingDecision, errors: Mapping[str, BaseException], tried: Collection[str]
    ) -> RoutingDecision:
        error = errors[decision.model]
        if decision.forced or decision.shadow or not self.fallbacks or not self.falls_back_on(error):
            raise error
        following = self.policy.next_fallback(decision, tried, error)
        if following is None:
            if len(errors) == 1:
                raise error
            raise all_candidates_failed(errors) from error
        logger.warning(
            "candidate %s failed (%s); falling back to %s", decision.model, type(error).__name__, following.model
        )
        if (telemetry := self._listening()) is not None:
            telemetry.decided(following.to_dict())
        return following

    def falls_back_on(self, error: BaseException) -> bool:
        """Whether `error` lets the router try another candidate (see ``fallback_on``)."""
        rule = self.fallback_on
        if rule is None:
            return isinstance(error, Exception)
        if isinstance(rule, tuple):
            return isinstance(error, rule)
        return bool(rule(error))

    def attempts(self, decision: RoutingDecision, conversation: Conversation | None = None) -> Attempts:
        """The decisions to try for one call, starting with `decision` (see `Attempts`)."""
        return Attempts(self, decision, conversation)

    def timeout_for(self, name: str, *, stream: bool = False) -> float | None:
        """Seconds an attempt on candidate `name` may take (its own timeout, else the router's)."""
        own = self.policy.specs[name].timeout
        if stream:
            return own if own is not None else self.stream_timeout if self.stream_timeout is not None else self.timeout
        return own if own is not None else self.timeout

    # -- cost ---------------------------------------------------------------------------------------------------

    def cost(self, model: str, input_tokens: int | None, output_tokens: int | None) -> float | None:
        """What `model` charges for this usage in USD, or ``None`` (no prices, or no usage)."""
        return self.policy.specs[model].cost_usd(input_tokens, output_tokens)

    # -- feedback -----------------------------------------------------------------------------------------------

    def record_feedback(self, id: str, score: float, comment: str | None = None) -> None:
        """Record the quality of decision `id`'s answer: `score` in [0, 1] (thumbs up = 1, down = 0, graded ok).

        Durable when it returns.

        Raises:
            ConfigError: the router has no feedback store.
            ValueError: unknown `id`, `score` outside [0, 1] or NaN.
        """
        self._store().record_outcome(id, score, comment)

    def learn(self) -> dict[str, Any]:
        """Adapt the scorer from the feedback recorded since the last call; `scorer` becomes the adapted scorer.

        Incremental: reads only records newer than the previous `learn`, in bounded batches.

        Returns:
            A summary: records used, the learner's state (see `langroute.feedback.learner`).
        """
        from langroute.feedback.learner import FeedbackLearner

        store = self._store()
        store.flush()
        if self._learner is None:
            self._learner = FeedbackLearner(self.scorer)
        used = 0
        summary: dict[str, Any] = {}
        while True:
            batch = list(store.labelled(since=self._cursor, limit=10_000))
            if not batch:
                break
            summary = self._learner.update(batch)
            used += len(batch)
            self._cursor = max(int(record["seq"]) for record in batch)
        self.scorer = self._learner.scorer()
        return {**summary, "records": used}

    def _store(self) -> FeedbackStore:
        if self.feedback is None:
            raise ConfigError("this router has no feedback store; pass feedback=FeedbackStore(...) to record outcomes")
        return self.feedback

    def _listening(self) -> Telemetry | None:
        """The telemetry, when a span records or a metric is live; ``None`` when a decision dict would go unread."""
        telemetry = self.telemetry
        return telemetry if self._observe and telemetry is not None and telemetry.listening() else None

    def _feedback_record(
        self, decision: RoutingDecision, conversation: Conversation, score: Score | None
    ) -> dict[str, Any]:
        return {
            "id": decision.id,
            "time": time.time(),
            "model": decision.model,
            "candidates": list(decision.ladder),
            "score": decision.score,
            "scorer": decision.scorer,
            "task": decision.task,
            "forced": decision.forced,
            "explored": decision.explored,
            "propensity": decision.propensity,
            "shadow": decision.shadow,
            "would_route": decision.would_route,
            "features": _features(score, conversation),
            "prices": self._prices,
            # computed by the store's writer thread, off the hot path; the store drops text unless keep_text
            "text": (lambda: conversation.text) if getattr(self.feedback, "keep_text", False) else None,
        }

    def _finished(self, decision: RoutingDecision, input_tokens: int | None, output_tokens: int | None) -> None:
        self.breakers.success(decision.model)
        if (telemetry := self._listening()) is not None:
            telemetry.finished(decision.to_dict())
        if self.feedback is not None:
            self.feedback.record_result(
                decision.id,
                served=decision.model,
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                cost_usd=decision.cost_usd,
                escalated=decision.escalated_from is not None,
                failed=False,
            )

    def _failed_all(self, decision: RoutingDecision, error: BaseException) -> None:
        if (telemetry := self._listening()) is not None:
            telemetry.finished(decision.to_dict(), error=error)
        if self.feedback is not None:
            self.feedback.record_result(decision.id, served=None, failed=True)

    def __repr__(self) -> str:
        return (
            f"Router(candidates={list(self.policy.candidates)}, scorer={self.scorer!r}, "
            f"thresholds={list(self.policy.thresholds)})"
        )


def _features(score: Score | None, conversation: Conversation) -> Any:
    """The scorer's features, or a function the store's writer thread calls to hash the prompt (off the hot path)."""
    if score is not None and score.features is not None:
        return score.features
    return partial(_featurize, conversation)


def _featurize(conversation: Conversation) -> Any:
    from langroute.scorers._learned_features import featurize  # in the store's writer thread, imported once

    return featurize(conversation)


class _Pending:
    """What `Router._prepare` hands to `Router._scored` when the call needs a score."""

    __slots__ = ("excluded", "id", "prefix", "task", "thread_id")

    def __init__(
        self, task: str | None, prefix: str, excluded: Mapping[str, str], thread_id: str | None, id: str | None
    ) -> None:
        self.task = task
        self.prefix = prefix
        self.excluded = excluded
        self.thread_id = thread_id
        self.id = id


class Attempts:
    """The decisions to try for one call: the chosen candidate, then fallbacks and escalations.

    The one call loop both adapters run. Report each decision, call the candidate; on error call `failed`; on an
    answer call `accept` (it runs the router's answer checks and may ask for an escalation); once an answer is
    accepted, `finish` it. When every candidate failed, the iterator raises (see `Router.fallback`); when an
    escalation's candidates all failed, the loop ends and `kept` holds the earlier answer::

        attempts = router.attempts(decision, conversation)
        for decision in attempts:
            report(decision)
            try:
                answer = call(decision.model)
            except Exception as exc:  # the fallback boundary
                attempts.failed(exc)
                continue
            if attempts.accept(view(answer), answer):
                return tag(answer, attempts.finish(input_tokens, output_tokens))
        decision, answer = attempts.kept
        return tag(answer, attempts.finish_kept())
    """

    __slots__ = (
        "_conversation",
        "_current",
        "_errors",
        "_escalations",
        "_pending",
        "_router",
        "_started",
        "_tried",
        "_wasted",
        "kept",
    )

    def __init__(self, router: Router, decision: RoutingDecision, conversation: Conversation | None = None) -> None:
        self._router = router
        self._current = decision
        self._conversation = conversation if conversation is not None else Conversation()
        self._errors: dict[str, BaseException] = {}
        self._tried: list[str] = []
        self._started = False
        self._pending = False
        self._escalations = 0
        self._wasted: float | None = None
        self.kept: tuple[RoutingDecision, Any] | None = None

    @property
    def decision(self) -> RoutingDecision:
        """The decision being tried."""
        return self._current

    @property
    def errors(self) -> dict[str, BaseException]:
        """Each failed candidate's exception, in the order tried."""
        return dict(self._errors)

    @property
    def timeout(self) -> float | None:
        """Seconds the current attempt may take (``None`` = no limit)."""
        return self._router.timeout_for(self._current.model)

    @property
    def stream_timeout(self) -> float | None:
        """Seconds the current stream may wait for a chunk (``None`` = no limit)."""
        return self._router.timeout_for(self._current.model, stream=True)

    @property
    def checks(self) -> bool:
        """Whether answers are checked (so a streamed answer must be complete before it is shown)."""
        return bool(self._router.escalate) and not self._current.shadow and self._router.max_escalations > 0

    def failed(self, error: BaseException) -> None:
        """Record that the current decision's candidate raised `error` (a timeout counts too)."""
        self._errors[self._current.model] = error
        self._router.breakers.failure(self._current.model)

    def broke(self, error: BaseException) -> None:
        """Record that the current candidate's stream raised `error` after its first chunk: the call fails (a stream
        cannot switch answers), the breaker counts it, and the feedback store and telemetry record a failed call."""
        self.failed(error)
        self._router._failed_all(self._current, error)

    def accept(self, answer: Any, payload: Any = None, usage: tuple[int | None, int | None] = (None, None)) -> bool:
        """Run the answer checks on `answer` (a `langroute.checks.Answer`); ``False`` asks for an escalation.

        Args:
            answer: the neutral view of the candidate's answer the checks read.
            payload: the framework's answer, kept in case the escalation fails.
            usage: the answer's input and output tokens, counted in the call's cost if it is escalated away.
        """
        if not self.checks or self._escalations >= self._router.max_escalations:
            return True
        verdict = run_checks(self._router.escalate, self._conversation, answer)
        return self._judge(verdict, payload, usage)

    async def aaccept(
        self, answer: Any, payload: Any = None, usage: tuple[int | None, int | None] = (None, None)
    ) -> bool:
        """Async `accept` (async checks are awaited)."""
        if not self.checks or self._escalations >= self._router.max_escalations:
            return True
        verdict = await arun_checks(self._router.escalate, self._conversation, answer)
        return self._judge(verdict, payload, usage)

    def _judge(self, verdict: Any, payload: Any, usage: tuple[int | None, int | None]) -> bool:
        if verdict is None or verdict.passed:
            return True
        current = self._current
        self._tried.append(current.model)
        escalation = verdict.escalation
        following = self._router.policy.next_escalation(current, [*self._tried, *self._errors], escalation)
        if following is None:
            return True
        cost = self._router.cost(current.model, *usage)
        if cost is not None:
            self._wasted = (self._wasted or 0.0) + cost
        self._router.breakers.success(current.model)
        self.kept = (current, payload)
        self._escalations += 1
        self._current = following
        self._pending = True
        if (telemetry := self._router._listening()) is not None:
            telemetry.decided(following.to_dict())
        logger.info("answer of %s failed %s; escalating to %s", current.model, escalation, following.model)
        return False

    def finish(self, input_tokens: int | None = None, output_tokens: int | None = None) -> RoutingDecision:
        """The accepted answer's final decision, with its cost; records the result (breaker, feedback store)."""
        return self._finish(self._current, input_tokens, output_tokens)

    def finish_kept(self, input_tokens: int | None = None, output_tokens: int | None = None) -> RoutingDecision:
        """Like `finish`, for the kept answer after the escalation's candidates all failed."""
        assert self.kept is not None, "finish_kept() is only for a loop that ended with a kept answer"
        return self._finish(self.kept[0], input_tokens, output_tokens)

    def _finish(
        self, decision: RoutingDecision, input_tokens: int | None, output_tokens: int | None
    ) -> RoutingDecision:
        router = self._router
        cost = router.cost(decision.model, input_tokens, output_tokens)
        if cost is not None and self._wasted is not None:
            cost += self._wasted
        if cost is not None or self._wasted is not None:
            strongest = router.policy.candidates[-1]
            baseline = router.cost(strongest, input_tokens, output_tokens)
            would = router.cost(decision.would_route, input_tokens, output_tokens) if decision.would_route else None
            decision = decision.with_cost(cost if cost is not None else self._wasted, baseline, would)
        router._finished(decision, input_tokens, output_tokens)
        return decision

    def __iter__(self) -> Attempts:
        return self

    def __next__(self) -> RoutingDecision:
        if not self._started:
            self._started = True
            return self._current
        if self._pending:
            self._pending = False
            return self._current
        current = self._current
        if current.model not in self._errors:  # the caller finished without failing
            raise StopIteration
        self._tried.append(current.model)
        try:
            self._current = self._router._fallback(current, self._errors, [*self._tried, *self._errors])
        except BaseException as error:
            if self.kept is not None and not current.forced:
                raise StopIteration from None  # the escalation failed: the caller returns the kept answer
            self._router._failed_all(current, error)
            raise
        return self._current


class CircuitBreakers:
    """One circuit breaker per candidate: skip a candidate for `cooldown` seconds after `max_failures` in a row.

    Off when `cooldown` is ``None``. Thread-safe (the lock is held only to change counters, never during a call);
    `clock` is injectable for tests. When every candidate of a call's ladder is open, the breakers are ignored for
    that call (a half-open probe) rather than failing it.
    """

    def __init__(
        self,
        names: Sequence[str],
        *,
        cooldown: float | None,
        max_failures: int = 3,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cooldown = _check_seconds(cooldown, "cooldown")
        self.max_failures = _check_int(max_failures, "max_failures", 1)
        self.enabled = self.cooldown is not None
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = dict.fromkeys(names, 0)
        self._open_until: dict[str, float] = {}

    def open(self) -> dict[str, str]:
        """The candidates whose breaker is open now, name -> why."""
        if not self._open_until:
            return {}
        now = self._clock()
        with self._lock:
            for name in [n for n, until in self._open_until.items() if until <= now]:
                del self._open_until[name]
            return {
                name: f"circuit open: {self.max_failures} failures in a row, retried in {until - now:.0f} s"
                for name, until in self._open_until.items()
            }

    def failure(self, name: str) -> None:
        """Count a failure (or timeout) of `name`; open its breaker at `max_failures` in a row."""
        if not self.enabled:
            return
        with self._lock:
            count = self._failures.get(name, 0) + 1
            self._failures[name] = count
            if count >= self.max_failures:
                self._open_until[name] = self._clock() + (self.cooldown or 0.0)
                self._failures[name] = 0
                logger.warning("circuit breaker of %s open for %s s", name, self.cooldown)

    def success(self, name: str) -> None:
        """Reset `name`'s count of failures in a row."""
        if self.enabled and self._failures.get(name):
            with self._lock:
                self._failures[name] = 0


class ThreadMemory:
    """Which candidate holds each conversation thread (``sticky="thread"``), least recently used forgotten."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._held: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, thread_id: str) -> str | None:
        """The candidate holding `thread_id`, if any."""
        with self._lock:
            model = self._held.get(thread_id)
            if model is not None:
                self._held.move_to_end(thread_id)
            return model

    def put(self, thread_id: str, model: str) -> None:
        """Let `model` hold `thread_id`."""
        with self._lock:
            self._held[thread_id] = model
            self._held.move_to_end(thread_id)
            while len(self._held) > self.capacity:
                self._held.popitem(last=False)

    def __len__(self) -> int:
        return len(self._held)


def default_scorer() -> Scorer:
    """The scorer used when none is given: `TransferScorer.pretrained()`.

    Chosen on held-out task families (`benchmarks/quality.py --leave-task-out`): it has the best mean APGR of the
    scorers that were not trained on the family they are measured on (0.556 vs `HeuristicScorer`'s 0.518 and
    random's 0.500). It mostly reads the prompt's length and multi-step wording; see the README's routing quality
    section before relying on it, and measure on your own traffic (`langroute eval`).
    """
    from langroute.scorers.transfer import TransferScorer

    return TransferScorer.pretrained()


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


def _check_bool(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{field}={value!r}: expected True or False")
    return value


def _check_int(value: object, field: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"{field}={value!r}: expected an int >= {low}")
    return value


def _check_number(value: object, field: str, low: float, high: float, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ConfigError(f"{field}={value!r}: expected {what}")
    return float(value)


def _check_seconds(value: object, field: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise ConfigError(f"{field}={value!r}: expected seconds > 0, or None for no limit")
    return float(value)


def _check_telemetry(telemetry: object) -> Telemetry | None:
    from langroute.telemetry import Telemetry

    if telemetry is True:
        return Telemetry()
    if telemetry is False or telemetry is None:
        return None
    if isinstance(telemetry, Telemetry):
        return telemetry
    raise TypeError(f"telemetry={telemetry!r}: expected True, False or a langroute.telemetry.Telemetry")


def _check_store(store: object) -> FeedbackStore | None:
    if store is None:
        return None
    if not all(hasattr(store, method) for method in ("record_decision", "record_result", "record_outcome")):
        raise TypeError(f"feedback={store!r}: expected a langroute FeedbackStore, e.g. FeedbackStore('feedback.db')")
    return store  # type: ignore[return-value]
