"""``arm_policy``: RGB-D camera -> heightmap -> exported VPG FCNs (ONNX) -> one push/grasp primitive.

Subscribes (relative names; remap in the launch file), keep last 5, reliability ``image_qos``
(``auto``: best effort, reliable while every publisher of that topic is reliable; lost and
stalled frames are warned about, see :mod:`..common.camera` and the README "Camera-sized images"):
- ``camera/color/image_raw`` sensor_msgs/Image rgb8/bgr8/mono8.
- ``camera/aligned_depth_to_color/image_raw`` sensor_msgs/Image 32FC1 (m) or 16UC1 (mm),
  registered to the colour image.
- ``camera/color/camera_info`` sensor_msgs/CameraInfo (``k`` = pinhole intrinsics, pixels).
  The three are paired by an approximate-time synchronizer (``sync_slop`` s).
- ``motion_done`` std_msgs/Bool, reliable + transient local: True when the executor is idle.

Publishes (``base_frame``, metres; reliable depth 1 unless noted):
- ``waypoints`` geometry_msgs/PoseArray: approach, target, end, retreat tool poses (z down,
  y along the jaw-closing direction), clamped into the heightmap box (the workspace plus the contract's
  ``view_margin``) plus ``safety_margin``.
- ``primitive`` std_msgs/String JSON: ``{"id", "stamp": [sec, nanosec], "primitive",
  "rotation", "angle_rad", "pixel": [row, col], "q_value", "position", "waypoints", ...}``,
  same stamp as ``waypoints``; ``"primitive": "none"`` when the workspace is clear.
- ``q_map`` sensor_msgs/Image rgb8: the chosen primitive's Q map at the chosen rotation (JET).
- ``heightmap`` sensor_msgs/Image rgb8: the colour heightmap the decision was made on.
- ``markers`` visualization_msgs/MarkerArray (see :mod:`.markers`).
- ``/diagnostics`` diagnostic_msgs/DiagnosticArray at 1 Hz: status ``arm_policy`` with counters
  (frames received per stream, synchronized frames, rejected frames, decisions, waiting state).

Frames: ``camera_pose`` = optical camera frame (x right, y down, z forward) in the base frame, as
xyz (m) + quaternion (x, y, z, w). The heightmap is axis-aligned with the *workspace frame*,
whose pose in the base frame is ``workspace_frame`` = [x, y, z (m), yaw (rad)] (default: the
base frame itself); ``workspace_bounds`` (x/y/z min,max in that frame; default: the contract's).

A decision is taken only on a synchronized frame stamped after the executor last reported
``motion_done`` True (never while the arm moves, never on a stopped camera: each frame is used
once). Bad frames are logged (throttled) and skipped; a bad model or contract stops the node
with a clear error and a non-zero exit status.

A deterministic greedy policy repeats a grasp that slipped on an unchanged scene. With
``avoid_repeated_failures`` (default True) the node compares each heightmap with the one of its
previous decision and, when nothing changed (or the scene is back to one of the last 4 decisions',
a block pushed back and forth), masks that action's cells until the scene changes
(:mod:`greenroom.policies.runtime.failure_memory`; VPG uses test-time learning, which needs torch).
"""
from __future__ import annotations

import json
import sys
import time
from typing import Any

import numpy as np

from ...policies.runtime.contract import ContractError
from ...policies.runtime.image import ImageError, image_msg_to_rgb, rgb_to_bytes
from ...policies.runtime.pushgrasp import PushGraspRuntimePolicy
from ..common.camera import QOS_MODES, CameraSubscription
from ..common.params import Param, declare_params, length, not_empty, one_of
from ..common.spin import run_node
from ...sim.core.rotations import pose_matrix, yaw_transform
from .convert import depth_msg_to_metres, intrinsics_from_camera_info, qmap_to_rgb
from .kinematics import top_down_rotation
from .markers import decision_markers
from .node_util import arrays_to_pose, reliable, transient_local
from .sync import ApproximateTimeSync, stamp_seconds

try:
    from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
    from geometry_msgs.msg import PoseArray
    from rclpy.node import Node
    from sensor_msgs.msg import CameraInfo, Image
    from std_msgs.msg import Bool, String
    from visualization_msgs.msg import MarkerArray
except ImportError as exc:  # pragma: no cover - depends on the install
    raise ImportError("the arm nodes need ROS 2 (rclpy): pip install 'greenroom[ros]'") from exc


PARAMS: tuple[Param, ...] = (  # all read at start-up (read-only)
    Param("model_path", "", "exported pushgrasp ONNX model (contract beside it: .contract.json)", read_only=True,
          check=lambda v: None if v.strip() else "model_path is required (an exported pushgrasp .onnx with its "
                                                 ".contract.json, e.g. assets/policies/pushgrasp/pushgrasp.onnx)"),
    Param("base_frame", "panda_link0", "frame of waypoints and markers", read_only=True, check=not_empty("base_frame")),
    Param("camera_pose", [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0],
          "optical camera frame in the base frame: x, y, z (m), qx, qy, qz, qw", read_only=True,
          check=length("camera_pose", 7, what="x, y, z, qx, qy, qz, qw")),
    Param("workspace_frame", [0.0, 0.0, 0.0, 0.0], "heightmap frame in the base frame: x, y, z (m), yaw (rad)",
          read_only=True, check=length("workspace_frame", 4, what="x, y, z, yaw")),
    Param("workspace_bounds", [], "x/y/z min,max (m) in the workspace frame; []: the contract's", read_only=True,
          check=length("workspace_bounds", 0, 6, what="x_min, x_max, y_min, y_max, z_min, z_max")),
    Param("safety_margin", 0.05, "waypoints are clamped into the workspace box plus this (m)", 0.0, 0.3, read_only=True),
    Param("sync_slop", 0.05, "largest colour/depth/camera_info stamp spread (s)", 0.001, 1.0, read_only=True),
    Param("max_frame_age", 2.0, "frames older than this are not used (s)", 0.05, 60.0, read_only=True),
    Param("motion_timeout", 120.0, "decide again when no motion_done came for this long (s)", 1.0, 3600.0,
          read_only=True),
    Param("require_motion_done", True, "wait for motion_done before each decision", read_only=True),
    Param("stop_when_clear", True, "publish primitive 'none' instead of acting on a clear workspace", read_only=True),
    Param("clear_area", 1e-4, "workspace is clear when less than this area is > 2 cm high (m^2)", 0.0, 0.1,
          read_only=True),
    Param("threads", 1, "ONNX Runtime intra-op threads", 1, 64, read_only=True),
    Param("avoid_repeated_failures", True,
          "do not choose again the cells of an action after which the heightmap did not change (or came back to "
          "one of the last 4 decisions')", read_only=True),
    Param("image_qos", "auto", "camera subscriptions' reliability: auto (follow the publishers), best_effort or "
          "reliable (a reliable subscription gets nothing from a best-effort camera)", read_only=True,
          check=one_of("image_qos", QOS_MODES)),
)


class ArmPolicy(Node):
    """Decides one primitive per idle period; see the module docstring for topics and frames."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("arm_policy", **kwargs)
        p = declare_params(self, PARAMS)  # ParamError (a StartupError): one clear line, exit 1
        model, self.base_frame, cam, ws_frame = p["model_path"], p["base_frame"], p["camera_pose"], p["workspace_frame"]
        bounds, self.margin, self.slop, self.max_age = p["workspace_bounds"], p["safety_margin"], p["sync_slop"], p["max_frame_age"]
        self.done_timeout, self.require_done = p["motion_timeout"], p["require_motion_done"]
        self.stop_when_clear, self.clear_area = p["stop_when_clear"], p["clear_area"]
        self.policy = PushGraspRuntimePolicy(model, threads=p["threads"], avoid_repeats=p["avoid_repeated_failures"])
        if bounds:
            self.policy.set_workspace(bounds)  # ValueError when the size does not match the contract
        self.ws_to_base = yaw_transform(*ws_frame)
        self.camera_in_ws = np.linalg.inv(self.ws_to_base) @ pose_matrix(cam[:3], cam[3:])
        ws = self.policy.view  # the heightmap's box: the workspace plus the contract's view_margin
        self.safety_box = (ws.x_min - self.margin, ws.x_max + self.margin, ws.y_min - self.margin,
                           ws.y_max + self.margin, ws.z_min, ws.z_max + self.margin)

        self.sync = ApproximateTimeSync(3, self._on_frame, slop=self.slop, queue_size=5)
        self.cameras = [CameraSubscription(self, kind, topic, lambda m, i=i: self._count(i, m), p["image_qos"], depth=5,
                                           stall_s=5.0)
                        for i, (kind, topic) in enumerate(((Image, "camera/color/image_raw"),
                                                           (Image, "camera/aligned_depth_to_color/image_raw"),
                                                           (CameraInfo, "camera/color/camera_info")))]
        self.create_subscription(Bool, "motion_done", self._on_done, transient_local())
        self.wp_pub = self.create_publisher(PoseArray, "waypoints", reliable(1))
        self.prim_pub = self.create_publisher(String, "primitive", reliable(1))
        self.qmap_pub = self.create_publisher(Image, "q_map", reliable(1))
        self.hm_pub = self.create_publisher(Image, "heightmap", reliable(1))
        self.marker_pub = self.create_publisher(MarkerArray, "markers", reliable(1))
        self.diag_pub = self.create_publisher(DiagnosticArray, "/diagnostics", reliable(10))
        self.create_timer(1.0, self._watchdog)

        self.received = [0, 0, 0]
        self.decisions = 0
        self.rejected_frames = 0
        self._idle_since: float | None = None if self.require_done else 0.0  # stamp (s) after which frames count
        self._decided_at = time.monotonic()
        self.get_logger().info(
            f"arm_policy ready: {model} ({self.policy.num_rotations} rotations, heightmap "
            f"{self.policy.heightmap_shape}, {self.policy.resolution * 1000:.1f} mm), waiting for motion_done"
            if self.require_done else "arm_policy ready (not waiting for motion_done)")

    # ------------------------------------------------------------------ inputs
    def _count(self, stream: int, msg: Any) -> None:
        self.received[stream] += 1
        self.sync.add(stream, msg)

    def _on_done(self, msg: Bool) -> None:
        if msg.data:
            self._idle_since = self.get_clock().now().nanoseconds * 1e-9
        else:
            self._idle_since = None

    def _watchdog(self) -> None:
        now = self.get_clock().now().nanoseconds * 1e-9
        for camera in self.cameras:
            camera.check()
        self._publish_diagnostics()
        if self.require_done and self._idle_since is None and time.monotonic() - self._decided_at > self.done_timeout:
            self.get_logger().warning(f"no motion_done for {self.done_timeout:.0f} s: deciding again on the next frame")
            self._idle_since = now
        if self._idle_since is not None and self.sync.matched == 0:
            self.get_logger().warning(
                "waiting for synchronized colour + depth + camera_info (received "
                f"{self.received[0]} / {self.received[1]} / {self.received[2]})", throttle_duration_sec=5.0)

    def _publish_diagnostics(self) -> None:
        waiting = "motion_done" if self._idle_since is None else "camera frame"
        values = {"color_frames": self.received[0], "depth_frames": self.received[1], "camera_info": self.received[2],
                  "synchronized": self.sync.matched, "rejected_frames": self.rejected_frames,
                  "decisions": self.decisions, "waiting_for": waiting,
                  "frames_lost": " / ".join(str(c.lost) for c in self.cameras)}
        level = DiagnosticStatus.WARN if self.sync.matched == 0 or self.rejected_frames else DiagnosticStatus.OK
        status = DiagnosticStatus(level=level, name=self.get_fully_qualified_name(), hardware_id="arm_policy",
                                  message=f"waiting for {waiting}",
                                  values=[KeyValue(key=k, value=str(v)) for k, v in values.items()])
        msg = DiagnosticArray(status=[status])
        msg.header.stamp = self.get_clock().now().to_msg()
        self.diag_pub.publish(msg)

    # ---------------------------------------------------------------- deciding
    def _on_frame(self, color: Image, depth: Image, info: CameraInfo) -> None:
        stamp = stamp_seconds(color)
        now = self.get_clock().now().nanoseconds * 1e-9
        if self._idle_since is None or stamp <= self._idle_since:
            return  # the arm is moving, or the frame was taken before it stopped
        if now - stamp > self.max_age:
            self.get_logger().warning(f"frame is {now - stamp:.1f} s old (max_frame_age {self.max_age} s): skipped",
                                      throttle_duration_sec=5.0)
            return
        try:
            k = intrinsics_from_camera_info(info)
            depth_m = depth_msg_to_metres(depth)
            if depth_m.shape != (k.height, k.width):
                raise ImageError(f"depth is {depth_m.shape[1]}x{depth_m.shape[0]}, camera_info says {k.width}x{k.height}")
            rgb = image_msg_to_rgb(color, (k.height, k.width))
            if not np.any(depth_m > 0):
                raise ImageError("depth image has no valid reading (all zero/NaN)")
            color_map, height_map = self.policy.heightmap(rgb, depth_m, k, self.camera_in_ws)
        except (ImageError, ValueError) as exc:
            self.rejected_frames += 1
            self.get_logger().error(f"frame rejected, no decision: {exc}", throttle_duration_sec=2.0)
            return
        self._decide(color.header, color_map, height_map)

    def _decide(self, header: Any, color_map: np.ndarray, height_map: np.ndarray) -> None:
        self._idle_since = None if self.require_done else self.get_clock().now().nanoseconds * 1e-9
        self._decided_at = time.monotonic()
        stamp = self.get_clock().now().to_msg()
        self.decisions += 1
        description: dict[str, Any] = {"id": self.decisions, "stamp": [stamp.sec, stamp.nanosec], "frame_id": self.base_frame,
                                       "image_stamp": [header.stamp.sec, header.stamp.nanosec]}
        self.hm_pub.publish(self._image(color_map, stamp))
        if self.stop_when_clear and self.policy.is_clear(height_map, self.clear_area):
            description.update(primitive="none", reason="workspace clear")
            self.prim_pub.publish(String(data=json.dumps(description)))
            self.get_logger().info("workspace clear: no action", throttle_duration_sec=10.0)
            self._idle_since = self.get_clock().now().nanoseconds * 1e-9  # look again on the next frame
            return
        try:
            decision = self.policy.decide(color_map, height_map)
        except ValueError as exc:  # non-finite Q values, a plan outside the heightmap: no action
            self.rejected_frames += 1
            self.get_logger().error(f"no decision: {exc}", throttle_duration_sec=2.0)
            self._idle_since = self.get_clock().now().nanoseconds * 1e-9
            return
        plan = decision.plan
        ws_points = np.clip(plan.waypoints(), np.array(self.safety_box[0::2]), np.array(self.safety_box[1::2]))
        if not np.allclose(ws_points, plan.waypoints(), atol=1e-6):
            self.get_logger().warning("primitive waypoints clamped into the workspace box plus safety margin")
        base_points = ws_points @ self.ws_to_base[:3, :3].T + self.ws_to_base[:3, 3]
        rotation = self.ws_to_base[:3, :3] @ top_down_rotation(decision.tool_yaw)
        waypoints = PoseArray()
        waypoints.header.stamp, waypoints.header.frame_id = stamp, self.base_frame
        waypoints.poses = [arrays_to_pose(point, rotation) for point in base_points]
        primitive, rot, row, col = decision.action
        description.update(
            primitive=decision.primitive_name, rotation=rot, angle_rad=plan.angle, tool_yaw_rad=decision.tool_yaw,
            pixel=[row, col], q_value=decision.q_value, position=base_points[1].tolist(),
            waypoints=base_points.tolist(), inference_ms=round(decision.inference_ms, 1),
            masked_failures=len(self.policy.memory.failed) if self.policy.memory is not None else 0)
        self.prim_pub.publish(String(data=json.dumps(description)))
        self.wp_pub.publish(waypoints)
        q_image = qmap_to_rgb(decision.q_maps[primitive, rot], (row, col))
        self.qmap_pub.publish(self._image(q_image, stamp))
        self.marker_pub.publish(decision_markers(waypoints.header, self.ws_to_base, self.safety_box, base_points,
                                                 base_points[1], decision.primitive_name, rot, decision.q_value))
        self.get_logger().info(f"decision #{self.decisions}: {decision.primitive_name} rotation {rot} pixel "
                               f"({row}, {col}) Q {decision.q_value:.3f} at {np.round(base_points[1], 3).tolist()} m")

    def _image(self, rgb: np.ndarray, stamp: Any) -> Image:
        data, encoding, width, height, step = rgb_to_bytes(rgb)
        msg = Image(encoding=encoding, width=width, height=height, step=step, data=data)
        msg.header.stamp, msg.header.frame_id = stamp, self.base_frame
        return msg


def main(args: list[str] | None = None) -> int:
    """Console script ``arm_policy``: spin until SIGINT/SIGTERM; exit status 1 on a start-up error."""
    return run_node(ArmPolicy, args, "arm_policy", (ContractError, ValueError, FileNotFoundError))


if __name__ == "__main__":
    sys.exit(main())
