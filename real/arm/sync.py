"""Approximate-time pairing of camera streams (colour, depth, camera_info) by ``header.stamp``.

``message_filters`` (which provides ``ApproximateTimeSynchronizer``) is not published as a pip
wheel for ROS 2 Kilted (``pip install ros-message-filters``: no matching distribution), so this
small ROS-free class does the part greenroom needs: keep the last few messages of each stream and
emit the newest tuple whose stamps all lie within ``slop`` seconds of each other. Each message is
used at most once per stream, so a stopped stream stops producing tuples (a stopped camera
produces no new decisions).

It is deliberately simpler than message_filters' policy (which searches for the globally
tightest set): for a policy that decides on the *latest* scene, the newest matching tuple is what
matters. Not thread-safe by itself; call :meth:`add` from one callback group.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from typing import Any


def stamp_seconds(msg: Any) -> float:
    """``msg.header.stamp`` as float seconds."""
    stamp = msg.header.stamp
    return float(stamp.sec) + 1e-9 * float(stamp.nanosec)


class ApproximateTimeSync:
    """Emit tuples of messages (one per stream) whose header stamps lie within ``slop`` seconds.

    Args:
        num_streams: number of input streams (>= 2).
        callback: called as ``callback(*messages)`` (in stream order) for each matched tuple.
        slop: largest allowed spread of the stamps in a tuple (s, > 0).
        queue_size: messages kept per stream (>= 1); older ones are dropped.
        stamp_of: stamp extractor (seconds); ``header.stamp`` by default.
    """

    def __init__(
        self,
        num_streams: int,
        callback: Callable[..., None],
        slop: float = 0.05,
        queue_size: int = 5,
        stamp_of: Callable[[Any], float] = stamp_seconds,
    ) -> None:
        if num_streams < 2:
            raise ValueError(f"num_streams must be >= 2, got {num_streams}")
        if not slop > 0:
            raise ValueError(f"slop must be > 0 s, got {slop}")
        if queue_size < 1:
            raise ValueError(f"queue_size must be >= 1, got {queue_size}")
        self._queues: list[deque[tuple[float, Any]]] = [deque(maxlen=queue_size) for _ in range(num_streams)]
        self._callback = callback
        self._stamp_of = stamp_of
        self.slop = float(slop)
        self.matched = 0
        """Number of tuples emitted so far."""

    def add(self, stream: int, msg: Any) -> bool:
        """Add ``msg`` to ``stream``; returns True when it completed a tuple (callback was called)."""
        self._queues[stream].append((self._stamp_of(msg), msg))
        match = self._newest_match()
        if match is None:
            return False
        picked = [entry[1] for entry in match]
        # Drop the used messages and everything older: each message is used once.
        for queue, (stamp, _) in zip(self._queues, match):
            while queue and queue[0][0] <= stamp:
                queue.popleft()
        self.matched += 1
        self._callback(*picked)
        return True

    def _newest_match(self) -> Sequence[tuple[float, Any]] | None:
        if any(not queue for queue in self._queues):
            return None
        best: list[tuple[float, Any]] | None = None
        # Anchor on each message of the first stream, newest first; take the closest partner in
        # every other stream and accept the first anchor whose spread fits in the slop.
        for anchor in reversed(self._queues[0]):
            chosen = [anchor]
            for queue in self._queues[1:]:
                chosen.append(min(queue, key=lambda entry: abs(entry[0] - anchor[0])))
            stamps = [entry[0] for entry in chosen]
            if max(stamps) - min(stamps) <= self.slop:
                best = chosen
                break
        return best

    def reset(self) -> None:
        """Forget every queued message."""
        for queue in self._queues:
            queue.clear()
