"""DirectionGrid: index <-> image mapping, geometry, twists, serialization (pure numpy)."""
from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from greenroom.sim.flight.config import FlightEnvConfig
from greenroom.sim.flight.grid import DirectionGrid


def make(rows: int = 3, cols: int = 5, **kw) -> DirectionGrid:
    args = dict(hfov_deg=90.0, vfov_deg=60.0, forward_speed=1.0, max_vertical_speed=0.5, max_yaw_rate=1.5,
                control_dt=0.1)
    args.update(kw)
    return DirectionGrid(rows, cols, **args)


def test_directions_are_unit_pinhole_rays_through_cell_centres():
    grid = make()
    d = grid.directions()
    assert d.shape == (15, 3)
    np.testing.assert_allclose(np.linalg.norm(d, axis=1), 1.0, atol=1e-12)
    # cell (r, c): image coordinates u (right +), v (down +) of the cell centre
    for index in range(grid.size):
        r, c = grid.cell(index)
        u, v = (c + 0.5) / 5 * 2 - 1, (r + 0.5) / 3 * 2 - 1
        y_over_x, z_over_x = d[index, 1] / d[index, 0], d[index, 2] / d[index, 0]
        assert y_over_x == pytest.approx(-u * math.tan(math.radians(45)))
        assert z_over_x == pytest.approx(-v * math.tan(math.radians(30)))


def test_extended_grid_adds_columns_beyond_the_image_and_keeps_the_cells_rays():
    grid = make()
    wide = grid.extended(1)
    assert (wide.rows, wide.cols) == (3, 7) and wide.vfov_deg == grid.vfov_deg
    # every cell keeps its width in the image plane: tan(hfov/2) grows by 7/5 (90 deg -> 109.3 deg)
    assert math.tan(math.radians(wide.hfov_deg) / 2) == pytest.approx(7 / 5)
    inner = wide.directions().reshape(3, 7, 3)[:, 1:-1].reshape(-1, 3)
    np.testing.assert_allclose(inner, grid.directions(), atol=1e-12)
    outer_left, outer_right = wide.angles().reshape(3, 7, 2)[1, [0, -1], 0]
    assert math.degrees(outer_left) > 45 and math.degrees(outer_right) < -45   # outside the 90 deg image
    assert grid.extended(0).hfov_deg == pytest.approx(grid.hfov_deg)
    assert grid.extended(0) is grid and grid.extended(1) is wide   # built once per width
    with pytest.raises(ValueError, match="extra >= 0"):
        grid.extended(-1)


def test_index_layout_row_major_top_left():
    grid = make()
    angles = grid.angles()
    assert grid.index(0, 0) == 0 and grid.index(2, 4) == 14 and grid.cell(7) == (1, 2)
    assert angles[grid.index(0, 2), 1] > 0            # row 0 = top of image = looking up
    assert angles[grid.index(2, 2), 1] < 0
    assert angles[grid.index(1, 0), 0] > 0            # col 0 = left = positive azimuth (y left)
    assert angles[grid.index(1, 4), 0] < 0
    assert grid.center_index() == 7
    np.testing.assert_allclose(grid.directions()[7], [1, 0, 0], atol=1e-12)
    # edge cells sit half a cell inside the field of view
    assert angles[grid.index(1, 0), 0] == pytest.approx(math.atan(0.8))


def test_twists_follow_the_direction_with_clipped_climb_and_turn():
    grid = make()
    np.testing.assert_allclose(grid.twist(7), [1, 0, 0, 0], atol=1e-6)
    left = grid.twist(grid.index(1, 1))
    az = math.atan(0.4)
    np.testing.assert_allclose(left[:2], [math.cos(az), math.sin(az)], atol=1e-6)
    assert left[3] == pytest.approx(1.5)              # az / dt = 3.8 rad/s clipped to 1.5
    up = grid.twist(grid.index(0, 2))
    assert up[2] == pytest.approx(min(0.5, math.tan(math.atan(2 / 3 * math.tan(math.radians(30))))))
    assert grid.twists().dtype == np.float32 and grid.twists().shape == (15, 4)
    slow_turn = make(max_yaw_rate=100.0)
    assert slow_turn.twist(slow_turn.index(1, 1))[3] == pytest.approx(az / 0.1, rel=1e-5)


def test_round_trip_through_json_and_from_config():
    grid = make(4, 6)
    again = DirectionGrid.from_dict(json.loads(json.dumps(grid.to_dict())))
    assert again == grid
    np.testing.assert_array_equal(again.twists(), grid.twists())
    cfg = FlightEnvConfig.cpu()
    from_cfg = DirectionGrid.from_config(cfg)
    assert (from_cfg.rows, from_cfg.cols) == (cfg.grid_rows, cfg.grid_cols)
    assert from_cfg.control_dt == pytest.approx(0.1)


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="rows, cols >= 1"):
        make(0, 3)
    with pytest.raises(ValueError, match="hfov_deg"):
        make(hfov_deg=190)
    with pytest.raises(ValueError, match="missing keys \\['control_dt'\\]"):
        DirectionGrid.from_dict({k: v for k, v in make().to_dict().items() if k != "control_dt"})
    with pytest.raises(IndexError, match="0, 15"):
        make().twist(15)


def test_grid_and_config_do_not_import_mujoco():
    code = ("import sys; import greenroom.sim.flight, greenroom.sim.flight.grid, greenroom.sim.flight.config; "
            "assert 'mujoco' not in sys.modules, 'mujoco imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
