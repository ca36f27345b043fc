"""Pinned `LearnedScorer.pretrained()` outputs: the exact score and reason for a spread of inputs.

The scores were recorded (as `float.hex`) from the scorer before its speed work, so any optimisation must reproduce
them to the last bit. Retraining the shipped model updates these values in the same commit.
"""

from __future__ import annotations

import pytest

from langroute import LearnedScorer

MMLU = (
    "Which of the following is NOT a characteristic of a monopolistically competitive market?\n"
    "A. Many sellers\nB. Differentiated products\nC. Free entry and exit\n"
    "D. A perfectly inelastic demand curve\nAnswer:"
)
GSM8K = (
    "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
    "How many clips did Natalia sell altogether in April and May?"
)
CODE = (
    "Refactor this Python function to be thread-safe and explain the complexity:\n```python\n"
    "def add(cache, key, value):\n    if key not in cache:\n        cache[key] = []\n    cache[key].append(value)\n"
    "    return len(cache[key])\n```\nIt must use utf8 keys, sha256 digests and run on py3.11; never block."
)
CASES = {
    "greeting": "hi",
    "mmlu multiple choice": MMLU,
    "gsm8k word problem": GSM8K,
    "code": CODE,
    "1 MB text": GSM8K + " The quick brown fox, not the lazy dog, jumps over 13 fences." * 16_000 + MMLU,
    "multi-turn": [
        ("system", "You are a helpful assistant."),
        ("user", "hello"),
        ("assistant", "Hi! How can I help?"),
        ("user", "Why does my docker build fail? Explain the trade-offs of caching layers, step by step."),
    ],
    "non-ascii": "Prove that ∑ 1/n² = π²/6; naïve café, Größe ≥ 5. İs it NOT fal\u017fe? ١٢ \uff13",
    "image part": [("user", [{"type": "text", "text": "What is in this picture?"}, {"type": "image_url"}])],
    "empty": "",
}

PINNED = {  # name: (score as float.hex, reason)
    "greeting": ("0x1.1ab17af8b808cp-6", "log_chars-0.32, log_tokens-0.19, log_question_chars-0.15, ngrams+0.02"),
    "mmlu multiple choice": (
        "0x1.35eee4b3321e6p-2",
        "capitalised+0.05, log_chars-0.04, log_tokens-0.04, ngrams-0.05",
    ),
    "gsm8k word problem": ("0x1.babbd6e720fdep-1", "words_steps+0.07, log_chars-0.06, log_tokens-0.04, ngrams+0.02"),
    "code": ("0x1.ff2dac75f1764p-1", "words_code+0.24, words_reasoning+0.22, words_math+0.07, ngrams+0.04"),
    "1 MB text": (
        "0x1.b0d71634cba0bp-1",
        "log_chars+0.53, sentences+0.30, choice_question_negations-0.28, ngrams-0.06",
    ),
    "multi-turn": (
        "0x1.ff0ec4c24055cp-1",
        "words_reasoning+0.37, words_steps+0.12, words_code+0.07, ngrams+0.05",
    ),
    "non-ascii": ("0x1.858afd7414bbap-1", "log_chars-0.11, words_math+0.07, log_tokens-0.06, ngrams+0.06"),
    "image part": ("0x1.8b1c57d652edap-3", "log_chars-0.18, log_tokens-0.13, log_question_chars-0.07, ngrams-0.01"),
    "empty": ("0x1.5293da33014a5p-8", "turns-0.00, ngrams+0.00"),
}


@pytest.fixture(scope="module")
def pretrained() -> LearnedScorer:
    return LearnedScorer.pretrained()


@pytest.mark.parametrize("name", list(CASES))
def test_pretrained_score_and_reason_are_pinned(pretrained, name):
    score = pretrained.explain(CASES[name])
    assert (score.value.hex(), score.reason) == PINNED[name]
