"""``flight_sim_bridge``: the MuJoCo flight env (:class:`FlightEnv`) as a vehicle on ROS 2.

It stands where the quadrotor and its drivers stand, behind the same topics, so the policy
node and launch files run unchanged in simulation and on hardware.

Topics (relative names):

===================  ==============================  ===========================================
``image`` (pub)      sensor_msgs/Image rgb8          sensor-data QoS; the env's camera, one frame
                                                     per env step (the camera rate = the env's
                                                     ``control_hz``), stamped with the node clock,
                                                     frame ``camera_frame``.
``camera_info``      sensor_msgs/CameraInfo          sensor-data QoS; pinhole of the nominal
(pub)                                                camera (focal from ``hfov_deg``), no
                                                     distortion; same stamp as the image.
``odom`` (pub)       nav_msgs/Odometry               reliable: pose of ``base_frame`` in
                                                     ``odom_frame`` (world, z up, m, yaw as a
                                                     quaternion about z); twist in the body
                                                     frame (m/s, rad/s) from consecutive poses.
``collision`` (pub)  std_msgs/Bool                   reliable: ``true`` once per collision; the
                                                     episode then restarts (``reset_on_end``).
``cmd_vel`` (sub)    geometry_msgs/Twist (or         reliable. Body frame [vx, vy, vz, yaw rate]
                     TwistStamped: ``use_stamped``)  (m/s, rad/s), clipped to the env's action
                                                     limits. Like MAVROS setpoint_velocity or a
                                                     Tello driver: the last command is held until
                                                     ``cmd_timeout_s`` passes without one, then
                                                     the vehicle is commanded to zero (hover).
===================  ==============================  ===========================================

Stepping (``lockstep``): false = real time, one env step every ``1 / control_hz`` seconds of
wall time; true = as fast as commands arrive: each command received after a frame steps the
env once and publishes the next frame; with ``use_stamped`` only a command stamped with the
current frame's stamp (the policy node's answer to it) steps, other commands (e.g. watchdog
zeros) just replace the held command. Simulated time then stands still between commands (no
setpoint timeout); the current frame is re-sent every ``cmd_timeout_s`` until a command comes,
so a policy node that starts late still gets its first image.

Parameters: ``preset`` (smoke|cpu|paper) and ``overrides`` (``key=value`` strings of
:class:`FlightEnvConfig`, e.g. ``["max_steps=2000"]``), ``seed`` (first episode; episode k
uses ``seed + k``), ``lockstep``, ``cmd_timeout_s``, ``use_stamped``, frame names.
"""
from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from geometry_msgs.msg import Twist, TwistStamped
from nav_msgs.msg import Odometry
from rclpy.node import Node
from rclpy.qos import QoSProfile, qos_profile_sensor_data
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Bool

from ...policies.common.config import ConfigError, resolve_config
from ...sim.core.rotations import quat_of_yaw, yaw_matrix
from ..common.params import Param, declare_params, not_empty
from ..common.spin import StartupError, run_node

PARAMS: tuple[Param, ...] = (
    Param("preset", "cpu", "FlightEnvConfig preset: smoke, cpu or paper", read_only=True,
          check=lambda v: None if v in ("smoke", "cpu", "paper") else f"preset must be smoke, cpu or paper, got {v!r}"),
    Param("overrides", [""], "FlightEnvConfig key=value overrides (e.g. max_steps=2000)", read_only=True),
    Param("seed", 0, "seed of the first episode (episode k uses seed + k)", low=0, high=2**31 - 1, read_only=True),
    Param("lockstep", False, "step once per received command instead of in real time", read_only=True),
    Param("cmd_timeout_s", 0.5, "hold the last command this long (s), then command zero", low=0.01, high=10.0),
    Param("reset_on_end", True, "start a new episode after a collision or truncation (else stop publishing)"),
    Param("use_stamped", False, "cmd_vel is geometry_msgs/TwistStamped", read_only=True),
    Param("odom_frame", "odom", "world frame of Odometry (z up)", check=not_empty("odom_frame")),
    Param("base_frame", "base_link", "body frame (x forward, y left, z up)", check=not_empty("base_frame")),
    Param("camera_frame", "camera", "frame of the Image and CameraInfo", check=not_empty("camera_frame")),
)


class FlightSimBridge(Node):
    """Steps :class:`FlightEnv` with the commanded Twist and publishes what the vehicle senses."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("flight_sim_bridge", **kwargs)
        self.env: Any = None  # destroy_node runs even when the constructor fails below
        self.p = declare_params(self, PARAMS)  # ParamError (a StartupError) on a bad value
        from ...sim.flight.config import FlightEnvConfig
        from ...sim.flight.env import FlightEnv

        overrides = [o for o in self.p["overrides"] if o.strip()]
        try:
            self.config = resolve_config(FlightEnvConfig, self.p["preset"], overrides)
        except (ConfigError, ValueError) as exc:
            raise StartupError(f"bad FlightEnvConfig: {exc}") from None
        if not 0.0 < float(self.config.control_hz) <= 1000.0:
            raise StartupError(f"FlightEnvConfig control_hz={self.config.control_hz} is outside (0, 1000] Hz")
        self.env = FlightEnv(self.config)
        self.low = self.env.action_space.low.astype(np.float64)
        self.high = self.env.action_space.high.astype(np.float64)
        self.dt = 1.0 / float(self.config.control_hz)
        self.episode = 0
        self.command = np.zeros(4, np.float32)
        self.command_time = -math.inf
        self.frame_time = time.monotonic()
        self.ended = False

        sensor_qos = qos_profile_sensor_data
        self.image_pub = self.create_publisher(Image, "image", sensor_qos)
        self.info_pub = self.create_publisher(CameraInfo, "camera_info", sensor_qos)
        self.odom_pub = self.create_publisher(Odometry, "odom", QoSProfile(depth=100))
        self.collision_pub = self.create_publisher(Bool, "collision", QoSProfile(depth=10))
        cmd_type = TwistStamped if self.p["use_stamped"] else Twist
        self.create_subscription(cmd_type, "cmd_vel", self._on_cmd, QoSProfile(depth=10))

        self._reset()
        if self.p["lockstep"]:
            self.create_timer(self.get_parameter("cmd_timeout_s").value, self._on_lockstep_timeout)
        else:
            self.create_timer(self.dt, self._on_real_time_tick)
        self.get_logger().info(
            f"FlightEnv {self.p['preset']} {overrides or ''}: {self.config.image_size} px camera at "
            f"{self.config.control_hz:g} Hz, {'lockstep' if self.p['lockstep'] else 'real time'}, seed {self.p['seed']}")

    # ------------------------------------------------------------------ episode
    def _reset(self) -> None:
        obs, info = self.env.reset(seed=int(self.p["seed"]) + self.episode)
        self.pose = np.asarray(info["pose"], dtype=np.float64)
        self.ended = False
        self._publish(obs, self.pose, np.zeros(4))

    def _step(self) -> None:
        if self.ended:
            return
        action = self._current_command()
        obs, _, terminated, truncated, info = self.env.step(action)
        pose = np.asarray(info["pose"], dtype=np.float64)
        velocity = _body_velocity(self.pose, pose, self.dt)
        self.pose = pose
        self._publish(obs, pose, velocity)
        if info.get("collision"):
            self.collision_pub.publish(Bool(data=True))
            self.get_logger().warning(f"collision in episode {self.episode} after {info.get('distance', 0):.2f} m")
        if terminated or truncated:
            self.episode += 1
            if self.get_parameter("reset_on_end").value:
                self._reset()
            else:
                self.ended = True

    def _current_command(self) -> np.ndarray:
        if time.monotonic() - self.command_time > self.get_parameter("cmd_timeout_s").value:
            return np.zeros(4, np.float32)  # like PX4 offboard / a Tello driver: stale setpoint -> stop
        return self.command

    # ------------------------------------------------------------------ callbacks
    def _on_cmd(self, msg: Twist | TwistStamped) -> None:
        twist = msg.twist if isinstance(msg, TwistStamped) else msg
        raw = np.array([twist.linear.x, twist.linear.y, twist.linear.z, twist.angular.z], dtype=np.float64)
        if not np.all(np.isfinite(raw)):
            self.get_logger().warning("non-finite cmd_vel ignored (zero)", throttle_duration_sec=2.0)
            raw = np.zeros(4)
        self.command = np.clip(raw, self.low, self.high).astype(np.float32)
        self.command_time = time.monotonic()
        if self.p["lockstep"] and (not isinstance(msg, TwistStamped) or msg.header.stamp == self.frame_stamp):
            self._step()

    def _on_real_time_tick(self) -> None:
        self._step()

    def _on_lockstep_timeout(self) -> None:
        # Simulated time stands still without commands, so no setpoint times out; re-send the
        # current frame (new stamp) so that a late or restarted policy node gets one.
        if time.monotonic() - self.frame_time > self.get_parameter("cmd_timeout_s").value:
            self._publish(*self.last_frame)

    # ------------------------------------------------------------------ output
    def _publish(self, obs: Any, pose: np.ndarray, velocity: np.ndarray) -> None:
        self.last_frame = (obs, pose, velocity)
        rgb = np.ascontiguousarray(obs["rgb"] if isinstance(obs, dict) else obs, dtype=np.uint8)
        stamp = self.get_clock().now().to_msg()
        self.frame_stamp = stamp
        camera = self.get_parameter("camera_frame").value
        image = Image(height=rgb.shape[0], width=rgb.shape[1], encoding="rgb8", step=rgb.shape[1] * 3)
        image.header.stamp, image.header.frame_id = stamp, camera
        image.data = rgb.tobytes()
        self.image_pub.publish(image)
        self.info_pub.publish(self._camera_info(rgb.shape[0], rgb.shape[1], stamp, camera))
        self.odom_pub.publish(self._odometry(pose, velocity, stamp))
        self.frame_time = time.monotonic()

    def _camera_info(self, height: int, width: int, stamp: Any, frame: str) -> CameraInfo:
        focal = 0.5 * width / math.tan(math.radians(self.config.hfov_deg) / 2)
        cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
        info = CameraInfo(height=height, width=width, distortion_model="plumb_bob")
        info.header.stamp, info.header.frame_id = stamp, frame
        info.d = [0.0] * 5
        info.k = [focal, 0.0, cx, 0.0, focal, cy, 0.0, 0.0, 1.0]
        info.r = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
        info.p = [focal, 0.0, cx, 0.0, 0.0, focal, cy, 0.0, 0.0, 0.0, 1.0, 0.0]
        return info

    def _odometry(self, pose: np.ndarray, velocity: np.ndarray, stamp: Any) -> Odometry:
        odom = Odometry()
        odom.header.stamp = stamp
        odom.header.frame_id = self.get_parameter("odom_frame").value
        odom.child_frame_id = self.get_parameter("base_frame").value
        x, y, z, yaw = (float(v) for v in pose[:4])
        odom.pose.pose.position.x, odom.pose.pose.position.y, odom.pose.pose.position.z = x, y, z
        o = odom.pose.pose.orientation
        o.x, o.y, o.z, o.w = (float(v) for v in quat_of_yaw(yaw))
        t = odom.twist.twist
        t.linear.x, t.linear.y, t.linear.z, t.angular.z = (float(v) for v in velocity)
        return odom

    def destroy_node(self) -> None:
        env, self.env = self.env, None
        if env is not None:
            env.close()
        super().destroy_node()


def _body_velocity(before: np.ndarray, after: np.ndarray, dt: float) -> np.ndarray:
    """[vx, vy, vz, yaw rate] in the body frame of ``after`` from two world poses [x, y, z, yaw]."""
    world = (after[:3] - before[:3]) / dt
    dyaw = math.remainder(after[3] - before[3], 2 * math.pi) / dt
    return np.array([*(yaw_matrix(after[3]).T @ world), dyaw])  # world -> body of `after`


def main(args: Sequence[str] | None = None) -> int:
    """Console script ``flight_sim_bridge``: ``flight_sim_bridge --ros-args -p seed:=3 -p lockstep:=true``."""
    return run_node(FlightSimBridge, args, "flight_sim_bridge")


if __name__ == "__main__":
    import sys

    sys.exit(main())
