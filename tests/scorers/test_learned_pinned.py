"""Pinned `LearnedScorer.pretrained()` outputs, and the fast text helpers checked against their regex definitions.

The scores were recorded (as `float.hex`) from the scorer before its speed work, so any optimisation must reproduce
them to the last bit. Retraining the shipped model updates these values in the same commit.
"""

from __future__ import annotations

import itertools
import random
import string
import zlib
from collections import Counter

import pytest

from langroute import LearnedScorer
from langroute.scorers import _learned_features as features

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


def _fuzz_texts(count: int) -> list[str]:
    """Random texts of negation words and near misses, letter-digit runs, lettered options, unicode, odd spaces."""
    rng = random.Random(7)
    words = [
        *("not", "never", "Not", "NOT", "least", "false", "except", "incorrect", "notice", "cannot", "2not"),
        *("x2", "utf8", "h1", "a1b2", "snake_case", "_not", "not_", "A)", "B)", "(C)", "d.", "123", "4.5"),
        *("what", "why", "prove", "def", "class", "return", "the", "of", "hi", "?", "!", ".", ",", ";", "(", "=", "}"),
        *("İncorrect", "fal\u017fe", "\u212a", "Größe", "١٢", "\uff13"),
    ]
    alphabet = string.printable + "\x1c\x1f\x85\u2028İ\u212a\u017féß∑π²٣\uff13"
    texts = []
    for _ in range(count):
        if rng.random() < 0.5:
            seps = [" ", "\n", "", "_", "1", "a", ". ", "\nA) ", "\nb. ", "\t", "\x1c"]
            texts.append("".join(rng.choice(words) + rng.choice(seps) for _ in range(rng.randint(0, 60))))
        else:
            texts.append("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 200))))
    return texts


@pytest.mark.parametrize("text", _fuzz_texts(400))
def test_fast_text_helpers_match_their_regex_definitions(text: str) -> None:
    shape = (" " + text).translate(features._SHAPE) if text.isascii() else None
    words = text.split()
    assert features._options(text) == features._OPTION.findall(text)
    assert features._negations(text) == len(features._NEGATION.findall(text))
    assert features._sentences(text, shape) == len(features._SENTENCE.findall(text))
    assert features._word_stats(text) == (len(words), sum(w[0].isupper() for w in words), sum(map(len, words)))
    if shape is not None and not features._MIXED_RUN.search(shape):  # the runs of [a-z0-9] are the tokens
        tokens = text.lower().translate(features._NOT_ALNUM).split()
        assert tokens == features._TOKEN.findall(text.lower())
        if "_" not in text:
            assert features._negations(text, Counter(tokens)) == len(features._NEGATION.findall(text))
    else:
        assert shape is None or any(pair in shape for pair in ("a0", "0a"))


def test_negations_counted_from_tokens_match_the_regex() -> None:
    rng = random.Random(2)
    words = ["not", "NOT", "Never", "least", "false", "Except", "incorrect", "notice", "cannot", "nothing", "42", "x"]
    seps = [" ", ", ", ". ", "\n", "-", "'", "(", ")", "", "  ", "!"]
    for _ in range(5_000):
        text = "".join(rng.choice(words) + rng.choice(seps) for _ in range(rng.randint(0, 12)))
        tokens = features._TOKEN.findall(text.lower())
        shape = (" " + text).translate(features._SHAPE)
        if not features._MIXED_RUN.search(shape):  # "42" next to a word makes a mixed run: the regex path
            assert features._negations(text, Counter(tokens)) == len(features._NEGATION.findall(text)), text


def test_options_tried_at_line_starts_match_findall(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(features, "_LINE_TRY", 0)  # always take the line-start path
    rng = random.Random(1)
    parts = ["A.", "b)", "(C)", "(d.", " ", "\n", "\n\n", "x", "foo bar", "\t", "J)", "K.", "A.\n", "  A) \n"]
    for _ in range(20_000):
        text = "".join(rng.choice(parts) for _ in range(rng.randint(0, 12)))
        assert features._options(text) == features._OPTION.findall(text), text


@pytest.mark.parametrize("buckets", [1 << 14, 1000, 16])
def test_ngram_counts_match_the_plain_definition(buckets):
    for text in _fuzz_texts(100):
        tokens = features._TOKEN.findall(text.lower())
        for salt in (0, features._CHOICE_SALT):
            hashes = [zlib.crc32(t.encode()) ^ salt for t in tokens]
            keys = [h % buckets for h in hashes]
            keys += [((a * features._MIX) ^ b) % buckets for a, b in itertools.pairwise(hashes)]
            counts = features._ngram_counts(tokens, Counter(tokens), salt, buckets)
            assert list(counts.items()) == list(Counter(keys).items())  # same counts, same order
