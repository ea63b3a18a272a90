"""Camera tilt from the attitude a quadrotor needs for its acceleration (the attitude group)."""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from greenroom.sim.flight.attitude import G, AttitudeTilt
from greenroom.sim.flight.config import FlightEnvConfig
from greenroom.sim.flight.env import FlightEnv


def test_first_order_tilt_by_hand() -> None:
    tilt = AttitudeTilt(tau=0.2, gain=1.0, dt=0.1)
    alpha = 1 - math.exp(-0.5)
    tilt.update(np.zeros(3), np.array([0.2, 0.0, 0.0]), yaw=0.0)        # 2 m/s^2 forward
    assert tilt.pitch == pytest.approx(alpha * math.atan2(2.0, G)) and tilt.roll == 0.0
    for _ in range(60):
        tilt.update(np.zeros(3), np.array([0.2, 0.0, 0.0]), yaw=0.0)
    assert tilt.pitch == pytest.approx(math.atan2(2.0, G), rel=1e-6)     # nose down, settled
    side = AttitudeTilt(tau=0.2, gain=1.0, dt=0.1)
    for _ in range(60):   # world +x acceleration seen at heading +90 deg is a rightward (-y) body acceleration
        side.update(np.zeros(3), np.array([0.2, 0.0, 0.0]), yaw=math.pi / 2)
    assert side.roll == pytest.approx(math.atan2(2.0, G), rel=1e-6) and abs(side.pitch) < 1e-9
    with pytest.raises(ValueError, match="tau > 0"):
        AttitudeTilt(0.0, 1.0, 0.1)


def _forward_axis_z(env: FlightEnv) -> float:
    """World z of the camera's viewing direction (MuJoCo cameras look along their -z)."""
    return float(-env.data.cam_xmat[env.camera_id].reshape(3, 3)[2, 2])


def test_camera_pitches_down_while_accelerating_and_state_restores_it() -> None:
    base = FlightEnvConfig.smoke().without_randomization()
    level = FlightEnv(base)
    tilted = FlightEnv(replace(base, randomization=replace(
        base.randomization, attitude=replace(base.randomization.attitude, enabled=True))))
    try:
        gains = [env.reset(seed=0)[1]["randomization"]["attitude"]["gain"] for env in (level, tilted)]
        assert gains[0] == 0.0 and 0.7 <= gains[1] <= 1.3                         # the group's samples
        forward = level.grid.twist(level.grid.center_index())
        for _ in range(2):                                                        # accelerate from rest
            _, _, _, _, info = tilted.step(forward)
            level.step(forward)
        assert _forward_axis_z(level) == pytest.approx(0.0, abs=1e-9)             # level camera
        assert _forward_axis_z(tilted) < -0.02                                    # nose down
        assert info["randomization"]["attitude"]["gain"] == gains[1]
        state = tilted.get_state()
        image = tilted.render_now().copy()
        for _ in range(3):
            tilted.step(tilted.grid.twist(0))
        tilted.set_state(state)
        np.testing.assert_array_equal(tilted.render_now(), image)
    finally:
        level.close()
        tilted.close()
