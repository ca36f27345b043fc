"""OpenTelemetry for routing decisions: span attributes, span events and metrics (optional extra ``otel``).

Needs only ``opentelemetry-api`` (``pip install 'langroute[otel]'``); your application configures the SDK and
exporters as usual. Without the API installed, `Telemetry` is a no-op with the same methods. The API is imported
when a `Telemetry` is built, never at ``import langroute``.

```python
from opentelemetry import trace
from langroute.telemetry import Telemetry

telemetry = Telemetry()     # the global tracer and meter providers; or pass tracer_provider= / meter_provider=
with trace.get_tracer("app").start_as_current_span("answer"):
    telemetry.decided(decision.to_dict(), overhead_s=0.00012)    # attributes + a "langroute.decision" event
    telemetry.finished(decision.to_dict(), "routed")              # the langroute.decisions counter
```

What is recorded (keys in `ATTRIBUTES`; `gen_ai.*` keys follow the GenAI semantic conventions, everything else
is under ``langroute.*``; never prompt text):

- on the current span (whichever span is active: yours, or the LangChain / LlamaIndex instrumentation's): the
  decision's fields as attributes, and one ``langroute.decision`` event per decision (a fallback or escalation
  adds another), then ``langroute.outcome`` (and ``error.type`` when the call failed);
- metrics, created once per `Telemetry`: the counter ``langroute.decisions`` (attributes
  ``gen_ai.request.model``, ``langroute.task``, ``langroute.outcome``, ``error.type``), the histogram
  ``langroute.score`` (by scorer and task) and the histogram ``langroute.decision.duration``, the routing
  overhead in seconds (by scorer).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any, Final, Literal, get_args

from langroute.errors import ConfigError

__all__ = [
    "ATTRIBUTES",
    "DECISIONS_COUNTER",
    "DECISION_EVENT",
    "DURATION_HISTOGRAM",
    "OUTCOMES",
    "SCORE_HISTOGRAM",
    "Outcome",
    "Telemetry",
    "outcome_of",
]

Outcome = Literal["routed", "forced", "fallback", "escalated", "shadow", "failed"]
"""How a routed call ended: the ``langroute.outcome`` attribute of the ``langroute.decisions`` counter."""

OUTCOMES: Final[frozenset[str]] = frozenset(get_args(Outcome))

ATTRIBUTES: Final[Mapping[str, str]] = {
    # decision dict field -> attribute key (span attributes and the decision event)
    "model": "gen_ai.request.model",  # GenAI semconv: the model the request goes to (the chosen candidate)
    "id": "langroute.decision.id",
    "score": "langroute.score",
    "scorer": "langroute.scorer",
    "reason": "langroute.reason",
    "task": "langroute.task",
    "candidates": "langroute.candidates",
    "ladder": "langroute.ladder",  # the candidates the score was mapped onto (the task's route)
    "thresholds": "langroute.thresholds",
    "excluded": "langroute.excluded",  # ["name: reason", ...]
    "fallback_from": "langroute.fallback_from",
    "forced": "langroute.forced",
    "sticky": "langroute.sticky",
    "explored": "langroute.explored",
    "propensity": "langroute.propensity",
    "escalated_from": "langroute.escalated_from",
    "escalation": "langroute.escalation",
    "shadow": "langroute.shadow",
    "would_route": "langroute.would_route",
    "cost_usd": "langroute.cost_usd",
    "baseline_cost_usd": "langroute.baseline_cost_usd",
    "would_cost_usd": "langroute.would_cost_usd",
    "inner": "langroute.inner.model",  # a nested router's choice (its model name only)
    # not decision fields
    "overhead_s": "langroute.overhead_s",  # seconds spent choosing the model
    "outcome": "langroute.outcome",
    "error": "error.type",  # semconv: the exception's class, when the call failed
}
"""Every attribute key langroute writes, in one table: decision dict field (or extra) -> OpenTelemetry key."""

DECISION_EVENT: Final = "langroute.decision"
DECISIONS_COUNTER: Final = "langroute.decisions"
SCORE_HISTOGRAM: Final = "langroute.score"
DURATION_HISTOGRAM: Final = "langroute.decision.duration"

_SPAN_KEYS: Final = {field: key for field, key in ATTRIBUTES.items() if field not in ("overhead_s", "outcome", "error")}
_FINISH_FIELDS: Final = ("model", "fallback_from", "escalated_from", "escalation", "shadow", "would_route", "cost_usd")
_FINISH_KEYS: Final = {field: ATTRIBUTES[field] for field in (*_FINISH_FIELDS, "baseline_cost_usd", "would_cost_usd")}
_PRIMITIVES: Final = frozenset({str, bool, int, float})
_MODEL, _TASK, _SCORER = ATTRIBUTES["model"], ATTRIBUTES["task"], ATTRIBUTES["scorer"]
_OUTCOME, _ERROR, _OVERHEAD = ATTRIBUTES["outcome"], ATTRIBUTES["error"], ATTRIBUTES["overhead_s"]
_SCORE_BUCKETS: Final = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
_DURATION_BUCKETS: Final = (1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.05, 0.25, 1.0)  # s


def outcome_of(decision: Mapping[str, Any]) -> Outcome:
    """The outcome a (successful) decision dict describes: shadow > escalated > fallback > forced > routed."""
    if decision.get("shadow"):
        return "shadow"
    if decision.get("escalated_from"):
        return "escalated"
    if decision.get("fallback_from"):
        return "fallback"
    if decision.get("forced"):
        return "forced"
    return "routed"


def _value(value: object) -> Any:
    """An OpenTelemetry attribute value (a primitive or a homogeneous list), or None to leave the key out."""
    if isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (list, tuple)):
        if not value:
            return None
        types = set(map(type, value))
        if len(types) == 1 and types <= _PRIMITIVES:  # homogeneous, as OpenTelemetry requires
            return list(value)
        if types <= {int, float}:
            return [float(v) for v in value]
        return [str(v) for v in value]
    if isinstance(value, Mapping):
        return [f"{k}: {v}" for k, v in value.items()] or None
    return str(value)


def _attributes(decision: Mapping[str, Any], keys: Mapping[str, str]) -> dict[str, Any]:
    """The decision's fields that `keys` names, as attributes, in the decision's order.

    ``None``, ``False`` and empty collections are left out (an absent flag means false): the SDK spends several
    microseconds validating each attribute.
    """
    out: dict[str, Any] = {}
    for field, value in decision.items():
        key = keys.get(field)
        if key is None or value is None or value is False:
            continue
        if type(value) in _PRIMITIVES:
            out[key] = value
        elif field == "inner":
            model = value.get("model") if isinstance(value, Mapping) else None
            if isinstance(model, str):
                out[key] = model
        else:
            value = _value(value)
            if value is not None:
                out[key] = value
    return out


class Telemetry:
    """Report routing decisions to OpenTelemetry; a no-op when ``opentelemetry-api`` is not installed.

    Args:
        tracer_provider: used only by `span`; decisions annotate the *current* span whatever its provider.
            ``None``: the global provider.
        meter_provider: where the metrics go; ``None``: the global provider (metrics follow it once your
            application sets it, even after this object was built).

    The router owns one and calls `decided` after each decision and `finished` once per call. Cost of both, per
    call (callgrind, CPython 3.11): ~2,300 instructions without ``opentelemetry-api`` installed, ~9,100 with the
    API and no SDK configured (a `Router.decide` is ~120,000); with an SDK, what the SDK charges for 3 metric
    records and ~20 span attributes (~500,000).
    """

    __slots__ = (
        "_counter",
        "_current_span",
        "_duration",
        "_scores",
        "_span_slot",
        "_trace",
        "_tracer",
        "_tracer_provider",
        "enabled",
    )

    def __init__(self, tracer_provider: Any = None, meter_provider: Any = None) -> None:
        try:
            from opentelemetry import metrics, trace
        except ImportError:
            self.enabled = False
            return
        import langroute

        version = langroute.__version__
        self.enabled = True
        self._current_span = trace.get_current_span
        self._span_slot = _span_slot()
        self._trace = trace
        self._tracer_provider = tracer_provider
        self._tracer = trace.get_tracer("langroute", version, tracer_provider=tracer_provider)
        meter = metrics.get_meter("langroute", version, meter_provider=meter_provider)
        self._counter = meter.create_counter(
            DECISIONS_COUNTER, unit="{decision}", description="Routed calls, by model, task and outcome."
        )
        self._scores = meter.create_histogram(
            SCORE_HISTOGRAM,
            unit="1",
            description="Difficulty scores of routed calls, by scorer and task.",
            explicit_bucket_boundaries_advisory=_SCORE_BUCKETS,
        )
        self._duration = meter.create_histogram(
            DURATION_HISTOGRAM,
            unit="s",
            description="Routing overhead: time spent choosing the model, by scorer.",
            explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
        )

    def listening(self) -> bool:
        """Whether `decided` / `finished` would record anything now: a recording current span, or live metrics.

        With the API and no SDK neither holds, so the router skips building the decision dict for them.
        """
        if not self.enabled:
            return False
        if self._metrics_live():
            return True
        slot = self._span_slot  # runs twice a routed call: no span in the current context is the common answer
        if slot is not None and slot[0]._RUNTIME_CONTEXT is slot[1] and slot[2]().get(slot[3]) is None:
            return False
        return bool(self._current_span().is_recording())

    def _metrics_live(self) -> bool:
        """Whether measurements are kept: with the API but no SDK, until the application sets a meter provider, the
        API hands out proxy instruments whose `_real_instrument` is None and which drop every measurement (an SDK
        instrument has no such attribute and always counts as live). The proxies switch to real instruments when a
        provider is set, so metrics flow without rebuilding anything."""
        return getattr(self._counter, "_real_instrument", self) is not None

    def decided(self, decision: Mapping[str, Any], overhead_s: float | None = None) -> None:
        """Record a decision (`RoutingDecision.to_dict()`; missing keys are skipped) and its routing overhead.

        Sets the decision's attributes on the current span and adds a ``langroute.decision`` event. The score and
        overhead histograms record only a call's first decision (one without ``fallback_from`` or
        ``escalated_from``), so calling this again for a fallback or an escalation adds an event, not a sample.
        """
        if not self.enabled:
            return
        if self._metrics_live() and not decision.get("fallback_from") and not decision.get("escalated_from"):
            scorer = decision.get("scorer")
            score = decision.get("score")
            if isinstance(score, (int, float)):
                task = decision.get("task")
                self._scores.record(score, {_SCORER: str(scorer), _TASK: task} if task else {_SCORER: str(scorer)})
            if overhead_s is not None:
                self._duration.record(overhead_s, {_SCORER: str(scorer)})
        span = self._current_span()
        if span.is_recording():
            attributes = _attributes(decision, _SPAN_KEYS)
            if overhead_s is not None:
                attributes[_OVERHEAD] = overhead_s
            span.set_attributes(attributes)
            span.add_event(DECISION_EVENT, attributes)

    def finished(
        self, decision: Mapping[str, Any], outcome: Outcome | None = None, *, error: BaseException | None = None
    ) -> None:
        """Count a finished call in ``langroute.decisions`` and set its outcome on the current span.

        Args:
            decision: the final decision dict (the candidate that answered, or the last one tried).
            outcome: one of `OUTCOMES`; ``None``: ``"failed"`` when `error` is given, else `outcome_of(decision)`.
            error: the exception the call raised, if it failed; only its class name is recorded (``error.type``).

        Raises:
            ConfigError: `outcome` is not one of `OUTCOMES` (a `ValueError`).
        """
        if outcome is None:
            outcome = "failed" if error is not None else outcome_of(decision)
        elif outcome not in OUTCOMES:
            raise ConfigError(f"outcome={outcome!r}: expected one of {sorted(OUTCOMES)}, or None to derive it")
        if not self.enabled:
            return
        span = self._current_span()
        recording = span.is_recording()
        if not recording and not self._metrics_live():
            return
        attributes: dict[str, Any] = {_MODEL: str(decision.get("model")), _OUTCOME: outcome}
        task = decision.get("task")
        if task:
            attributes[_TASK] = str(task)
        if error is not None:
            attributes[_ERROR] = type(error).__qualname__
        self._counter.add(1, attributes)
        if recording:
            span.set_attributes({**_attributes(decision, _FINISH_KEYS), **attributes})

    def span(self, name: str = "langroute.route") -> AbstractContextManager[Any]:
        """A context manager opening an INTERNAL span (current inside the block) from this object's tracer.

        For callers that want one span per routed call of their own, so `decided` / `finished` land on it
        rather than on whatever span is current. A `nullcontext` when OpenTelemetry is not installed.
        """
        if not self.enabled:
            return nullcontext()
        trace = self._trace
        if self._tracer_provider is None and isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
            return nullcontext()  # no SDK configured (yet): a no-op span would only cost time
        return self._tracer.start_as_current_span(name, kind=trace.SpanKind.INTERNAL)


def _span_slot() -> tuple[Any, Any, Any, str] | None:
    """What `get_current_span` reads, to read it in one step: (context module, runtime context, its context
    variable's `get`, the span key); ``None`` when the API's layout is not the one known (then the API is asked).

    `get_current_span()` is four Python calls down to ``ContextVar.get``; `Telemetry.listening` checks that the
    runtime context is still the one found here and, when the current context holds no span, answers "not
    recording" as `INVALID_SPAN` does. A context holding a span is handed to the API as before.
    """
    from contextvars import ContextVar

    from opentelemetry import context
    from opentelemetry.trace import propagation

    runtime = getattr(context, "_RUNTIME_CONTEXT", None)
    variable = getattr(runtime, "_current_context", None)
    key = getattr(propagation, "_SPAN_KEY", None)
    if not isinstance(variable, ContextVar) or not isinstance(key, str):
        return None
    return context, runtime, variable.get, key
