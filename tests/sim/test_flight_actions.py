"""The flight action set: cad2rl reproduces the fixed-speed grid, clearance slows and turns in place."""
from __future__ import annotations

import numpy as np
import pytest

from greenroom.sim.flight.actions import ActionConfig, ActionSet
from greenroom.sim.flight.config import FlightEnvConfig
from greenroom.sim.flight.grid import DirectionGrid


def _grid() -> DirectionGrid:
    return DirectionGrid(3, 5, 90.0, 90.0, 1.0, 0.5, 1.5, 0.1)


def test_cad2rl_is_the_grid_twist_of_the_argmax() -> None:
    grid = _grid()
    actions = ActionSet(grid, ActionConfig.cad2rl())
    rng = np.random.default_rng(0)
    for values in rng.uniform(0, 1, (50, 3, 5)):
        index, twist = actions.act(values)
        assert index == int(values.argmax())
        np.testing.assert_array_equal(twist, grid.twist(index))
    low = np.full((3, 5), 0.01)
    np.testing.assert_array_equal(actions.act(low)[1], grid.twist(0))   # no turn in place in cad2rl
    with pytest.raises(ValueError, match="no turn-in-place"):
        actions.turn(1.0)


def test_clearance_speed_ramp_and_turn_in_place() -> None:
    grid = _grid()
    c = ActionConfig(min_speed=0.4, max_speed=1.5, turn_below=0.3, turn_rate=1.2)
    actions = ActionSet(grid, c)
    centre = grid.center_index()
    for value, speed in ((1.0, 1.5), (0.3, 0.4), (0.65, 0.4 + 1.1 * 0.5)):
        values = np.zeros(grid.size)
        values[centre] = value
        index, twist = actions.act(values)
        assert index == centre
        np.testing.assert_allclose(twist, [speed, 0.0, 0.0, 0.0], atol=1e-6)
    # a side cell: direction and yaw rate of the grid, horizontal speed scaled
    side = grid.index(1, 0)
    values = np.zeros(grid.size)
    values[side] = 1.0
    twist = actions.act(values)[1]
    unit = grid.twist(side)
    np.testing.assert_allclose(np.hypot(*twist[:2]), 1.5, rtol=1e-6)
    np.testing.assert_allclose(twist[:2] / 1.5, unit[:2], atol=1e-6)
    assert twist[3] == pytest.approx(unit[3])
    # nothing ahead is free: hover and yaw left, whatever cell is best
    for best in (grid.index(1, 0), centre, grid.index(1, 4)):
        values = np.full(grid.size, 0.05)
        values[best] = 0.29
        np.testing.assert_allclose(actions.act(values)[1], [0, 0, 0, 1.2], atol=1e-6)
    assert actions.limits_needed()[0] == pytest.approx(1.5) and actions.limits_needed()[3] == pytest.approx(1.5)


def test_turn_threshold_is_separate_from_the_speed_ramp_and_the_oracles_keep_theirs() -> None:
    """``turn_below`` above ``speed_from``: a cell valued between them turns in place; above it the speed
    is the ramp from ``speed_from`` (unchanged). The oracles turn only below ``speed_from``; with the
    two equal (contracts from before ``speed_from``) nothing differs."""
    grid = _grid()
    centre = grid.center_index()
    actions = ActionSet(grid, ActionConfig(turn_below=0.55, speed_from=0.3))
    values = np.zeros(grid.size)
    values[centre] = 0.5
    np.testing.assert_allclose(actions.act(values)[1], [0, 0, 0, 1.2], atol=1e-6)  # margin: turn in place
    oracle = actions.for_oracles()
    assert oracle.config.turn_below == 0.3 and oracle.config.speed_from == 0.3
    np.testing.assert_allclose(oracle.act(values)[1], [0.4 + 1.1 * 0.2 / 0.7, 0, 0, 0], atol=1e-6)
    values[centre] = 0.65
    np.testing.assert_allclose(actions.act(values)[1], oracle.act(values)[1], atol=1e-7)  # same speed above both
    default = ActionSet(grid, ActionConfig(turn_below=0.3))
    assert default.for_oracles() is default
    assert ActionConfig.from_dict({k: v for k, v in ActionConfig().to_dict().items() if k != "speed_from"}).speed_from == 0.3
    with pytest.raises(ValueError, match="speed_from"):
        ActionConfig(speed_from=1.0)


def test_action_config_round_trip_and_errors() -> None:
    c = ActionConfig(max_speed=1.2)
    assert ActionConfig.from_dict(c.to_dict()) == c
    assert ActionConfig.from_dict(None) == ActionConfig.cad2rl()
    with pytest.raises(ValueError, match=r"unknown keys \['speed'\]; valid: mode, min_speed"):
        ActionConfig.from_dict({"speed": 1.0})
    with pytest.raises(ValueError, match="actions.mode must be one of clearance, cad2rl"):
        ActionConfig(mode="fast")
    with pytest.raises(ValueError, match="max_forward_speed"):
        FlightEnvConfig(actions=ActionConfig(max_speed=3.0))
    with pytest.raises(ValueError, match="values must be 15 finite numbers"):
        ActionSet(_grid(), c).act(np.zeros(9))


def test_presets_allow_the_distance_cap_at_the_reference_speed() -> None:
    for config in (FlightEnvConfig.smoke(), FlightEnvConfig.cpu(), FlightEnvConfig.paper()):
        assert config.reachable_distance() >= 1.2 * config.max_distance
    assert FlightEnvConfig.cpu().max_distance == 40.0
