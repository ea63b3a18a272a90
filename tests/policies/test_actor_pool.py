"""The local actor pool's shutdown: bounded, whatever its actors left in the transitions queue."""
from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import pytest

from greenroom.policies.common.actor_pool import LocalActors, start_actor

BIGGER_THAN_A_PIPE_BUFFER = 1_000_000  # float32 values: 4 MB, a pipe holds 64 KiB
CRASH = 13  # the seed that makes actor 0 raise after its put


def _half_message_then_slow_exit(actor_id: int, config: Any, transitions: Any, weights: Any, stop: Any,
                                 seed: int) -> None:
    """Actor 0 puts a chunk nobody reads and exits at once (its feeder thread has written only part
    of it); actor 1 takes a while to stop, as an actor in the middle of a step does."""
    start_actor(transitions)
    if actor_id == 0:
        transitions.put(np.zeros(BIGGER_THAN_A_PIPE_BUFFER, np.float32))
        time.sleep(0.2)  # the feeder thread fills the pipe, then blocks on the unread rest
        if seed == CRASH:
            raise RuntimeError("actor crashed after putting a chunk")
        return
    while not stop.is_set():
        time.sleep(0.05)
    time.sleep(1.0)


def test_close_returns_when_an_exited_actor_left_half_a_chunk() -> None:
    pool = LocalActors("pool-test", _half_message_then_slow_exit, None, [0, 1], queue_size=4, close_timeout_s=10.0)
    pool.procs[0].join(timeout=60)
    assert pool.procs[0].exitcode == 0
    closer = threading.Thread(target=pool.close, daemon=True)
    started = time.monotonic()
    closer.start()
    closer.join(timeout=30)
    assert not closer.is_alive(), "close() blocked (reading the half-written chunk?)"
    assert all(not p.is_alive() for p in pool.procs)
    assert pool.procs[1].exitcode == 0  # stopped by the flag, not terminated
    assert time.monotonic() - started < 10.0


def test_a_read_after_an_actor_crashed_mid_chunk_reports_the_crash() -> None:
    pool = LocalActors("pool-test", _half_message_then_slow_exit, None, [CRASH, 0], queue_size=4)
    try:
        pool.procs[0].join(timeout=60)
        assert pool.procs[0].exitcode == 1
        with pytest.raises(RuntimeError, match="pool-test-0 died"):
            pool.before_read()  # reading the queue now would wait forever on the rest of the chunk
    finally:
        pool.close()
