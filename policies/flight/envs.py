"""The flight env as training and evaluation use it: rendering only when an image is needed.

Rendering the 64 px camera costs about 7.5 ms per control step on llvmpipe, physics about
0.2 ms. Many steps need no image: Monte Carlo branches while they fly the candidate direction or
between policy decisions, stage 1 exploration (steered by ground-truth free space), and the
image-free baselines. :class:`FlightEnv` has the public switch for that
(``render_enabled``: while False, ``step`` skips the camera and returns the last rendered
image, stale; physics, collisions, rewards and ``info`` are unaffected; ``reset`` always
renders; ``render_now()`` renders the current state). The helpers below use only that switch.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ...sim.flight.env import FlightEnv


class LazyRenderEnv(FlightEnv):
    """The FlightEnv the trainer and the evaluation build (kept as a name for their code)."""


def set_render(env: Any, enabled: bool) -> None:
    """Switch rendering of ``env`` (no-op for envs without the switch)."""
    if hasattr(env, "render_enabled"):
        env.render_enabled = enabled


@contextmanager
def rendering(env: Any, enabled: bool) -> Iterator[None]:
    """Temporarily switch rendering on or off."""
    before = getattr(env, "render_enabled", True)
    set_render(env, enabled)
    try:
        yield
    finally:
        set_render(env, before)


def render_now(env: FlightEnv) -> Any:
    """Render the current state (after steps taken with rendering off)."""
    return env.render_now()
