"""The inherited `Scorer.arate`: inline for small conversations, in a worker thread above `offload_chars`."""

from __future__ import annotations

import threading

from langroute import Conversation, Score, Scorer


class ThreadRecorder(Scorer):
    def __init__(self) -> None:
        self.threads: list[int] = []

    def rate(self, conversation: Conversation) -> Score:
        self.threads.append(threading.get_ident())
        return Score(min(1.0, conversation.char_count / 100_000), "length")


async def test_small_conversations_are_rated_inline_on_the_event_loop_thread():
    scorer = ThreadRecorder()
    assert await scorer.ascore("x" * Scorer.offload_chars) == Scorer.offload_chars / 100_000
    assert scorer.threads == [threading.get_ident()]


async def test_big_conversations_are_rated_in_a_worker_thread_with_the_same_result():
    scorer = ThreadRecorder()
    big = [("user", "x" * 20_000), ("assistant", "y" * 20_000)]
    assert await scorer.ascore(big) == scorer.score(big) == 0.4
    assert scorer.threads[0] != threading.get_ident()
    assert scorer.threads[1] == threading.get_ident()


async def test_offload_chars_none_or_a_lower_limit_per_instance():
    inline, eager = ThreadRecorder(), ThreadRecorder()
    inline.offload_chars = None
    eager.offload_chars = 10
    await inline.ascore("x" * 100_000)
    await eager.ascore("x" * 11)
    assert inline.threads == [threading.get_ident()]
    assert eager.threads != [threading.get_ident()]
