"""The neutral form of a conversation that scorers read.

Adapters turn framework messages into a `Conversation`; scorers never see a framework object. Users can pass
plain Python too: every scorer accepts what `as_conversation` accepts.

```python
from langroute import as_conversation

conv = as_conversation([("system", "Be brief."), ("user", [{"type": "text", "text": "hi"}])])
conv.pairs()      # [('system', 'Be brief.'), ('user', 'hi')]
conv.last_user_text  # 'hi'
```
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, Final, Literal, NamedTuple, TypeAlias

from langroute.errors import InputError

__all__ = ["Conversation", "MessagesInput", "Role", "Turn", "as_conversation"]

Role: TypeAlias = Literal["system", "user", "assistant", "tool"]
"""The closed set of roles a turn can have (aliases such as ``human``/``ai`` are normalised)."""

MessagesInput: TypeAlias = "str | Conversation | Sequence[tuple[str, Any] | Mapping[str, Any]] | None"
"""What a scorer accepts: one user message, a `Conversation`, or ``(role, content)`` pairs / role-content dicts."""

_ROLE_ALIASES: Final[dict[str, Role]] = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "human": "user",
    "assistant": "assistant",
    "ai": "assistant",
    "model": "assistant",
    "chatbot": "assistant",
    "tool": "tool",
    "function": "tool",
}


_STRUCTURAL_PARTS: Final = frozenset(
    {
        "tool_use",
        "tool_call",
        "tool_call_chunk",
        "server_tool_use",
        "function_call",
        "reasoning",
        "thinking",
        "redacted_thinking",
    }
)


class Turn(NamedTuple):
    """One message: its role and its text (non-text parts removed). A plain ``(role, text)`` tuple."""

    role: Role
    text: str


@dataclass(frozen=True, slots=True, init=False)
class Conversation:
    """A conversation as a scorer sees it: turns of ``(role, text)``, oldest first, and a few facts.

    Attributes:
        turns: the messages, oldest first, each a `Turn` (a ``(role, text)`` tuple).
        non_text_parts: how many content parts were not text (images, audio, files...).
        has_images: whether any of those parts was an image.
        has_tools: whether tools are bound to the call (set by adapters).
        structured_output: whether the call asks for structured output (set by adapters).
        tool_loop_model: when the conversation ends in tool results, the candidate that issued those tool calls
            (set by adapters from the earlier answer's decision); sticky routing keeps the loop on it.
    """

    turns: tuple[Turn, ...] = ()
    non_text_parts: int = 0
    has_images: bool = False
    has_tools: bool = False
    structured_output: bool = False
    tool_loop_model: str | None = None

    def __init__(
        self,
        turns: tuple[Turn, ...] = (),
        non_text_parts: int = 0,
        has_images: bool = False,
        has_tools: bool = False,
        structured_output: bool = False,
        tool_loop_model: str | None = None,
    ) -> None:
        # built on every routed call: the slots are set directly (the generated frozen __init__ goes through
        # object.__setattr__ per field, ~10k instructions against ~6k)
        _set_turns(self, turns)
        _set_non_text_parts(self, non_text_parts)
        _set_has_images(self, has_images)
        _set_has_tools(self, has_tools)
        _set_structured_output(self, structured_output)
        _set_tool_loop_model(self, tool_loop_model)

    def __len__(self) -> int:
        return len(self.turns)

    def __iter__(self) -> Iterator[Turn]:
        return iter(self.turns)

    @property
    def text(self) -> str:
        """All turns' text joined by newlines."""
        return "\n".join(turn.text for turn in self.turns)

    @property
    def char_count(self) -> int:
        """Number of text characters over all turns."""
        return sum(len(turn.text) for turn in self.turns)

    @property
    def token_estimate(self) -> int:
        """A rough token count (4 characters a token, ~85 tokens an image part)."""
        return (self.char_count + 3) // 4 + 85 * self.non_text_parts

    @property
    def last_user_text(self) -> str:
        """The text of the newest user turn, or ``""`` when there is none."""
        for turn in reversed(self.turns):
            if turn.role == "user":
                return turn.text
        return ""

    @property
    def is_blank(self) -> bool:
        """True when no turn has any non-whitespace text."""
        return not any(turn.text.strip() for turn in self.turns)

    def pairs(self) -> list[tuple[str, str]]:
        """The turns as a list of ``(role, text)`` tuples, newest last."""
        return list(self.turns)


(
    _set_turns,
    _set_non_text_parts,
    _set_has_images,
    _set_has_tools,
    _set_structured_output,
    _set_tool_loop_model,
) = (Conversation.__dict__[f.name].__set__ for f in fields(Conversation))


def as_conversation(
    messages: MessagesInput,
    *,
    has_tools: bool = False,
    structured_output: bool = False,
    tool_loop_model: str | None = None,
) -> Conversation:
    """Read `messages` into a `Conversation`.

    Args:
        messages: a `str` (one user turn), a `Conversation`, ``None`` (empty), or a sequence of
            ``(role, content)`` pairs or ``{"role": ..., "content": ...}`` dicts. ``content`` is a `str`, ``None``
            or a list of parts: strings, ``{"type": "text", "text": ...}`` dicts, objects with a ``text``
            attribute; any other part (images, audio...) is counted, not read.
        has_tools: record that tools are bound to the call.
        structured_output: record that the call asks for structured output.
        tool_loop_model: the candidate that issued the tool calls whose results end the conversation.

    Raises:
        TypeError: `messages` or one of its items has a type that cannot be read.
        InputError: a role is not one of the known roles (a `ValueError`).
    """
    if isinstance(messages, Conversation):
        updates: dict[str, Any] = {}
        if has_tools and not messages.has_tools:
            updates["has_tools"] = True
        if structured_output and not messages.structured_output:
            updates["structured_output"] = True
        if tool_loop_model is not None and messages.tool_loop_model is None:
            updates["tool_loop_model"] = tool_loop_model
        return replace(messages, **updates) if updates else messages
    if messages is None:
        return Conversation(has_tools=has_tools, structured_output=structured_output)
    if isinstance(messages, str):
        return Conversation((Turn("user", messages),), has_tools=has_tools, structured_output=structured_output)
    if isinstance(messages, (bytes, bytearray)):
        raise TypeError("messages is bytes; decode it to str first (messages.decode('utf-8'))")
    if not isinstance(messages, Sequence):
        raise TypeError(
            f"messages has type {type(messages).__name__}; expected a str or a list of (role, content) pairs"
        )
    turns: list[Turn] = []
    non_text = 0
    images = False
    for i, item in enumerate(messages):
        role, content = _role_and_content(item, i)
        text, parts, has_image = _read_content(content, i)
        turns.append(Turn(_normalise_role(role, i), text))
        non_text += parts
        images = images or has_image
    return Conversation(tuple(turns), non_text, images, has_tools, structured_output, tool_loop_model)


def _role_and_content(item: object, i: int) -> tuple[object, object]:
    if isinstance(item, (tuple, list)) and len(item) == 2:  # first: the cheap check, and what adapters pass
        return item[0], item[1]
    if isinstance(item, Mapping):
        if "role" not in item:
            raise TypeError(f"messages[{i}] is a dict without a 'role' key; expected {{'role', 'content'}}")
        return item["role"], item.get("content")
    hint = "; wrap a single pair in a list: [(role, content)]" if isinstance(item, str) else ""
    raise TypeError(f"messages[{i}] is a {type(item).__name__}; expected a (role, content) pair{hint}")


def _normalise_role(role: object, i: int) -> Role:
    key = getattr(role, "value", role)  # accept str-valued enums (e.g. a framework's MessageRole)
    if isinstance(key, str):
        found = _ROLE_ALIASES.get(key.lower())
        if found is not None:
            return found
    shown = repr(key) if isinstance(key, str) and len(key) <= 20 and key.isidentifier() else type(role).__name__
    raise InputError(f"messages[{i}] has role {shown}; expected one of {sorted(_ROLE_ALIASES)}")


def _read_content(content: object, i: int) -> tuple[str, int, bool]:
    """Return ``(text, non_text_part_count, has_image)`` for one message's content."""
    if content is None:
        return "", 0, False
    if isinstance(content, str):
        return content, 0, False
    if not isinstance(content, (list, tuple)):
        raise TypeError(
            f"messages[{i}] content has type {type(content).__name__}; expected str, None or a list of parts"
        )
    texts: list[str] = []
    non_text = 0
    image = False
    for part in content:
        if isinstance(part, str):
            texts.append(part)
            continue
        if isinstance(part, Mapping):
            kind = str(part.get("type", ""))
            text = part.get("text")
            if kind in ("text", "") and isinstance(text, str):
                texts.append(text)
                continue
        else:
            kind = type(part).__name__.lower()
            text = getattr(part, "text", None)
            if isinstance(text, str):
                texts.append(text)
                continue
        if kind in _STRUCTURAL_PARTS:
            continue  # tool calls and reasoning traces are not attachments
        non_text += 1
        image = image or "image" in kind
    return "\n".join(texts), non_text, image
