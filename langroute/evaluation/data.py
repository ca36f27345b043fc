"""Labelled routing records: JSON Lines with a prompt and how well each model answered it.

One object per line::

    {"prompt": "What is 2 + 2?", "weak_correct": true, "strong_correct": true}
    {"prompt": "Prove ...", "weak_score": 0.2, "strong_score": 0.9}      # graded quality in [0, 1]

Optional keys: ``"dataset"`` (records are evaluated per dataset; default: the file name without extension),
``"domain"`` (e.g. the MMLU subject; used to keep a whole domain in one cross-validation fold) and ``"id"``.
Blank lines are skipped. Files are UTF-8 (a leading byte-order mark is allowed); a line holds at most
`MAX_LINE_BYTES` bytes (4 MiB), so a file without newlines (``/dev/zero``) cannot fill the memory. A malformed,
binary, too long or too deeply nested line raises `InputError` naming the file and the line number; the message
never quotes the prompt.

```python
from langroute.evaluation import load_records

records = load_records(["benchmarks/data/dev_gsm8k.jsonl"])
records[0].prompt, records[0].weak, records[0].strong   # ('Janet...', 1.0, 1.0)
```
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from langroute.errors import InputError

__all__ = ["MAX_LINE_BYTES", "Record", "by_dataset", "load_prompts", "load_records", "parse_record", "read_lines"]

MAX_LINE_BYTES: Final = 4 * 1024 * 1024
"""The longest line, in bytes without its newline, that `read_lines` (so `load_records`, `load_prompts`) accepts."""

_FORMAT = (
    'expected a JSON object with "prompt" and either "weak_correct"/"strong_correct" (booleans) '
    'or "weak_score"/"strong_score" (numbers in [0, 1])'
)


@dataclass(frozen=True, slots=True)
class Record:
    """One labelled prompt.

    Attributes:
        prompt: the text a router sees.
        weak / strong: each model's quality on it, in [0, 1] (1.0/0.0 for correct/wrong).
        dataset: which dataset it belongs to (metrics are computed per dataset).
        domain: a finer group (e.g. the MMLU subject) kept whole inside one cross-validation fold.
    """

    prompt: str
    weak: float
    strong: float
    dataset: str
    domain: str

    @property
    def gain(self) -> float:
        """How much routing this prompt to the strong model helps, in [-1, 1]."""
        return self.strong - self.weak

    @property
    def label(self) -> float:
        """The training label of a scorer: the gain mapped to [0, 1], ``(1 + strong - weak) / 2``.

        1 = only the strong model is right, 0.5 = both right or both wrong (routing changes nothing),
        0 = only the weak model is right. Ranking prompts by the expected label is ranking them by the
        expected quality gained per strong call, which is what the quality-vs-share curve rewards.
        """
        return (1.0 + self.strong - self.weak) / 2.0


def _shown(value: object) -> str:
    """A label value as an error message shows it: a short repr of a scalar, the type of anything else."""
    if value is None or isinstance(value, (bool, int, float)) or (isinstance(value, str) and len(value) <= 20):
        return f"{value!r:.40}"
    return f"a JSON {_JSON_TYPES.get(type(value), type(value).__name__)}"


_JSON_TYPES: Final = {dict: "object", list: "array", str: "string"}


def _quality(obj: Mapping[str, object], model: str) -> float:
    if f"{model}_correct" in obj:
        value = obj[f"{model}_correct"]
        if isinstance(value, bool) or (isinstance(value, (int, float)) and value in (0, 1)):
            return float(value)
        raise ValueError(f'"{model}_correct" is {_shown(value)}; expected true or false')
    if f"{model}_score" in obj:
        value = obj[f"{model}_score"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
            raise ValueError(f'"{model}_score" is {_shown(value)}; expected a number in [0, 1]')
        return float(value)
    raise ValueError(f'no "{model}_correct" or "{model}_score"')


def _json(line: str) -> Any:
    """`json.loads`, with every way it can fail turned into a one-line `ValueError` that quotes nothing."""
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON ({exc.msg} at column {exc.colno})") from exc
    except RecursionError as exc:
        raise ValueError("invalid JSON (nested too deeply)") from exc
    except ValueError as exc:  # an integer of more digits than Python converts (sys.get_int_max_str_digits)
        raise ValueError("invalid JSON (a number with too many digits)") from exc


def parse_record(line: str, *, default_dataset: str = "data") -> Record:
    """Read one JSON line into a `Record`.

    Raises:
        ValueError: the line is not a JSON object in the expected format (the message says what is wrong).
    """
    obj = _json(line)
    if not isinstance(obj, dict):
        raise ValueError(f"a JSON {type(obj).__name__}, not an object")
    prompt = obj.get("prompt")
    if not isinstance(prompt, str):  # its type only: a non-string prompt is still the user's text
        what = "missing" if prompt is None else f"a JSON {_JSON_TYPES.get(type(prompt), type(prompt).__name__)}"
        raise ValueError(f'"prompt" is {what}; expected a string')
    weak, strong = _quality(obj, "weak"), _quality(obj, "strong")
    if not (math.isfinite(weak) and math.isfinite(strong)):
        raise ValueError("quality is not a finite number")
    dataset = obj.get("dataset", default_dataset)
    domain = obj.get("domain", dataset)
    return Record(prompt, weak, strong, str(dataset), str(domain))


def read_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """Yield ``(line number, text)`` for each non-blank line of the UTF-8 file `path`, reading one line at a time.

    Raises:
        InputError: a line is longer than `MAX_LINE_BYTES` or is not UTF-8 (the message names the file and line).
        OSError: the file cannot be read.
    """
    with Path(path).open("rb") as handle:
        for number in itertools.count(1):
            raw = handle.readline(MAX_LINE_BYTES + 1)
            if not raw:
                return
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                raise InputError(
                    f"{path}:{number}: line longer than {MAX_LINE_BYTES} bytes; is this a JSON Lines file?"
                )
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{path}:{number}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1}); "
                    "is this a JSON Lines file?"
                ) from None
            if text.strip():
                yield number, text


def load_prompts(paths: Iterable[str | Path]) -> list[str]:
    """Read the ``"prompt"`` of every JSON line of `paths` (no quality labels needed), e.g. to calibrate.

    Raises:
        InputError: a line is not a JSON object with a string ``"prompt"`` (the message names the file and line).
        OSError: a file cannot be read.
    """
    prompts: list[str] = []
    for path in map(Path, paths):
        for number, line in read_lines(path):
            try:
                obj = _json(line)
            except ValueError as exc:
                raise InputError(f"{path}:{number}: {exc}") from exc
            prompt = obj.get("prompt") if isinstance(obj, dict) else None
            if not isinstance(prompt, str):
                raise InputError(f'{path}:{number}: expected a JSON object with a string "prompt"')
            prompts.append(prompt)
    return prompts


def load_records(paths: Iterable[str | Path]) -> list[Record]:
    """Read every record of the JSONL files `paths`, in order.

    Raises:
        InputError: a line is malformed (the message names the file and the line) or no file holds a record.
        OSError: a file cannot be read.
    """
    records: list[Record] = []
    names: list[str] = []
    for path in map(Path, paths):
        names.append(str(path))
        for number, line in read_lines(path):
            try:
                records.append(parse_record(line, default_dataset=path.stem))
            except ValueError as exc:
                raise InputError(f"{path}:{number}: {exc}; {_FORMAT}") from exc
    if not records:
        raise InputError(f"no records in {names}; {_FORMAT}")
    return records


def by_dataset(records: Iterable[Record]) -> dict[str, list[Record]]:
    """Group `records` by their dataset, keeping the order of first appearance."""
    groups: dict[str, list[Record]] = {}
    for record in records:
        groups.setdefault(record.dataset, []).append(record)
    return groups
