"""OpenTelemetry: span attributes, events and metrics, checked with the SDK's in-memory exporters."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from langroute import ConfigError, Router, RuleScorer
from langroute.telemetry import ATTRIBUTES, OUTCOMES, Telemetry, outcome_of

pytest.importorskip("opentelemetry.sdk")

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

DECISION = {
    "id": "9f1c",
    "model": "small",
    "score": 0.3,
    "scorer": "HeuristicScorer",
    "reason": "score 0.30 < 0.50",
    "candidates": ["small", "large", "vision-only"],
    "ladder": ["small", "large"],
    "thresholds": [0.5],
    "task": "chat",
    "excluded": {"vision-only": "no image input"},
    "fallback_from": None,
    "forced": False,
    "sticky": False,
    "explored": False,
    "propensity": 1.0,
    "escalated_from": None,
    "escalation": None,
    "shadow": False,
    "would_route": None,
    "cost_usd": None,
    "baseline_cost_usd": None,
    "would_cost_usd": None,
}


class Otel:
    def __init__(self) -> None:
        self.spans = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])
        self.telemetry = Telemetry(tracer_provider=self.tracer_provider, meter_provider=self.meter_provider)
        self.tracer = self.tracer_provider.get_tracer("app")

    def metrics(self) -> dict[str, list[tuple[dict, float]]]:
        """name -> [(attributes, value or histogram (count, sum))]."""
        out: dict[str, list] = {}
        data = self.reader.get_metrics_data()
        for resource in data.resource_metrics if data else ():
            for scope in resource.scope_metrics:
                assert scope.scope.name == "langroute"
                for metric in scope.metrics:
                    out[metric.name] = [
                        (dict(p.attributes), p.value if hasattr(p, "value") else (p.count, p.sum))
                        for p in metric.data.data_points
                    ]
        return out


@pytest.fixture
def otel() -> Otel:
    return Otel()


def test_a_routed_call_annotates_the_current_span_and_records_metrics(otel):
    with otel.tracer.start_as_current_span("chat small"):
        otel.telemetry.decided(DECISION, overhead_s=0.00012)
        otel.telemetry.finished(DECISION, "routed")
    (span,) = otel.spans.get_finished_spans()
    expected = {
        "langroute.decision.id": "9f1c",
        "gen_ai.request.model": "small",
        "langroute.score": 0.3,
        "langroute.scorer": "HeuristicScorer",
        "langroute.reason": "score 0.30 < 0.50",
        "langroute.candidates": ("small", "large", "vision-only"),
        "langroute.ladder": ("small", "large"),
        "langroute.thresholds": (0.5,),
        "langroute.task": "chat",
        "langroute.excluded": ("vision-only: no image input",),
        "langroute.propensity": 1.0,
        "langroute.overhead_s": 0.00012,
    }
    assert dict(span.attributes) == {**expected, "langroute.outcome": "routed"}
    (event,) = span.events
    assert event.name == "langroute.decision"
    assert dict(event.attributes) == expected
    assert otel.metrics() == {
        "langroute.score": [({"langroute.scorer": "HeuristicScorer", "langroute.task": "chat"}, (1, 0.3))],
        "langroute.decision.duration": [({"langroute.scorer": "HeuristicScorer"}, (1, 0.00012))],
        "langroute.decisions": [
            ({"gen_ai.request.model": "small", "langroute.task": "chat", "langroute.outcome": "routed"}, 1)
        ],
    }


def test_fallback_and_escalation_add_events_not_samples(otel):
    fallback = {**DECISION, "model": "mid", "fallback_from": "small", "reason": "fallback: small raised TimeoutError"}
    escalated = {
        **fallback,
        "model": "large",
        "escalated_from": "mid",
        "escalation": "empty_answer: no text, no tool call and no structured output",
    }
    with otel.tracer.start_as_current_span("agent step"):
        otel.telemetry.decided(DECISION, overhead_s=0.0001)
        otel.telemetry.decided(fallback)
        otel.telemetry.decided(escalated)
        otel.telemetry.finished(escalated)
    (span,) = otel.spans.get_finished_spans()
    assert [e.attributes["gen_ai.request.model"] for e in span.events] == ["small", "mid", "large"]
    assert span.events[2].attributes["langroute.escalation"] == escalated["escalation"]
    assert span.attributes["gen_ai.request.model"] == "large"
    assert span.attributes["langroute.fallback_from"] == "small"
    assert span.attributes["langroute.escalated_from"] == "mid"
    assert span.attributes["langroute.outcome"] == "escalated"
    metrics = otel.metrics()
    assert metrics["langroute.score"] == [({"langroute.scorer": "HeuristicScorer", "langroute.task": "chat"}, (1, 0.3))]
    assert metrics["langroute.decision.duration"][0][1][0] == 1
    assert metrics["langroute.decisions"] == [
        ({"gen_ai.request.model": "large", "langroute.task": "chat", "langroute.outcome": "escalated"}, 1)
    ]


@pytest.mark.parametrize(
    ("change", "outcome"),
    [
        ({}, "routed"),
        ({"forced": True, "score": None}, "forced"),
        ({"fallback_from": "small", "model": "large"}, "fallback"),
        ({"escalated_from": "small", "model": "large"}, "escalated"),
        ({"shadow": True, "would_route": "small", "model": "large"}, "shadow"),
    ],
)
def test_outcome_is_derived_from_the_decision(otel, change, outcome):
    decision = {**DECISION, **change}
    assert outcome_of(decision) == outcome
    otel.telemetry.finished(decision)
    ((attributes, count),) = otel.metrics()["langroute.decisions"]
    assert attributes["langroute.outcome"] == outcome
    assert attributes["gen_ai.request.model"] == decision["model"]
    assert count == 1


def test_a_failed_call_records_the_error_class_only(otel):
    class RateLimitError(Exception):
        pass

    with otel.tracer.start_as_current_span("chat"):
        otel.telemetry.finished(DECISION, error=RateLimitError("quota exceeded for prompt 'my secret'"))
    (span,) = otel.spans.get_finished_spans()
    assert span.attributes["langroute.outcome"] == "failed"
    assert span.attributes["error.type"] == "test_a_failed_call_records_the_error_class_only.<locals>.RateLimitError"
    ((attributes, _),) = otel.metrics()["langroute.decisions"]
    assert attributes["langroute.outcome"] == "failed"
    assert attributes["error.type"].endswith("RateLimitError")
    assert "secret" not in span.to_json()


def test_no_prompt_text_reaches_spans_or_metrics(otel):
    leaky = {**DECISION, "text": "SECRET PROMPT", "messages": [{"role": "user", "content": "SECRET PROMPT"}]}
    with otel.tracer.start_as_current_span("chat"):
        otel.telemetry.decided(leaky, overhead_s=0.001)
        otel.telemetry.finished(leaky, "routed")
    (span,) = otel.spans.get_finished_spans()
    assert "SECRET" not in span.to_json()
    assert "SECRET" not in otel.reader.get_metrics_data().to_json()
    written = set(span.attributes) | {k for e in span.events for k in e.attributes}
    assert written <= set(ATTRIBUTES.values())


def test_every_key_is_ours_or_a_semantic_convention():
    assert all(
        key.startswith("langroute.") for key in ATTRIBUTES.values() if key not in ("gen_ai.request.model", "error.type")
    )
    assert len(set(ATTRIBUTES.values())) == len(ATTRIBUTES)


def test_todays_decision_dict_and_missing_keys_are_tolerated(otel):
    today = Router(["small", "large"], scorer=RuleScorer([("hello", 0.2)])).decide("hello").to_dict()
    with otel.tracer.start_as_current_span("chat"):
        otel.telemetry.decided(today, overhead_s=0.0002)
        otel.telemetry.decided({"model": "large"})
        otel.telemetry.finished({"model": "large"}, "fallback")
    (span,) = otel.spans.get_finished_spans()
    assert set(today) <= set(ATTRIBUTES), "a new decision field needs a key in langroute.telemetry.ATTRIBUTES"
    assert span.events[0].attributes["langroute.score"] == 0.2
    assert span.events[0].attributes["langroute.ladder"] == ("small", "large")
    assert dict(span.events[1].attributes) == {"gen_ai.request.model": "large"}
    assert otel.metrics()["langroute.decisions"] == [
        ({"gen_ai.request.model": "large", "langroute.outcome": "fallback"}, 1)
    ]


def test_without_a_current_span_only_metrics_are_recorded(otel):
    otel.telemetry.decided(DECISION, overhead_s=0.0001)
    otel.telemetry.finished(DECISION, "routed")
    assert otel.spans.get_finished_spans() == ()
    assert set(otel.metrics()) == {"langroute.score", "langroute.decision.duration", "langroute.decisions"}


def test_unknown_outcome_names_the_field(otel):
    with pytest.raises(ConfigError, match=r"outcome='rerouted': expected one of \['escalated', 'failed'"):
        otel.telemetry.finished(DECISION, "rerouted")  # type: ignore[arg-type]
    assert {"routed", "forced", "fallback", "escalated", "shadow", "failed"} == OUTCOMES


def test_span_opens_an_internal_span_that_decisions_land_on(otel):
    with otel.telemetry.span():
        otel.telemetry.decided(DECISION)
    (span,) = otel.spans.get_finished_spans()
    assert span.name == "langroute.route"
    assert span.kind is SpanKind.INTERNAL
    assert span.instrumentation_scope.name == "langroute"
    assert span.attributes["gen_ai.request.model"] == "small"


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_global_providers_are_used_and_metrics_follow_a_late_sdk():
    """API only at first (no SDK configured): a silent no-op; metrics flow once the app sets a meter provider."""
    out = _run(
        """
        import contextlib, json
        from opentelemetry import metrics
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        from langroute.telemetry import Telemetry

        t = Telemetry()
        d = {"model": "small", "score": 0.4, "scorer": "S", "task": None}
        t.decided(d, 0.001); t.finished(d, "routed")
        no_sdk_span = isinstance(t.span(), contextlib.nullcontext)
        reader = InMemoryMetricReader()
        metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
        t.decided(d, 0.001); t.finished(d, "routed")
        data = json.loads(reader.get_metrics_data().to_json())
        points = {m["name"]: m["data"]["data_points"] for r in data["resource_metrics"] for s in r["scope_metrics"]
                  for m in s["metrics"]}
        print(t.enabled, no_sdk_span, points["langroute.decisions"][0]["value"], points["langroute.score"][0]["count"])
        """
    )
    assert out == "True True 1 1"


def test_without_opentelemetry_it_is_a_no_op_and_import_stays_light():
    out = _run(
        """
        import sys
        import langroute, langroute.telemetry
        light = not any(m.startswith("opentelemetry") for m in sys.modules)
        sys.modules["opentelemetry"] = None  # as if the extra were not installed
        from langroute.telemetry import Telemetry
        t = Telemetry()
        d = {"model": "small", "score": 0.4}
        t.decided(d, 0.001); t.finished(d, "routed")
        with t.span():
            pass
        try:
            t.finished(d, "nope")
        except ValueError as e:
            err = type(e).__name__
        print(light, t.enabled, err)
        """
    )
    assert out == "True False ConfigError"


def test_event_attributes_are_json_exportable(otel):
    with otel.tracer.start_as_current_span("chat"):
        otel.telemetry.decided(DECISION, overhead_s=0.0001)
    exported = json.loads(otel.spans.get_finished_spans()[0].to_json())
    assert exported["events"][0]["attributes"]["langroute.ladder"] == ["small", "large"]


def test_the_router_reports_each_decision_and_outcome(otel):
    scorer = RuleScorer([], default=0.0)
    router = Router(["small", "large"], scorer=scorer, telemetry=otel.telemetry)
    with otel.tracer.start_as_current_span("agent step"):
        attempts = router.attempts(router.decide("a private prompt"))
        next(attempts)
        attempts.failed(ConnectionError("small down"))
        assert next(attempts).model == "large"
        attempts.finish()
    (span,) = otel.spans.get_finished_spans()
    assert [event.attributes["gen_ai.request.model"] for event in span.events] == ["small", "large"]
    assert span.attributes["langroute.fallback_from"] == "small"
    assert span.attributes["langroute.outcome"] == "fallback"
    assert "a private prompt" not in json.dumps({k: str(v) for k, v in span.attributes.items()})
    (point,) = otel.metrics()["langroute.decisions"]
    assert point == ({"gen_ai.request.model": "large", "langroute.outcome": "fallback"}, 1)
    assert otel.metrics()["langroute.decision.duration"][0][1][0] == 1  # one overhead sample per call
    off = Router(["small", "large"], scorer=scorer, telemetry=False)
    assert off.telemetry is None
    with pytest.raises(TypeError, match="telemetry='yes'"):
        Router(["a"], telemetry="yes")  # type: ignore[arg-type]


def test_listening_says_whether_a_decision_would_be_recorded(otel):
    no_sdk = _run(
        """
        from langroute.telemetry import Telemetry
        print(Telemetry().listening())
        """
    )
    assert no_sdk == "False"  # the API's no-op providers: the router builds no decision dict for them
    assert otel.telemetry.listening()  # an SDK meter provider: metrics are live
    with otel.tracer.start_as_current_span("step"):
        assert otel.telemetry.listening()


def test_listening_follows_the_current_span_without_metrics():
    """Metrics not live (API proxies): only a recording span in the current context listens, read the short way or
    through the API (no known layout, or a runtime context replaced after the `Telemetry` was built)."""
    out = _run(
        """
        from opentelemetry import context, trace
        from opentelemetry.context.contextvars_context import ContextVarsRuntimeContext
        from opentelemetry.sdk.trace import TracerProvider
        from langroute.telemetry import Telemetry

        tracer = TracerProvider().get_tracer("app")
        quiet = trace.NonRecordingSpan(trace.INVALID_SPAN_CONTEXT)

        def states(telemetry):
            seen = [telemetry.listening()]
            with tracer.start_as_current_span("step"):
                seen.append(telemetry.listening())
                with trace.use_span(quiet):
                    seen.append(telemetry.listening())
            return seen + [telemetry.listening()]

        fast = Telemetry()
        slow = Telemetry()
        slow._span_slot = None  # the API's own path
        print(fast._span_slot is not None, states(fast), states(slow))
        context._RUNTIME_CONTEXT = ContextVarsRuntimeContext()  # a context the fast path did not see
        print(states(fast))
        """
    )
    assert out.splitlines() == [
        "True [False, True, False, False] [False, True, False, False]",
        "[False, True, False, False]",
    ]
