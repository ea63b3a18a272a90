"""``arm_sim_bridge``: the pybullet push-grasp world behind the same topics as the real arm.

Runs :class:`greenroom.sim.pushgrasp.world.PushGraspWorld` (Panda, table, toy blocks, RGB-D
camera at its nominal calibrated pose, randomization off) in real time and stands in for the
camera driver and the ros2_control controllers.

Publishes (sensor-data QoS: best effort, depth 5, unless noted):
- ``camera/color/image_raw`` sensor_msgs/Image rgb8, ``camera/aligned_depth_to_color/image_raw``
  sensor_msgs/Image 32FC1 metres along the optical axis (0 = no reading) and
  ``camera/color/camera_info`` sensor_msgs/CameraInfo, all with one stamp, frame
  ``camera_color_optical_frame``, at ``camera_rate`` Hz.
- ``/joint_states`` sensor_msgs/JointState (rad, m, rad/s) at ``joint_state_rate`` Hz, reliable.
- ``sim/camera_pose`` geometry_msgs/PoseStamped, transient local: the optical camera frame in
  ``base_frame`` (what the policy's ``camera_pose`` parameter must be).
- ``sim/objects_remaining`` std_msgs/Int32, transient local: blocks left in the workspace.
- ``sim/objects_lost`` std_msgs/Int32, transient local: blocks that left the workspace without
  the gripper (pushed or knocked out, fallen), counted since start; carried-out blocks are not.

Subscribes (reliable):
- ``/joint_trajectory_controller/joint_trajectory`` trajectory_msgs/JointTrajectory: followed by
  linear interpolation of the points in simulated time (a new trajectory replaces the old one,
  as ros2_control's joint trajectory controller does).
- ``/gripper_controller/commands`` std_msgs/Float64MultiArray: one target per finger joint (m).

Like a real RGB-D driver, its frames (640x480 with the ``paper`` preset: 0.9 MB colour + 1.2 MB
depth) can exceed Fast DDS's default 512 KB shared-memory segment: unless
``FASTDDS_DEFAULT_PROFILES_FILE`` is set, the process uses the shipped
``launch/fastdds_large_images.xml`` (README "Camera-sized images"), so no frame is lost.

Frames: the world is VPG's (z up, table at z = 0); the arm base ``base_frame`` sits at
(-0.03, 0, 0) turned pi about z. Blocks that leave the workspace (pushed out, or dropped
outside it by the executor after a grasp) are removed, as the simulator does after each action.
"""
from __future__ import annotations

import os
import sys
import time
from typing import Any

import numpy as np

from ...sim.pushgrasp.config import PushGraspEnvConfig
from ..common.params import Param, declare_params, not_empty, one_of
from ..common.share import share_file
from ..common.spin import run_node
from ...sim.core.rotations import matrix_to_quat, quat_to_matrix
from .node_util import reliable, transient_local

try:
    import pybullet as pb
    from geometry_msgs.msg import PoseStamped
    from rclpy.node import Node
    from rclpy.qos import qos_profile_sensor_data
    from sensor_msgs.msg import CameraInfo, Image, JointState
    from std_msgs.msg import Float64MultiArray, Int32
    from trajectory_msgs.msg import JointTrajectory
except ImportError as exc:  # pragma: no cover - depends on the install
    raise ImportError("arm_sim_bridge needs ROS 2 and pybullet: pip install 'greenroom[ros,sim]'") from exc

PRESETS = ("smoke", "cpu", "paper")

PARAMS: tuple[Param, ...] = (  # all read at start-up (read-only)
    Param("preset", "cpu", f"simulator preset ({', '.join(PRESETS)}): image size and workspace", read_only=True,
          check=one_of("preset", PRESETS)),
    Param("num_objects", 4, "blocks dropped at start", 0, 30, read_only=True),
    Param("seed", 0, "scene seed", 0, 2**31 - 1, read_only=True),
    Param("test_case", "", "VPG test-case file to place instead of random blocks", read_only=True),
    Param("mesh_dir", "", "mesh folder for test_case (VPG: objects/blocks)", read_only=True),
    Param("camera_rate", 2.0, "camera frame rate (Hz)", 0.1, 30.0, read_only=True),
    Param("joint_state_rate", 50.0, "joint_states rate (Hz)", 1.0, 500.0, read_only=True),
    Param("base_frame", "panda_link0", "arm base frame id", read_only=True, check=not_empty("base_frame")),
    Param("camera_frame", "camera_color_optical_frame", "camera optical frame id", read_only=True,
          check=not_empty("camera_frame")),
    Param("max_steps_per_tick", 24, "physics steps per 10 ms tick at most (catch-up cap)", 1, 240, read_only=True),
)


def base_transform(world: Any) -> np.ndarray:
    """4x4 transform base link frame -> world of the arm in ``world``.

    pybullet reports a base's centre-of-mass frame; the URDF link frame is that frame times the
    inverse of the link's local inertial frame.
    """
    client, body = world.client, world.arm.body
    com_position, com_orientation = pb.getBasePositionAndOrientation(body, physicsClientId=client)
    local_position, local_orientation = pb.getDynamicsInfo(body, -1, physicsClientId=client)[3:5]
    inv_position, inv_orientation = pb.invertTransform(local_position, local_orientation)
    position, orientation = pb.multiplyTransforms(com_position, com_orientation, inv_position, inv_orientation)
    t = np.eye(4)
    t[:3, :3] = quat_to_matrix(orientation)  # pybullet quaternions are (x, y, z, w)
    t[:3, 3] = position
    return t


class ArmSimBridge(Node):
    """pybullet in the loop; see the module docstring for topics, QoS and frames."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("arm_sim_bridge", **kwargs)
        p = declare_params(self, PARAMS)  # ParamError (a StartupError): one clear line, exit 1
        preset, num_objects, seed, test_case, mesh_dir = (p[k] for k in ("preset", "num_objects", "seed", "test_case",
                                                                           "mesh_dir"))
        self.camera_rate, self.joint_rate = p["camera_rate"], p["joint_state_rate"]
        self.base_frame, self.camera_frame = p["base_frame"], p["camera_frame"]
        self.max_steps_per_tick = p["max_steps_per_tick"]

        from ...sim.pushgrasp.world import TIME_STEP, PushGraspWorld

        self.config = getattr(PushGraspEnvConfig, preset)()
        self.world = PushGraspWorld(self.config)
        self.dt = TIME_STEP
        if test_case:
            from pathlib import Path

            from ...sim.pushgrasp.testcases import load_vpg_test_case

            self.world.place(load_vpg_test_case(Path(test_case), Path(mesh_dir or Path(test_case).parent), self.config.workspace))
        else:
            self.world.drop_random(num_objects, np.random.default_rng(seed))
        self.world.remove_lost_objects()
        arm = self.world.arm
        info = [pb.getJointInfo(arm.body, j, physicsClientId=self.world.client) for j in arm.arm_joints + arm.fingers]
        self.joint_names = [i[1].decode() for i in info]
        self.joint_ids = dict(zip(self.joint_names, arm.arm_joints + arm.fingers))
        self.arm_names = self.joint_names[: len(arm.arm_joints)]
        self.finger_names = self.joint_names[len(arm.arm_joints):]
        self.targets = {n: pb.getJointState(arm.body, j, physicsClientId=self.world.client)[0] for n, j in self.joint_ids.items()}
        self._trajectory: tuple[float, list[str], np.ndarray, np.ndarray] | None = None  # start, names, times, positions
        self.sim_time = 0.0
        self._wall0 = time.monotonic()
        self._next_camera = 0.0
        self._next_joints = 0.0
        self._objects = -1
        self.camera_to_base = np.linalg.inv(base_transform(self.world)) @ self.world.camera_pose

        sensor = qos_profile_sensor_data
        self.color_pub = self.create_publisher(Image, "camera/color/image_raw", sensor)
        self.depth_pub = self.create_publisher(Image, "camera/aligned_depth_to_color/image_raw", sensor)
        self.info_pub = self.create_publisher(CameraInfo, "camera/color/camera_info", sensor)
        self.joint_pub = self.create_publisher(JointState, "/joint_states", reliable(10))
        self.pose_pub = self.create_publisher(PoseStamped, "sim/camera_pose", transient_local())
        self.count_pub = self.create_publisher(Int32, "sim/objects_remaining", transient_local())
        self.lost_pub = self.create_publisher(Int32, "sim/objects_lost", transient_local())
        self._lost, self._lost_published = 0, -1
        self.create_subscription(JointTrajectory, "/joint_trajectory_controller/joint_trajectory", self._on_trajectory, reliable(5))
        self.create_subscription(Float64MultiArray, "/gripper_controller/commands", self._on_gripper, reliable(5))
        self.create_timer(0.01, self._tick)
        self._publish_camera_pose()
        self.get_logger().info(
            f"arm_sim_bridge: preset {preset}, {len(self.world.objects)} blocks, camera "
            f"{self.config.image_width}x{self.config.image_height} at {self.camera_rate} Hz; camera in "
            f"{self.base_frame}: {self.camera_pose_parameter()}")

    def camera_pose_parameter(self) -> list[float]:
        """The policy's ``camera_pose`` parameter value: x, y, z (m), qx, qy, qz, qw."""
        q = matrix_to_quat(self.camera_to_base[:3, :3])
        return [round(float(v), 6) for v in (*self.camera_to_base[:3, 3], *q)]

    def _publish_camera_pose(self) -> None:
        msg = PoseStamped()
        msg.header.stamp, msg.header.frame_id = self.get_clock().now().to_msg(), self.base_frame
        x, y, z, qx, qy, qz, qw = self.camera_pose_parameter()
        msg.pose.position.x, msg.pose.position.y, msg.pose.position.z = x, y, z
        msg.pose.orientation.x, msg.pose.orientation.y, msg.pose.orientation.z, msg.pose.orientation.w = qx, qy, qz, qw
        self.pose_pub.publish(msg)

    # ------------------------------------------------------------- controllers
    def _on_trajectory(self, msg: JointTrajectory) -> None:
        names = list(msg.joint_names)
        unknown = [n for n in names if n not in self.joint_ids]
        if unknown or not msg.points or any(len(pt.positions) != len(names) for pt in msg.points):
            self.get_logger().error(f"trajectory refused: unknown joints {unknown} or malformed points")
            return
        times = np.array([pt.time_from_start.sec + 1e-9 * pt.time_from_start.nanosec for pt in msg.points])
        positions = np.array([list(pt.positions) for pt in msg.points], dtype=float)
        if np.any(np.diff(times) <= 0) or times[0] < 0 or not np.all(np.isfinite(positions)):
            self.get_logger().error("trajectory refused: times must increase and positions be finite")
            return
        start = np.array([self.targets[n] for n in names])
        self._trajectory = (self.sim_time, names, np.concatenate([[0.0], times]), np.vstack([start, positions]))

    def _on_gripper(self, msg: Float64MultiArray) -> None:
        values = list(msg.data)
        if len(values) != len(self.finger_names) or not all(np.isfinite(values)):
            self.get_logger().error(f"gripper command needs {len(self.finger_names)} finite values; got {values}")
            return
        for name, value in zip(self.finger_names, values):
            self.targets[name] = float(np.clip(value, 0.0, self.world.arm.spec.finger_open))

    def _apply_targets(self) -> None:
        if self._trajectory is not None:
            start, names, times, positions = self._trajectory
            t = self.sim_time - start
            for i, name in enumerate(names):
                self.targets[name] = float(np.interp(t, times, positions[:, i]))
            if t >= times[-1]:
                self._trajectory = None
        arm = self.world.arm
        arm.command_joints(np.array([self.targets[n] for n in self.arm_names]))
        arm.command_gripper(sum(self.targets[n] for n in self.finger_names))

    # ------------------------------------------------------------------ timing
    def _tick(self) -> None:
        wall = time.monotonic() - self._wall0
        steps = 0
        while self.sim_time + self.dt <= wall and steps < self.max_steps_per_tick:
            self._apply_targets()
            pb.stepSimulation(physicsClientId=self.world.client)
            self.sim_time += self.dt
            steps += 1
        self._lost += self.world.take_lost_objects()[1]  # every tick: a carried block is still in the gripper
        if self.sim_time + self.dt <= wall:  # fell behind (busy machine): slow down instead of bursting
            self._wall0 += wall - self.sim_time
        if wall >= self._next_joints:
            self._next_joints = wall + 1.0 / self.joint_rate
            self._publish_joints()
        if wall >= self._next_camera:
            self._next_camera = wall + 1.0 / self.camera_rate
            self._publish_camera()

    def _publish_joints(self) -> None:
        ids = [self.joint_ids[n] for n in self.joint_names]
        states = pb.getJointStates(self.world.arm.body, ids, physicsClientId=self.world.client)
        msg = JointState(name=list(self.joint_names), position=[float(s[0]) for s in states],
                         velocity=[float(s[1]) for s in states])
        msg.header.stamp = self.get_clock().now().to_msg()
        self.joint_pub.publish(msg)

    def _publish_camera(self) -> None:
        if self._lost != self._lost_published:
            self._lost_published = self._lost
            self.lost_pub.publish(Int32(data=self._lost))
        if len(self.world.objects) != self._objects:
            self._objects = len(self.world.objects)
            self.count_pub.publish(Int32(data=self._objects))
        color, depth = self.world.render()
        stamp = self.get_clock().now().to_msg()
        k = self.world.intrinsics
        height, width = depth.shape
        color_msg = Image(encoding="rgb8", width=width, height=height, step=width * 3, data=color.tobytes())
        depth_msg = Image(encoding="32FC1", width=width, height=height, step=width * 4,
                          data=depth.astype("<f4").tobytes())
        info = CameraInfo(width=width, height=height, distortion_model="plumb_bob", d=[0.0] * 5,
                          k=[k.fx, 0.0, k.cx, 0.0, k.fy, k.cy, 0.0, 0.0, 1.0],
                          r=[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
                          p=[k.fx, 0.0, k.cx, 0.0, 0.0, k.fy, k.cy, 0.0, 0.0, 0.0, 1.0, 0.0])
        for msg in (color_msg, depth_msg, info):
            msg.header.stamp, msg.header.frame_id = stamp, self.camera_frame
        self.color_pub.publish(color_msg)
        self.depth_pub.publish(depth_msg)
        self.info_pub.publish(info)

    def destroy_node(self) -> None:
        world, self.world = getattr(self, "world", None), None  # None when the constructor failed early
        if world is not None:
            world.close()
        super().destroy_node()


def main(args: list[str] | None = None) -> int:
    """Console script ``arm_sim_bridge``: spin until SIGINT/SIGTERM; exit status 1 on a start-up error.

    Like a camera driver publishing 640x480 RGB-D, it needs a shared-memory segment larger than
    Fast DDS's 512 KB default (README "Camera-sized images"): unless ``FASTDDS_DEFAULT_PROFILES_FILE``
    is set, it uses the shipped ``launch/fastdds_large_images.xml``."""
    try:
        os.environ.setdefault("FASTDDS_DEFAULT_PROFILES_FILE", str(share_file("launch/fastdds_large_images.xml")))
    except FileNotFoundError as exc:
        print(f"arm_sim_bridge: warning: {exc}; large frames may be lost", file=sys.stderr)
    return run_node(ArmSimBridge, args, "arm_sim_bridge", (ValueError, FileNotFoundError))


if __name__ == "__main__":
    sys.exit(main())
