"""PushGrasp-v0: checkers, primitives acting on blocks, recovery, block set, test cases."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pybullet as p
import pytest

from greenroom.sim.pushgrasp.blocks import BLOCK_NAMES, make_block_set
from greenroom.sim.pushgrasp.config import PushGraspEnvConfig
from greenroom.sim.pushgrasp.env import PushGraspEnv
from greenroom.sim.pushgrasp.geometry import GRASP, PUSH, world_to_pixel
from greenroom.sim.pushgrasp.testcases import (ObjectSpec, hard_arrangement, load_vpg_test_case, save_vpg_test_case)
from greenroom.sim.pushgrasp.world import PushGraspWorld


@pytest.fixture(scope="module")
def env():
    environment = PushGraspEnv(replace(PushGraspEnvConfig.smoke(), num_rotations=8, resolution=0.004,
                                       image_width=320, image_height=240))
    yield environment
    environment.close()


def _isolated(name: str, xy=(-0.5, 0.05)) -> list[ObjectSpec]:
    half = float(next(s for s in make_block_set() if s.name == name).extent[2] / 2)
    return [ObjectSpec(name, (0.9, 0.2, 0.2), (xy[0], xy[1], half + 0.001), (0.0, 0.0, 0.0))]


@pytest.mark.slow
def test_env_passes_gymnasium_and_sb3_checkers() -> None:
    from gymnasium.utils.env_checker import check_env
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    environment = PushGraspEnv(PushGraspEnvConfig.smoke())
    try:
        check_env(environment, skip_render_check=True)
        sb3_check_env(environment, warn=False)
    finally:
        environment.close()


def test_registered_id_makes_the_env() -> None:
    import gymnasium as gym

    import greenroom.sim  # noqa: F401  (registers the ids)

    environment = gym.make("greenroom/PushGrasp-v0", config=PushGraspEnvConfig.smoke())
    try:
        obs, info = environment.reset(seed=3)
        assert obs["color"].dtype == np.uint8 and obs["height"].shape == (64, 64)
        assert set(info["randomization"]) >= {"lighting", "camera_pose", "depth_noise", "friction", "mass"}
    finally:
        environment.close()


def test_grasp_on_an_isolated_block_succeeds(env) -> None:
    cfg = env.config
    for name in ("cube", "cylinder"):
        obs, info = env.reset(seed=1, options={"objects": _isolated(name)})
        assert info["num_objects"] == 1
        row, col = world_to_pixel(-0.5, 0.05, cfg.workspace, cfg.resolution)
        assert obs["height"][row, col] > 0.02
        obs, reward, terminated, truncated, info = env.step(np.array([GRASP, 0, row, col]))
        assert info["grasp_success"] and info["reward_terms"] == {"grasp": 1.0, "push": 0.0}
        assert reward == pytest.approx(sum(info["reward_terms"].values()))
        assert terminated and info["num_objects"] == 0


def test_grasp_on_empty_table_fails_and_push_moves_a_block(env) -> None:
    cfg = env.config
    obs, _ = env.reset(seed=2, options={"objects": _isolated("cuboid")})
    row, col = world_to_pixel(-0.35, -0.15, cfg.workspace, cfg.resolution)
    obs, reward, terminated, truncated, info = env.step(np.array([GRASP, 0, row, col]))
    assert not info["grasp_success"] and reward == 0.0 and not info["changed"]
    before = env.world.object_positions()[0]
    row, col = world_to_pixel(-0.56, 0.05, cfg.workspace, cfg.resolution)  # 6 cm behind the block, push +x
    obs, reward, terminated, truncated, info = env.step(np.array([PUSH, 0, row, col]))
    after = env.world.object_positions()[0]
    assert after[0] - before[0] > 0.02, (before, after)
    assert info["changed"] and info["reward_terms"]["push"] == 0.5


def test_view_margin_shows_a_block_on_the_edge_whole_and_grasps_it_there() -> None:
    """``view_margin``: the heightmap reaches past the workspace edge, so a cube resting across the
    x_min edge is mapped whole (without it, only its inner part) and a grasp at its centre, outside
    the workspace, lifts it; the block still counts as in play (part of it is over the workspace)."""
    base = replace(PushGraspEnvConfig.smoke(), num_rotations=8, resolution=0.004, image_width=320, image_height=240)
    ws = base.workspace
    block = _isolated("cube", xy=(ws.x_min - 0.005, 0.0))
    seen = {}
    for margin in (0.0, 0.032):
        environment = PushGraspEnv(replace(base, view_margin=margin))
        try:
            assert environment.observation_space["height"].shape == (112 + 2 * round(margin / 0.004),) * 2
            obs, info = environment.reset(seed=5, options={"objects": block})
            assert info["num_objects"] == 1 and info["objects_on_edge"] == 1
            seen[margin] = np.count_nonzero(obs["height"] > 0.02)
            if margin:
                row, col = world_to_pixel(ws.x_min - 0.005, 0.0, environment.config.view, environment.config.resolution)
                assert col < round(margin / 0.004) and obs["height"][row, col] > 0.02
                _, _, terminated, _, info = environment.step(np.array([GRASP, 2, row, col]))
                assert info["grasp_success"] and terminated
        finally:
            environment.close()
    assert seen[0.032] > 1.6 * seen[0.0], seen
    with pytest.raises(ValueError, match="view_margin"):
        replace(base, view_margin=0.5)


def test_grasps_near_the_base_reach_with_either_hand_yaw(env) -> None:
    """Near the arm's base the wrist's joint limits reach some grasp yaws only with the hand turned by
    pi (the jaws are symmetric). With ``tool_yaw_model=legacy`` (one hand yaw per jaw direction) some
    rotations at x = -0.30 m fail to reach their target, so the grasp fails and nothing changes;
    with ``either`` (as the ROS executor's IK) every rotation grasps the cube."""
    cfg = env.config
    assert cfg.tool_yaw_model == "legacy"  # the default (README: the trained policies were trained with it)
    either = PushGraspEnv(replace(cfg, tool_yaw_model="either"))
    try:
        outcomes = {}
        for name, environment in (("either", either), ("legacy", env)):
            successes = []
            for rotation in range(cfg.num_rotations):
                environment.reset(seed=6, options={"objects": _isolated("cube", xy=(-0.30, 0.0))})
                row, col = world_to_pixel(-0.30, 0.0, cfg.view, cfg.resolution)
                _, _, _, _, info = environment.step(np.array([GRASP, rotation, row, col]))
                successes.append(bool(info["grasp_success"]))
            outcomes[name] = successes
    finally:
        either.close()
    assert all(outcomes["either"]) and not all(outcomes["legacy"]), outcomes
    with pytest.raises(ValueError, match="tool_yaw_model"):
        replace(cfg, tool_yaw_model="flip")


def test_recovers_from_a_broken_simulator_state(env) -> None:
    obs, _ = env.reset(seed=4, options={"num_objects": 3})
    body = env.world.objects[0]
    p.resetBasePositionAndOrientation(body, [float("nan")] * 3, [0, 0, 0, 1], physicsClientId=env.world.client)
    obs, reward, terminated, truncated, info = env.step(np.array([PUSH, 0, 5, 5]))
    assert info["recovered"] and truncated and reward == 0.0
    assert np.isfinite(obs["height"]).all() and env.world.is_sane()
    obs, reward, terminated, truncated, info = env.step(np.array([PUSH, 1, 5, 5]))
    assert not info["recovered"]


def test_denser_training_clutter_draws_the_block_count_per_reset() -> None:
    """``num_objects_max``: each default reset drops U{num_objects..num_objects_max} blocks, the same
    count for the same seed; an explicit ``num_objects`` option still wins; bad ranges are refused."""
    environment = PushGraspEnv(replace(PushGraspEnvConfig.smoke(), num_objects=1, num_objects_max=4))
    try:
        counts = [environment.reset(seed=seed)[1]["num_objects"] for seed in range(8)]
        assert all(1 <= c <= 4 for c in counts) and len(set(counts)) > 1, counts
        assert environment.reset(seed=3)[1]["num_objects"] == counts[3]
        assert environment.reset(seed=3, options={"num_objects": 2})[1]["num_objects"] == 2
    finally:
        environment.close()
    with pytest.raises(ValueError, match="num_objects_max"):
        replace(PushGraspEnvConfig.smoke(), num_objects=10, num_objects_max=5)


def test_reset_after_ten_no_change_actions() -> None:
    environment = PushGraspEnv(replace(PushGraspEnvConfig.smoke(), max_no_change=3))
    try:
        environment.reset(seed=0, options={"objects": _isolated("cube", (-0.65, -0.15))})
        truncated = False
        for i in range(3):
            _, _, terminated, truncated, info = environment.step(np.array([GRASP, 0, 60, 60]))  # empty corner
            assert not info["changed"]
        assert truncated and not terminated
    finally:
        environment.close()


def test_block_set_sizes_and_count() -> None:
    shapes = make_block_set()
    assert len(shapes) >= 8 and len(set(BLOCK_NAMES)) == len(shapes)
    for shape in shapes:
        assert np.all(shape.extent >= 0.02 - 1e-9) and np.all(shape.extent <= 0.06 + 1e-9), (shape.name, shape.extent)


def test_hard_arrangement_puts_blocks_against_each_other() -> None:
    rng = np.random.default_rng(0)
    for kind in ("tight_cluster", "wall", "pair"):
        objects = hard_arrangement(kind, rng)
        xy = np.array([o.position[:2] for o in objects[:-1]])
        gaps = np.linalg.norm(xy[:, None] - xy[None], axis=-1) + np.eye(len(xy))
        assert gaps.min() < 0.05, kind  # neighbours closer than one block
    with pytest.raises(ValueError, match="valid"):
        hard_arrangement("spiral", rng)


def test_vpg_loader_errors(tmp_path) -> None:
    bad = tmp_path / "case.txt"
    bad.write_text("0.obj 1 0 0 -0.5 0.0\n")
    with pytest.raises(ValueError, match="case.txt:1: expected 10 fields"):
        load_vpg_test_case(bad, tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_vpg_test_case(tmp_path / "missing.txt", tmp_path)
    bad.write_text("0.obj 1 0 0 -0.5 0.0 0.02 0 0 0\n")
    with pytest.raises(FileNotFoundError, match="mesh"):
        load_vpg_test_case(bad, tmp_path)


def test_vpg_test_cases_load_and_settle(vpg_shared, env, tmp_path) -> None:
    # in-workspace objects per file (papers.md), except file 09 whose 6th object lies at z = -686 m (fell off)
    expected = [4, 5, 3, 5, 5, 6, 3, 6, 6, 5, 4]
    for index, count in enumerate(expected):
        objects = load_vpg_test_case(vpg_shared / "test-cases" / f"test-10-obj-{index:02d}.txt", vpg_shared / "blocks")
        assert len(objects) == count
    save_vpg_test_case(objects, tmp_path / "round.txt")
    again = load_vpg_test_case(tmp_path / "round.txt", vpg_shared / "blocks")
    assert np.allclose([o.position for o in again], [o.position for o in objects])
    obs, info = env.reset(seed=0, options={"objects": objects})
    assert info["num_objects"] == count
    placed = env.world.object_positions()
    assert np.abs(placed[:, 2] - np.array([o.position[2] for o in objects])).max() < 0.02


def _contact_friction(world, body_a: int, body_b: int, link_a: int = -1) -> float:
    """Bullet's contact coefficient of two bodies: the product of their lateral friction factors."""
    fa = p.getDynamicsInfo(body_a, link_a, physicsClientId=world.client)[1]
    fb = p.getDynamicsInfo(body_b, -1, physicsClientId=world.client)[1]
    return fa * fb


def _contact_rolling(world, body_a: int, body_b: int) -> float:
    """Bullet's rolling resistance of a contact: rolling_a x lateral_b + rolling_b x lateral_a."""
    info_a = p.getDynamicsInfo(body_a, -1, physicsClientId=world.client)
    info_b = p.getDynamicsInfo(body_b, -1, physicsClientId=world.client)
    return info_a[6] * info_b[1] + info_b[6] * info_a[1]


def test_sampled_friction_is_the_contact_coefficient(env) -> None:
    """The Friction group's values are block-block / block-table contact coefficients (Bullet multiplies
    the two bodies' factors); finger-block stays finger_friction x block-block; the sampled rolling
    resistance is that of block-block and block-table contacts."""
    _, info = env.reset(seed=5, options={"objects": _isolated("cube") + _isolated("cuboid", (-0.4, -0.1))})
    friction = info["randomization"]["friction"]
    world = env.world
    a, b = world.objects
    assert _contact_friction(world, a, b) == pytest.approx(friction["block_lateral"])
    assert _contact_friction(world, a, world.plane) == pytest.approx(friction["table_lateral"])
    finger = world.arm.fingers[0]
    assert _contact_friction(world, world.arm.body, a, finger) == pytest.approx(
        world.arm.spec.finger_friction * friction["block_lateral"])
    rolling = env.config.randomization.friction.rolling
    assert rolling.low <= friction["rolling"] <= rolling.high
    assert _contact_rolling(world, a, b) == pytest.approx(friction["rolling"])
    assert _contact_rolling(world, a, world.plane) == pytest.approx(friction["rolling"])


@pytest.mark.parametrize("model, rolls_on", [("contact", False), ("legacy", True)])
def test_a_kicked_cylinder_on_its_side_comes_to_rest(model: str, rolls_on: bool) -> None:
    """A cylinder lying on its side, kicked to 0.1 m/s (as a neighbouring grasp does), stops within a
    few centimetres at the nominal rolling resistance. Before the rolling fix ("legacy") it kept
    rolling at the same speed and left the workspace: the cause of most lost blocks in clutter."""
    world = PushGraspWorld(replace(PushGraspEnvConfig.smoke(), rolling_model=model))
    try:
        block = world.add_block(ObjectSpec("cylinder", (1.0, 0.0, 0.0), (-0.6, 0.0, 0.03), (np.pi / 2, 0.0, 0.0)))
        world.arm.step(240)
        start = p.getBasePositionAndOrientation(block, physicsClientId=world.client)[0][0]
        p.resetBaseVelocity(block, [0.1, 0.0, 0.0], [0.0, 5.0, 0.0], physicsClientId=world.client)  # rolling, v = w r
        world.arm.step(3 * 240)
        travelled = p.getBasePositionAndOrientation(block, physicsClientId=world.client)[0][0] - start
        speed = float(np.linalg.norm(p.getBaseVelocity(block, physicsClientId=world.client)[0]))
        if rolls_on:
            assert travelled > 0.2 and speed > 0.05
        else:
            assert travelled < 0.1 and speed < 0.005
    finally:
        world.close()


@pytest.mark.parametrize("rule, kept", [("out_of_view", True), ("centre", False)])
def test_a_block_partly_over_the_edge_stays_in_play(rule: str, kept: bool) -> None:
    """VPG leaves a block pushed past the edge where it is: still partly in the heightmap it can be grasped;
    the pre-fix rule dropped it once its centre was 1 cm outside."""
    cfg = replace(PushGraspEnvConfig.smoke(), lost_rule=rule)
    environment = PushGraspEnv(cfg)
    try:
        y = cfg.workspace.y_max + 0.012  # 3 cm wide in y: centre 1.2 cm outside, 3 mm of it over the workspace
        _, info = environment.reset(seed=0, options={"objects": _isolated("cuboid", (-0.5, y))})
        assert (info["num_objects"] == 1) is kept
        if kept:
            far = _isolated("cuboid", (-0.5, cfg.workspace.y_max + 0.06))  # entirely outside: lost
            _, info = environment.reset(seed=0, options={"objects": far})
            assert info["num_objects"] == 0
    finally:
        environment.close()


def test_training_resets_can_strand_blocks_on_the_edge() -> None:
    """``edge_objects``: a default (training) reset lands that many of its blocks on the workspace edge;
    a reset with explicit options (every evaluation scenario) does not; more than num_objects is refused."""
    cfg = replace(PushGraspEnvConfig.smoke(), num_objects=4, edge_objects=2)
    environment = PushGraspEnv(cfg)
    try:
        for seed in (0, 1):
            _, info = environment.reset(seed=seed)
            assert info["num_objects"] == 4 and info["objects_on_edge"] >= 2, info
        _, info = environment.reset(seed=0, options={"num_objects": 4})
        assert info["objects_on_edge"] == 0
    finally:
        environment.close()
    with pytest.raises(ValueError, match="edge_objects must be in 0..num_objects"):
        replace(PushGraspEnvConfig.smoke(), num_objects=4, edge_objects=5)


def test_blocks_on_the_workspace_edge_are_counted() -> None:
    """``objects_on_edge``: a block crossing the edge (or within 5 mm of it) counts, one well inside does not."""
    cfg = PushGraspEnvConfig.smoke()
    environment = PushGraspEnv(cfg)
    try:
        centre = _isolated("cuboid", (-0.5, 0.0))
        _, info = environment.reset(seed=0, options={"objects": centre})
        assert info["num_objects"] == 1 and info["objects_on_edge"] == 0
        straddling = _isolated("cuboid", (-0.5, cfg.workspace.y_max))  # centre on the edge: half of it outside
        _, info = environment.reset(seed=0, options={"objects": straddling})
        assert info["num_objects"] == 1 and info["objects_on_edge"] == 1
        _, _, _, _, info = environment.step(np.array([1, 0, 0, 0]))  # a grasp far away (a corner cell) leaves it
        assert info["objects_on_edge"] == info["num_objects"] == 1
    finally:
        environment.close()


@pytest.mark.parametrize("field, value", [("grasp_descent_speed", 0.0), ("friction_model", "rubber"),
                                          ("lost_rule", "edge"), ("rolling_model", "sticky"),
                                          ("put_back_model", "fast"), ("finger_speed", 0.001)])
def test_simulator_ablation_settings_are_checked(field: str, value) -> None:
    with pytest.raises(ValueError, match=field):
        replace(PushGraspEnvConfig.smoke(), **{field: value})


@pytest.mark.parametrize("limit", [0.0, 0.05])
def test_finger_speed_limits_how_fast_the_gripper_closes(limit: float) -> None:
    """``finger_speed``: each finger closes no faster than the limit (the Franka Hand's 0.05 m/s) and the
    grasp waits for the whole stroke; with no limit Bullet's motor slams the fingers shut far faster."""
    world = PushGraspWorld(replace(PushGraspEnvConfig.smoke(), finger_speed=limit))
    try:
        arm = world.arm
        arm.set_gripper(open_=True)
        arm.step(arm.gripper_steps(60))
        assert arm.opening() == pytest.approx(0.08, abs=1e-3)
        arm.set_gripper(open_=False)
        before, peak = arm.opening(), 0.0
        for _ in range(arm.gripper_steps(60)):
            arm.step(1)
            peak, before = max(peak, (before - arm.opening()) / arm.time_step / 2), arm.opening()
        assert arm.opening() < 0.001                          # closed within the steps a grasp waits
        if limit:
            assert peak <= limit * 1.05 and arm.gripper_steps(60) * arm.time_step > 0.04 / limit
        else:
            assert peak > 0.5 and arm.gripper_steps(60) == 60
    finally:
        world.close()


def test_a_block_pressed_into_the_table_top_comes_back_up() -> None:
    """A finger can press a block a few centimetres into the table top (a grasp descending onto a
    tilted block). Bullet's penetration recovery must push it back up, not out through the bottom
    of a thin table box into the floor (a block lost under the table, seen in clutter runs)."""
    world = PushGraspWorld(PushGraspEnvConfig.smoke())
    try:
        block = world.add_block(ObjectSpec("cube", (1.0, 0.0, 0.0), (-0.5, 0.0, 0.1)))
        world.arm.step(240)
        # 4.5 cm into the top: past the mid-plane of the former 4 cm table
        p.resetBasePositionAndOrientation(block, [-0.5, 0.0, -0.025], [0, 0, 0, 1], physicsClientId=world.client)
        world.arm.step(480)
        z = p.getBasePositionAndOrientation(block, physicsClientId=world.client)[0][2]
        assert z == pytest.approx(0.02, abs=0.005)  # resting on the top again (cube half-height 2 cm)
    finally:
        world.close()


@pytest.mark.parametrize("model, blocks_when_opening", [("gentle", 2), ("legacy", 1)])
def test_a_second_lifted_block_is_put_back_with_the_grasped_one(model: str, blocks_when_opening: int) -> None:
    """A grasp closing on two cubes side by side lifts both. The grasped one leaves (VPG teleports it
    away), the other must come back down. "gentle" lowers both and opens the gripper before the
    grasped one leaves: removing it first (legacy) left the other held by one finger, and in a
    30-block run the fingers snapped onto it and flung it off the workspace (deployment run 5)."""
    environment = PushGraspEnv(replace(PushGraspEnvConfig.smoke(), num_rotations=8, resolution=0.004,
                                       image_width=320, image_height=240, put_back_model=model))
    try:
        half = 0.02
        cubes = [ObjectSpec("cube", (0.9, 0.2, 0.2), (-0.5 + dx, 0.0, half + 0.001), (0.0, 0.0, 0.0))
                 for dx in (-half - 0.0005, half + 0.0005)]
        environment.reset(seed=1, options={"objects": cubes})
        world, calls = environment.world, []
        set_gripper = world.arm.set_gripper

        def recording_set_gripper(open_: bool) -> None:
            calls.append((open_, len(world.objects)))
            set_gripper(open_)

        world.arm.set_gripper = recording_set_gripper
        row, col = world_to_pixel(-0.5, 0.0, environment.config.workspace, environment.config.resolution)
        _, _, _, _, info = environment.step(np.array([GRASP, 0, row, col]))
        assert info["grasp_success"] and info["num_objects"] == 1 and info["lost_objects"] == 0
        closing = calls.index((False, 2))
        put_back = next(count for open_, count in calls[closing:] if open_)  # the first opening after the grasp
        assert put_back == blocks_when_opening       # before the grasped block left (gentle) or after (legacy)
        x, y, z = world.object_positions()[0]
        assert abs(x + 0.5) < 0.05 and abs(y) < 0.03 and z < 0.03  # back on the table where it was taken
    finally:
        environment.close()


def _write_prism_obj(path, outline_xz: np.ndarray, depth: float) -> None:
    """A closed OBJ prism: the polygon ``outline_xz`` (counter-clockwise in x-z) extruded along y."""
    n = len(outline_xz)
    lines = [f"v {x} {-depth / 2} {z}" for x, z in outline_xz] + [f"v {x} {depth / 2} {z}" for x, z in outline_xz]
    lines += ["f " + " ".join(str(i + 1) for i in reversed(range(n))), "f " + " ".join(str(n + i + 1) for i in range(n))]
    lines += [f"f {i + 1} {(i + 1) % n + 1} {n + (i + 1) % n + 1} {n + i + 1}" for i in range(n)]
    path.write_text("\n".join(lines) + "\n")


def test_convex_meshes_are_told_from_concave_ones(tmp_path) -> None:
    """External meshes: a convex one collides as its hull (exact), a concave one (an arch) as boxes."""
    from greenroom.sim.pushgrasp.meshes import is_convex

    _write_prism_obj(tmp_path / "bar.obj", np.array([[-0.03, 0], [0.03, 0], [0.03, 0.02], [-0.03, 0.02]]), 0.03)
    half_disc = [[0.025 * np.cos(a), 0.025 * np.sin(a)] for a in np.linspace(0, np.pi, 13)]
    _write_prism_obj(tmp_path / "half.obj", np.array(half_disc), 0.03)
    _write_prism_obj(tmp_path / "arch.obj", np.array([[-0.03, 0], [-0.01, 0], [-0.01, 0.01], [0.01, 0.01], [0.01, 0],
                                                      [0.03, 0], [0.03, 0.02], [-0.03, 0.02]]), 0.03)
    assert is_convex(tmp_path / "bar.obj") and is_convex(tmp_path / "half.obj")
    assert not is_convex(tmp_path / "arch.obj")
    world = PushGraspWorld(PushGraspEnvConfig.smoke())
    try:
        shapes = {name: p.getCollisionShapeData(world.add_block(ObjectSpec(str(tmp_path / f"{name}.obj"), (1.0, 0.0, 0.0),
                                                                           (-0.5, 0.1 * i, 0.05))), -1,
                                                physicsClientId=world.client)
                  for i, name in enumerate(("half", "arch"))}
        assert [s[2] for s in shapes["half"]] == [p.GEOM_MESH]
        assert len(shapes["arch"]) > 1 and {s[2] for s in shapes["arch"]} == {p.GEOM_BOX}
    finally:
        world.close()


def test_untouched_vpg_test_cases_stay_put(vpg_shared, env) -> None:
    """Placed and left alone, VPG's hard cases stay where they settled. With VPG's convex blocks
    (cylinders, prisms) built from voxel boxes, cases 00, 08 and 09 kept walking: blocks
    travelled up to 15 cm in 5 s untouched, and some walked off the workspace between actions."""
    world = env.world
    for index in (0, 8, 9):
        objects = load_vpg_test_case(vpg_shared / "test-cases" / f"test-10-obj-{index:02d}.txt", vpg_shared / "blocks")
        env.reset(seed=index, options={"objects": objects})
        start = world.object_positions()
        world.arm.step(720)  # 3 s
        travelled = np.linalg.norm(world.object_positions() - start, axis=1)
        assert travelled.max() < 0.01, (index, travelled)


@pytest.mark.parametrize("index, seed", [(0, 10022), (8, 10008), (8, 10030), (9, 10053)])
def test_placing_a_vpg_test_case_loses_no_block(vpg_shared, index: int, seed: int) -> None:
    """Test-case poses from V-REP overlap a little in pybullet; resolving the overlaps at load
    flung a block off the workspace in these resets (the hard-case bench's first run seeds, 4 of
    66 resets) until placement separated them by position only."""
    env = PushGraspEnv(PushGraspEnvConfig.cpu())
    try:
        objects = load_vpg_test_case(vpg_shared / "test-cases" / f"test-10-obj-{index:02d}.txt", vpg_shared / "blocks")
        obs, info = env.reset(seed=seed, options={"objects": objects})
        assert info["num_objects"] == len(objects)
        assert all(env.world.in_view(body) for body in env.world.objects)
    finally:
        env.close()
