"""Random drops (``drop_model``): VPG waits 2 s after each dropped object, so each lands on a pile at rest."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pybullet as p
import pytest

from greenroom.sim.pushgrasp.config import PushGraspEnvConfig
from greenroom.sim.pushgrasp.placement import AT_REST_RAD_S, DROP_WAIT_STEPS
from greenroom.sim.pushgrasp.world import PushGraspWorld


def _drop_and_watch(model: str, blocks: int = 8) -> list[tuple[float, float, int]]:
    """Drop ``blocks`` random blocks; for each block after the first: the fastest linear (m/s) and angular
    (rad/s) speed of the blocks already there when it is added, and the steps stepped since the last one."""
    world = PushGraspWorld(replace(PushGraspEnvConfig.smoke(), drop_model=model))
    seen: list[tuple[float, float, int]] = []
    steps = [0]
    step, add_block = world.arm.step, world.add_block

    def counting_step(n: int) -> None:
        steps[0] += n
        step(n)

    def watching_add_block(*args, **kwargs) -> int:
        if world.objects:
            velocities = [p.getBaseVelocity(b, physicsClientId=world.client) for b in world.objects]
            seen.append((max(float(np.linalg.norm(v)) for v, _ in velocities),
                         max(float(np.linalg.norm(w)) for _, w in velocities), steps[0]))
        steps[0] = 0
        return add_block(*args, **kwargs)

    world.arm.step, world.add_block = counting_step, watching_add_block
    try:
        world.clear_blocks()
        world.drop_random(blocks, np.random.default_rng(3))
    finally:
        world.close()
    return seen


def test_each_dropped_block_lands_on_a_pile_at_rest() -> None:
    """``settle``: every block is added once the earlier ones are still (or after VPG's 2 s); ``legacy``
    (40 steps a block) adds blocks while the last one still falls or bounces."""
    settled = _drop_and_watch("settle")
    assert len(settled) == 7
    for linear, angular, steps in settled:
        assert steps <= DROP_WAIT_STEPS
        assert steps == DROP_WAIT_STEPS or (linear < 0.01 and angular < AT_REST_RAD_S), (linear, angular, steps)
    assert min(steps for _, _, steps in settled) < DROP_WAIT_STEPS  # it waits until at rest, not always 2 s
    legacy = _drop_and_watch("legacy")
    assert all(steps == 40 for _, _, steps in legacy)
    assert max(linear for linear, _, _ in legacy) > 0.05  # the previous block is still moving


def test_drop_model_is_checked() -> None:
    with pytest.raises(ValueError, match="drop_model"):
        replace(PushGraspEnvConfig.smoke(), drop_model="fast")
