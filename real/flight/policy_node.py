"""``flight_policy``: the exported CAD2RL flight policy as a ROS 2 node.

Topics (relative names: remap them, e.g. ``cmd_vel:=/mavros/setpoint_velocity/cmd_vel_unstamped``):

=====================  ====================================  ======================================
``image`` (sub)         sensor_msgs/Image                      keep last 1, ``image_qos``: ``auto``
                                                               (best effort; reliable while every
                                                               publisher is reliable), see
                                                               :mod:`..common.camera`. rgb8, bgr8
                                                               or mono8, any size and row step;
                                                               area-resized to the contract's
                                                               image. Lost/stalled frames: warned.
``estop`` (sub)         std_msgs/Bool                          reliable; ``true`` latches an
                                                               e-stop (zero command, disabled) until
                                                               ``false`` then ``~/enable true``.
``cmd_vel`` (pub)       geometry_msgs/Twist, or TwistStamped   reliable, depth 10. Body frame
                        when ``use_stamped`` (header.stamp =   (REP-103, ``frame_id``): linear.x
                        the image's stamp, frame_id)           forward, linear.y left, linear.z up
                                                               (m/s), angular.z yaw rate (rad/s,
                                                               left +). Always clamped to the
                                                               limits below.
``~/values`` (pub)      sensor_msgs/Image rgb8                 debug: the direction grid's values
                                                               (row 0 = image top), colour-mapped,
                                                               chosen cell outlined; only built
                                                               while someone subscribes.
``/diagnostics`` (pub)  diagnostic_msgs/DiagnosticArray        1 Hz: state, image and command rates
                                                               (Hz), inference and stamp-to-command
                                                               latency (ms), model sha256, rejects,
                                                               frames received / lost in transport.
=====================  ====================================  ======================================

Service ``~/enable`` (std_srvs/SetBool): enable/disable; refused while the e-stop is asserted.

Behaviour: each accepted image runs the policy and publishes its clamped Twist at once (the
subscription keeps only the newest frame, so a slow computer drops frames rather than queueing
them). Every control period, if the node is disabled, e-stopped
or has had no valid image for ``watchdog_timeout_s``, it publishes a zero Twist (hover). A
malformed image (wrong encoding, bad step, truncated, zero size, out-of-order stamp) never
raises: it is dropped with a throttled warning and answered with a zero Twist.

Start-up: a missing, corrupt or mismatched model/contract, or a bad parameter, prints one
clear error and exits with status 1 before any publisher exists; so does a contract whose
``control_hz`` is not in (0, ``MAX_CONTROL_HZ``] (the safety loop never spins nor divides by
zero). Parameters: see ``PARAMS``.
Imports only greenroom.policies.runtime (no torch, no simulators).
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import Twist, TwistStamped
from rclpy.node import Node
from rclpy.qos import QoSProfile
from sensor_msgs.msg import Image
from std_msgs.msg import Bool
from std_srvs.srv import SetBool

from ...policies.runtime import ContractError
from ...policies.runtime.image import ImageError, image_msg_to_rgb
from ..common.diagnostics import LatencyStats, RateMeter, status
from ..common.camera import QOS_MODES, CameraSubscription
from ..common.params import Param, declare_params, not_empty, one_of
from ..common.safety import ZERO_TWIST, VelocityLimits, Watchdog, clamp_twist
from ..common.spin import StartupError, run_node
from .values_image import render_values

MAX_CONTROL_HZ = 200.0
"""Fastest safety loop (Hz) the node runs, whatever the parameter or the contract says."""

PARAMS: tuple[Param, ...] = (
    Param("model_path", "", "exported policy .onnx file", read_only=True, check=not_empty("model_path")),
    Param("contract_path", "", "its contract JSON; empty = the model path with .contract.json", read_only=True),
    Param("control_rate_hz", 0.0, "safety loop rate (Hz): zero commands while disabled or stale; "
          "0 = the contract's control rate",
          low=0.0, high=MAX_CONTROL_HZ),
    Param("max_forward_speed", 1.0, "limit on horizontal speed |(vx, vy)| (m/s)", low=0.0, high=10.0),
    Param("max_vertical_speed", 0.5, "limit on |vz| (m/s)", low=0.0, high=5.0),
    Param("max_yaw_rate", 1.5, "limit on |yaw rate| (rad/s)", low=0.0, high=6.3),
    Param("watchdog_timeout_s", 0.1, "no valid image for this long (s) -> zero velocity", low=0.01, high=10.0),
    Param("enable_on_start", False, "fly as soon as images arrive (else wait for ~/enable true)"),
    Param("frame_id", "base_link", "body frame of the command (TwistStamped header.frame_id)",
          check=not_empty("frame_id")),
    Param("use_stamped", False, "publish geometry_msgs/TwistStamped instead of Twist", read_only=True),
    Param("image_qos", "auto", "image subscription reliability: auto (follow the publishers), best_effort "
          "or reliable (a reliable subscription gets nothing from a best-effort camera)", read_only=True,
          check=one_of("image_qos", QOS_MODES)),
)

WARN_THROTTLE_S = 2.0


class FlightPolicyNode(Node):
    """Runs :class:`FlightRuntimePolicy` on camera images and publishes safe velocity commands."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("flight_policy", **kwargs)
        p = declare_params(self, PARAMS, on_change=self._on_params_changed)  # ParamError: a StartupError
        from ...policies.runtime.flight import FlightRuntimePolicy  # ContractError on a bad model

        model = Path(p["model_path"]).expanduser()
        if not model.is_file():
            raise StartupError(f"model file {model} does not exist or is not a file (parameter model_path)")
        try:
            self.policy = FlightRuntimePolicy(model, p["contract_path"] or None)
        except (ContractError, OSError, ValueError) as exc:
            raise StartupError(f"cannot load policy {model}: {exc}") from None
        contract = self.policy.contract
        self.target_hw = (contract.image_height, contract.image_width)
        self.model_sha256 = contract.model_sha256
        self.contract_rate_hz = float(contract.control_hz)
        if not 0.0 < self.contract_rate_hz <= MAX_CONTROL_HZ:  # also NaN
            raise StartupError(f"contract of {model}: control_hz={contract.control_hz} is outside (0, "
                               f"{MAX_CONTROL_HZ:g}] Hz (a corrupt contract): re-export the policy")
        self.limits = VelocityLimits(p["max_forward_speed"], p["max_vertical_speed"], p["max_yaw_rate"])
        self._warn_if_limits_clip_actions()
        self.frame_id = str(p["frame_id"])
        self.use_stamped = bool(p["use_stamped"])
        self.watchdog = Watchdog(p["watchdog_timeout_s"])
        self.enabled = bool(p["enable_on_start"])
        self.estop = False
        self.last_stamp_ns = -1
        self.image_rate, self.cmd_rate = RateMeter(), RateMeter()
        self.infer_ms, self.stamp_to_cmd_ms = LatencyStats(), LatencyStats()
        self.rejected = 0
        self.last_reject = ""
        self.last_twist = ZERO_TWIST.copy()

        # Publishers only once the model and every parameter are known good.
        self.cmd_pub = self.create_publisher(TwistStamped if self.use_stamped else Twist, "cmd_vel",
                                             QoSProfile(depth=10))
        self.values_pub = self.create_publisher(Image, "~/values", QoSProfile(depth=1))
        self.diag_pub = self.create_publisher(DiagnosticArray, "/diagnostics", QoSProfile(depth=10))
        self.camera = CameraSubscription(self, Image, "image", self._on_image, p["image_qos"], depth=1,
                                         stall_s=max(1.0, 10 * self.watchdog.timeout_s))
        self.create_subscription(Bool, "estop", self._on_estop, QoSProfile(depth=10))
        self.create_service(SetBool, "~/enable", self._on_enable)
        self.control_timer = self.create_timer(1.0 / self.control_rate_hz(p["control_rate_hz"]), self._on_control_tick)
        # One-shot watchdog, re-armed by every valid image: the zero command goes out `timeout`
        # after the last image, not at the next control tick (which could add a whole period).
        self.watchdog_timer = self.create_timer(self.watchdog.timeout_s, self._on_watchdog_expired)
        self.create_timer(1.0, self._publish_diagnostics)
        self.create_timer(1.0, self._check_camera)
        self.get_logger().info(
            f"policy {p['model_path']} (sha256 {self.model_sha256[:12]}...), image {self.target_hw[1]}x"
            f"{self.target_hw[0]}, control {1.0 / self.control_timer.timer_period_ns * 1e9:.1f} Hz, "
            f"{'enabled' if self.enabled else 'disabled until ~/enable'}")

    # ------------------------------------------------------------------ parameters
    def control_rate_hz(self, value: float | None = None) -> float:
        value = self.get_parameter("control_rate_hz").value if value is None else value
        rate = float(value) if value > 0 else self.contract_rate_hz
        return min(rate, MAX_CONTROL_HZ)

    def _on_params_changed(self, changed: dict[str, Any]) -> None:
        if {"max_forward_speed", "max_vertical_speed", "max_yaw_rate"} & set(changed):
            get = self.get_parameter
            self.limits = VelocityLimits(get("max_forward_speed").value, get("max_vertical_speed").value,
                                         get("max_yaw_rate").value)
        if "watchdog_timeout_s" in changed:
            self.watchdog.timeout_s = float(changed["watchdog_timeout_s"])
            self.destroy_timer(self.watchdog_timer)
            self.watchdog_timer = self.create_timer(self.watchdog.timeout_s, self._on_watchdog_expired)
        if "frame_id" in changed:
            self.frame_id = str(changed["frame_id"])
        if "control_rate_hz" in changed:
            self.control_timer.timer_period_ns = int(1e9 / self.control_rate_hz(changed["control_rate_hz"]))
            self.control_timer.reset()

    # ------------------------------------------------------------------ state
    def state(self) -> str:
        if self.estop:
            return "estop"
        if not self.enabled:
            return "disabled"
        return "stale" if self.watchdog.expired() else "active"

    def _warn_if_limits_clip_actions(self) -> None:
        """The node's limits are the user's safety bounds; say so when they cut the policy's own
        action set (e.g. a ``clearance`` policy flying 1.5 m/s under the 1.0 m/s default)."""
        actions = self.policy.actions
        _, _, vz, yaw = actions.limits_needed()
        horizontal = float(np.hypot(actions.unit[:, 0], actions.unit[:, 1]).max()) * actions.max_speed() \
            / actions.grid.forward_speed
        clipped = [f"{name} {need:.2f} > {param} {limit:.2f}" for name, need, param, limit in (
            ("speed", horizontal, "max_forward_speed", self.limits.horizontal),
            ("|vz|", vz, "max_vertical_speed", self.limits.vertical),
            ("|yaw rate|", yaw, "max_yaw_rate", self.limits.yaw_rate)) if need > limit + 1e-6]
        if clipped:
            self.get_logger().warning(
                f"the policy's action set ({self.policy.actions.config.mode}) commands more than the node's limits "
                f"allow ({'; '.join(clipped)}): its commands are clamped; raise those parameters to fly it as trained")

    # ------------------------------------------------------------------ callbacks
    def _check_camera(self) -> None:
        self.camera.check()  # follows the publishers' QoS (auto); warns about lost or stalled frames

    def _on_image(self, msg: Image) -> None:
        now = time.monotonic()
        self.image_rate.tick(now)
        try:
            stamp_ns = int(msg.header.stamp.sec) * 1_000_000_000 + int(msg.header.stamp.nanosec)
            if stamp_ns < self.last_stamp_ns and not self.watchdog.expired(now):
                raise ImageError(f"out-of-order stamp {stamp_ns} ns is older than the last image's {self.last_stamp_ns} ns")
            rgb = image_msg_to_rgb(msg, self.target_hw)
        except ImageError as exc:
            self._reject(exc.reason)
            return
        start = time.perf_counter()
        try:
            values, twist = self.policy.act(rgb)
        except Exception as exc:  # the policy must never take the node down
            self._reject(f"policy failed on this image: {type(exc).__name__}: {exc}")
            return
        self.infer_ms.add((time.perf_counter() - start) * 1e3)
        self.last_stamp_ns = stamp_ns
        self.watchdog.feed(now)  # a valid image: one the policy could act on
        self.watchdog_timer.reset()
        if self.state() == "active":
            self._publish(clamp_twist(twist, self.limits), msg.header.stamp)
            if stamp_ns > 0:
                age = self.get_clock().now().nanoseconds - stamp_ns
                self.stamp_to_cmd_ms.add(age / 1e6)
        if self.values_pub.get_subscription_count() > 0:
            self._publish_values(values, msg.header.stamp)

    def _reject(self, reason: str) -> None:
        self.rejected += 1
        self.last_reject = reason
        self.get_logger().warning(f"dropped image ({self.rejected} so far): {reason}",
                                  throttle_duration_sec=WARN_THROTTLE_S)
        self._publish(ZERO_TWIST, None)

    def _on_watchdog_expired(self) -> None:
        """No valid image for ``watchdog_timeout_s``: zero now; control ticks repeat it each period."""
        self.watchdog_timer.cancel()
        self._publish(ZERO_TWIST, None)
        if self.enabled and not self.estop:
            self.get_logger().warning(
                f"no valid image for {self.watchdog.timeout_s:g} s: stale, publishing zero velocity until images "
                f"return ({self.camera.received} received, {self.camera.lost} lost in transport, "
                f"{self.rejected} rejected)", throttle_duration_sec=WARN_THROTTLE_S)

    def _on_control_tick(self) -> None:
        if self.state() != "active":
            self._publish(ZERO_TWIST, None)

    def _on_estop(self, msg: Bool) -> None:
        if msg.data and not self.estop:
            self.get_logger().warning("e-stop asserted: zero velocity, disabled")
            self.enabled = False
            self._publish(ZERO_TWIST, None)
        elif not msg.data and self.estop:
            self.get_logger().info("e-stop released; call ~/enable true to fly")
        self.estop = bool(msg.data)

    def _on_enable(self, request: SetBool.Request, response: SetBool.Response) -> SetBool.Response:
        if request.data and self.estop:
            response.success, response.message = False, "e-stop is asserted: publish estop false first"
            return response
        self.enabled = bool(request.data)
        if not self.enabled:
            self._publish(ZERO_TWIST, None)
        response.success, response.message = True, f"state {self.state()}"
        self.get_logger().info(f"~/enable {request.data}: state {self.state()}")
        return response

    # ------------------------------------------------------------------ output
    def _publish(self, twist: np.ndarray, stamp: Any) -> None:
        twist = clamp_twist(twist, self.limits)
        self.last_twist = twist
        body = Twist()
        body.linear.x, body.linear.y, body.linear.z = float(twist[0]), float(twist[1]), float(twist[2])
        body.angular.z = float(twist[3])
        if self.use_stamped:
            msg = TwistStamped(twist=body)
            msg.header.stamp = stamp if stamp is not None else self.get_clock().now().to_msg()
            msg.header.frame_id = self.frame_id
            self.cmd_pub.publish(msg)
        else:
            self.cmd_pub.publish(body)
        self.cmd_rate.tick()

    def _publish_values(self, values: np.ndarray, stamp: Any) -> None:
        rgb = render_values(np.asarray(values, dtype=np.float32))
        msg = Image(height=rgb.shape[0], width=rgb.shape[1], encoding="rgb8", step=rgb.shape[1] * 3)
        msg.header.stamp, msg.header.frame_id = stamp, self.frame_id
        msg.data = rgb.tobytes()
        self.values_pub.publish(msg)

    def _publish_diagnostics(self) -> None:
        state = self.state()
        level = {"active": "ok", "disabled": "ok", "stale": "warn", "estop": "warn"}[state]
        infer, age = self.infer_ms.summary(), self.stamp_to_cmd_ms.summary()
        values = {
            "state": state, "image_rate_hz": self.image_rate.rate(), "cmd_rate_hz": self.cmd_rate.rate(),
            "control_rate_hz": self.control_rate_hz(), "inference_median_ms": infer["median_ms"],
            "inference_p99_ms": infer["p99_ms"], "stamp_to_cmd_median_ms": age["median_ms"],
            "stamp_to_cmd_p99_ms": age["p99_ms"], "images_rejected": self.rejected,
            "last_reject": self.last_reject, "model_sha256": self.model_sha256,
            "last_cmd": " ".join(f"{v:.3f}" for v in self.last_twist),
            **{f"image_{k}": v for k, v in self.camera.stats().items()},
        }
        array = DiagnosticArray()
        array.header.stamp = self.get_clock().now().to_msg()
        array.status = [status(f"{self.get_name()}: flight policy", self.get_fully_qualified_name(), level,
                               state, values)]
        self.diag_pub.publish(array)


def main(args: Sequence[str] | None = None) -> int:
    """Console script ``flight_policy``: ``flight_policy --ros-args -p model_path:=policy.onnx``."""
    return run_node(FlightPolicyNode, args, "flight_policy", startup_errors=(ContractError,))


if __name__ == "__main__":
    import sys

    sys.exit(main())
