"""topic_recorder: real DDS on loopback, a real recorder process, read back with mcap_ros2."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("rclpy")
pytestmark = pytest.mark.ros

N_MESSAGES = 20
DEADLINE_S = 20.0




def spin_until(executor, condition, what: str, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        if process is not None and process.poll() is not None:
            raise AssertionError(f"recorder exited ({process.returncode}) while waiting for {what}:\n"
                                 + process.stdout.read())
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {DEADLINE_S} s waiting for {what}")
        executor.spin_once(timeout_sec=0.05)


def start_recorder(tmp_path: Path, *ros_args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "greenroom.real.recorder", "--ros-args", *ros_args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path)


def stop(process: subprocess.Popen) -> tuple[int, str]:
    process.send_signal(signal.SIGINT)
    try:
        out, _ = process.communicate(timeout=DEADLINE_S)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
        raise AssertionError(f"recorder ignored SIGINT:\n{out}")
    return process.returncode, out


def test_records_twist_and_odometry_and_reads_back(ros_node, tmp_path: Path) -> None:
    from diagnostic_msgs.msg import DiagnosticArray
    from geometry_msgs.msg import Twist
    from mcap.reader import make_reader
    from mcap_ros2.decoder import DecoderFactory
    from nav_msgs.msg import Odometry

    from rclpy.qos import qos_profile_sensor_data
    from sensor_msgs.msg import Image

    node, executor = ros_node
    twist_pub = node.create_publisher(Twist, "/robot/cmd_vel", 10)
    odom_pub = node.create_publisher(Odometry, "/robot/odom", 10)
    # The image topic exists first with only a (best-effort) subscriber; its best-effort publisher
    # comes later: the recorder must wait for it and match its QoS, or it would receive nothing.
    node.create_subscription(Image, "/robot/image", lambda _: None, qos_profile_sensor_data)
    counts: dict[str, int] = {}

    def on_diagnostics(msg: DiagnosticArray) -> None:
        for status in msg.status:
            if status.name.startswith("/robot/rec"):
                counts.update({kv.key: int(kv.value) for kv in status.values if kv.key.startswith("/")})

    node.create_subscription(DiagnosticArray, "/diagnostics", on_diagnostics, 10)
    output = tmp_path / "logs" / "run.mcap"
    # Relative topic names resolve in the recorder's namespace; odom arrives through a remap.
    recorder = start_recorder(tmp_path, "-r", "__node:=rec", "-r", "__ns:=/robot", "-r", "odometry:=odom",
                              "-p", "topics:=[cmd_vel,odometry,image]", "-p", f"output:={output}",
                              "-p", "diagnostics_period_s:=0.1")
    try:
        spin_until(executor, lambda: twist_pub.get_subscription_count() and odom_pub.get_subscription_count(),
                   "the recorder to subscribe", recorder)
        for i in range(N_MESSAGES):
            twist = Twist()
            twist.linear.x, twist.angular.z = float(i), -0.5 * i
            twist_pub.publish(twist)
            odom = Odometry()
            odom.header.frame_id, odom.child_frame_id = "odom", "base_link"
            odom.header.stamp.sec = 100 + i
            odom.pose.pose.position.x = 0.25 * i
            odom.pose.covariance[0] = float(i)
            odom.twist.twist.linear.x = 1.5
            odom_pub.publish(odom)
        spin_until(executor, lambda: counts.get("/robot/cmd_vel", 0) >= N_MESSAGES
                   and counts.get("/robot/odom", 0) >= N_MESSAGES, "the recorder to report every message", recorder)
        image_pub = node.create_publisher(Image, "/robot/image", qos_profile_sensor_data)
        spin_until(executor, lambda: image_pub.get_subscription_count() >= 2,  # ours + the recorder's
                   "the recorder to subscribe to images", recorder)
        for i in range(N_MESSAGES):  # best effort: paced, and only most need to arrive
            image_pub.publish(Image(height=2, width=3, encoding="rgb8", step=9, data=bytes([i] * 18)))
            executor.spin_once(timeout_sec=0.01)
        spin_until(executor, lambda: counts.get("/robot/image", 0) >= N_MESSAGES // 2, "recorded images", recorder)
    finally:
        rc, out = stop(recorder)
    assert rc == 0, out
    assert f"wrote {output}" in out

    by_topic: dict[str, list] = {}
    schemas: dict[str, str] = {}
    with output.open("rb") as stream:
        reader = make_reader(stream, decoder_factories=[DecoderFactory()])
        assert reader.get_header().profile == "ros2"
        for schema, channel, message, decoded in reader.iter_decoded_messages():
            schemas[channel.topic] = schema.name
            by_topic.setdefault(channel.topic, []).append((message.log_time, decoded))
    assert schemas == {"/robot/cmd_vel": "geometry_msgs/msg/Twist", "/robot/odom": "nav_msgs/msg/Odometry",
                       "/robot/image": "sensor_msgs/msg/Image"}
    images = [m for _, m in by_topic["/robot/image"]]
    indices = [m.data[0] for m in images]
    assert len(images) >= N_MESSAGES // 2 and indices == sorted(set(indices)) and indices[-1] < N_MESSAGES
    assert all((m.height, m.width, m.encoding, bytes(m.data)) == (2, 3, "rgb8", bytes([m.data[0]] * 18)) for m in images)
    twists = [m for _, m in by_topic["/robot/cmd_vel"]]
    assert [m.linear.x for m in twists] == [float(i) for i in range(N_MESSAGES)]
    assert [m.angular.z for m in twists] == [-0.5 * i for i in range(N_MESSAGES)]
    odoms = [m for _, m in by_topic["/robot/odom"]]
    assert [m.pose.pose.position.x for m in odoms] == [0.25 * i for i in range(N_MESSAGES)]
    assert [m.pose.covariance[0] for m in odoms] == [float(i) for i in range(N_MESSAGES)]
    assert [m.header.stamp.sec for m in odoms] == [100 + i for i in range(N_MESSAGES)]
    assert {(m.header.frame_id, m.child_frame_id, m.twist.twist.linear.x) for m in odoms} == {("odom", "base_link", 1.5)}
    log_times = [t for t, _ in by_topic["/robot/cmd_vel"]]
    assert log_times == sorted(log_times)


def test_missing_topic_fails_with_a_clear_error(ros_domain, tmp_path: Path) -> None:
    recorder = start_recorder(tmp_path, "-p", "topics:=[/does_not_exist]", "-p", "discovery_timeout_s:=0.5")
    out, _ = recorder.communicate(timeout=DEADLINE_S)
    assert recorder.returncode == 1, out
    assert "/does_not_exist did not appear (with a publisher) within 0.5 s" in out


def test_empty_topics_and_existing_output_are_refused(ros_domain, tmp_path: Path) -> None:
    recorder = start_recorder(tmp_path)
    out, _ = recorder.communicate(timeout=DEADLINE_S)
    assert recorder.returncode == 1 and "parameter 'topics' is empty" in out, out
    (tmp_path / "taken.mcap").write_bytes(b"keep me")
    recorder = start_recorder(tmp_path, "-p", "topics:=[/x]", "-p", "output:=taken.mcap")
    out, _ = recorder.communicate(timeout=DEADLINE_S)
    assert recorder.returncode == 1 and "already exists" in out, out
    assert (tmp_path / "taken.mcap").read_bytes() == b"keep me"
