"""Heightmap correctness on an analytic scene, geometry conventions, and the torch/pybullet-free import."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from greenroom.sim.pushgrasp.geometry import (GRASP, MIN_PUSH_TRAVEL, PUSH, PrimitiveGeometry, plan_primitive, pixel_to_world,
                                             valid_push_mask, world_to_pixel)
from greenroom.sim.pushgrasp.heightmap import (Intrinsics, Workspace, change_threshold, changed_cells, fill_holes,
                                               heightmap, look_at_pose)

BOX_MIN = np.array([-0.55, -0.05, 0.0])
BOX_MAX = np.array([-0.45, 0.03, 0.05])


def render_box_scene(k: Intrinsics, pose: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ray-cast a table (z = 0) with one axis-aligned box: depth along the optical axis + colours."""
    u, v = np.meshgrid(np.arange(k.width), np.arange(k.height))
    rays_cam = np.stack([(u - k.cx) / k.fx, (v - k.cy) / k.fy, np.ones_like(u, float)], -1)  # z = 1
    rays = rays_cam @ pose[:3, :3].T
    origin = pose[:3, 3]
    t_table = -origin[2] / rays[..., 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        t0 = (BOX_MIN - origin) / rays
        t1 = (BOX_MAX - origin) / rays
    t_near = np.minimum(t0, t1).max(-1)
    t_far = np.maximum(t0, t1).min(-1)
    hit_box = (t_near <= t_far) & (t_near > 0)
    t = np.where(hit_box, t_near, t_table)  # t along a ray with camera z = 1 is the optical depth
    color = np.zeros((*t.shape, 3), np.uint8)
    color[...] = (90, 90, 90)
    color[hit_box] = (200, 30, 30)
    return color, t.astype(np.float32)


@pytest.fixture()
def scene():
    k = Intrinsics.realsense_d415(320, 240)
    pose = look_at_pose(np.array([-0.48, 0.02, 0.7]), np.array([-0.5, 0.0, 0.0]), np.array([-1.0, 0.0, 0.0]))
    color, depth = render_box_scene(k, pose)
    return k, pose, color, depth


def test_heightmap_recovers_box_height_and_colour(scene) -> None:
    k, pose, color, depth = scene
    ws = Workspace()
    cmap, hmap = fill_holes(*heightmap(color, depth, k, pose, ws, 0.004))
    assert hmap.shape == (112, 112) and cmap.shape == (112, 112, 3) and cmap.dtype == np.uint8
    r0, c0 = world_to_pixel(-0.54, -0.04, ws, 0.004)
    r1, c1 = world_to_pixel(-0.46, 0.02, ws, 0.004)
    inner = hmap[r0:r1, c0:c1]
    assert np.allclose(inner, 0.05 + 0.0001, atol=1.5e-3), (inner.min(), inner.max())
    assert (cmap[r0:r1, c0:c1] == (200, 30, 30)).all()
    far = hmap[:10, :10]
    assert np.allclose(far, 0.0001, atol=1.5e-3)
    # the box footprint matches its true area within a cell's border
    area = np.count_nonzero(hmap > 0.025) * 0.004**2
    assert abs(area - 0.1 * 0.08) < 0.0015


def test_heightmap_ignores_holes_and_nan(scene) -> None:
    k, pose, color, depth = scene
    depth = depth.copy()
    depth[::7, ::5] = 0.0
    depth[100:110, 100:110] = np.nan
    _, hmap = heightmap(color, depth, k, pose, Workspace(), 0.004)
    assert np.isfinite(hmap).all() and hmap.max() < 0.06


def test_depth_noise_on_the_table_leaves_no_holes(scene) -> None:
    k, pose, color, depth = scene
    noisy = depth + np.random.default_rng(0).normal(0, 0.002, depth.shape).astype(np.float32)
    cmap, hmap = heightmap(color, noisy, k, pose, Workspace(), 0.004)
    assert np.mean(~cmap.any(axis=2)) < 0.01 and hmap.min() >= 0.0


def test_heightmap_rejects_bad_inputs(scene) -> None:
    k, pose, color, depth = scene
    with pytest.raises(ValueError, match="intrinsics"):
        heightmap(color[:100], depth[:100], k, pose, Workspace(), 0.004)
    with pytest.raises(ValueError, match="camera_pose"):
        heightmap(color, depth, k, np.eye(3), Workspace(), 0.004)


def test_change_detection_and_threshold() -> None:
    a = np.zeros((64, 64), np.float32)
    b = a.copy()
    b[:10, :10] = 0.05
    assert changed_cells(a, b) == 100
    b[20, 20] = 0.5  # > 0.3 m jumps are sensor errors, not changes (VPG)
    assert changed_cells(a, b) == 100
    assert change_threshold(0.002) == 300 and change_threshold(0.004) == 75


def test_fill_holes_fills_only_empty_cells() -> None:
    h = np.full((8, 8), 0.03, np.float32)
    c = np.full((8, 8, 3), 100, np.uint8)
    h[4, 4] = 0.0
    c[4, 4] = 0
    c2, h2 = fill_holes(c, h)
    assert h2[4, 4] == pytest.approx(0.03) and (c2[4, 4] == 100).all()


def test_primitive_geometry_conventions() -> None:
    ws = Workspace()
    hmap = np.zeros((112, 112), np.float32)
    hmap[50:60, 50:60] = 0.04
    point = pixel_to_world(55, 55, hmap, ws, 0.004)
    assert point[2] == pytest.approx(0.04 + ws.z_min)
    grasp = plan_primitive((GRASP, 2, 55, 55), hmap, ws, 0.004, 8, PrimitiveGeometry())
    assert grasp.target[2] == pytest.approx(0.01 + ws.z_min)  # 3 cm below 4 cm, floor clamp 1 cm
    push = plan_primitive((PUSH, 2, 55, 40), hmap, ws, 0.004, 8, PrimitiveGeometry())
    assert np.allclose(push.end - push.target, [0.0, 0.1, 0.0], atol=1e-9)  # rotation 2 of 8 = +y
    with pytest.raises(ValueError, match="rotation"):
        plan_primitive((PUSH, 8, 1, 1), hmap, ws, 0.004, 8, PrimitiveGeometry())


@pytest.mark.parametrize("rotation", range(8))
def test_pushes_stop_short_of_the_workspace_edge(rotation: int) -> None:
    """A push never ends within ``push_edge_margin`` of the edge; inward pushes keep their length."""
    ws, geometry = Workspace(), PrimitiveGeometry()
    hmap = np.zeros((112, 112), np.float32)
    low = np.array([ws.x_min, ws.y_min]) + geometry.push_edge_margin - 1e-9
    high = np.array([ws.x_max, ws.y_max]) - geometry.push_edge_margin + 1e-9
    lengths = []
    for row, col in ((2, 2), (2, 109), (109, 2), (109, 109), (56, 56), (56, 3), (3, 56)):
        push = plan_primitive((PUSH, rotation, row, col), hmap, ws, 0.004, 8, geometry)
        start_inside = np.all((push.target[:2] >= low) & (push.target[:2] <= high))
        assert not start_inside or np.all((push.end[:2] >= low) & (push.end[:2] <= high)), (row, col, push.end)
        step = push.end - push.target
        length = float(np.linalg.norm(step))
        assert length <= geometry.push_length + 1e-9
        if length > 0:  # still along the chosen direction, never backwards
            assert np.allclose(step / length, [np.cos(push.angle), np.sin(push.angle), 0.0], atol=1e-9)
        lengths.append(length)
    assert lengths[4] == pytest.approx(geometry.push_length)  # from the centre: the full 10 cm


def test_pushes_in_the_edge_band_must_head_inward() -> None:
    """Run 8 of the Table I trace: fingers sliding along the edge (1.8 cm inside it) shoved a block lying
    half over it out. Within ``push_edge_margin`` of an edge a push moves only if it heads inward by
    ``push_edge_min_inward``; the default 0 keeps the rule before (only outward pushes stop)."""
    ws, geometry = Workspace(), PrimitiveGeometry(push_edge_min_inward=0.7)
    hmap = np.zeros((112, 112), np.float32)
    col = 4  # x_min + 1.8 cm: inside the 4 cm band of the x_min edge
    along_edge = plan_primitive((PUSH, 6, 56, col), hmap, ws, 0.004, 8, geometry)  # -y, parallel to the edge
    assert np.allclose(along_edge.end, along_edge.target)
    inward = plan_primitive((PUSH, 0, 56, col), hmap, ws, 0.004, 8, geometry)  # +x, straight in
    assert np.linalg.norm(inward.end - inward.target) == pytest.approx(geometry.push_length)
    diagonal = plan_primitive((PUSH, 7, 56, col), hmap, ws, 0.004, 8, geometry)  # +x -y: cos 45 deg inward
    assert np.linalg.norm(diagonal.end - diagonal.target) == pytest.approx(geometry.push_length)
    before = PrimitiveGeometry()
    old_rule = plan_primitive((PUSH, 6, 56, col), hmap, ws, 0.004, 8, before)
    assert np.linalg.norm(old_rule.end - old_rule.target) == pytest.approx(geometry.push_length)
    with pytest.raises(ValueError, match="push_edge_min_inward"):
        PrimitiveGeometry(push_edge_min_inward=1.5)


@pytest.mark.parametrize("min_inward, view_margin", [(0.0, 0.0), (0.7, 0.0), (0.0, 0.032)])
def test_valid_push_mask_is_the_pushes_that_move(min_inward: float, view_margin: float) -> None:
    """The mask choosers apply before the argmax is exactly the pushes plan_primitive lets travel
    MIN_PUSH_TRAVEL or more (checked cell by cell on a coarse map). With a view margin the map
    reaches past the workspace, and pushes still end inside it, ``push_edge_margin`` short."""
    ws, geometry = Workspace(), PrimitiveGeometry(push_edge_min_inward=min_inward)
    view = ws.expanded(view_margin)
    resolution = 0.016  # 28 x 28 cells (32 x 32 with the margin)
    size = view.shape(resolution)[0]
    mask = valid_push_mask(size, view, resolution, 8, geometry, bounds=ws)
    hmap = np.zeros((size, size), np.float32)
    inner = np.array([[ws.x_min, ws.y_min], [ws.x_max, ws.y_max]]) + [[geometry.push_edge_margin] * 2,
                                                                        [-geometry.push_edge_margin] * 2]
    for rotation in range(8):
        for row in range(size):
            for col in range(size):
                plan = plan_primitive((PUSH, rotation, row, col), hmap, view, resolution, 8, geometry, bounds=ws)
                moves = np.linalg.norm(plan.end - plan.target) >= MIN_PUSH_TRAVEL
                assert mask[rotation, row, col] == moves, (rotation, row, col)
                if moves:  # it ends inside the workspace, or at least no further out than it started
                    out_before = np.maximum(inner[0] - plan.target[:2], plan.target[:2] - inner[1]).clip(0)
                    out_after = np.maximum(inner[0] - plan.end[:2], plan.end[:2] - inner[1]).clip(0)
                    assert np.all(out_after <= out_before + 1e-9), (rotation, row, col)
    assert mask[:, size // 2, size // 2].all() and not mask.flags.writeable
    if view_margin:  # from the margin band, inward pushes move and outward ones do not
        assert mask[0, size // 2, 0] and not mask[4, size // 2, 0]


def test_heightmap_module_imports_neither_pybullet_nor_torch() -> None:
    code = ("import sys, greenroom.sim.pushgrasp, greenroom.sim.pushgrasp.heightmap, greenroom.sim.pushgrasp.testcases, "
            "greenroom.sim.pushgrasp.geometry; bad=[m for m in ('pybullet','torch') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)
