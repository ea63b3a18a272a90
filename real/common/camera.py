"""Camera subscriptions that work with the QoS real camera drivers use, and say when frames are lost.

:class:`CameraSubscription` wraps one ``create_subscription`` for an image-like topic:

==================  =========================================================================
``qos`` mode        subscription
==================  =========================================================================
``best_effort``     best effort, keep last ``depth``: receives from best-effort *and* reliable
                    publishers (a reliable subscription receives nothing from a best-effort
                    one), but a reliable publisher then repairs no lost fragment for it.
``reliable``        reliable, keep last ``depth``: only reliable publishers match.
``auto`` (default)  starts best effort, then follows the publishers found in the graph (checked
                    every :meth:`check`): reliable when every publisher is reliable (lost
                    fragments are then repaired), best effort as soon as one is best effort, as
                    rosbag2 chooses. Switching re-creates the subscription (a frame or two may
                    be missed while it is matched again).
==================  =========================================================================

Why (``greenroom bench flight --only transport``, Fast DDS 3.2 / rmw_fastrtps 9.3, Kilted
wheels, one host, 640x480 rgb8 at 30 Hz; README "Camera-sized images"): a sample larger than the
*publisher's* shared-memory segment (512 KB by default, i.e. anything from about 480x360 rgb8) is
fragmented, and the fragments overflow that segment; a best-effort reader gets only a few frames
(0-7 of 90), a reliable reader gets every frame of a reliable publisher after NACK repairs
(median 13.7 ms instead of 2.6 ms). Nothing a *subscriber* configures avoids it (its own segment
size, UDP-only with 4 MB buffers or LARGE_DATA transports: all measured, all still lose the
frames); the publisher's process needs a larger segment
(``launch/fastdds_large_images.xml`` via ``FASTDDS_DEFAULT_PROFILES_FILE``). So this class
(1) matches reliable publishers reliably, and (2) makes the loss visible: Fast DDS reports each
lost sample (``message_lost`` event), and :meth:`check` logs a throttled warning naming the
fix, as well as one when publishers exist but no frame arrived for ``stall_s``.

rclpy only; no simulator, no torch.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rclpy.event_handler import SubscriptionEventCallbacks
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

QOS_MODES = ("auto", "best_effort", "reliable")
FIX_HINT = ("large frames over Fast DDS need a larger shared-memory segment in the *camera driver's* process: "
            "start it with FASTDDS_DEFAULT_PROFILES_FILE=<share/greenroom>/launch/fastdds_large_images.xml "
            "(README: Camera-sized images)")


def image_qos(reliable: bool, depth: int = 1) -> QoSProfile:
    """Keep last ``depth``, volatile; reliable or best effort."""
    return QoSProfile(depth=depth, history=HistoryPolicy.KEEP_LAST, durability=DurabilityPolicy.VOLATILE,
                      reliability=ReliabilityPolicy.RELIABLE if reliable else ReliabilityPolicy.BEST_EFFORT)


class CameraSubscription:
    """One image (or depth / camera_info) subscription with a QoS mode and loss/stall accounting.

    Args:
        node: the owner; the subscription is created at once.
        msg_type, topic, callback: as for ``create_subscription``.
        mode: ``auto``, ``best_effort`` or ``reliable`` (see the module docstring).
        depth: history depth (1 for a policy that acts on the newest frame only).
        stall_s: warn when publishers exist but no message came for this long (s).
    """

    def __init__(self, node: Node, msg_type: type, topic: str, callback: Callable[[Any], None],
                 mode: str = "auto", depth: int = 1, stall_s: float = 1.0) -> None:
        if mode not in QOS_MODES:
            raise ValueError(f"camera QoS mode must be one of {', '.join(QOS_MODES)}; got {mode!r}")
        self.node, self.msg_type, self.topic, self.mode = node, msg_type, topic, mode
        self.depth, self.stall_s = int(depth), float(stall_s)
        self._callback = callback
        self.received = 0
        self.lost = 0
        self._lost_reported = 0
        self.last_receive = time.monotonic()
        self.reliable = mode == "reliable"
        self.subscription = self._subscribe()
        self.resolved = self.subscription.topic_name

    def _subscribe(self) -> Any:
        events = SubscriptionEventCallbacks(message_lost=self._on_lost)
        return self.node.create_subscription(self.msg_type, self.topic, self._on_msg, image_qos(self.reliable, self.depth),
                                             event_callbacks=events)

    def _on_msg(self, msg: Any) -> None:
        self.received += 1
        self.last_receive = time.monotonic()
        self._callback(msg)

    def _on_lost(self, info: Any) -> None:
        self.lost += int(info.total_count_change)

    def publishers(self) -> list[Any]:
        return list(self.node.get_publishers_info_by_topic(self.resolved))

    def check(self, now: float | None = None) -> None:
        """Follow the publishers' reliability (``auto``) and warn about lost or stalled frames.

        Call it from a timer (about 1 Hz)."""
        now = time.monotonic() if now is None else now
        pubs = self.publishers()
        if self.mode == "auto" and pubs:
            want = all(p.qos_profile.reliability == ReliabilityPolicy.RELIABLE for p in pubs)
            if want != self.reliable:
                self.node.destroy_subscription(self.subscription)
                self.reliable = want
                self.subscription = self._subscribe()
                self.node.get_logger().info(
                    f"{self.resolved}: {len(pubs)} publisher(s), subscribing "
                    f"{'reliable (lost fragments are repaired)' if want else 'best effort'}")
        log = self.node.get_logger()
        if self.lost > self._lost_reported:
            log.warning(f"{self.resolved}: {self.lost - self._lost_reported} frame(s) lost in transport "
                        f"({self.lost} lost, {self.received} received so far); {FIX_HINT}",
                        throttle_duration_sec=10.0)
            self._lost_reported = self.lost
        if pubs and now - self.last_receive > self.stall_s:
            log.warning(f"{self.resolved}: {len(pubs)} publisher(s) but no frame for "
                        f"{now - self.last_receive:.1f} s ({self.lost} lost in transport); {FIX_HINT}",
                        throttle_duration_sec=10.0)

    def stats(self) -> dict[str, Any]:
        """For diagnostics: counts and the current reliability."""
        return {"received": self.received, "lost": self.lost,
                "qos": f"{self.mode}:{'reliable' if self.reliable else 'best_effort'}"}
