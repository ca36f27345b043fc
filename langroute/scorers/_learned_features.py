"""The features `LearnedScorer` reads: dense prompt statistics and hashed word n-grams of the newest user turn.

Each count is defined by a regex (`_TOKEN`, `_OPTION`, `_SENTENCE`, `_NEGATION`); on ASCII text, nearly every
prompt, most are taken with `str.translate` / `str.split` / `str.count` instead, which give the same numbers
(``tests/scorers/test_learned_pinned.py`` checks them against the regexes and pins the shipped model's scores).
"""

from __future__ import annotations

import itertools
import math
import operator
import re
import string
import zlib
from collections import Counter
from collections.abc import Mapping
from typing import Any, Final

from langroute.conversation import Conversation

__all__ = ["DENSE_FEATURES", "FEATURES_VERSION", "extract_counts", "extract_features", "featurize"]

_LINE_TRY: Final = 128  # characters a regex scan of a line costs as much as one `match` call at its start
_WINDOW: Final = 4096  # characters read from each end of the newest user turn (bounded cost on 1 MB input)
_TOKEN: Final = re.compile(r"[a-z]+|\d+")
_OPTION: Final = re.compile(r"^\s*\(?[A-Ja-j][.)]\s?(.*)$", re.MULTILINE)
_SENTENCE: Final = re.compile(r"[.!?](?:\s|$)")
_SYMBOLS: Final = "%$=+*/^<>{}[]();_\\|"
_DIGITS: Final = str.maketrans("", "", "0123456789")
_MIX: Final = 0x9E3779B1  # combines two token hashes into a bigram hash
_CHOICE_SALT: Final = 0x5BD1E995  # moves the n-grams of multiple-choice prompts to other buckets
_KEYWORDS: Final[dict[str, str]] = {
    "code": "def class function return import const let var async await lambda struct impl fn public private void "
    "select join sql regex api endpoint bug traceback exception compile refactor python javascript typescript "
    "java rust golang kubernetes docker code script query database thread",
    "math": "theorem lemma integral derivative differentiate equation matrix matrices probability polynomial "
    "logarithm modulo prime induction converge converges optimization optimisation complexity asymptotic calculus "
    "algebra statistic statistics variance gradient vector prove proof sqrt percent ratio average total",
    "reasoning": "why explain analyze analyse analysis compare contrast evaluate justify derive design architecture "
    "strategy plan debug diagnose implement critique review reason assess rigorous formal formally tradeoffs",
    "steps": "first then next finally afterwards subsequently lastly second third step steps",
    "constraints": "must should shall ensure exactly only never always require requires required requirements "
    "constraint constraints limit format json schema deadline budget without",
    "simple": "hi hello hey thanks thank ok okay bye translate define spell synonym capital joke",
    "first_person": "i me my",
    "negation": "not except false incorrect least never",
}
_NEGATION: Final = re.compile(r"\b(?:not|except|false|incorrect|least|never)\b", re.IGNORECASE)
_NEGATION_WORDS: Final = frozenset(_KEYWORDS["negation"].split())
_ASCII: Final = "".join(map(chr, range(128)))
_SPACES: Final = "".join(c for c in _ASCII if c.isspace())  # what str.split splits on and \s matches, in ASCII
_NOT_ALNUM: Final = str.maketrans({c: " " for c in _ASCII if c not in string.ascii_lowercase + string.digits})
_NOT_WORD: Final = str.maketrans({c: " " for c in _ASCII if c not in string.ascii_lowercase + string.digits + "_"})
_SHAPE: Final = str.maketrans(  # an ASCII character -> its class: " ", "a" (letter), "0", ".", "s" (symbol) or "x"
    dict.fromkeys(_ASCII, "x")
    | dict.fromkeys(string.ascii_letters, "a")
    | dict.fromkeys(string.digits, "0")
    | dict.fromkeys(".!?", ".")
    | dict.fromkeys(_SYMBOLS, "s")
    | dict.fromkeys(_SPACES, " ")
)
_MIXED_RUN: Final = re.compile(r"0(?:a|(?<=a0))")  # in a shape: a digit next to a letter
_WORD_SHAPE: Final = str.maketrans(  # ASCII -> " " (a space), "A" (a capital) or "x"
    dict.fromkeys(_ASCII, "x") | dict.fromkeys(string.ascii_uppercase, "A") | dict.fromkeys(_SPACES, " ")
)
_NO_SYMBOLS: Final = str.maketrans("", "", _SYMBOLS)
_FAMILY: Final[dict[str, int]] = {
    word: index for index, words in enumerate(_KEYWORDS.values()) for word in words.split()
}
_FIRST_PERSON: Final = list(_KEYWORDS).index("first_person")
_BASE_FEATURES: Final[tuple[str, ...]] = (
    *(f"words_{family}" for family in _KEYWORDS),
    "log_chars",
    "log_question_chars",
    "log_option_chars",
    "options",
    "log_digits",
    "log_numbers",
    "log_tokens",
    "newlines",
    "sentences",
    "questions",
    "capitalised",
    "first_person_share",
    "question_negations",
    "symbols",
    "word_length",
    "turns",
    "attachments",
    "tools",
)
DENSE_FEATURES: Final[tuple[str, ...]] = (*_BASE_FEATURES, *(f"choice_{n}" for n in _BASE_FEATURES), "choice")
"""Names of the dense features, in the order of the model's dense weights. Each base feature appears twice:
as is, and multiplied by ``choice`` (1 when the prompt lists lettered answer options), so multiple-choice
questions and free-form requests get their own weights."""


FEATURES_VERSION: Final = 1
"""The ``v`` field of the feature dicts `featurize` and `LearnedScorer.rate` attach (bump it when they change)."""


def featurize(conversation: Conversation, buckets: int = 1 << 14) -> dict[str, Any]:
    """The hashed feature vector a feedback store keeps for `conversation`: JSON-ready, no prompt text.

    ``{"v": 1, "b": buckets, "d": [dense values in DENSE_FEATURES order], "n": {bucket: count}}``: the dense
    features and the unigram + bigram bucket counts of `extract_counts` (JSON turns the bucket keys into strings;
    readers accept both). `LearnedScorer.rate` attaches the same dict to its `Score` at no extra cost; call this
    for scorers that attach none (off the hot path: it costs about as much as a `LearnedScorer` call).

    ```python
    featurize(as_conversation("hi"))  # {"v": 1, "b": 16384, "d": [...], "n": {11262: 1}}
    ```
    """
    dense, counts, _ = extract_counts(conversation, buckets)
    return {"v": FEATURES_VERSION, "b": buckets, "d": dense, "n": counts}


def _window(text: str) -> str:
    return text if len(text) <= 2 * _WINDOW else text[:_WINDOW] + "\n" + text[-_WINDOW:]


def extract_features(conversation: Conversation, buckets: int) -> tuple[list[float], dict[int, float]]:
    """The features of `conversation`: dense values (in `DENSE_FEATURES` order) and hashed n-grams.

    The n-grams are the word unigrams and bigrams of the newest user turn (lower-cased, CRC-32 hashed into
    `buckets`, multiple-choice prompts salted apart from free-form ones), as L2-normalised counts. Only the
    first and last 4 KB of that turn are read.
    """
    dense, counts, norm = extract_counts(conversation, buckets)
    return dense, {k: v / norm for k, v in counts.items()}


def extract_counts(conversation: Conversation, buckets: int) -> tuple[list[float], dict[int, int], float]:
    """`extract_features` with the n-grams as bucket counts and their L2 norm (the counts are divided by it)."""
    text = _window(conversation.last_user_text)
    options = _options(text)
    choice = 1.0 if len(options) >= 2 else 0.0
    salt = _CHOICE_SALT if choice else 0  # multiple-choice and free-form prompts get separate n-gram weights
    lowered = text.lower()
    # On ASCII text (nearly all prompts) several counts are read off one class-per-character copy, `shape`.
    shape = (" " + text).translate(_SHAPE) if text.isascii() else None
    digits = len(text) - len(text.translate(_DIGITS)) if shape is None else shape.count("0")
    plain = shape is not None and not _MIXED_RUN.search(shape)  # no letter next to a digit (``utf8``)
    tokens = lowered.translate(_NOT_ALNUM).split() if plain else _TOKEN.findall(lowered)
    token_counts = Counter(tokens)
    families = [0] * len(_KEYWORDS)
    numbers = 0
    for token, count in token_counts.items():
        family = _FAMILY.get(token)
        if family is not None:
            families[family] += count
        elif token.isdigit():
            numbers += count
    counts = _ngram_counts(tokens, token_counts, salt, buckets)
    norm = math.sqrt(sum(map(operator.mul, counts.values(), counts.values()))) or 1.0

    question = _OPTION.split(text, maxsplit=1)[0] if options else text
    n_words, capitalised, letters = _word_stats(text)
    n_words = max(1, n_words)
    base = [
        *map(math.log1p, families),
        math.log1p(conversation.char_count),
        math.log1p(len(question)),
        math.log1p(sum(map(len, options)) / len(options)) if options else 0.0,
        min(len(options), 10) / 4,
        math.log1p(digits),
        math.log1p(numbers),
        math.log1p(len(tokens)),
        min(text.count("\n"), 100) / 10,
        min(_sentences(question, shape if question is text else None), 50) / 5,
        min(question.count("?"), 10) / 2,
        capitalised / n_words,
        10 * families[_FIRST_PERSON] / n_words,
        min(_negations(question, token_counts if question is text and plain and "_" not in text else None), 10) / 2,
        min(len(text) - len(text.translate(_NO_SYMBOLS)) if shape is None else shape.count("s"), 200) / 20,
        letters / n_words / 5,
        min(sum(turn.role == "user" for turn in conversation.turns), 10) / 5,
        min(conversation.non_text_parts, 4) / 2,
        1.0 if conversation.has_tools else 0.0,
    ]
    # == [*base, *(x * choice for x in base), choice], as choice is 0.0 or 1.0 and every x is finite and >= 0
    return [*base, *base, 1.0] if choice else [*base, *[0.0] * len(base), 0.0], counts, norm


def _options(text: str) -> list[str]:
    """`_OPTION.findall(text)`, trying only the line starts when lines are long (the regex tries every character).

    A match can only begin where ``^`` matches (the start, or after a newline) and may end at one (``\\s?``
    can take a newline), so the next try is the first line start at or after the match's end, as `findall` does.
    """
    if text.count("\n") * _LINE_TRY > len(text):
        return _OPTION.findall(text)
    options = []
    start = 0
    while True:
        match = _OPTION.match(text, start)
        if match is None:
            start = text.find("\n", start) + 1
        else:
            options.append(match.group(1))
            end = match.end()
            start = end if text[end - 1] == "\n" else text.find("\n", end) + 1
        if start == 0:  # no newline left
            return options


def _ngram_counts(tokens: list[str], token_counts: Mapping[str, int], salt: int, buckets: int) -> dict[int, int]:
    """Bucket -> count of the unigrams and bigrams of `tokens`, in the order buckets are first seen.

    `token_counts` is ``Counter(tokens)``. A token hashes to ``crc32 ^ salt``; the result is
    ``Counter([u % buckets for u in unigrams] + [((a * _MIX) ^ b) % buckets for a, b in bigrams])``.
    """
    if buckets & (buckets - 1):  # not a power of two
        codes = {token: zlib.crc32(token.encode()) ^ salt for token in token_counts}
        hashes = [codes[token] for token in tokens]
        keys = [code % buckets for code in hashes]
        keys += [((a * _MIX) ^ b) % buckets for a, b in itertools.pairwise(hashes)]
        return Counter(keys)
    # Modulo a power of two commutes with xor, so each token's two bucket terms are computed once, not per bigram;
    # unigrams are counted per distinct token.
    lows: dict[str, int] = {}  # token -> its unigram bucket
    lefts: dict[str, int] = {}  # token -> its share of the bucket of a bigram it starts
    unigrams: dict[int, int] = {}
    for token, count in token_counts.items():
        low = (zlib.crc32(token.encode()) ^ salt) % buckets
        lows[token] = low
        lefts[token] = (low * _MIX) % buckets
        unigrams[low] = unigrams.get(low, 0) + count
    counts = Counter(unigrams)
    if len(tokens) > 1:  # itemgetter looks the tokens up in one C call (it returns a tuple for 2+ items)
        get = operator.itemgetter(*tokens)
        counts.update(map(operator.xor, get(lefts), get(lows)[1:]))
    return counts


def _word_stats(text: str) -> tuple[int, int, int]:
    """(words, words starting with a capital, non-space characters) of `text`; words are ``text.split()``.

    On ASCII text they are counted on a one-class-a-character copy (space, capital, other), without a word list.
    """
    if text.isascii():
        shape = (" " + text).translate(_WORD_SHAPE)
        capitalised = shape.count(" A")
        return shape.count(" x") + capitalised, capitalised, len(shape) - shape.count(" ")
    words = text.split()
    return len(words), sum(map(str.isupper, map(operator.itemgetter(0), words))), sum(map(len, words))


def _sentences(question: str, shape: str | None) -> int:
    """`len(_SENTENCE.findall(question))`; `shape` is ``(" " + question).translate(_SHAPE)``, or `None`."""
    if shape is None:
        return len(_SENTENCE.findall(question))
    return shape.count(". ") + shape.endswith(".")


def _negations(question: str, token_counts: Mapping[str, int] | None = None) -> int:
    """`len(_NEGATION.findall(question))`.

    A match is a whole ``\\w`` run that is a negation word. `token_counts` counts the `_TOKEN` tokens of
    ``question.lower()`` when those are exactly its ``\\w`` runs (ASCII, no ``_``, no letter next to a digit).
    """
    if token_counts is not None:
        return sum(token_counts.get(word, 0) for word in _NEGATION_WORDS)
    if not question.isascii():
        return len(_NEGATION.findall(question))
    lowered = question.lower()
    if not any(word in lowered for word in _NEGATION_WORDS):
        return 0
    return sum(map(_NEGATION_WORDS.__contains__, lowered.translate(_NOT_WORD).split()))
