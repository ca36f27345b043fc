"""JSONL export and import of a `FeedbackStore` (``langroute feedback export | import``).

One record per line, each with a ``"type"``::

    {"type": "decision", "id": "9f0c...", "time": 1767225600.0, "model": "small", "candidates": ["small", "large"], ...}
    {"type": "result", "id": "9f0c...", "served": "small", "input_tokens": 120, "output_tokens": 40, ...}
    {"type": "outcome", "id": "9f0c...", "score": 1.0, "comment": null, "time": 1767225700.0}

An export lists every decision, then every result, then every outcome, so an import can check each outcome's
decision as it goes. ``seq`` numbers are not exported: the importing store assigns its own.
"""

from __future__ import annotations

import json
import math
import numbers
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from typing import IO, TYPE_CHECKING, Any, Final

from langroute._atomic import open_atomically
from langroute.errors import InputError
from langroute.feedback import _store_schema as schema

if TYPE_CHECKING:
    from langroute.feedback.store import FeedbackStore

__all__ = ["export_records", "import_records"]

_CHUNK: Final = 500
_FORMAT: Final = 'expected one JSON object per line with "type" "decision", "result" or "outcome" (see export)'


def _lines(store: FeedbackStore) -> Iterator[dict[str, Any]]:
    for record in store.decisions():
        record.pop("seq")
        yield {"type": "decision", **record}
    for record in store.results():
        yield {"type": "result", "id": record["id"], **{f: record[f] for f in schema.RESULT_FIELDS}}
    for record in store.outcomes():
        yield {"type": "outcome", **{f: record[f] for f in ("id", "score", "comment", "time")}}


@contextmanager
def _writer(target: str | os.PathLike[str] | IO[str]) -> Iterator[IO[str]]:
    if isinstance(target, (str, os.PathLike)):
        with open_atomically(target) as handle:
            yield handle
    else:
        yield target


def export_records(store: FeedbackStore, target: str | os.PathLike[str] | IO[str]) -> dict[str, int]:
    """Write `store`'s records to `target` (a path, written atomically, or a text file); return the counts."""
    counts = {"decision": 0, "result": 0, "outcome": 0}
    with _writer(target) as handle:
        for line in _lines(store):
            counts[line["type"]] += 1
            handle.write(json.dumps(line, separators=(",", ":"), allow_nan=False) + "\n")
    return {f"{kind}s": n for kind, n in counts.items()}


def _outcome_row(record: dict[str, Any]) -> dict[str, Any]:
    decision_id, score, comment = schema.validate_outcome(record.get("id"), record.get("score"), record.get("comment"))
    when = record.get("time")
    if isinstance(when, bool) or not isinstance(when, numbers.Real) or not math.isfinite(when):
        raise InputError(f"outcome time={when!r}: expected a number (unix seconds)")
    return {"id": decision_id, "score": score, "comment": comment, "time": float(when)}


def _parse(line: str) -> tuple[str, dict[str, Any]]:
    """Validate one line; return its type and the row to insert."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON ({exc.msg} at column {exc.colno})") from exc
    if not isinstance(record, dict):
        raise InputError(_FORMAT)
    kind = record.pop("type", None)
    if kind == "decision":
        return kind, schema.decision_row(record, keep_text=True)
    if kind == "result":
        decision_id = record.pop("id", None)
        return kind, schema.result_row(decision_id, record)
    if kind == "outcome":
        return kind, _outcome_row(record)
    raise InputError(f"type={kind!r}: {_FORMAT}")


def import_records(store: FeedbackStore, tx: Any, source: str | os.PathLike[str] | IO[str]) -> dict[str, int]:
    """Insert the records of `source` through the open transaction `tx`; return the counts read.

    Raises:
        InputError: a malformed line or an outcome whose decision is neither stored nor earlier in the file; the
            message starts with ``file:line:``.
    """
    is_path = isinstance(source, (str, os.PathLike))
    name = os.fspath(source) if is_path else getattr(source, "name", "<stream>")
    counts = {"decision": 0, "result": 0, "outcome": 0}
    pending: dict[str, list[dict[str, Any]]] = {"decision": [], "result": []}

    def write_pending() -> None:
        for kind, rows in pending.items():
            store._import_rows(tx, kind, rows)
            rows.clear()

    opened = open(source, encoding="utf-8") if is_path else nullcontext(source)  # noqa: SIM115
    with opened as handle:
        lines: Iterable[str] = handle
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                kind, row = _parse(line)
                if not store.keep_text and kind == "decision":
                    row["text"] = None
                counts[kind] += 1
                if kind == "outcome":
                    write_pending()  # its decision may be in this file
                    store._import_rows(tx, kind, [row])
                else:
                    pending[kind].append(row)
                    if len(pending[kind]) >= _CHUNK:
                        write_pending()
            except InputError as exc:
                raise InputError(f"{name}:{number}: {exc}") from exc
        write_pending()
    return {f"{kind}s": n for kind, n in counts.items()}
