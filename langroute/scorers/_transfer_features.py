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
from typing import Final

from langroute.conversation import Conversation

__all__ = ["FEATURES", "PHRASE_FEATURES", "extract"]

_WINDOW: Final = 2048  # characters read from each end of the newest user turn


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_ASCII: Final = "".join(map(chr, range(128)))
_TO_WORDS: Final = str.maketrans({c: " " for c in _ASCII if c not in string.ascii_lowercase + string.digits})
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


def _window(text: str) -> str:
    return text if len(text) <= 2 * _WINDOW else text[:_WINDOW] + "\n" + text[-_WINDOW:]


PHRASE_FEATURES: Final = frozenset(
    {"answer_choice", "answer_number", "answer_code", "answer_prose", "answer_long", "answer_short"}
)
"""The features found by scanning the text for phrases (the costly part); `extract(..., phrases=False)` skips them."""


def extract(conversation: Conversation, *, phrases: bool = True) -> list[float]:
    """The `FEATURES` of `conversation` (its newest user turn, first and last 2 KB, plus turn facts).

    With ``phrases=False`` the `PHRASE_FEATURES` are 0.0 and not computed (a model that does not use them).
    """
    text = _window(conversation.last_user_text)
    low = text.lower()
    words = low.translate(_TO_WORDS).split()
    n_words = len(words)
    per_word = 1.0 / max(1, n_words)
    vocab = set(words)
    chars = len(text) or 1
    ascii_text = text.isascii()
    stripped = text.rstrip()
    first = words[0] if words else ""
    if phrases:
        answers = [
            min(sum(m in low for m in markers), cap) / 2
            for markers, cap in (
                (_CHOICE_MARKERS, 3),
                (_NUMBER_ANSWER, 3),
                (_CODE_ANSWER, 4),
                (_PROSE_ANSWER, 4),
                (_LONG_ANSWER, 3),
                (_SHORT_ANSWER, 3),
            )
        ]
    else:
        answers = [0.0] * 6
    sentences = low.count(". ") + low.count("? ") + low.count("! ") + (stripped[-1:] in ".?!")
    return [
        math.log1p(len(conversation.last_user_text)),
        math.log1p(n_words),
        (len(low) - low.count(" ")) * per_word / 5,
        len(vocab) * per_word,
        math.log1p(sum(map(str.isdigit, words))),
        (len(text) - len(text.translate(_NO_DIGITS))) / chars * 10,
        min(sum(a in text or b in text or c in text for a, b, c in _OPTION_MARKS), 5) / 4
        if "\n" in text or "(" in text
        else 0.0,
        *answers,
        min(text.count("?"), 6) / 2,
        1.0 if stripped.endswith("?") else 0.0,
        1.0 if first in _WH else 0.0,
        1.0 if first in _AUX else 0.0,
        1.0 if first in _IMPERATIVE else 0.0,
        math.log1p(len(vocab & _CONSTRAINTS)),
        math.log1p(len(vocab & _STEPS)),
        math.log1p(len(vocab & _REASONING)),
        math.log1p(len(vocab & _NEGATION)),
        math.log1p(len(vocab & _CODE_WORDS)),
        math.log1p(len(vocab & _MATH_WORDS)),
        1.0 if n_words < 12 and vocab & _SIMPLE else 0.0,
        math.log1p(len(vocab & _FIRST_PERSON)),
        math.log1p(sentences),
        math.log1p(min(text.count("\n"), 200)),
        text.count(",") * per_word * 5,
        (" " + text).translate(_SHAPE).count(" A") * per_word * 3 if ascii_text else 0.0,
        0.0 if ascii_text else (len(text.encode("utf-8", "surrogatepass")) - len(text)) / chars * 5,
        math.log1p(len(text) - len(text.translate(_NO_MATH))),
        math.log1p(len(text) - len(text.translate(_NO_CODE))),
        math.log1p(max(0, stripped.rfind("\n"))),
        min(sum(turn.role == "user" for turn in conversation.turns), 10) / 5,
        min(conversation.non_text_parts, 4) / 2,
        1.0 if conversation.has_tools else 0.0,
    ]
