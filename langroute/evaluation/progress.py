"""A dependency-free progress bar on stderr, shown only on a terminal (or when asked), so logs and tests stay clean.

```python
from langroute.evaluation.progress import ProgressBar

with ProgressBar("scoring", total=len(texts)) as bar:
    for text in texts:
        ...
        bar.advance()
```
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TextIO

__all__ = ["ProgressBar"]


class ProgressBar:
    """Draw ``label [#####.....] done/total`` on one line, redrawn at most every 1% of the work.

    Args:
        label: what is being done.
        total: the number of steps.
        enabled: draw it; ``None`` (the default) means only when `stream` is a terminal.
        stream: where to draw (stderr by default).
    """

    _WIDTH = 30

    def __init__(self, label: str, total: int, *, enabled: bool | None = None, stream: TextIO | None = None) -> None:
        self.label = label
        self.total = max(0, total)
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self._drawn = -1

    def advance(self, steps: int = 1) -> None:
        """Record `steps` more steps of work."""
        self.update(self.done + steps)

    def update(self, done: int, total: int | None = None) -> None:
        """Set the progress to `done` (of `total`, if it changed); usable as a ``progress(done, total)`` callback."""
        if total is not None:
            self.total = total
        self.done = min(done, self.total) if self.total else done
        permille = self.done * 1000 // self.total if self.total else 1000
        if self.enabled and (permille // 10 != self._drawn // 10 or self.done == self.total):
            self._drawn = permille
            filled = self._WIDTH * permille // 1000
            bar = "#" * filled + "." * (self._WIDTH - filled)
            self.stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total}")
            self.stream.flush()

    def close(self) -> None:
        """End the line (if anything was drawn)."""
        if self.enabled and self._drawn >= 0:
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
