"""``arm_policy`` and ``arm_executor`` as real processes over Fast DDS: decisions only when the
executor is idle, missing depth, bad images, a stopped camera, a clear workspace, bad models and
refused primitives. The probe stands in for the camera driver and for the executor/robot; every
wait is a condition with a deadline (diagnostic counters say how many frames the node saw)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import PoseArray
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import CameraInfo, Image, JointState
from std_msgs.msg import Bool, Float64MultiArray, String
from trajectory_msgs.msg import JointTrajectory
from visualization_msgs.msg import MarkerArray

from greenroom.real.arm.node_util import reliable, transient_local
from greenroom.real.common.procs import NodeProcess, Probe
from greenroom.sim.core.rotations import matrix_to_quat
from greenroom.sim.pushgrasp.heightmap import Intrinsics, Workspace, look_at_pose

pytestmark = [pytest.mark.ros, pytest.mark.slow]

DISCOVERY_S = 20.0
WS = Workspace()  # the contract's (VPG sim) workspace; the test's base frame = the workspace frame
CAMERA = look_at_pose(np.array([*WS.center, 0.75]), np.array([*WS.center, 0.0]), up=np.array([-1.0, 0.0, 0.0]))
K = Intrinsics.realsense_d415(160, 120)




def _policy(model_path: Path | str, **params: object) -> NodeProcess:
    camera = [*CAMERA[:3, 3], *matrix_to_quat(CAMERA[:3, :3])]
    return NodeProcess("arm_policy", {"model_path": str(model_path), "camera_pose": [float(v) for v in camera], **params},
                       module="greenroom.real.arm.policy_node")


class Camera:
    """Publishes colour + depth + camera_info of a table with one 5 cm block (or an empty table)."""

    def __init__(self, probe: Probe) -> None:
        self.probe = probe
        self.color = probe.publisher(Image, "camera/color/image_raw", qos_profile_sensor_data)
        self.depth = probe.publisher(Image, "camera/aligned_depth_to_color/image_raw", qos_profile_sensor_data)
        self.info = probe.publisher(CameraInfo, "camera/color/camera_info", qos_profile_sensor_data)

    def publish(self, block: bool = True, color_encoding: str = "rgb8", depth_mode: str = "ok", send_depth: bool = True) -> None:
        stamp = self.probe.node.get_clock().now().to_msg()
        depth = np.full((K.height, K.width), 0.75, np.float32)
        if block:
            depth[50:70, 70:90] = 0.70
        if depth_mode == "zeros":
            depth[:] = 0.0
        color = np.full((K.height, K.width, 3), 90, np.uint8)
        color[50:70, 70:90] = (200, 40, 40)
        c = Image(encoding=color_encoding, width=K.width, height=K.height, step=K.width * 3, data=color.tobytes())
        d = Image(encoding="32FC1", width=K.width, height=K.height, step=K.width * 4, data=depth.tobytes())
        if depth_mode == "truncated":
            d.data = depth.tobytes()[:100]
        info = CameraInfo(width=K.width, height=K.height, k=[K.fx, 0.0, K.cx, 0.0, K.fy, K.cy, 0.0, 0.0, 1.0])
        for msg in (c, d, info):
            msg.header.stamp = stamp
        self.color.publish(c)
        if send_depth:
            self.depth.publish(d)
        self.info.publish(info)


def _diag(probe: Probe) -> dict[str, str]:
    msgs = probe.recv.get("/diagnostics", [])
    for _, msg in reversed(msgs):
        for status in msg.status:
            if status.hardware_id == "arm_policy":
                return {kv.key: kv.value for kv in status.values}
    return {}


def _feed_until(probe: Probe, camera: Camera, condition, proc: NodeProcess, what: str, timeout: float = 30.0, **kw) -> None:
    """Publish frames at ~20 Hz until ``condition()``."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, proc.output()[-3000:]
        assert time.monotonic() < deadline, f"timed out waiting for {what}; diagnostics {_diag(probe)}"
        camera.publish(**kw)
        probe.spin_for(0.05)


def _seen(probe: Probe, key: str) -> int:
    return int(_diag(probe).get(key, 0))


def test_policy_decides_only_when_idle_and_on_good_synchronized_frames(pushgrasp_export: Path) -> None:
    with Probe("arm_probe") as probe, _policy(pushgrasp_export) as proc:
        for msg_type, topic in ((PoseArray, "waypoints"), (String, "primitive"), (Image, "q_map"),
                                (MarkerArray, "markers"), (DiagnosticArray, "/diagnostics")):
            probe.subscribe(msg_type, topic, reliable(10))
        camera = Camera(probe)
        done = probe.publisher(Bool, "motion_done", transient_local())
        probe.spin_until(lambda: camera.color.get_subscription_count() > 0 and probe.node.count_publishers("/diagnostics") > 0,
                         DISCOVERY_S, "arm_policy", alive=[proc])
        decisions = lambda: len(probe.recv["primitive"])  # noqa: E731

        # Frames while the executor has not reported idle: seen, but no decision.
        _feed_until(probe, camera, lambda: _seen(probe, "synchronized") >= 3, proc, "synchronized frames")
        assert decisions() == 0 and _diag(probe)["waiting_for"] == "motion_done"
        done.publish(Bool(data=True))

        # Missing depth: colour and camera_info only -> never synchronized, no decision.
        start = _seen(probe, "color_frames")
        _feed_until(probe, camera, lambda: _seen(probe, "color_frames") >= start + 5, proc, "colour frames", send_depth=False)
        assert decisions() == 0
        # Bad images: unsupported colour encoding, truncated depth, a depth image without readings.
        for bad in ({"color_encoding": "bayer_rggb8"}, {"depth_mode": "truncated"}, {"depth_mode": "zeros"}):
            rejected = _seen(probe, "rejected_frames")
            _feed_until(probe, camera, lambda: _seen(probe, "rejected_frames") >= rejected + 2, proc, f"rejection of {bad}", **bad)
            assert decisions() == 0 and proc.poll() is None

        # Good frames: one decision with everything published, waypoints inside the box + margin.
        _feed_until(probe, camera, lambda: decisions() >= 1 and len(probe.recv["waypoints"]) >= 1, proc, "a decision")
        description = json.loads(probe.recv["primitive"][0][1].data)
        waypoints = probe.recv["waypoints"][0][1]
        assert description["primitive"] in ("push", "grasp") and len(waypoints.poses) == 4
        assert description["stamp"] == [waypoints.header.stamp.sec, waypoints.header.stamp.nanosec]
        points = np.array([[p.position.x, p.position.y, p.position.z] for p in waypoints.poses])
        margin = 0.05
        assert np.all(points[:, 0] >= WS.x_min - margin) and np.all(points[:, 0] <= WS.x_max + margin)
        assert np.all(points[:, 1] >= WS.y_min - margin) and np.all(points[:, 1] <= WS.y_max + margin)
        assert np.all(points[:, 2] >= WS.z_min) and np.all(points[:, 2] <= WS.z_max + margin)
        probe.spin_until(lambda: probe.recv["q_map"] and probe.recv["markers"], 10.0, "q_map and markers", alive=[proc])
        q_map = probe.recv["q_map"][0][1]
        assert (q_map.height, q_map.width, q_map.encoding) == (64, 64, "rgb8")

        # Busy executor (no motion_done since the decision): more frames, no second decision.
        seen = _seen(probe, "synchronized")
        _feed_until(probe, camera, lambda: _seen(probe, "synchronized") >= seen + 5, proc, "frames while busy")
        assert decisions() == 1
        # Idle again -> the next frame gives the next decision.
        done.publish(Bool(data=True))
        _feed_until(probe, camera, lambda: decisions() >= 2, proc, "a second decision")
        # The scene did not change, so the first action failed: the node does not repeat it.
        first, second = (json.loads(m.data) for _, m in probe.recv["primitive"][:2])
        assert first["masked_failures"] == 0 and second["masked_failures"] == 1
        same_cell = first["primitive"] == second["primitive"] and max(
            abs(a - b) for a, b in zip(first["pixel"], second["pixel"])) <= 2
        assert not same_cell, (first, second)

        # Stopped camera: idle, but no new frames -> no decision, no waypoints.
        done.publish(Bool(data=True))
        waypoints_before = len(probe.recv["waypoints"])
        probe.spin_until(lambda: _diag(probe).get("waiting_for") == "camera frame", 10.0, "idle state", alive=[proc])
        reports = len(probe.recv["/diagnostics"])
        probe.spin_until(lambda: len(probe.recv["/diagnostics"]) >= reports + 2, 10.0, "two more status reports", alive=[proc])
        assert decisions() == 2 and len(probe.recv["waypoints"]) == waypoints_before

        # A clear workspace: primitive "none" and no waypoints.
        _feed_until(probe, camera, lambda: decisions() >= 3, proc, "a decision on a clear table", block=False)
        assert json.loads(probe.recv["primitive"][-1][1].data)["primitive"] == "none"
        assert len(probe.recv["waypoints"]) == waypoints_before
        assert proc.stop() == 0


@pytest.mark.parametrize("case", ["corrupt", "missing", "flight_contract", "no_model"])
def test_bad_model_stops_the_policy_with_a_clear_error(pushgrasp_export: Path, tmp_path: Path, case: str) -> None:
    contract = json.loads(pushgrasp_export.with_suffix(".contract.json").read_text())
    path = tmp_path / "policy.onnx"
    if case == "corrupt":
        path.write_bytes(pushgrasp_export.read_bytes()[:1000])
        (tmp_path / "policy.contract.json").write_text(json.dumps(contract))
        expected = "sha256"
    elif case == "missing":
        expected = "does not exist"
    elif case == "flight_contract":
        path.write_bytes(pushgrasp_export.read_bytes())
        (tmp_path / "policy.contract.json").write_text(json.dumps({**contract, "task": "flight"}))
        expected = "not 'pushgrasp'"
    else:
        path, expected = "", "model_path is required"
    proc = _policy(path)
    code = proc.wait(timeout=60)
    output = proc.output()
    proc.stop()
    assert code != 0
    assert "arm_policy: error:" in output and expected in output, output[-2000:]


def test_executor_refuses_bad_primitives_and_sends_controller_commands() -> None:
    from greenroom.real.arm.kinematics import top_down_rotation
    from greenroom.real.arm.motion import MotionSettings
    from greenroom.real.arm.node_util import arrays_to_pose

    joints = [f"panda_joint{i}" for i in range(1, 8)] + ["panda_finger_joint1", "panda_finger_joint2"]
    home = list(MotionSettings.home) + [0.04, 0.04]
    params = {"home_on_start": False, "timeout_margin": 0.5}
    with Probe("arm_probe") as probe, NodeProcess("arm_executor", params, module="greenroom.real.arm.executor_node") as proc:
        probe.subscribe(String, "motion_result", transient_local())
        probe.subscribe(Bool, "motion_done", transient_local())
        probe.subscribe(JointTrajectory, "/joint_trajectory_controller/joint_trajectory", reliable(10))
        probe.subscribe(Float64MultiArray, "/gripper_controller/commands", reliable(10))
        states = probe.publisher(JointState, "/joint_states", reliable(10))
        waypoints_pub = probe.publisher(PoseArray, "waypoints", reliable(1))
        primitive_pub = probe.publisher(String, "primitive", reliable(1))

        def publish_state() -> bool:
            states.publish(JointState(name=joints, position=home))
            return False

        probe.spin_until(lambda: publish_state() or (probe.recv["motion_done"] and probe.recv["motion_done"][-1][1].data
                                                     and primitive_pub.get_subscription_count() > 0),
                         DISCOVERY_S, "executor ready", alive=[proc])

        def send(primitive: str, points: list[list[float]], ident: int) -> dict:
            stamp = probe.node.get_clock().now().to_msg()
            msg = PoseArray(poses=[arrays_to_pose(np.array(p), top_down_rotation(0.0)) for p in points])
            msg.header.stamp = stamp
            primitive_pub.publish(String(data=json.dumps({"id": ident, "primitive": primitive, "stamp": [stamp.sec, stamp.nanosec]})))
            waypoints_pub.publish(msg)
            probe.spin_until(lambda: any(json.loads(m.data)["id"] == ident for _, m in probe.recv["motion_result"]),
                             20.0, f"result of primitive {ident}", alive=[proc])
            return next(json.loads(m.data) for _, m in probe.recv["motion_result"] if json.loads(m.data)["id"] == ident)

        grasp = [[0.5, 0.0, 0.17], [0.5, 0.0, 0.02], [0.5, 0.0, 0.02], [0.5, 0.0, 0.17]]
        below_table = [p[:2] + [p[2] - 0.3] for p in grasp]
        result = send("grasp", below_table, 1)
        assert not result["success"] and "safety box" in result["error"]
        result = send("grasp", [[1.5, 0.0, 0.17], [1.5, 0.0, 0.02], [1.5, 0.0, 0.02], [1.5, 0.0, 0.17]], 2)
        assert not result["success"] and ("safety box" in result["error"] or "IK" in result["error"])
        assert probe.recv["/joint_trajectory_controller/joint_trajectory"] == []  # nothing moved
        primitive_pub.publish(String(data="{not json"))

        # A valid grasp: gripper opens, then a trajectory for the 7 arm joints with increasing times.
        result = send("grasp", grasp, 3)  # no controller follows it: the step times out
        assert not result["success"] and "timed out" in result["error"]
        assert list(probe.recv["/gripper_controller/commands"][0][1].data) == [0.04, 0.04]
        trajectory = probe.recv["/joint_trajectory_controller/joint_trajectory"][0][1]
        assert list(trajectory.joint_names) == joints[:7]
        times = [p.time_from_start.sec + 1e-9 * p.time_from_start.nanosec for p in trajectory.points]
        assert len(times) >= 2 and np.all(np.diff(times) > 0)
        assert proc.poll() is None
