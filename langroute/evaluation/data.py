"""Labelled routing records: JSON Lines with a prompt and how well each model answered it.

One object per line::

    {"prompt": "What is 2 + 2?", "weak_correct": true, "strong_correct": true}
    {"prompt": "Prove ...", "weak_score": 0.2, "strong_score": 0.9}      # graded quality in [0, 1]

Optional keys: ``"dataset"`` (records are evaluated per dataset; default: the file name without extension),
``"domain"`` (e.g. the MMLU subject; used to keep a whole domain in one cross-validation fold) and ``"id"``.
Blank lines are skipped. A malformed line raises `InputError` naming the file and the line number.

```python
from langroute.evaluation import load_records

records = load_records(["benchmarks/data/dev_gsm8k.jsonl"])
records[0].prompt, records[0].weak, records[0].strong   # ('Janet...', 1.0, 1.0)
```
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from langroute.errors import InputError

__all__ = ["Record", "by_dataset", "load_prompts", "load_records", "parse_record"]

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


def _quality(obj: Mapping[str, object], model: str) -> float:
    if f"{model}_correct" in obj:
        value = obj[f"{model}_correct"]
        if isinstance(value, bool) or value in (0, 1):
            return float(value)  # type: ignore[arg-type]
        raise ValueError(f'"{model}_correct" is {value!r}; expected true or false')
    if f"{model}_score" in obj:
        value = obj[f"{model}_score"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
            raise ValueError(f'"{model}_score" is {value!r}; expected a number in [0, 1]')
        return float(value)
    raise ValueError(f'no "{model}_correct" or "{model}_score"')


def parse_record(line: str, *, default_dataset: str = "data") -> Record:
    """Read one JSON line into a `Record`.

    Raises:
        ValueError: the line is not a JSON object in the expected format (the message says what is wrong).
    """
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON ({exc.msg} at column {exc.colno})") from exc
    if not isinstance(obj, dict):
        raise ValueError(f"a JSON {type(obj).__name__}, not an object")
    prompt = obj.get("prompt")
    if not isinstance(prompt, str):
        raise ValueError(f'"prompt" is {prompt!r:.60}; expected a string')
    weak, strong = _quality(obj, "weak"), _quality(obj, "strong")
    if not (math.isfinite(weak) and math.isfinite(strong)):
        raise ValueError("quality is not a finite number")
    dataset = obj.get("dataset", default_dataset)
    domain = obj.get("domain", dataset)
    return Record(prompt, weak, strong, str(dataset), str(domain))


def load_prompts(paths: Iterable[str | Path]) -> list[str]:
    """Read the ``"prompt"`` of every JSON line of `paths` (no quality labels needed), e.g. to calibrate.

    Raises:
        InputError: a line is not a JSON object with a string ``"prompt"`` (the message names the file and line).
        OSError: a file cannot be read.
    """
    prompts: list[str] = []
    for path in map(Path, paths):
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"{path}:{number}: invalid JSON ({exc.msg} at column {exc.colno})") from exc
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
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
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
