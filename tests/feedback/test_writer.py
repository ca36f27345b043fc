"""The background writer as a state machine: whatever the interleaving, nothing accepted is lost or reordered."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from langroute.feedback._store_writer import BatchWriter


class WriteFailed(Exception):
    pass


class WriterMachine(RuleBasedStateMachine):
    """Invariants after every flush: the items written, plus those of failed batches, are exactly the accepted
    items in order; ``dropped`` counts the refused and the failed ones; the drops handed to `write` never exceed
    ``dropped``."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.written: list[int] = []
        self.failed: list[int] = []
        self.persisted_drops = 0
        self.fail_next = False
        self.accepted: list[int] = []
        self.refused = 0
        self.counter = 0
        self.writer = BatchWriter(
            self.write, errors=(WriteFailed,), max_queue=8, batch_size=3, interval=3600, name="test-writer"
        )
        self.closed = False

    def write(self, items: Sequence[tuple[str, int]], dropped: int) -> int:
        with self.lock:
            if self.fail_next:
                self.fail_next = False
                self.failed += [payload for _, payload in items]
                raise WriteFailed("disk full")
            self.written += [payload for _, payload in items]
            self.persisted_drops += dropped
        return 0

    @precondition(lambda self: not self.closed)
    @rule(count=st.integers(1, 12))
    def put(self, count: int) -> None:
        for _ in range(count):
            self.counter += 1
            if self.writer.put("decision", self.counter):
                self.accepted.append(self.counter)
            else:
                self.refused += 1

    @rule()
    def fail_the_next_write(self) -> None:
        with self.lock:
            self.fail_next = True

    @precondition(lambda self: not self.closed)
    @rule()
    def flush(self) -> None:
        assert self.writer.flush(timeout=60)
        assert self.writer.queued() == 0
        with self.lock:
            assert sorted(self.written + self.failed) == self.accepted
            assert [i for i in self.accepted if i not in set(self.failed)] == self.written  # in order

    @rule()
    def close(self) -> None:
        assert self.writer.close(timeout=60)
        self.closed = True
        with self.lock:
            assert sorted(self.written + self.failed) == self.accepted

    @invariant()
    def drops_are_counted(self) -> None:
        with self.lock:
            failed = len(self.failed)
            persisted = self.persisted_drops
        assert self.writer.dropped == self.refused + failed
        assert persisted <= self.writer.dropped

    def teardown(self) -> None:
        self.writer.close(timeout=60)


WriterMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=25, deadline=None, derandomize=True, database=None
)
TestWriter = WriterMachine.TestCase
