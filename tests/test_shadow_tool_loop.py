"""Core: in shadow mode a tool-loop (sticky) decision is a shadow decision too."""

from __future__ import annotations

from langroute import CallableScorer, Router, as_conversation


def test_a_tool_loop_in_shadow_mode_is_reported_as_shadow():
    router = Router(["small", "large"], scorer=CallableScorer(lambda pairs: 0.0), mode="shadow")
    loop = as_conversation([("user", "weather?"), ("tool", "sunny")], tool_loop_model="large")
    decision = router.decide(loop)
    assert (decision.model, decision.sticky, decision.shadow, decision.would_route) == ("large", True, True, "large")
    assert decision.reason.startswith("shadow: answered by large; routing would choose large (sticky: tool loop")
    routed = Router(["small", "large"], scorer=CallableScorer(lambda pairs: 0.0)).decide(loop)
    assert (routed.model, routed.shadow) == ("large", False)
