"""A camera-driver-like publisher process for camera-size tests and benchmarks.

``python -m greenroom.real.common.camera_publisher --width 640 --height 480 --encoding rgb8
--qos best_effort --frames 90 --rate 30 [--topic image] [--wait-reliable] [--rgbd]``

``--rgbd`` publishes what an RGB-D driver (realsense2_camera) does instead: colour on
``camera/color/image_raw``, a registered 32FC1 depth image (m: a table at 0.75 m with four 5 cm
blocks) on ``camera/aligned_depth_to_color/image_raw`` and ``camera/color/camera_info``
(RealSense-like pinhole), all with one stamp.

Publishes ``sensor_msgs/Image`` frames as a camera driver does: its own process (so DDS really
goes between processes), keep last 5, best effort (``qos_profile_sensor_data``, what
usb_cam / v4l2_camera / realsense default to) or reliable (what image_transport's raw publisher
defaults to), ``header.stamp`` = the node clock right before ``publish`` (same host clock as the
receiver), ``frame_id`` ``camera``. It waits (at most 20 s) for a matching subscription (with
``--wait-reliable`` for a *reliable* one, i.e. until a subscriber in ``auto`` mode has switched),
then publishes ``--frames`` frames at ``--rate`` Hz on a fixed schedule (a late frame does not
shift the next ones), waits ``--linger`` s, and prints one JSON line:
``{"stamps": [ns, ...], "matched_after_s": s, "publish_ms": [median, p99]}``. ``--listen S`` makes
it a plain subscriber instead (the transport investigation of ``greenroom bench flight --only
transport``).

The pixels are a fixed random picture (uint8); each frame reuses one message object, only the
stamp changes (what a driver with a preallocated buffer costs). The Fast DDS transport is the
process's: set ``FASTDDS_DEFAULT_PROFILES_FILE`` in its environment to test a configured driver.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np


def cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m greenroom.real.common.camera_publisher")
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--encoding", choices=("rgb8", "bgr8", "mono8"), default="rgb8")
    parser.add_argument("--qos", choices=("best_effort", "reliable"), default="best_effort")
    parser.add_argument("--frames", type=int, default=90)
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--topic", default="image")
    parser.add_argument("--wait-reliable", action="store_true")
    parser.add_argument("--linger", type=float, default=0.5)
    parser.add_argument("--rgbd", action="store_true", help="colour + aligned depth + camera_info (RGB-D driver)")
    parser.add_argument("--listen", type=float, default=0.0, metavar="S",
                        help="instead: a plain subscriber (--qos, keep last 1) for at most S seconds")
    args = parser.parse_args(argv)
    if args.listen > 0:
        return _listen(args)

    import rclpy
    from rclpy.qos import QoSProfile, ReliabilityPolicy, qos_profile_sensor_data
    from sensor_msgs.msg import CameraInfo, Image

    rclpy.init()
    node = rclpy.create_node("camera_publisher")
    qos = qos_profile_sensor_data if args.qos == "best_effort" else QoSProfile(depth=5)
    pub = node.create_publisher(Image, "camera/color/image_raw" if args.rgbd else args.topic, qos)
    topic = pub.topic_name
    extra: list[tuple[object, object]] = []  # (publisher, message) sent with the same stamp
    if args.rgbd:
        depth = np.full((args.height, args.width), 0.75, np.float32)
        for row, col in ((0.3, 0.3), (0.6, 0.65), (0.4, 0.6), (0.7, 0.4)):
            r, c, side = int(row * args.height), int(col * args.width), max(2, args.width // 16)
            depth[r:r + side, c:c + side] = 0.70
        fx = 618.62 * args.width / 640
        depth_msg = Image(height=args.height, width=args.width, encoding="32FC1", step=args.width * 4,
                          data=depth.tobytes())
        info = CameraInfo(height=args.height, width=args.width, distortion_model="plumb_bob",
                          k=[fx, 0.0, (args.width - 1) / 2, 0.0, fx, (args.height - 1) / 2, 0.0, 0.0, 1.0])
        for kind, name, msg_out in ((Image, "camera/aligned_depth_to_color/image_raw", depth_msg),
                                    (CameraInfo, "camera/color/camera_info", info)):
            msg_out.header.frame_id = "camera_color_optical_frame"
            extra.append((node.create_publisher(kind, name, qos), msg_out))

    def matched() -> bool:
        for publisher in [pub, *(extra_pub for extra_pub, _ in extra)]:
            if publisher.get_subscription_count() == 0:
                return False
            subs = node.get_subscriptions_info_by_topic(publisher.topic_name)
            if args.wait_reliable and not any(s.qos_profile.reliability == ReliabilityPolicy.RELIABLE for s in subs):
                return False
        return True

    start = time.monotonic()
    while not matched():
        if time.monotonic() - start > 20.0:
            print(json.dumps({"error": f"no {'reliable ' if args.wait_reliable else ''}subscriber on {topic} in 20 s"}))
            node.destroy_node()
            rclpy.shutdown()
            return 1
        rclpy.spin_once(node, timeout_sec=0.02)
    matched_after = time.monotonic() - start
    time.sleep(0.3)  # the subscriber's side of the match completes too (no fixed sleep for readiness)
    channels = 1 if args.encoding == "mono8" else 3
    pixels = np.random.default_rng(0).integers(0, 256, args.height * args.width * channels, dtype=np.uint8)
    msg = Image(height=args.height, width=args.width, encoding=args.encoding, step=args.width * channels)
    msg.data = pixels.tobytes()
    msg.header.frame_id = "camera"
    stamps, publish_ms = [], []
    t0 = time.monotonic()
    for i in range(args.frames):
        due = t0 + i / args.rate
        while (left := due - time.monotonic()) > 0:
            time.sleep(min(left, 0.002))
        now = node.get_clock().now()
        msg.header.stamp = now.to_msg()
        begin = time.perf_counter()
        pub.publish(msg)
        for other_pub, other in extra:
            other.header.stamp = msg.header.stamp
            other_pub.publish(other)
        publish_ms.append((time.perf_counter() - begin) * 1e3)
        stamps.append(now.nanoseconds)
    time.sleep(args.linger)
    print(json.dumps({"stamps": stamps, "matched_after_s": round(matched_after, 3),
                      "publish_ms": [float(np.median(publish_ms)), float(np.percentile(publish_ms, 99))]}))
    sys.stdout.flush()
    node.destroy_node()
    rclpy.shutdown()
    return 0


def collect_report(publisher: subprocess.Popen, what: str) -> dict:
    """The report (``stamps`` in ns, ``publish_ms``, ...) a finished (or killed) publisher process
    prints on its last JSON line.

    ``publisher`` was started with ``stdout=PIPE, stderr=PIPE, text=True``; it is killed if it still
    runs. Raises RuntimeError naming ``what`` with the publisher's own error when it reported none."""
    if publisher.poll() is None:
        publisher.kill()
    out, err = publisher.communicate(timeout=10)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    report = json.loads(lines[-1]) if lines else {"error": f"publisher exited {publisher.returncode}: {err[-2000:]}"}
    if "error" in report:
        raise RuntimeError(f"{what}: {report['error']}")
    return report


def _listen(args: argparse.Namespace) -> int:
    """A plain image subscriber in its own process (its Fast DDS transport is its environment's):
    counts frames until ``--frames`` arrived, 4 s passed without one after the first, or
    ``--listen`` seconds; prints ``{"received": n, "median_ms": ..., "p99_ms": ...}`` (stamp ->
    callback). It keeps freed memory as the nodes do (:mod:`.allocator`)."""
    import rclpy
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from sensor_msgs.msg import Image

    from .allocator import keep_freed_memory
    from .spin import make_executor

    keep_freed_memory()
    rclpy.init()
    node = rclpy.create_node("camera_listener")
    executor = make_executor()
    executor.add_node(node)
    latencies: list[float] = []

    def on_image(image: Image) -> None:
        pixels = np.frombuffer(image.data, np.uint8)
        stamp = image.header.stamp.sec * 1_000_000_000 + image.header.stamp.nanosec
        if pixels.size == image.step * image.height:
            latencies.append((node.get_clock().now().nanoseconds - stamp) / 1e6)

    reliability = ReliabilityPolicy.RELIABLE if args.qos == "reliable" else ReliabilityPolicy.BEST_EFFORT
    node.create_subscription(Image, args.topic, on_image, QoSProfile(depth=1, reliability=reliability))
    print(json.dumps({"listening": True}), flush=True)
    end, last = time.monotonic() + args.listen, None
    while time.monotonic() < end and len(latencies) < args.frames:
        count = len(latencies)
        executor.spin_once(timeout_sec=0.05)
        if len(latencies) > count:
            last = time.monotonic()
        if last is not None and time.monotonic() - last > 4.0:  # longer than a whole 90-frame stream
            break
    lat = np.array(latencies) if latencies else np.array([np.nan])
    print(json.dumps({"received": len(latencies), "median_ms": float(np.median(lat)),
                      "p99_ms": float(np.percentile(lat, 99))}), flush=True)
    executor.shutdown()
    node.destroy_node()
    rclpy.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(cli())
