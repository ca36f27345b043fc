"""`RuleClassifier` with RE2: one combined scan decides whether any RE2 rule matches; the first match still wins."""

from __future__ import annotations

import random
import re

import pytest

from langroute import RuleClassifier, as_conversation

pytest.importorskip("re2")

RULES = [
    (r"(?i)\b(contract|liability|indemnif\w*|gdpr)\b", "legal"),
    (lambda pairs: len(pairs) > 3, "long_chat"),  # a predicate between the regexes keeps its place
    (r"```|\bdef \w+\(", "code"),
    (re.compile(r"^total:", re.IGNORECASE | re.MULTILINE), "report"),
    (r"(?i)\b(diagnos\w*|symptoms?)\b", "medical"),
    (r"(?s)begin.*end", "span"),
    (r"\d{3}-\d{4}", "phone"),
    (r"(?P<word>refund)", "support"),
    (r"(?i)(?P<word>invoice)", "finance"),  # the same group name as the rule above
]
WORDS = [
    *("contract", "Liability", "def", "f(", "```", "total:", "TOTAL:", "diagnosis", "symptom", "begin", "end"),
    *("555-1234", "refund", "invoice", "the", "a", "of"),
]


def _one_by_one(classifier: RuleClassifier) -> RuleClassifier:
    classifier._rules._any_re2 = None  # what the rule set did before the combined scan (every rule, in order)
    return classifier


def test_the_combined_scan_classifies_as_the_rules_one_by_one():
    fast = RuleClassifier(RULES)
    slow = _one_by_one(RuleClassifier(RULES))
    assert fast.engines.count("re2") == len(RULES) - 1
    assert fast._rules._any_re2 is not None
    rng = random.Random(5)
    for _ in range(3000):
        words = [rng.choice(WORDS) for _ in range(rng.randint(0, 12))]
        turns = [("user", " ".join(words))] * rng.choice([1, 1, 1, 5])
        turns[-1] = ("user", rng.choice([" ", "\n"]).join(words))
        conversation = as_conversation(turns)
        assert fast.classify(conversation) == slow.classify(conversation), turns


def test_a_single_regex_rule_is_searched_on_its_own():
    assert RuleClassifier([(r"foo", "a"), (lambda pairs: False, "b")])._rules._any_re2 is None


def test_no_match_needs_one_scan_and_gives_the_default():
    classifier = RuleClassifier([(r"(?i)\bfoo\b", "a"), (r"bar\d", "b")], default="general")
    assert classifier._rules._any_re2 is not None
    assert classifier.task("nothing to see here " * 100) == "general"
    assert classifier.task("a BAR1 and a Foo") == "a"  # both match: the first rule wins
    assert classifier.task("bar7 only") == "b"
