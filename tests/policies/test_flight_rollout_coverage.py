"""Rollout tasks sample whole episodes, not only their first metres.

Found on the shipped run: with 16 states per task every task labelled only the first 48 steps
(about 5 m) of a fresh episode, so the states where the policy crashes (a wall ahead far down a
hallway) were almost never in its data (0-5 of 1,024 states per round with a true best value
below 0.4, against 0.06-0.22 at its crashes on held-out worlds).
"""
from __future__ import annotations

import numpy as np
import pytest

from greenroom.policies.common.config import resolve_config
from greenroom.policies.flight.config import FlightTrainConfig
from greenroom.policies.flight.rollout import FREE_SPACE, MONTE_CARLO, POLICY_FREE_SPACE, RolloutTask, Worker
from greenroom.policies.flight.trainer import make_tasks


def test_default_chunk_is_one_episode_of_samples_shared_by_the_workers() -> None:
    cpu = FlightTrainConfig.cpu()          # 600 steps, stage 1 every 2nd step, stage 2 every 3rd, 2 workers
    assert cpu.rollout.chunk_states == 0
    assert [t.states for t in make_tasks(cpu, FREE_SPACE, 1000, 0, None)] == [300, 300, 300, 100]
    assert [t.states for t in make_tasks(cpu, POLICY_FREE_SPACE, 1024, 0, None)] == [200] * 5 + [24]
    # few expensive Monte Carlo states: every worker still gets a task
    assert [t.states for t in make_tasks(cpu, MONTE_CARLO, 128, 0, None)] == [64, 64]
    explicit = resolve_config(FlightTrainConfig, "cpu", ["rollout.chunk_states=16"])
    assert [t.states for t in make_tasks(explicit, FREE_SPACE, 40, 7, None)] == [16, 16, 8]
    assert [t.task_id for t in make_tasks(explicit, FREE_SPACE, 40, 7, None)] == [7, 8, 9]
    with pytest.raises(ValueError, match="chunk_states >= 0"):
        resolve_config(FlightTrainConfig, "cpu", ["rollout.chunk_states=-1"])


def test_short_tasks_sample_late_steps_of_their_episodes() -> None:
    """Tasks of 4 states (an 8-step window of a 100-step smoke episode) start at a random step of
    their first episode; a window as long as an episode starts at its reset."""
    config = FlightTrainConfig.smoke()                       # max_steps 100, stage 1 sample_every 2
    assert config.rollout.chunk_states == 4
    worker = Worker(config)
    try:
        starts = []
        for task_id in range(8):
            result = worker.run(RolloutTask(FREE_SPACE, task_id, 4, 1000 + task_id))
            assert len(result.state_steps) == 4 == len(result.images)
            starts.append(result.state_steps[0])
        assert max(starts) > 8, f"every task sampled only its episode's first steps: {starts}"
        assert len(set(starts)) > 2
        whole = worker.run(RolloutTask(FREE_SPACE, 99, 50, 5))   # window 100 = max_steps: no skipped steps
        assert whole.state_steps[0] <= 1
        steps = np.asarray(whole.state_steps)
        resets = np.flatnonzero(np.diff(steps) < 0)            # a new episode restarts the step count
        within = np.split(steps, resets + 1)
        assert all((np.diff(part) == 2).all() for part in within)  # every 2nd step within an episode
    finally:
        worker.env.close()


def test_appearance_views_add_restyled_images_with_the_same_label() -> None:
    """appearance_views=3: each sampled state yields its flown image and two restyled ones, all
    labelled alike; the states themselves (and the default run's stream) are those of views=1."""
    single = FlightTrainConfig.smoke()
    triple = resolve_config(FlightTrainConfig, "smoke", ["appearance_views=3"])
    with pytest.raises(ValueError, match="appearance_views must be >= 1"):
        resolve_config(FlightTrainConfig, "smoke", ["appearance_views=0"])
    one, three = Worker(single), Worker(triple)
    try:
        a = one.run(RolloutTask(FREE_SPACE, 0, 4, 123))
        b = three.run(RolloutTask(FREE_SPACE, 0, 4, 123))
        assert len(b.state_steps) == 4 and len(b.images) == len(b.targets) == len(b.mask) == 12
        np.testing.assert_array_equal(b.images[0::3], a.images)      # the flown views are unchanged
        np.testing.assert_array_equal(b.targets[0::3], a.targets)
        for k in range(4):
            assert (b.targets[3 * k:3 * k + 3] == a.targets[k]).all()
            assert not np.array_equal(b.images[3 * k], b.images[3 * k + 1])
            assert not np.array_equal(b.images[3 * k + 1], b.images[3 * k + 2])
    finally:
        one.env.close()
        three.env.close()
