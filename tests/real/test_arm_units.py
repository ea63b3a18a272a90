"""Arm nodes' ROS-free parts: camera sync, message conversion, IK (ikpy on the Panda URDF),
primitive motion planning, the torch-free runtime, and the import boundary of the policy nodes."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from greenroom.policies.runtime.contract import ContractError
from greenroom.policies.runtime.image import ImageError
from greenroom.real.arm.convert import depth_msg_to_metres, intrinsics_from_camera_info, qmap_to_rgb
from greenroom.real.arm.kinematics import ArmKinematics, IKError, top_down_rotation
from greenroom.real.arm.motion import GripperStep, MotionRefused, MotionSettings, TrajectoryStep, plan_motion
from greenroom.real.arm.sync import ApproximateTimeSync
from greenroom.sim.core.rotations import matrix_to_quat, pose_matrix, quat_to_matrix, yaw_transform

HOME = np.array(MotionSettings.home)


def _stamped(t: float, tag: str = "") -> SimpleNamespace:
    sec = int(t)
    return SimpleNamespace(header=SimpleNamespace(stamp=SimpleNamespace(sec=sec, nanosec=int(round((t - sec) * 1e9)))), tag=tag)


# ----------------------------------------------------------------------------- sync
def test_sync_pairs_within_slop_and_uses_each_message_once() -> None:
    out: list[tuple] = []
    sync = ApproximateTimeSync(3, lambda *m: out.append(tuple(x.tag for x in m)), slop=0.02)
    sync.add(0, _stamped(1.000, "c1"))
    sync.add(1, _stamped(1.010, "d1"))
    assert out == []
    sync.add(2, _stamped(1.005, "i1"))
    assert out == [("c1", "d1", "i1")]
    sync.add(2, _stamped(1.006, "i1b"))  # the colour/depth of the tuple are used up: nothing new
    assert out == [("c1", "d1", "i1")]
    sync.add(0, _stamped(2.0, "c2"))
    sync.add(1, _stamped(2.5, "d2"))  # 0.5 s apart: outside the slop
    sync.add(2, _stamped(2.0, "i2"))
    assert len(out) == 1
    sync.add(1, _stamped(2.01, "d3"))
    assert out[-1] == ("c2", "d3", "i2") and sync.matched == 2


def test_sync_takes_the_newest_match_and_a_missing_stream_blocks() -> None:
    out: list[tuple] = []
    sync = ApproximateTimeSync(2, lambda *m: out.append(tuple(x.tag for x in m)), slop=0.01, queue_size=3)
    for k in range(5):
        sync.add(0, _stamped(float(k), f"c{k}"))  # depth never arrives (a missing depth stream)
    assert out == []
    sync.add(1, _stamped(3.0, "d3"))
    assert out == [("c3", "d3")]
    with pytest.raises(ValueError):
        ApproximateTimeSync(2, print, slop=0.0)


# ----------------------------------------------------------------------------- conversion
def _depth_msg(values: np.ndarray, encoding: str, pad: int = 0, big_endian: bool = False) -> SimpleNamespace:
    dtype = {"32FC1": "f4", "16UC1": "u2"}[encoding]
    arr = values.astype((">" if big_endian else "<") + dtype)
    rows = arr.view(np.uint8).reshape(values.shape[0], -1)
    rows = np.concatenate([rows, np.zeros((rows.shape[0], pad), np.uint8)], axis=1)
    return SimpleNamespace(encoding=encoding, width=values.shape[1], height=values.shape[0], step=rows.shape[1],
                           data=rows.tobytes(), is_bigendian=big_endian)


def test_depth_encodings_strides_and_holes() -> None:
    metres = np.array([[0.5, 0.0, np.nan], [1.25, 30.0, 0.75]], np.float32)
    out = depth_msg_to_metres(_depth_msg(metres, "32FC1", pad=4))
    np.testing.assert_allclose(out, [[0.5, 0, 0], [1.25, 0, 0.75]])  # NaN and 30 m (> 20 m) are holes
    mm = np.array([[500, 0, 1250]], np.float32)
    np.testing.assert_allclose(depth_msg_to_metres(_depth_msg(mm, "16UC1", big_endian=True)), [[0.5, 0.0, 1.25]])


@pytest.mark.parametrize("change, reason", [
    ({"encoding": "rgb8"}, "unsupported depth encoding"),
    ({"width": 0}, "zero size"),
    ({"step": 3}, "shorter than"),
    ({"data": b"\x00" * 5}, "bytes; expected"),
])
def test_bad_depth_images_are_refused(change: dict, reason: str) -> None:
    msg = _depth_msg(np.ones((2, 3), np.float32), "32FC1")
    for key, value in change.items():
        setattr(msg, key, value)
    with pytest.raises(ImageError, match=reason):
        depth_msg_to_metres(msg)


def test_camera_info_and_poses() -> None:
    info = SimpleNamespace(k=[600.0, 0, 320, 0, 610.0, 240, 0, 0, 1], width=640, height=480)
    k = intrinsics_from_camera_info(info)
    assert (k.fx, k.fy, k.cx, k.cy, k.width, k.height) == (600.0, 610.0, 320, 240, 640, 480)
    with pytest.raises(ValueError, match="no usable intrinsics"):
        intrinsics_from_camera_info(SimpleNamespace(k=[0.0] * 9, width=640, height=480))
    rng = np.random.default_rng(0)
    for _ in range(20):
        q = rng.normal(size=4)
        q /= np.linalg.norm(q)
        r = quat_to_matrix(q)
        np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-12)
        q2 = matrix_to_quat(r)
        assert min(np.abs(q2 - q).max(), np.abs(q2 + q).max()) < 1e-9
    pose = pose_matrix([0.47, 0.0, 0.75], [0.7071067811865476, -0.7071067811865476, 0.0, 0.0])
    np.testing.assert_allclose(pose[:3, 2], [0, 0, -1], atol=1e-12)  # optical axis looks down
    with pytest.raises(ValueError, match="unit quaternion"):
        pose_matrix([0, 0, 0], [0, 0, 0, 2.0])
    with pytest.raises(ValueError, match="3 finite xyz"):
        pose_matrix([0, 0], [0, 0, 0, 1.0])
    image = qmap_to_rgb(np.arange(16, dtype=np.float32).reshape(4, 4), (1, 2))
    assert image.shape == (4, 4, 3) and image.dtype == np.uint8


# ----------------------------------------------------------------------------- kinematics + motion
@pytest.fixture(scope="module")
def kin() -> ArmKinematics:
    return ArmKinematics()


def test_ik_reaches_top_down_poses_and_refuses_unreachable(kin: ArmKinematics) -> None:
    assert kin.joint_names == [f"panda_joint{i}" for i in range(1, 8)]
    for position, yaw in [((0.45, 0.0, 0.05), 0.3), ((0.6, -0.2, 0.02), 2.5), ((0.3, 0.2, 0.2), -1.0)]:
        q = kin.ik(np.array(position), top_down_rotation(yaw), HOME)
        assert np.all(q >= kin.lower - 1e-9) and np.all(q <= kin.upper + 1e-9)
        pose = kin.fk(q)
        np.testing.assert_allclose(pose[:3, 3], position, atol=0.003)
        np.testing.assert_allclose(pose[:3, 2], [0, 0, -1], atol=0.03)  # tool z points down
        closing = pose[:3, 1]
        assert abs(abs(closing @ [np.cos(yaw), np.sin(yaw), 0.0]) - 1.0) < 0.03  # jaws along yaw (or yaw + pi)
    with pytest.raises(IKError, match="out of reach"):
        kin.ik(np.array([1.5, 0.0, 0.0]), top_down_rotation(0.0), HOME)


def test_push_and_grasp_plans(kin: ArmKinematics) -> None:
    rot = top_down_rotation(0.5)
    grasp = np.array([[0.5, 0.1, 0.17], [0.5, 0.1, 0.02], [0.5, 0.1, 0.02], [0.5, 0.1, 0.17]])
    settings = MotionSettings(drop_position=(0.45, 0.4, 0.25))
    steps = plan_motion(kin, "grasp", grasp, [rot] * 4, HOME, settings)
    assert [s.label for s in steps] == ["open", "to approach", "descend", "close", "lift", "to drop", "release", "home"]
    descend = steps[2]
    assert isinstance(descend, TrajectoryStep) and np.all(np.diff(descend.times) > 0)
    line = np.array([kin.fk(q)[:3, 3] for q in descend.positions])
    np.testing.assert_allclose(line[:, :2], np.tile([0.5, 0.1], (len(line), 1)), atol=0.004)  # straight down
    assert isinstance(steps[3], GripperStep) and steps[3].finger_position == 0.0
    push = np.array([[0.4, 0.0, 0.16], [0.4, 0.0, 0.01], [0.5, 0.0, 0.01], [0.5, 0.0, 0.16]])
    steps = plan_motion(kin, "push", push, [rot] * 4, HOME, MotionSettings())
    assert [s.label for s in steps] == ["close", "to approach", "push", "home"]
    stroke = np.array([kin.fk(q)[:3, 3] for q in steps[2].positions])
    assert np.abs(stroke[:, 1]).max() < 0.004 and stroke[:, 2].min() > 0.005  # the push stays on its line


def test_motion_refusals(kin: ArmKinematics) -> None:
    rot = [top_down_rotation(0.0)] * 4
    ok = np.array([[0.5, 0.0, 0.17], [0.5, 0.0, 0.02], [0.5, 0.0, 0.02], [0.5, 0.0, 0.17]])
    with pytest.raises(MotionRefused, match="unknown primitive"):
        plan_motion(kin, "throw", ok, rot, HOME, MotionSettings())
    with pytest.raises(MotionRefused, match="4 waypoints"):
        plan_motion(kin, "grasp", ok[:3], rot[:3], HOME, MotionSettings())
    below = ok.copy()
    below[1, 2] = -0.2
    with pytest.raises(MotionRefused, match="outside the executor's safety box"):
        plan_motion(kin, "grasp", below, rot, HOME, MotionSettings())
    far = ok + np.array([0.35, 0.0, 0.0])  # inside the box, beyond the Panda's reach top-down
    with pytest.raises(IKError):
        plan_motion(kin, "grasp", far, rot, HOME, MotionSettings(safety_box=(-2, 2, -2, 2, -0.1, 2)))


# ----------------------------------------------------------------------------- runtime


def test_runtime_decides_inside_the_workspace(pushgrasp_export: Path) -> None:
    from greenroom.policies.runtime.pushgrasp import PushGraspRuntimePolicy
    from greenroom.sim.pushgrasp.geometry import valid_push_mask
    from greenroom.sim.pushgrasp.heightmap import Intrinsics, look_at_pose

    policy = PushGraspRuntimePolicy(pushgrasp_export)
    ws = policy.workspace
    k = Intrinsics.realsense_d415(160, 120)
    pose = look_at_pose(np.array([*ws.center, 0.75]), np.array([*ws.center, 0.0]), up=np.array([-1.0, 0.0, 0.0]))
    depth = np.full((120, 160), 0.75, np.float32)
    depth[50:70, 70:90] = 0.70  # a 5 cm block under the camera
    color = np.full((120, 160, 3), 128, np.uint8)
    color_map, height_map = policy.heightmap(color, depth, k, pose)
    assert height_map.shape == policy.heightmap_shape and abs(height_map.max() - 0.05) < 0.002
    assert not policy.is_clear(height_map) and policy.is_clear(np.zeros_like(height_map))
    decision = policy.decide(color_map, height_map)
    assert decision.q_maps.shape == (2, policy.num_rotations, *policy.heightmap_shape)
    points = decision.plan.waypoints()
    assert np.all(points[:, 0] >= ws.x_min - 1e-9) and np.all(points[:, 0] <= ws.x_max + 1e-9)
    assert np.all(points[:, 1] >= ws.y_min - 1e-9) and np.all(points[:, 1] <= ws.y_max + 1e-9)
    primitive, rotation, row, col = decision.action
    assert decision.q_value == pytest.approx(float(decision.q_maps[primitive, rotation, row, col]))
    valid = valid_push_mask(policy.size, policy.workspace, policy.resolution, policy.num_rotations, policy.geometry)
    maps = np.zeros_like(decision.q_maps)
    maps[0][~valid] = 5.0  # the robot never pushes along or out of the workspace edge, whatever the values
    action, value = policy.best_action(maps)
    assert action[0] == 1 and value == 0.0
    with pytest.raises(ValueError, match="trained on"):
        policy.set_workspace([0.3, 0.5, -0.2, 0.2, 0.0, 0.4])
    policy.set_workspace([0.3, 0.748, -0.224, 0.224, 0.0, 0.4])
    assert policy.workspace.x_min == 0.3


def test_runtime_with_a_view_margin_sees_past_the_edge(tmp_path: Path) -> None:
    """A policy trained with ``env.view_margin`` reads a heightmap that reaches that far past the
    workspace edge: a block straddling the edge is mapped whole and can be grasped at its centre,
    while pushes still end inside the workspace; moving the workspace keeps the margin."""
    torch = pytest.importorskip("torch")
    from greenroom.policies.common.config import resolve_config
    from greenroom.policies.pushgrasp.config import PushGraspTrainConfig
    from greenroom.policies.pushgrasp.export import export_learner
    from greenroom.policies.pushgrasp.learner import Learner
    from greenroom.policies.runtime.pushgrasp import PushGraspRuntimePolicy
    from greenroom.sim.pushgrasp.geometry import GRASP, PUSH, plan_primitive
    from greenroom.sim.pushgrasp.heightmap import Intrinsics, look_at_pose

    torch.manual_seed(0)
    config = resolve_config(PushGraspTrainConfig, "smoke", ["env.view_margin=0.028"])
    size = config.env.heightmap_size
    assert size == 72  # (0.448 + 2 x 0.028) m at 7 mm
    feeds = [(np.zeros((1, size, size, 3), np.uint8), np.zeros((1, size, size), np.float32))]
    policy = PushGraspRuntimePolicy(export_learner(Learner(config, "cpu"), config, tmp_path / "model", feeds))
    ws, view = policy.workspace, policy.view
    assert policy.view_margin == pytest.approx(0.028) and view.x_min == pytest.approx(ws.x_min - 0.028)
    # a 5 cm high block centred on the x_min edge, seen from 0.75 m above the workspace centre
    k = Intrinsics.realsense_d415(320, 240)
    pose = look_at_pose(np.array([*ws.center, 0.75]), np.array([*ws.center, 0.0]), up=np.array([-1.0, 0.0, 0.0]))
    u, v = np.meshgrid(np.arange(320), np.arange(240))
    xyz = (pose[:3, :3] @ np.stack([(u - k.cx) / k.fx, (v - k.cy) / k.fy, np.ones_like(u, float)]).reshape(3, -1))
    along = -pose[2, 3] / xyz[2]  # each pixel's ray hits the table at this depth (camera looks straight down)
    x, y = pose[0, 3] + along * xyz[0], pose[1, 3] + along * xyz[1]
    on_block = (np.abs(x - ws.x_min) < 0.02) & (np.abs(y) < 0.02)
    depth = np.where(on_block, 0.70, 0.75).reshape(240, 320).astype(np.float32)
    color_map, height_map = policy.heightmap(np.full((240, 320, 3), 128, np.uint8), depth, k, pose)
    block_cols = np.flatnonzero((height_map > 0.03).any(axis=0))
    edge_col = round(0.028 / policy.resolution)  # the first column inside the workspace
    assert np.count_nonzero(block_cols < edge_col) >= 2  # the part beyond the edge is in the map
    row, col = size // 2, int(round((0.028 - 0.0035) / policy.resolution))  # at the edge itself
    grasp = plan_primitive((GRASP, 0, row, 1), height_map, view, policy.resolution, policy.num_rotations,
                           policy.geometry, bounds=ws)
    assert grasp.target[0] < ws.x_min  # a grasp may target the margin
    push = plan_primitive((PUSH, 0, row, col), height_map, view, policy.resolution, policy.num_rotations,
                          policy.geometry, bounds=ws)
    assert push.end[0] <= ws.x_max - policy.geometry.push_edge_margin + 1e-9 and push.end[0] > push.target[0]
    decision = policy.decide(color_map, height_map)
    points = decision.plan.waypoints()
    assert np.all(points[:, 0] >= view.x_min - 1e-9) and np.all(points[:, 0] <= view.x_max + 1e-9)
    policy.set_workspace([0.3, 0.748, -0.224, 0.224, 0.0, 0.4])
    assert policy.view.x_min == pytest.approx(0.3 - 0.028) and policy.view.shape(policy.resolution) == (size, size)
    contract = json.loads((tmp_path / "model" / "pushgrasp.contract.json").read_text())
    (tmp_path / "wide.onnx").write_bytes((tmp_path / "model" / "pushgrasp.onnx").read_bytes())
    for margin, reason in ((0.5, "view_margin"), (0.0, "cells, spec says 72x72")):
        (tmp_path / "wide.contract.json").write_text(json.dumps({**contract, "spec": {**contract["spec"], "view_margin": margin}}))
        with pytest.raises(ContractError, match=reason):
            PushGraspRuntimePolicy(tmp_path / "wide.onnx")


def test_export_records_the_hand_yaw_rule_and_onnx_evaluation_uses_it(tmp_path: Path) -> None:
    """The contract names the simulated arm's hand-yaw rule the run trained with; ``greenroom evaluate
    --onnx`` simulates that arm whatever the preset says; an unknown rule is refused naming the field, and
    dropping the field from a sealed contract fails the seal."""
    torch = pytest.importorskip("torch")
    from greenroom.policies.common.config import resolve_config
    from greenroom.policies.pushgrasp.config import PushGraspTrainConfig
    from greenroom.policies.pushgrasp.evaluate import onnx_policy
    from greenroom.policies.pushgrasp.export import export_learner
    from greenroom.policies.pushgrasp.learner import Learner
    from greenroom.policies.runtime.pushgrasp import PushGraspRuntimePolicy

    torch.manual_seed(0)
    config = resolve_config(PushGraspTrainConfig, "smoke", ["env.tool_yaw_model=either"])
    size = config.env.heightmap_size
    feeds = [(np.zeros((1, size, size, 3), np.uint8), np.zeros((1, size, size), np.float32))]
    onnx = export_learner(Learner(config, "cpu"), config, tmp_path / "model", feeds)
    contract = json.loads(onnx.with_suffix(".contract.json").read_text())
    assert contract["spec"]["tool_yaw_model"] == "either"
    assert PushGraspRuntimePolicy(onnx).tool_yaw_model == "either"
    base = resolve_config(PushGraspTrainConfig, "smoke")
    assert base.env.tool_yaw_model == "legacy"
    evaluated, _ = onnx_policy(onnx, base)
    assert evaluated.env.tool_yaw_model == "either"
    (tmp_path / "odd.onnx").write_bytes(onnx.read_bytes())
    (tmp_path / "odd.contract.json").write_text(json.dumps({**contract, "spec": {**contract["spec"], "tool_yaw_model": "sideways"}}))
    with pytest.raises(ContractError, match="'tool_yaw_model' must be one of either, legacy, got 'sideways'"):
        PushGraspRuntimePolicy(tmp_path / "odd.onnx")
    older = {k: v for k, v in contract["spec"].items() if k != "tool_yaw_model"}
    (tmp_path / "odd.contract.json").write_text(json.dumps({**contract, "spec": older}))
    with pytest.raises(ContractError, match="sha256"):  # the seal covers the spec: an edited contract is refused
        PushGraspRuntimePolicy(tmp_path / "odd.onnx")


def test_runtime_refuses_bad_models(pushgrasp_export: Path, tmp_path: Path) -> None:
    from greenroom.policies.runtime.pushgrasp import PushGraspRuntimePolicy

    contract = json.loads(pushgrasp_export.with_suffix(".contract.json").read_text())
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(b"not a model")
    (tmp_path / "corrupt.contract.json").write_text(json.dumps(contract))
    with pytest.raises(ContractError, match="sha256"):
        PushGraspRuntimePolicy(corrupt)
    other = tmp_path / "other.onnx"
    other.write_bytes(pushgrasp_export.read_bytes())
    (tmp_path / "other.contract.json").write_text(json.dumps({**contract, "task": "flight"}))
    with pytest.raises(ContractError, match="not 'pushgrasp'"):
        PushGraspRuntimePolicy(other)
    spec = dict(contract["spec"])
    del spec["num_rotations"]
    (tmp_path / "other.contract.json").write_text(json.dumps({**contract, "spec": spec}))
    with pytest.raises(ContractError, match="bad pushgrasp spec"):
        PushGraspRuntimePolicy(other)
    with pytest.raises(ContractError, match="does not exist"):
        PushGraspRuntimePolicy(tmp_path / "missing.onnx")


def test_policy_and_executor_nodes_import_no_torch_or_simulators() -> None:
    code = ("import sys, greenroom.real.arm.policy_node, greenroom.real.arm.executor_node;"
            "print(','.join(m for m in ('torch', 'pybullet', 'mujoco') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"policy/executor nodes imported {out.stdout.strip()}"


def test_sim_launch_file_matches_the_simulated_camera_and_base() -> None:
    """arm_sim.launch.yaml's camera_pose / workspace_frame are the simulator's nominal calibration."""
    pytest.importorskip("pybullet")
    from greenroom.real.arm.sim_bridge import base_transform
    from greenroom.real.launch.description import load_launch_file
    from greenroom.sim.pushgrasp.config import PushGraspEnvConfig
    from greenroom.sim.pushgrasp.world import PushGraspWorld

    launch = Path(__file__).resolve().parents[2] / "launch" / "arm_sim.launch.yaml"
    policy = next(n for n in load_launch_file(launch, ["model:=x.onnx"]).nodes if n.executable == "arm_policy")
    params = policy.parameters[-1]
    world = PushGraspWorld(PushGraspEnvConfig.smoke())
    try:
        world_to_base = np.linalg.inv(base_transform(world))
        np.testing.assert_allclose(pose_matrix(params["camera_pose"][:3], params["camera_pose"][3:]),
                                   world_to_base @ world.camera_pose, atol=1e-6)
        np.testing.assert_allclose(yaw_transform(*params["workspace_frame"]), world_to_base, atol=1e-6)
    finally:
        world.close()
