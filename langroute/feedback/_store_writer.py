"""The bounded background writer behind `FeedbackStore.record_decision` and `record_result`.

Modelled on OpenTelemetry's ``BatchProcessor``: `put` appends to a bounded deque under a lock and never blocks on
I/O nor raises; a named daemon thread wakes every `interval` seconds (or as soon as a batch is full, or a flush is
asked for) and hands what is queued to `write` in batches, one transaction each. When the queue is full, `put`
drops the item and counts it; a batch whose write fails is dropped, counted and logged. The drop count is handed
to `write` so the store can persist it with the next batch.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, Final

__all__ = ["BatchWriter"]

logger = logging.getLogger(__name__)

Item = tuple[str, str, Any]  # (kind, decision id, payload)
WriteBatch = Callable[[Sequence[Item], int], int]


class BatchWriter:
    """Queue items in memory and write them from one daemon thread, in batches.

    Args:
        write: ``write(items, dropped)`` writes `items` in one transaction, adds `dropped` to the persisted drop
            count and returns how many items it rejected as invalid (they count as drops); it raises one of
            `errors` when the write fails.
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
        self._cond = threading.Condition(threading.Lock())
        self._queue: deque[Item] = deque()
        self._pending: dict[str, int] = {}  # id -> items queued or being written
        self._enqueued = 0  # items accepted by put
        self._done = 0  # items written or dropped after being accepted
        self._flush_target = 0
        self._unsaved_drops = 0  # drops not yet handed to `write`
        self.dropped = 0  # every drop since this writer started: full queue, failed batch, put after close
        self._stopping = False
        self._thread: threading.Thread | None = None

    def put(self, kind: str, key: str, payload: object) -> bool:
        """Queue one item; return False (and count a drop) when the queue is full or the writer is closed."""
        with self._cond:
            if self._stopping or len(self._queue) >= self._max_queue:
                self.dropped += 1
                self._unsaved_drops += 1
                return False
            self._queue.append((kind, key, payload))
            self._pending[key] = self._pending.get(key, 0) + 1
            self._enqueued += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            elif len(self._queue) == self._batch_size:
                self._cond.notify_all()
            return True

    def pending(self, key: str) -> bool:
        """Whether an item with `key` is queued or being written."""
        with self._cond:
            return key in self._pending

    def queued(self) -> int:
        """Items accepted and not yet written."""
        with self._cond:
            return self._enqueued - self._done

    def unsaved_drops(self) -> int:
        """Drops not yet persisted by a batch."""
        with self._cond:
            return self._unsaved_drops

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every item queued before this call is written (or dropped); False on timeout."""
        with self._cond:
            target = self._enqueued
            if self._done >= target:
                return True
            self._flush_target = max(self._flush_target, target)
            self._cond.notify_all()
            return self._cond.wait_for(lambda: self._done >= target or not self._alive(), timeout) and (
                self._done >= target
            )

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

    def _alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _next_batch(self) -> tuple[list[Item], int] | None:
        """Wait for work; the next batch and the drops to persist, or None when stopping with nothing left."""
        with self._cond:
            hurry = self._stopping or self._flush_target > self._done
            if len(self._queue) < self._batch_size and not hurry:
                self._cond.wait(self._interval)
            if not self._queue and not self._unsaved_drops and self._stopping:
                return None
            batch = [self._queue.popleft() for _ in range(min(self._batch_size, len(self._queue)))]
            drops, self._unsaved_drops = self._unsaved_drops, 0
            return batch, drops

    def _run(self) -> None:
        while (work := self._next_batch()) is not None:
            batch, drops = work
            if not batch and not drops:
                continue
            try:
                rejected = self._write(batch, drops)  # persisted with the batch
            except self._errors as exc:
                logger.warning("feedback store: dropped %d record(s), the write failed: %s", len(batch), exc)
                with self._cond:
                    self.dropped += len(batch)
                    # counted again with a later batch; a failing store that is closing gives up on persisting it
                    self._unsaved_drops += len(batch) + (0 if self._stopping else drops)
            else:
                with self._cond:
                    self.dropped += rejected
            with self._cond:
                for _, key, _ in batch:
                    left = self._pending[key] - 1
                    if left:
                        self._pending[key] = left
                    else:
                        del self._pending[key]
                self._done += len(batch)
                self._cond.notify_all()
