"""The bounded background writer behind `FeedbackStore.record_decision` and `record_result`.

Modelled on OpenTelemetry's ``BatchProcessor``: `put` appends to a bounded deque and never blocks on I/O nor
raises; a named daemon thread wakes every `interval` seconds (or as soon as a batch is full, a flush is asked for,
or the writer is closing) and hands what is queued to `write` in batches, one transaction each. When the queue is
full, `put` drops the item and counts it; a batch whose write fails is dropped, counted and logged. The drop count
is handed to `write` so the store persists it with the next batch.

The hot path takes no lock: ``deque.append`` is atomic, and the bound is checked without one (threads racing at
the bound may overshoot it by one item each). `flush` queues a marker and waits until the writer has committed
everything before it.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, Final

__all__ = ["BatchWriter"]

logger = logging.getLogger(__name__)

Item = tuple[str, Any]  # (kind, payload)
WriteBatch = Callable[[Sequence[Item], int], int]


class BatchWriter:
    """Queue items in memory and write them from one daemon thread, in batches.

    Args:
        write: ``write(items, dropped)`` writes `items` in one transaction, adds `dropped` to the persisted drop
            count and returns how many items it rejected as invalid (it persists those as drops too); it raises
            one of `errors` when the write fails.
        errors: the exceptions `write` may raise (the batch is then dropped and counted).
        max_queue: items held at most; `put` drops beyond that.
        batch_size: items per transaction at most.
        interval: seconds between writes while the queue holds less than a batch.
        name: the thread's name.
    """

    def __init__(
        self,
        write: WriteBatch,
        *,
        errors: tuple[type[BaseException], ...],
        max_queue: int,
        batch_size: int,
        interval: float,
        name: str,
    ) -> None:
        self._write: Final = write
        self._errors: Final = errors
        self._max_queue: Final = max_queue
        self._batch_size: Final = batch_size
        self._interval: Final = interval
        self._name: Final = name
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._queue: deque[Item | threading.Event] = deque()
        self._busy = False  # a batch is being written
        self._flushes = 0  # flush markers queued
        self._unsaved_drops = 0  # drops not yet handed to `write`
        self.dropped = 0  # every drop since this writer started: full queue, failed batch, put after close
        self._stopping = False
        self._dead = False
        self._thread: threading.Thread | None = None

    def put(self, kind: str, payload: object) -> bool:
        """Queue one item; return False (and count a drop) when the queue is full or the writer is closed."""
        queue = self._queue
        if self._stopping or len(queue) >= self._max_queue:
            with self._lock:
                self.dropped += 1
                self._unsaved_drops += 1
            return False
        queue.append((kind, payload))
        if self._thread is None:
            self._start()
        elif len(queue) == self._batch_size:
            with self._cond:
                self._cond.notify_all()
        return True

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()

    def queued(self) -> int:
        """Items accepted and not yet written (flush markers included)."""
        return len(self._queue)

    def unsaved_drops(self) -> int:
        """Drops not yet persisted by a batch."""
        with self._lock:
            return self._unsaved_drops

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every item queued before this call is written (or dropped); False on timeout."""
        with self._cond:
            if not self._queue and not self._busy:
                return True
            if self._dead or self._thread is None:
                return False
            marker = threading.Event()
            self._queue.append(marker)
            self._flushes += 1
            self._cond.notify_all()
        return marker.wait(timeout) and not self._dead

    def close(self, timeout: float | None = None) -> bool:
        """Write what is queued, stop the thread; False when it did not finish within `timeout`."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def _next_batch(self) -> tuple[list[Item], list[threading.Event], int] | None:
        """Wait for work; the next batch, the flush markers it satisfies and the drops to persist (None: stop)."""
        with self._cond:
            if len(self._queue) < self._batch_size and not self._stopping and not self._flushes:
                self._cond.wait(self._interval)
            if not self._queue and not self._unsaved_drops and self._stopping:
                return None
            batch: list[Item] = []
            markers: list[threading.Event] = []
            while self._queue and len(batch) < self._batch_size:
                item = self._queue.popleft()
                if isinstance(item, threading.Event):
                    markers.append(item)
                    self._flushes -= 1
                    break  # what came before the marker is written now
                batch.append(item)
            self._busy = bool(batch)
            drops, self._unsaved_drops = self._unsaved_drops, 0
            return batch, markers, drops

    def _run(self) -> None:
        finished = False
        try:
            while (work := self._next_batch()) is not None:
                batch, markers, drops = work
                if batch or drops:
                    self._write_one(batch, drops)
                for marker in markers:
                    marker.set()
            finished = True
        finally:
            with self._cond:
                self._dead = not finished  # a bug in `write` killed the thread: flush reports failure
                for item in self._queue:
                    if isinstance(item, threading.Event):
                        item.set()  # nobody waits forever on a writer that is gone

    def _write_one(self, batch: list[Item], drops: int) -> None:
        try:
            rejected = self._write(batch, drops)  # persisted with the batch
        except self._errors as exc:
            logger.warning("feedback store: dropped %d record(s), the write failed: %s", len(batch), exc)
            with self._cond:
                self._busy = False
                self.dropped += len(batch)
                # counted again with a later batch; a failing store that is closing gives up on persisting it
                self._unsaved_drops += len(batch) + (0 if self._stopping else drops)
            return
        with self._cond:
            self._busy = False
            self.dropped += rejected
