"""The features `TransferScorer` reads: the *form* of a request, not its topic.

What transfers from one task to another is how a prompt is put, not what it is about: the answer it expects
(a choice letter, a number, code, prose, a short fact), how many constraints and reasoning steps it carries,
whether it is a question or an instruction, how long an answer it asks for, and its size. Topic words (the
n-grams `LearnedScorer` reads) mostly learn which benchmark a prompt comes from, and do not carry over to a task
nobody trained on. Every feature here is counted with C-speed string primitives (`str.translate`, `split`,
`count`, set intersections, `in`); no regular expression, no per-word Python loop.
"""

from __future__ import annotations

import math
import string
from collections.abc import Callable, Sequence
from typing import Final

from langroute.conversation import Conversation

__all__ = ["FEATURES", "extract"]

_WINDOW: Final = 2048  # characters read from each end of the newest user turn


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_ASCII: Final = "".join(map(chr, range(128)))
_WORD_CHARS: Final = string.ascii_lowercase + string.digits
_TO_WORDS: Final = str.maketrans({c: " " for c in _ASCII if c not in _WORD_CHARS})
_ASCII_TO_WORDS: Final = bytes(  # `str.lower` then `_TO_WORDS` in one table, for ASCII text encoded as bytes
    ord(chr(b).lower()) if b < 128 and chr(b).lower() in _WORD_CHARS else ord(" ") for b in range(256)
)
_SHAPE: Final = str.maketrans(  # " " (space), "A" (capital), "x" (anything else), for capitalised-word counts
    dict.fromkeys(_ASCII, "x") | dict.fromkeys(string.ascii_uppercase, "A") | dict.fromkeys(string.whitespace, " ")
)
_MATH_CHARS: Final = "=+*/^<>%$\\"
_CODE_CHARS: Final = "{}()[];_#`"
_NO_MATH: Final = str.maketrans("", "", _MATH_CHARS)
_NO_CODE: Final = str.maketrans("", "", _CODE_CHARS)
_NO_DIGITS: Final = str.maketrans("", "", string.digits)

_WH: Final = _words("who what when where which why how whom whose")
_AUX: Final = _words("is are was were do does did can could would should will has have")
_IMPERATIVE: Final = _words(
    "write create generate list give find calculate compute explain describe make design implement compose "
    "translate summarize summarise solve determine prove show draft outline build develop suggest rewrite convert "
    "classify identify name tell evaluate analyze analyse compare estimate plan fix debug refactor optimize "
    "optimise help provide construct complete fill choose select answer read consider use"
)
_NUMBER_ANSWER: Final = (
    "how many",
    "how much",
    "how long",
    "how far",
    "how old",
    "what is the total",
    "calculate",
    "compute",
    "\\boxed",
    "what percentage",
    "what fraction",
    "find the value",
    "solve for",
)
_CODE_ANSWER: Final = (
    "write a function",
    "write a python",
    "write a program",
    "function to",
    "python",
    "```",
    "def ",
    "return ",
    "implement",
    "code",
    "script",
    "sql",
    "class ",
    "algorithm",
    "regex",
)
_PROSE_ANSWER: Final = (
    "explain",
    "describe",
    "essay",
    "discuss",
    "story",
    "paragraph",
    "summar",
    "poem",
    "letter",
    "article",
    "blog",
    "compare",
    "argue",
    "opinion",
    "sentence",
    "why ",
)
_LONG_ANSWER: Final = (
    "in detail",
    "detailed",
    "step by step",
    "step-by-step",
    "comprehensive",
    "thorough",
    " words",
    "elaborate",
    "at length",
    "full ",
    "all the",
    "every ",
)
_SHORT_ANSWER: Final = (
    "briefly",
    "brief",
    "one word",
    "one sentence",
    "short",
    "concise",
    "only the answer",
    "just the",
    "yes or no",
    "true or false",
    "in a word",
)
_CHOICE_MARKERS: Final = (
    "which of the following",
    "of the following",
    "choose",
    "select",
    "best describes",
    "most likely",
    "correct answer",
    "true?",
    "false?",
)
_CONSTRAINTS: Final = _words(
    "must should exactly only without ensure include including includes each every never always require requires "
    "required limit format json must avoid least most maximum minimum within no"
)
_STEPS: Final = _words(
    "if then each every per times twice half remaining total after before more less than percent ratio average "
    "difference left rest altogether combined increase decrease twice thrice triple double rate spends earns cost "
    "costs profit first second third next finally"
)
_REASONING: Final = _words(
    "why explain reason prove derive justify analyze analyse evaluate infer implies conclude assume suppose "
    "therefore because hence whether argument logic logically valid"
)
_NEGATION: Final = _words("not except false never least incorrect cannot no none")
_CODE_WORDS: Final = _words(
    "function def class return import python java javascript code program algorithm array list string integer "
    "loop variable sql query regex api compile bug recursion"
)
_MATH_WORDS: Final = _words(
    "equation solve integral derivative probability matrix theorem prime sum product fraction square root "
    "polynomial angle triangle circle area volume percent ratio"
)
_SIMPLE: Final = _words("hi hello hey thanks thank ok okay bye translate define spell synonym capital joke")
_FIRST_PERSON: Final = _words("i me my we our us")
_OPTION_MARKS: Final = tuple((f"\n{letter}.", f"\n{letter})", f"({letter})") for letter in "ABCDE")

FEATURES: Final[tuple[str, ...]] = (
    "log_chars",
    "log_words",
    "word_length",
    "type_token",
    "log_numbers",
    "digit_share",
    "options",
    "answer_choice",
    "answer_number",
    "answer_code",
    "answer_prose",
    "answer_long",
    "answer_short",
    "questions",
    "ends_question",
    "wh_start",
    "aux_start",
    "imperative",
    "constraints",
    "steps",
    "reasoning",
    "negations",
    "code_words",
    "math_words",
    "simple",
    "first_person",
    "sentences",
    "newlines",
    "comma_share",
    "capitalised",
    "non_ascii",
    "math_chars",
    "code_chars",
    "log_context",
    "turns",
    "attachments",
    "tools",
)
"""Feature names, in the order `extract` returns them."""


class _Text:
    """The newest user turn of a conversation, with the intermediate forms features share, each made on first use."""

    __slots__ = ("_low", "_vocab", "_words", "conversation", "full_length", "text")

    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation
        full = conversation.last_user_text
        self.full_length = len(full)
        self.text = full if len(full) <= 2 * _WINDOW else full[:_WINDOW] + "\n" + full[-_WINDOW:]
        self._low: str | None = None
        self._words: list[str] | None = None
        self._vocab: set[str] | None = None

    @property
    def low(self) -> str:
        if self._low is None:
            self._low = self.text.lower()
        return self._low

    @property
    def words(self) -> list[str]:
        if self._words is None:
            text = self.text
            if text.isascii():  # O(1); one bytes.translate costs ~10x less than str.lower + str.translate
                self._words = text.encode("ascii").translate(_ASCII_TO_WORDS).decode("ascii").split()
            else:
                self._words = self.low.translate(_TO_WORDS).split()
        return self._words

    @property
    def vocab(self) -> set[str]:
        if self._vocab is None:
            self._vocab = set(self.words)
        return self._vocab

    def per_word(self) -> float:
        return 1.0 / max(1, len(self.words))

    def share(self, count: int) -> float:
        return count / (len(self.text) or 1)

    def markers(self, markers: tuple[str, ...], cap: int) -> float:
        low = self.low
        return min(sum(m in low for m in markers), cap) / 2

    def first(self) -> str:
        return self.words[0] if self.words else ""

    def stripped(self) -> str:
        return self.text.rstrip()

    def removed(self, table: dict[int, int | None]) -> int:
        return len(self.text) - len(self.text.translate(table))


def _options(t: _Text) -> float:
    text = t.text
    if "\n" not in text and "(" not in text:
        return 0.0
    return min(sum(a in text or b in text or c in text for a, b, c in _OPTION_MARKS), 5) / 4


def _sentences(t: _Text) -> float:
    low = t.low
    return math.log1p(low.count(". ") + low.count("? ") + low.count("! ") + (t.stripped()[-1:] in ".?!"))


def _capitalised(t: _Text) -> float:
    text = t.text
    return (" " + text).translate(_SHAPE).count(" A") * t.per_word() * 3 if text.isascii() else 0.0


def _non_ascii(t: _Text) -> float:
    text = t.text
    return 0.0 if text.isascii() else t.share(len(text.encode("utf-8", "surrogatepass")) - len(text)) * 5


def _in(words: frozenset[str]) -> Callable[[_Text], float]:
    return lambda t: math.log1p(len(t.vocab & words))


_COMPUTE: Final[dict[str, Callable[[_Text], float]]] = {
    "log_chars": lambda t: math.log1p(t.full_length),
    "log_words": lambda t: math.log1p(len(t.words)),
    "word_length": lambda t: (len(t.low) - t.low.count(" ")) * t.per_word() / 5,
    "type_token": lambda t: len(t.vocab) * t.per_word(),
    "log_numbers": lambda t: math.log1p(sum(map(str.isdigit, t.words))),
    "digit_share": lambda t: t.share(t.removed(_NO_DIGITS)) * 10,
    "options": _options,
    "answer_choice": lambda t: t.markers(_CHOICE_MARKERS, 3),
    "answer_number": lambda t: t.markers(_NUMBER_ANSWER, 3),
    "answer_code": lambda t: t.markers(_CODE_ANSWER, 4),
    "answer_prose": lambda t: t.markers(_PROSE_ANSWER, 4),
    "answer_long": lambda t: t.markers(_LONG_ANSWER, 3),
    "answer_short": lambda t: t.markers(_SHORT_ANSWER, 3),
    "questions": lambda t: min(t.text.count("?"), 6) / 2,
    "ends_question": lambda t: 1.0 if t.stripped().endswith("?") else 0.0,
    "wh_start": lambda t: 1.0 if t.first() in _WH else 0.0,
    "aux_start": lambda t: 1.0 if t.first() in _AUX else 0.0,
    "imperative": lambda t: 1.0 if t.first() in _IMPERATIVE else 0.0,
    "constraints": _in(_CONSTRAINTS),
    "steps": _in(_STEPS),
    "reasoning": _in(_REASONING),
    "negations": _in(_NEGATION),
    "code_words": _in(_CODE_WORDS),
    "math_words": _in(_MATH_WORDS),
    "simple": lambda t: 1.0 if len(t.words) < 12 and t.vocab & _SIMPLE else 0.0,
    "first_person": _in(_FIRST_PERSON),
    "sentences": _sentences,
    "newlines": lambda t: math.log1p(min(t.text.count("\n"), 200)),
    "comma_share": lambda t: t.text.count(",") * t.per_word() * 5,
    "capitalised": _capitalised,
    "non_ascii": _non_ascii,
    "math_chars": lambda t: math.log1p(t.removed(_NO_MATH)),
    "code_chars": lambda t: math.log1p(t.removed(_NO_CODE)),
    "log_context": lambda t: math.log1p(max(0, t.stripped().rfind("\n"))),
    "turns": lambda t: min(sum(turn.role == "user" for turn in t.conversation.turns), 10) / 5,
    "attachments": lambda t: min(t.conversation.non_text_parts, 4) / 2,
    "tools": lambda t: 1.0 if t.conversation.has_tools else 0.0,
}
assert tuple(_COMPUTE) == FEATURES


def extract(conversation: Conversation, names: Sequence[str] = FEATURES) -> list[float]:
    """The features `names` (default: all `FEATURES`, in that order) of `conversation`.

    They read its newest user turn (the first and last 2 KB; `log_chars` counts every character) and its turn
    facts. Only what `names` needs is computed, so a model that weights a few cheap features scores fast.

    Raises:
        KeyError: a name is not in `FEATURES`.
    """
    text = _Text(conversation)
    return [_COMPUTE[name](text) for name in names]
