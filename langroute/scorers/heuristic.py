"""`HeuristicScorer`: a pure-Python, deterministic complexity score from surface features.

It reads bounded windows of the newest user turn (its first and last 256 characters, so a 1 MB paste costs what
a 512-character prompt does), counts signals with C-speed primitives only (`bytes.translate`, `split`, one set
intersection, one `sum`, `find` and `count`; no regular expression), and combines them with a logistic function:

    score = sigmoid(bias + sum(weight[f] * feature[f]))     every feature in [0, 1]

```python
from langroute import HeuristicScorer

scorer = HeuristicScorer()
scorer.score("hi")                                    # ~0.027
scorer.explain("Prove that sqrt(2) is irrational.")   # Score(value=0.57..., reason='reasoning=1.00, math=1.00, ...')
HeuristicScorer(weights={"code": 3.0}).weights["code"]  # 3.0: change any weight, the rest keep their defaults
```
"""

from __future__ import annotations

import math
import string
from collections.abc import Mapping
from itertools import compress
from types import MappingProxyType
from typing import Final

from langroute.conversation import Conversation, Turn
from langroute.errors import ConfigError
from langroute.scorers.base import Score, Scorer

__all__ = ["DEFAULT_WEIGHTS", "HeuristicScorer"]

DEFAULT_WEIGHTS: Final[Mapping[str, float]] = MappingProxyType(
    {
        "bias": -2.4,
        "length": 1.6,
        "code": 1.3,
        "math": 1.2,
        "reasoning": 1.4,
        "steps": 0.9,
        "constraints": 0.8,
        "questions": 0.4,
        "turns": 0.6,
        "attachments": 0.5,
        "tools": 0.3,
        "simple": -1.2,
    }
)
"""Default feature weights; ``bias`` is the intercept. `HeuristicScorer(weights=...)` overrides any of them."""

_WINDOW: Final = 256  # default: characters read from each end of the newest user turn
_LEN_LOW: Final = 24.0  # characters at which the length feature starts to rise ...
_LEN_HIGH: Final = 6000.0  # ... and where it saturates (log scale)
_LOG_LEN_SPAN: Final = math.log(_LEN_HIGH / _LEN_LOW)


def _words(*groups: str) -> frozenset[bytes]:
    """The whole words of `groups` (space-separated), as the lowercased UTF-8 tokens the scan produces."""
    return frozenset(word.encode() for group in groups for word in group.split())


# Keywords, matched as whole words of the lowercased text (ASCII letters, digits and ``_`` make a word; any other
# ASCII character separates words). Each feature counts the distinct keywords it sees, not their repeats. Common
# English words ("let", "where", "from", "public") are no code keywords.
_CODE: Final = _words(
    "def class function functions return import const var async await asyncio lambda struct impl fn void",
    "sql query queries database regex api endpoint bug bugs traceback exception",
    "compile compiler refactor python javascript typescript java rust golang kubernetes docker",
)
_MATH: Final = _words(
    "theorem lemma integral derivative differentiate equation equations matrix matrices eigenvalue eigenvalues",
    "eigenvector eigenvectors probability polynomial logarithm modulo prime primes induction converge converges",
    "convergence convergent diverge diverges divergence optimization optimisation complexity asymptotic calculus",
    "algebra statistic statistics statistical variance gradient vector",
)
_PROOF: Final = _words("prove proof proofs irrational qed")
_REASONING: Final = _words(
    "why explain analyze analyse analysis compare contrast tradeoff tradeoffs evaluate justify derive design",
    "architecture architect architectural strategy plan debug diagnose implement critique review reason assess",
    "scalable scalability rigorous rigorously formal formally formalize",
)
_STEPS: Final = _words("first firstly second secondly then next finally afterwards subsequently lastly")
_CONSTRAINTS: Final = _words(
    "must should shall without ensure exactly only never always require requires required requirement",
    "requirements constraint constraints limit limits limited format json schema deadline budget",
)
_SIMPLE: Final = _words("translate define spell synonym")
_GREETINGS: Final = _words("hi hello hey thanks thank thx ok okay bye goodbye")
_GOOD: Final = _words("morning afternoon evening night day")  # "good morning" ...
_LATEX: Final = _words("frac int sum sqrt prod lim begin mathbb partial")  # counted when written ``\\frac`` etc.

# Multi-word keywords, by the word that gates them (they are looked for only when that word is in the text) and
# written as the scan sees them: words between single spaces ("step-by-step" and "don't" become "step by step" and
# "don t"). Each is (feature, phrase).
_PHRASES: Final[Mapping[bytes, tuple[tuple[str, bytes], ...]]] = MappingProxyType(
    {
        b"stack": (("code", b" stack trace "),),
        b"unit": (("code", b" unit test"),),
        b"show": (("proof", b" show that "),),
        b"demonstrate": (("proof", b" demonstrate that "),),
        b"q": (("proof", b" q e d "),),
        b"step": (("reasoning", b" step by step "),),
        b"trade": (("reasoning", b" trade off"),),
        b"cons": (("reasoning", b" pros and cons "),),
        b"edge": (("reasoning", b" edge case"),),
        b"depth": (("reasoning", b" in depth "),),
        b"after": (("steps", b" after that "),),
        b"least": (("constraints", b" at least "),),
        b"most": (("constraints", b" at most "),),
        b"more": (("constraints", b" no more than "),),
        b"less": (("constraints", b" no less than "),),
        b"not": (("constraints", b" do not "),),
        b"don": (("constraints", b" don t "),),
        # lookups: tested only in short texts (the "simple" feature is 0 from about 400 characters on)
        b"what": (("simple", b" what is "), ("simple", b" what s ")),
        b"who": (("simple", b" who is "), ("simple", b" who was ")),
        b"when": (("simple", b" when is "), ("simple", b" when was ")),
        b"where": (("simple", b" where is "),),
        b"capital": (("simple", b" capital of "),),
        b"say": (("simple", b" how do you say "),),
    }
)
_PHRASE_GATES: Final = frozenset(_PHRASES)
_PHRASE_GATES_LONG: Final = frozenset(gate for gate, phrases in _PHRASES.items() if phrases[0][0] != "simple")
_VOCAB: Final = _CODE | _MATH | _PROOF | _REASONING | _STEPS | _CONSTRAINTS | _SIMPLE | _LATEX | _PHRASE_GATES

# Marks, counted on the window reduced to the characters they are made of (see `_MARK_CHARS`): a line break
# becomes NUL, a digit ``0``, and words, spaces and other punctuation are dropped, so "a -> b" and "a->b" both
# read "->" and "x = 5" reads "=0". Prose leaves little, so the searches are cheap.
_FENCES: Final = (b"```", b"~~~")
_CODE_MARKS: Final = (b"=>", b"->", b"::", b"==", b"!=", b"++", b"{\x00", b";\x00")  # ... and lines ending in { or ;
_ARITHMETIC: Final = (b"=0", b"^0", b"<0", b">0", b"0*0", b"0/0")  # an operator and a number
_LIST_ITEMS: Final = (b"\x00-", b"\x00*", b"\x000.", b"\x0000.", b"\x000)", b"\x0000)")  # "•" is read as "*"
_NOT_LIST_ITEMS: Final = (b"\x00--", b"\x00**")  # rules, options, bold text
_MATH_SYMBOLS: Final = tuple(symbol.encode() for symbol in "≤≥∑∫√π∞")  # looked for in the text itself ...
_MATH_SYMBOL_STARTS: Final = (b"\xe2\x88", b"\xe2\x89", b"\xcf\x80")  # ... when one of these UTF-8 prefixes is there
_BULLET: Final = "•".encode()
_MARK_CHARS: Final = "`~=>-:!+{;^<*/?.)"


def _table(mapping: dict[str, str], default: str | None) -> bytes:
    """A `bytes.translate` table: ASCII characters as `mapping` says, others to `default` (None: unchanged)."""
    return bytes(ord(mapping.get(chr(c), default if c < 0x80 and default is not None else chr(c))) for c in range(256))


_LOWER: Final = dict(zip(string.ascii_uppercase, string.ascii_lowercase, strict=True))
# Words: lowercase ASCII letters; keep letters, digits, ``_`` and non-ASCII bytes (so "naïve" stays one word);
# every other ASCII character becomes a space.
_TO_WORDS: Final = _table({**_LOWER, **{c: c for c in string.ascii_lowercase + string.digits + "_"}}, " ")
# Marks: line breaks become NUL and digits ``0``; keep `_MARK_CHARS`; drop the rest (non-ASCII bytes too).
_TO_MARKS: Final = _table({"\n": "\x00", **{c: "0" for c in string.digits}}, None)
_NOT_MARKS: Final = bytes(c for c in range(256) if c >= 0x80 or chr(c) not in _MARK_CHARS + string.digits + "\n")

# Keyword counts are packed into one int, a byte a signal (`_SLOT`), so that one C-level `sum` over the distinct
# keywords found counts every signal at once; gate words and LaTeX names add nothing there. A byte holds the count:
# no signal has 255 keywords and phrases (a test checks it).
_SIGNALS: Final = ("code", "math", "proof", "reasoning", "steps", "constraints", "simple")
_KEYWORDS: Final = (_CODE, _MATH, _PROOF, _REASONING, _STEPS, _CONSTRAINTS, _SIMPLE)
_SLOT: Final[dict[bytes, int]] = {
    **dict.fromkeys(_VOCAB, 0),
    **{word: 1 << (8 * at) for at, words in enumerate(_KEYWORDS) for word in words},
}
_SIMPLE_SLOT: Final = 1 << (8 * _SIGNALS.index("simple"))
_PHRASE_SLOTS: Final[dict[bytes, tuple[tuple[int, bytes], ...]]] = {
    gate: tuple((1 << (8 * _SIGNALS.index(f)), phrase) for f, phrase in phrases) for gate, phrases in _PHRASES.items()
}
# The features, in the order `HeuristicScorer.features` gives them (`DEFAULT_WEIGHTS` without the bias).
_FEATURES: Final = tuple(name for name in DEFAULT_WEIGHTS if name != "bias")
_PREFIXES: Final = tuple(f"{name}=" for name in _FEATURES)  # for the reason: "code=0.50, ..."
_INDICES: Final = tuple(range(len(_FEATURES)))
# "name=value" for the values that counts divided by their saturation give, formatted once (`format(v, ".2f")`)
_LABELS: Final = tuple(
    {k / d: f"{prefix}{k / d:.2f}" for d in (1, 2, 3, 4, 6) for k in range(1, d + 1)} for prefix in _PREFIXES
)
_HUNDREDTHS: Final = tuple(f"{n / 100:.2f}" for n in range(101))
_TINY: Final = 24  # a lone user turn shorter than this, with one plain word, takes a short cut in `rate`
_NONE: Final = (0, 0, 0, 0, 0, 0, 0, 0, 0)


def _two_places(value: float) -> str:
    """`format(value, ".2f")` for a value in [0, 1], without the float formatter (cold code inside a call loop).

    ``round`` of the exact product is the correctly rounded result unless the product is a tie (x.5 exactly, where
    the product's own rounding may have moved it), and then `format` decides.
    """
    hundredths = value * 100.0
    n = round(hundredths)
    return _HUNDREDTHS[n] if abs(hundredths - n) != 0.5 else format(value, ".2f")


def _signals(text: str, lookups: bool) -> tuple[int, ...]:
    """Count the signals in `text`: code, math, proof, reasoning, steps, constraints, simple, fences, questions.

    Keywords count once each, marks every time. `lookups` says whether to look for the lookup phrases ("what
    is", ...), which only count in short texts. (``bytes.find`` stands for ``in``: ``needle in haystack`` first
    tries the needle as an int and builds, then drops, a `TypeError`, ~1,500 instructions a test.)
    """
    raw = text.encode("utf-8", "surrogatepass")
    words = raw.translate(_TO_WORDS)
    tokens = words.split()
    if not tokens:
        return _NONE
    hits = _VOCAB.intersection(tokens)
    packed = sum(map(_SLOT.__getitem__, hits))
    first = tokens[0]
    if first in _GREETINGS or (first == b"good" and len(tokens) > 1 and tokens[1] in _GOOD):
        packed += _SIMPLE_SLOT
    gates = hits.intersection(_PHRASE_GATES if lookups else _PHRASE_GATES_LONG)
    if gates:
        find = (b" " + words + b" ").find
        for gate in gates:
            for slot, phrase in _PHRASE_SLOTS[gate]:
                if find(phrase) >= 0:
                    packed += slot
    code, math_, proof, reasoning, steps, constraints, simple = packed.to_bytes(7, "little")
    fences = questions = 0
    if not raw.isascii():
        if max(map(raw.find, _MATH_SYMBOL_STARTS)) >= 0:
            math_ += sum(map(raw.count, _MATH_SYMBOLS))
        raw = raw.replace(_BULLET, b"*")
    marks = raw.translate(_TO_MARKS, _NOT_MARKS)
    if marks:
        marks = b"\x00" + marks + b"\x00"  # line breaks around the text
        count = marks.count
        questions = count(b"?")
        if marks.translate(None, b"?.0\x00-)!"):  # more than sentence ends, numbers, hyphens, line breaks...
            code += sum(map(count, _CODE_MARKS))
            fences = sum(map(count, _FENCES))
            math_ += sum(map(count, _ARITHMETIC))
        if raw.find(b"\n") >= 0:
            steps += sum(map(count, _LIST_ITEMS)) - sum(map(count, _NOT_LIST_ITEMS))
        if raw.find(b"\\") >= 0:
            math_ += sum(raw.count(b"\\" + name) for name in hits & _LATEX)
    return code, math_, proof, reasoning, steps, constraints, simple, fences, questions


class HeuristicScorer(Scorer):
    """Rate complexity from length, code, math, reasoning and multi-step markers, constraints, and turns.

    Pure Python, deterministic, no network. Cost is bounded: only the first and last `window` characters of the
    newest user turn are scanned (the length feature counts every character), so a 1 MB prompt costs what a
    512-character one does. Instructions sit at the start or the end of long pastes; the middle adds little.

    ```python
    HeuristicScorer(weights={"code": 2.0})  # weigh code more; the other weights keep their defaults
    HeuristicScorer(window=1024)  # read 1 KB at each end: the 0.2 scores, at about twice the cost on long prompts
    ```

    Args:
        weights: overrides for `DEFAULT_WEIGHTS` (feature name -> weight; ``bias`` is the intercept).
        window: characters read at each end of the newest user turn (default 256).

    Raises:
        TypeError: `weights` is not a mapping (e.g. a list of pairs), or `window` is not an int.
        ConfigError: a weight name is unknown, a weight is not a finite number, or `window` is below 1.
    """

    __slots__ = ("_bias", "_plain", "_vector", "_weights", "_window")

    offload_chars = None
    """`ascore` always rates inline: the windows bound the cost (~15 us even at 1 MB), a thread hop costs more."""

    def __init__(self, *, weights: Mapping[str, float] | None = None, window: int = _WINDOW) -> None:
        if isinstance(window, bool) or not isinstance(window, int):
            raise TypeError(f"window={window!r:.80}: expected an int, the characters read at each end, e.g. 256")
        if window < 1:
            raise ConfigError(f"window={window}: expected at least 1 character at each end, e.g. 256")
        self._window = window
        if weights is None:
            weights = {}
        elif not isinstance(weights, Mapping):
            raise TypeError(
                f"weights={weights!r:.80} is a {type(weights).__name__}; expected a dict of feature name -> weight, "
                "e.g. weights={'code': 2.0}"
            )
        merged = dict(DEFAULT_WEIGHTS)
        for key, value in weights.items():
            if key not in DEFAULT_WEIGHTS:
                raise ConfigError(f"weights: unknown feature {key!r}; choose from {sorted(DEFAULT_WEIGHTS)}")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ConfigError(f"weights[{key!r}]={value!r}: expected a finite number")
            merged[key] = float(value)
        self._bias = merged.pop("bias")
        self._weights = merged
        self._vector = tuple(merged[name] for name in _FEATURES)
        # The two scores a lone short word that is no keyword can get (a greeting or not), worked out the long way.
        self._plain = (
            self._combine(self._values(Conversation((Turn("user", "x"),)))),
            self._combine(self._values(Conversation((Turn("user", "hi"),)))),
        )

    @property
    def weights(self) -> dict[str, float]:
        """The weights in force, ``bias`` included."""
        return {"bias": self._bias, **self._weights}

    def features(self, conversation: Conversation) -> dict[str, float]:
        """Each feature's value in [0, 1] for `conversation` (what `rate` combines)."""
        return dict(zip(_FEATURES, self._values(conversation), strict=True))

    def _values(self, conversation: Conversation) -> tuple[float, ...]:
        """The features' values, in the order of `_FEATURES`."""
        turns = conversation.turns
        if len(turns) == 1:  # the common case, without the loop
            role, text = turns[0]
            chars = len(text)
            user_turns = role == "user"
            if not user_turns:
                text = ""
        else:
            chars = 0
            user_turns = 0
            text = ""
            for role, turn_text in turns:
                chars += len(turn_text)
                if role == "user":
                    user_turns += 1
                    text = turn_text
        length = math.log(chars / _LEN_LOW) / _LOG_LEN_SPAN if chars > _LEN_LOW else 0.0
        if length > 1.0:
            length = 1.0
        window = self._window
        if len(text) > 2 * window:
            text = text[:window] + "\n" + text[-window:]
        code, math_, proof, reasoning, steps, constraints, simple, fences, questions = _signals(text, length < 0.5)
        code /= 6.0
        fences /= 2.0
        if fences > code:
            code = fences
        math_ /= 3.0
        if proof > math_:
            math_ = proof
        reasoning /= 3.0
        if proof > reasoning:
            reasoning = proof
        attachments = conversation.non_text_parts / 2
        return (
            length,
            code if code < 1.0 else 1.0,
            math_ if math_ < 1.0 else 1.0,
            reasoning if reasoning < 1.0 else 1.0,
            steps / 4.0 if steps < 4 else 1.0,
            constraints / 4.0 if constraints < 4 else 1.0,
            questions / 3.0 if questions < 3 else 1.0,
            0.0 if user_turns < 2 else 1.0 if user_turns > 6 else (user_turns - 1) / 6,  # turns
            attachments if attachments < 1.0 else 1.0,
            1.0 if conversation.has_tools else 0.0,  # tools
            # simple: short chit-chat or a lookup; fades out as the text gets longer
            1.0 - 2.0 * length if simple and length < 0.5 else 0.0,
        )

    def rate(self, conversation: Conversation) -> Score:
        """Combine the features; the reason lists the ones that pushed the score most."""
        turns = conversation.turns
        if len(turns) == 1 and len(turns[0].text) < _TINY and not conversation.non_text_parts:
            # a lone short word ("hi", "thanks!") with no keyword: one of two scores, known in advance
            word = turns[0].text.strip(" \t\n!.,")
            if word.isascii() and word.isalpha() and turns[0].role == "user" and not conversation.has_tools:
                key = word.lower().encode()
                if key not in _VOCAB:
                    return self._plain[key in _GREETINGS]
        return self._combine(self._values(conversation))

    def _combine(self, values: tuple[float, ...]) -> Score:
        """The logistic combination of the feature `values` and the reason: the (up to) four largest contributions."""
        vector = self._vector
        z = self._bias
        ranked = []
        for i in compress(_INDICES, values):  # the features that fired, in feature order
            contribution = vector[i] * values[i]
            z += contribution
            ranked.append((-abs(contribution), i))  # largest first; ties in feature order
        ranked.sort()
        reason = ", ".join([_LABELS[i].get(values[i]) or _PREFIXES[i] + _two_places(values[i]) for _, i in ranked[:4]])
        value = 1.0 / (1.0 + math.exp(-z)) if z > -700.0 else 0.0  # exp(700) is near the float limit
        return Score(value, reason or "no complexity signals")

    def __repr__(self) -> str:
        changed = {k: v for k, v in self.weights.items() if DEFAULT_WEIGHTS[k] != v}
        options = [f"weights={changed}"] if changed else []
        if self._window != _WINDOW:
            options.append(f"window={self._window}")
        return f"HeuristicScorer({', '.join(options)})"
