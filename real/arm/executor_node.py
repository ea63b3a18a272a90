"""``arm_executor``: primitive waypoints -> joint trajectories (IK on the arm URDF) and gripper commands.

Subscribes (relative names; remap in the launch file):
- ``waypoints`` geometry_msgs/PoseArray, reliable depth 1: the four tool poses of one primitive
  (approach, target, end, retreat) in ``base_frame``, metres; orientation = tool frame (z along
  the fingers, y along the closing direction).
- ``primitive`` std_msgs/String (JSON), reliable depth 1: ``{"id", "primitive": "push"|"grasp",
  "stamp": [sec, nanosec], ...}``; paired with ``waypoints`` by equal header stamp.
- ``/joint_states`` sensor_msgs/JointState, best effort (accepts reliable publishers): rad, m.

Publishes:
- ``/joint_trajectory_controller/joint_trajectory`` trajectory_msgs/JointTrajectory, reliable:
  a ros2_control joint trajectory controller's command topic (positions in rad, times from start).
- ``/gripper_controller/commands`` std_msgs/Float64MultiArray, reliable: one position per finger
  joint (m), for a forward_command_controller of the gripper's finger joints.
- ``motion_done`` std_msgs/Bool, reliable + transient local: False when a motion starts, True when
  the arm is idle again (after success, failure or refusal): the policy's cue to decide again.
- ``motion_result`` std_msgs/String (JSON), reliable + transient local: ``{"id", "primitive",
  "success", "error", "finger_width_m", "grasp_width_m" (finger opening after close + lift: > 0
  when something is held), "duration_s"}``.

Each step waits for the joint states to reach its goal (``goal_tolerance`` rad) within the
step's duration plus ``timeout_margin`` s; grippers finish when the fingers reach the target or
stall (an object between the jaws). Nothing is sent before the whole primitive has IK solutions.
"""
from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..common.params import Param, declare_params, length, not_empty
from ..common.spin import run_node
from .kinematics import ArmKinematics, IKError, time_parametrize
from .motion import GripperStep, MotionRefused, MotionSettings, Step, TrajectoryStep, plan_motion
from .node_util import pose_to_arrays, reliable, transient_local

try:
    from geometry_msgs.msg import PoseArray
    from rclpy.node import Node
    from rclpy.qos import qos_profile_sensor_data
    from sensor_msgs.msg import JointState
    from std_msgs.msg import Bool, Float64MultiArray, String
    from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint
except ImportError as exc:  # pragma: no cover - depends on the install
    raise ImportError("the arm nodes need ROS 2 (rclpy): pip install 'greenroom[ros]'") from exc


def _duration(seconds: float) -> Any:
    from builtin_interfaces.msg import Duration

    whole = int(seconds)
    return Duration(sec=whole, nanosec=int(round((seconds - whole) * 1e9)))


PARAMS: tuple[Param, ...] = (  # all read at start-up (read-only)
    Param("urdf_path", "", "arm URDF (empty: the bundled Panda)", read_only=True),
    Param("base_frame", "panda_link0", "URDF base link = frame of the waypoints", read_only=True,
          check=not_empty("base_frame")),
    Param("tool_link", "panda_grasptarget", "URDF tool link (fingertip centre)", read_only=True,
          check=not_empty("tool_link")),
    Param("finger_joints", ["panda_finger_joint1", "panda_finger_joint2"], "finger joint names (gripper command order)",
          read_only=True),
    Param("max_joint_speed", 0.8, "joint speed limit (rad/s)", 0.05, 2.6, read_only=True),
    Param("cartesian_step", 0.01, "IK point spacing on straight lines (m)", 0.002, 0.05, read_only=True),
    Param("finger_open", 0.04, "open finger position (m per finger)", 0.0, 0.1, read_only=True),
    Param("finger_closed", 0.0, "closed finger position (m per finger)", 0.0, 0.1, read_only=True),
    Param("home_joints", [float(v) for v in MotionSettings.home], "home joint positions (rad), out of the camera view",
          read_only=True),
    Param("drop_position", [], "where grasped objects are dropped (x, y, z m, base frame); []: keep them",
          read_only=True, check=length("drop_position", 0, 3, what="x, y, z in m")),
    Param("safety_box", [float(v) for v in MotionSettings.safety_box], "tool box x/y/z min,max (m, base frame)",
          read_only=True, check=length("safety_box", 6, what="x_min, x_max, y_min, y_max, z_min, z_max")),
    Param("goal_tolerance", 0.03, "joint goal tolerance (rad)", 0.001, 0.5, read_only=True),
    Param("timeout_margin", 3.0, "extra time allowed per step (s)", 0.1, 60.0, read_only=True),
    Param("gripper_timeout", 3.0, "longest gripper motion (s)", 0.1, 30.0, read_only=True),
    Param("home_on_start", True, "move to home_joints before the first primitive", read_only=True),
)


class ArmExecutor(Node):
    """Runs one primitive at a time; see the module docstring for topics, QoS and units."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("arm_executor", **kwargs)
        p = declare_params(self, PARAMS)  # ParamError (a StartupError): one clear line, exit 1
        urdf, base, tip = p["urdf_path"], p["base_frame"], p["tool_link"]
        self.finger_joints = list(p["finger_joints"])
        self.settings = settings = MotionSettings(
            max_joint_speed=p["max_joint_speed"], cartesian_step=p["cartesian_step"], finger_open=p["finger_open"],
            finger_closed=p["finger_closed"], home=tuple(p["home_joints"]),
            drop_position=tuple(p["drop_position"]) or None, safety_box=tuple(p["safety_box"]))
        self.goal_tolerance, self.timeout_margin = p["goal_tolerance"], p["timeout_margin"]
        self.gripper_timeout, self.home_on_start = p["gripper_timeout"], p["home_on_start"]
        self.kin = ArmKinematics(urdf or None, base, tip)
        if len(settings.home) != self.kin.dof:
            raise ValueError(f"home_joints has {len(settings.home)} values; the arm has {self.kin.dof} joints {self.kin.joint_names}")
        self.joint_names = self.kin.joint_names
        self._joints: dict[str, tuple[float, float]] = {}  # name -> (position, stamp wall time)
        self._waypoints: PoseArray | None = None
        self._primitive: dict | None = None
        self._steps: list[Step] = []
        self._step_started = 0.0
        self._finger_history: list[tuple[float, float]] = []
        self._current: dict | None = None

        self.traj_pub = self.create_publisher(JointTrajectory, "/joint_trajectory_controller/joint_trajectory", reliable(1))
        self.grip_pub = self.create_publisher(Float64MultiArray, "/gripper_controller/commands", reliable(1))
        self.done_pub = self.create_publisher(Bool, "motion_done", transient_local())
        self.result_pub = self.create_publisher(String, "motion_result", transient_local())
        self.create_subscription(JointState, "/joint_states", self._on_joints, qos_profile_sensor_data)
        self.create_subscription(PoseArray, "waypoints", self._on_waypoints, reliable(1))
        self.create_subscription(String, "primitive", self._on_primitive, reliable(1))
        self.create_timer(0.02, self._tick)
        self._started = False
        self.get_logger().info(f"arm_executor ready: joints {self.joint_names}, tool {tip} in {base}")

    # ------------------------------------------------------------------ inputs
    def _on_joints(self, msg: JointState) -> None:
        now = time.monotonic()
        for name, position in zip(msg.name, msg.position):
            self._joints[name] = (float(position), now)

    def _joint_vector(self, names: Sequence[str]) -> np.ndarray | None:
        if any(n not in self._joints for n in names):
            return None
        return np.array([self._joints[n][0] for n in names])

    def _on_waypoints(self, msg: PoseArray) -> None:
        self._waypoints = msg
        self._try_start()

    def _on_primitive(self, msg: String) -> None:
        try:
            data = json.loads(msg.data)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            self.get_logger().error(f"ignoring primitive description that is not a JSON object: {exc}")
            return
        self._primitive = data
        self._try_start()

    def _try_start(self) -> None:
        if self._waypoints is None or self._primitive is None:
            return
        stamp = self._waypoints.header.stamp
        if self._primitive.get("stamp") != [stamp.sec, stamp.nanosec]:
            return  # the pair is incomplete (the other half is still in flight) or malformed
        waypoints, description = self._waypoints, self._primitive
        self._waypoints = self._primitive = None
        if self._steps:
            self._finish(description, False, "busy: a primitive is already running; the new one is refused")
            return
        start = self._joint_vector(self.joint_names)
        if start is None:
            self._finish(description, False, "no joint_states received yet for " + ", ".join(self.joint_names))
            return
        try:
            positions, rotations = zip(*(pose_to_arrays(pose) for pose in waypoints.poses))
            steps = plan_motion(self.kin, str(description.get("primitive")), np.array(positions), list(rotations),
                                start, self.settings)
        except (MotionRefused, IKError, ValueError) as exc:
            self._finish(description, False, str(exc))
            return
        self._begin(description, steps)

    # ----------------------------------------------------------------- running
    def _begin(self, description: dict, steps: list[Step]) -> None:
        self._current = {"id": description.get("id"), "primitive": description.get("primitive"), "t0": time.monotonic()}
        self._steps = steps
        self.done_pub.publish(Bool(data=False))
        self.get_logger().info(f"executing {description.get('primitive')} #{description.get('id')}: "
                               + ", ".join(s.label for s in steps))
        self._send(steps[0])

    def _send(self, step: Step) -> None:
        self._step_started = time.monotonic()
        self._finger_history = []
        if isinstance(step, GripperStep):
            self.grip_pub.publish(Float64MultiArray(data=[float(step.finger_position)] * len(self.finger_joints)))
            return
        msg = JointTrajectory()
        msg.header.stamp.sec = 0  # zero stamp: start now (ros2_control convention)
        msg.joint_names = list(self.joint_names)
        for q, t in zip(step.positions, step.times):
            msg.points.append(JointTrajectoryPoint(positions=[float(v) for v in q], time_from_start=_duration(t)))
        self.traj_pub.publish(msg)

    def _step_done(self, step: Step, elapsed: float) -> tuple[bool, str]:
        """(finished, error) for the running step, from the latest joint states."""
        if isinstance(step, TrajectoryStep):
            q = self._joint_vector(self.joint_names)
            if q is not None and elapsed >= step.duration and np.abs(q - step.positions[-1]).max() <= self.goal_tolerance:
                return True, ""
            if elapsed > step.duration + self.timeout_margin:
                err = "no joint_states" if q is None else f"{np.abs(q - step.positions[-1]).max():.3f} rad from the goal"
                return True, f"step '{step.label}' timed out after {elapsed:.1f} s ({err})"
            return False, ""
        fingers = self._joint_vector(self.finger_joints)
        if fingers is not None:
            self._finger_history.append((elapsed, float(fingers.mean())))
            if np.abs(fingers - step.finger_position).max() < 0.002:
                return True, ""
            recent = [w for t, w in self._finger_history if t >= elapsed - 0.3]
            if elapsed > 0.5 and len(recent) > 3 and max(recent) - min(recent) < 0.0005:
                return True, ""  # stalled on an object
        if elapsed > self.gripper_timeout:
            return True, ""  # a gripper without position feedback: go on after the timeout
        return False, ""

    def _tick(self) -> None:
        if not self._started:
            self._start_up()
            return
        if not self._steps:
            return
        step = self._steps[0]
        finished, error = self._step_done(step, time.monotonic() - self._step_started)
        if not finished:
            return
        if error:
            self._steps = []
            self._finish(self._current or {}, False, error)
            return
        done = self._steps.pop(0)
        if done.label == "lift" and self._current is not None:  # holding something after close + lift?
            fingers = self._joint_vector(self.finger_joints)
            self._current["grasp_width_m"] = None if fingers is None else float(fingers.sum())
        if self._steps:
            self._send(self._steps[0])
        else:
            self._finish(self._current or {}, True, "")

    def _start_up(self) -> None:
        """Once joint states arrive: optionally go home, then report idle (motion_done True)."""
        start = self._joint_vector(self.joint_names)
        if start is None:
            return
        self._started = True
        home = np.asarray(self.settings.home, dtype=float)
        if self.home_on_start and np.abs(start - home).max() > self.goal_tolerance:
            path = [start + (home - start) * k / 10 for k in range(1, 11)]
            step = TrajectoryStep(path, time_parametrize(path, start, self.settings.max_joint_speed), "home")
            self._begin({"id": None, "primitive": "home"}, [step])
        else:
            self._finish({"id": None, "primitive": "start"}, True, "")

    def _finish(self, description: dict, success: bool, error: str) -> None:
        fingers = self._joint_vector(self.finger_joints)
        t0 = description.get("t0")
        result = {"id": description.get("id"), "primitive": description.get("primitive"), "success": success,
                  "error": error, "finger_width_m": None if fingers is None else float(fingers.sum()),
                  "grasp_width_m": description.get("grasp_width_m"),
                  "duration_s": None if t0 is None else round(time.monotonic() - t0, 3)}
        if error:
            self.get_logger().error(f"primitive #{description.get('id')} failed: {error}")
        self._current = None
        self.result_pub.publish(String(data=json.dumps(result)))
        self.done_pub.publish(Bool(data=True))


def main(args: list[str] | None = None) -> int:
    """Console script ``arm_executor``: spin until SIGINT/SIGTERM; exit status 1 on a start-up error."""
    return run_node(ArmExecutor, args, "arm_executor", (ValueError, FileNotFoundError))


if __name__ == "__main__":
    sys.exit(main())
