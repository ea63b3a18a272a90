"""FailureMemory: the deployment-side guard against repeating an action that changed nothing."""
from __future__ import annotations

import numpy as np

from greenroom.policies.runtime.failure_memory import FailureMemory

RES = 0.004  # m/cell, cpu preset


def _scene() -> np.ndarray:
    height = np.zeros((112, 112), np.float32)
    height[40:50, 60:70] = 0.04  # one 4 cm block
    return height


def _maps(best: tuple[int, int, int, int]) -> np.ndarray:
    maps = np.zeros((2, 4, 112, 112), np.float32)
    maps[best] = 1.0
    maps[0, 2, 90, 10] = 0.5  # the runner-up: a push far away
    return maps


def _greedy(maps: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(maps)), maps.shape))


def test_an_action_that_changed_nothing_is_not_chosen_again() -> None:
    memory = FailureMemory(RES)
    height, maps = _scene(), _maps((1, 0, 45, 65))
    first = _greedy(memory.mask(maps, height))
    assert first == (1, 0, 45, 65)
    memory.executed(first, height)
    masked = memory.mask(maps, height.copy())  # same heightmap: the grasp failed
    assert memory.failed == [(1, 45, 65)]
    second = _greedy(masked)
    assert second == (0, 2, 90, 10)
    # every rotation of that primitive is masked within the radius, other cells are untouched
    r = memory.radius_cells
    assert np.all(np.isneginf(masked[1, :, 45 - r:45 + r + 1, 65 - r:65 + r + 1]))
    assert masked[1, 0, 45, 65 + r + 1] == 0.0 and np.isfinite(masked[0]).all()
    assert np.array_equal(maps, _maps((1, 0, 45, 65)))  # the caller's maps are not modified


def test_a_change_clears_the_memory() -> None:
    memory = FailureMemory(RES)
    height, maps = _scene(), _maps((1, 0, 45, 65))
    memory.executed((1, 0, 45, 65), height)
    memory.mask(maps, height)
    assert memory.failed
    memory.executed((0, 2, 90, 10), height)
    moved = np.zeros_like(height)
    moved[70:80, 60:70] = 0.04  # the block was pushed away
    assert memory.observe(moved) is True
    assert memory.failed == []
    assert _greedy(memory.mask(maps, moved)) == (1, 0, 45, 65)


def test_small_noise_is_no_change_and_a_fully_masked_map_is_forgotten() -> None:
    memory = FailureMemory(RES, radius_m=1.0)  # a radius covering the whole map
    height = _scene()
    noisy = height + np.random.default_rng(0).normal(0.0, 0.002, height.shape).astype(np.float32)
    memory.executed((1, 0, 45, 65), height)
    assert memory.observe(noisy) is False  # depth noise below 1 cm is not a change
    memory.executed((0, 2, 90, 10), noisy)
    maps = _maps((1, 0, 45, 65))
    out = memory.mask(maps, noisy)
    assert out is maps and memory.failed == []  # both primitives masked everywhere: start afresh
    assert memory.observe(noisy) is None  # nothing pending any more


def test_pushing_a_block_back_and_forth_is_caught() -> None:
    """A push that returns the scene to a heightmap of a few actions before made no progress,
    though it changed the heightmap: both pushes of a ping-pong end up masked and the third choice
    is taken (a run on VPG's hard case 08 pushed back and forth for about 490 actions without this)."""
    memory = FailureMemory(RES)
    here, there = _scene(), np.zeros((112, 112), np.float32)
    there[40:50, 80:90] = 0.04  # the same block 8 cm to the right
    push_right, push_left, third = (0, 0, 45, 55), (0, 4, 45, 91), (1, 0, 20, 20)
    maps = np.zeros((2, 8, 112, 112), np.float32)
    maps[push_right], maps[push_left], maps[third] = 1.0, 1.0, 0.5
    maps_here, maps_there = maps.copy(), maps.copy()
    maps_here[push_left], maps_there[push_right] = 0.0, 0.0  # each side's best push moves the block across

    assert _greedy(memory.mask(maps_here, here)) == push_right
    memory.executed(push_right, here)
    assert _greedy(memory.mask(maps_there, there)) == push_left  # a new scene: nothing masked
    memory.executed(push_left, there)
    assert memory.observe(here) is False  # back where it was two actions ago
    assert memory.failed == [(0, 45, 91)]
    assert _greedy(memory.mask(maps_here, here)) == push_right  # still allowed: it led somewhere new once
    memory.executed(push_right, here)
    assert _greedy(memory.mask(maps_there, there)) == third  # both pushes of the cycle are masked now
    assert memory.failed == [(0, 45, 91), (0, 45, 55)]
    memory.reset()
    assert memory.failed == [] and memory.observe(here) is None
