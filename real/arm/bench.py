"""Benchmarks of the arm nodes (``python -m greenroom.real.arm.bench [--quick] [--only NAME,...]``).

- ``arm_ros``: ``arm_policy`` as a real process over Fast DDS, fed 640x480 RGB-D frames (a table
  with four 5 cm blocks; RealSense-like intrinsics) by a probe that plays the executor (it reports
  ``motion_done`` after each decision). *Decision latency* = probe receive time of the waypoints
  minus the frame's ``header.stamp`` (same host clock): DDS in, depth/colour conversion, the
  heightmap, ONNX (all 2k maps, one thread), planning, DDS out. Target median <= 250 ms (the
  issue's heightmap <= 20 ms + inference <= 150 ms + overhead). The model is the newest
  ``greenroom export`` under ``runs/pushgrasp`` when there is one, else the shipped
  ``assets/policies/pushgrasp/pushgrasp.onnx`` (latency does not depend on the weights).
- ``arm_camera``: the 640x480 RGB-D pair (rgb8 + 32FC1 + camera_info) from a separate RGB-D
  publisher process (:mod:`..common.camera_publisher` ``--rgbd``) at 30 Hz, best effort and
  reliable, with the publisher configured with ``launch/fastdds_large_images.xml`` and not:
  % of the frames the node synchronized (colour + depth + info: frames it could act on) while it
  takes no decision (``motion_done`` False), then frame -> waypoints latency median/p99 over a
  second stream during which the probe reports ``motion_done`` after each decision (a decision
  takes 100+ ms, so only some frames can be acted on; what counts is that none is lost).
- ``arm_ik``: planning one grasp and one push (every IK solution of the primitive with ikpy on
  the Panda URDF, before anything moves): median ms per primitive. Target <= 500 ms (a primitive
  then takes about 5-10 s to execute).
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from ...policies.common.bench import BenchResult, check, median_time
from ..common.camera_publisher import collect_report
from ..launch import bench as launch_bench  # the same latency under ros2 launch / greenroom launch

LATENCY_MS = 250.0
PLAN_MS = 500.0


# The optical camera frame looking straight down at the workspace centre from 0.75 m, image top
# towards -x (the simulator's nominal camera): columns = camera x, y, z axes in the base frame.
CAMERA_DOWN = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0]])


def _model() -> tuple[Path, str]:
    exports = sorted(Path("runs/pushgrasp").glob("*/export/*.onnx"), key=lambda p: p.stat().st_mtime)
    if exports:
        return exports[-1], f"exported run {exports[-1].parent.parent}"
    from ..common.share import shipped_policy

    return shipped_policy("pushgrasp"), "shipped assets/policies/pushgrasp/pushgrasp.onnx"


def _camera_params(model: Path) -> dict:
    from ...policies.runtime.pushgrasp import Workspace
    from ...sim.core.rotations import matrix_to_quat

    centre = Workspace().center
    return {"model_path": str(model),
            "camera_pose": [float(v) for v in (*centre, 0.75, *matrix_to_quat(CAMERA_DOWN))]}


def bench_ros(quick: bool) -> list[BenchResult]:
    """Decision latency of arm_policy over DDS (``quick``: 3 decisions, else 15)."""
    from geometry_msgs.msg import PoseArray
    from rclpy.qos import qos_profile_sensor_data
    from sensor_msgs.msg import CameraInfo, Image
    from std_msgs.msg import Bool, String

    from ...policies.runtime.pushgrasp import Intrinsics
    from ..common.procs import NodeProcess, Probe
    from .node_util import reliable, transient_local

    from ..common.share import share_file

    # The bench publishes the 640x480 RGB-D pair itself, so it is the camera driver here: like one,
    # it needs the shipped large-image Fast DDS profile (README "Camera-sized images"), set before
    # this process's first DDS participant.
    os.environ.setdefault("FASTDDS_DEFAULT_PROFILES_FILE", str(share_file("launch/fastdds_large_images.xml")))
    decisions = 3 if quick else 15
    model, source = _model()
    k = Intrinsics.realsense_d415(640, 480)
    depth = np.full((k.height, k.width), 0.75, np.float32)
    for row, col in ((150, 200), (300, 420), (200, 380), (330, 250)):
        depth[row:row + 40, col:col + 40] = 0.70
    color = np.random.default_rng(0).integers(0, 255, (k.height, k.width, 3), dtype=np.uint8)
    params = _camera_params(model)
    latencies: list[float] = []
    with Probe("arm_bench") as probe, NodeProcess("arm_policy", params, module="greenroom.real.arm.policy_node") as proc:
        probe.subscribe(PoseArray, "waypoints", reliable(10))
        probe.subscribe(String, "primitive", reliable(10))
        pubs = [probe.publisher(t, n, qos_profile_sensor_data) for t, n in (
            (Image, "camera/color/image_raw"), (Image, "camera/aligned_depth_to_color/image_raw"),
            (CameraInfo, "camera/color/camera_info"))]
        done = probe.publisher(Bool, "motion_done", transient_local())
        probe.spin_until(lambda: all(p.get_subscription_count() > 0 for p in pubs), 30.0, "arm_policy", alive=[proc])
        c = Image(encoding="rgb8", width=k.width, height=k.height, step=k.width * 3, data=color.tobytes())
        d = Image(encoding="32FC1", width=k.width, height=k.height, step=k.width * 4, data=depth.tobytes())
        info = CameraInfo(width=k.width, height=k.height, k=[k.fx, 0.0, k.cx, 0.0, k.fy, k.cy, 0.0, 0.0, 1.0])
        while len(latencies) < decisions:
            received = len(probe.recv["waypoints"])
            done.publish(Bool(data=True))
            deadline = time.monotonic() + 30.0
            while len(probe.recv["waypoints"]) == received or len(probe.recv["primitive"]) < len(probe.recv["waypoints"]):
                assert proc.poll() is None and time.monotonic() < deadline, f"no decision: {proc.output()[-2000:]}"
                stamp = probe.node.get_clock().now().to_msg()
                for pub, msg in zip(pubs, (c, d, info)):
                    msg.header.stamp = stamp
                    pub.publish(msg)
                probe.spin_for(0.2)
            image_sec, image_ns = json.loads(probe.recv["primitive"][-1][1].data)["image_stamp"]
            latencies.append((probe.recv["waypoints"][-1][0] - (image_sec * 1_000_000_000 + image_ns)) / 1e6)
    median, worst = float(np.median(latencies)), float(np.max(latencies))
    details = {"model": source, "decisions": len(latencies), "image": "640x480 rgb8 + 32FC1", "max_ms": worst}
    return [BenchResult("arm_ros", "frame->waypoints latency (median)", median, "ms", f"<= {LATENCY_MS:g}",
                        check(median, "<=", LATENCY_MS), details)]


def bench_ik(quick: bool) -> list[BenchResult]:
    """Median planning time of a grasp and a push primitive (IK for every waypoint piece)."""
    from .kinematics import ArmKinematics, top_down_rotation
    from .motion import MotionSettings, plan_motion

    kin = ArmKinematics()
    settings = MotionSettings(drop_position=(0.45, 0.4, 0.25))
    home = np.array(settings.home)
    rot = [top_down_rotation(0.7)] * 4
    grasp = np.array([[0.5, 0.1, 0.17], [0.5, 0.1, 0.02], [0.5, 0.1, 0.02], [0.5, 0.1, 0.17]])
    push = np.array([[0.4, -0.1, 0.16], [0.4, -0.1, 0.01], [0.47, -0.03, 0.01], [0.47, -0.03, 0.16]])
    repeats = 3 if quick else 7
    results = []
    for name, points in (("grasp", grasp), ("push", push)):
        seconds = median_time(lambda: plan_motion(kin, name, points, rot, home, settings), repeats=repeats)
        ms = seconds * 1000.0
        results.append(BenchResult("arm_ik", f"plan {name} (ikpy, Panda)", ms, "ms", f"<= {PLAN_MS:g}",
                                   check(ms, "<=", PLAN_MS), {"cartesian_step_m": settings.cartesian_step}))
    return results


def bench_camera(quick: bool) -> list[BenchResult]:
    """640x480 RGB-D pairs at 30 Hz to arm_policy: % synchronized and frame -> waypoints latency."""
    from ..common.procs import NodeProcess, Probe

    model, source = _model()
    frames = 90 if quick else 300
    results = []
    params = {**_camera_params(model), "image_qos": "auto"}
    with Probe("arm_camera_bench") as probe, NodeProcess("arm_policy", params, module="greenroom.real.arm.policy_node") as proc:
        _arm_probe(probe)
        probe.spin_until(lambda: probe.node.count_subscribers("camera/color/image_raw") > 0, 30.0, "arm_policy",
                         alive=[proc])
        for qos, configured in (("best_effort", True), ("reliable", True), ("best_effort", False), ("reliable", False)):
            case = rgbd_case(probe, proc, qos, configured, frames)
            case["model"] = source
            label = f"640x480 RGB-D {qos} pub ({case['publisher']})"
            target = f">= {SYNCED_PERCENT:g}" if configured or qos == "reliable" else ""
            results.append(BenchResult("arm_camera", f"{label}: frames synchronized", case["synced_percent"], "%",
                                       target, check(case["synced_percent"], ">=", SYNCED_PERCENT) if target else None,
                                       case))
            results.append(BenchResult("arm_camera", f"{label}: frame->waypoints median", case["median_ms"], "ms",
                                       "", None, case))
            results.append(BenchResult("arm_camera", f"{label}: frame->waypoints p99", case["p99_ms"], "ms",
                                       "", None, case))
    return results


SYNCED_PERCENT = 95.0


def _arm_probe(probe: object) -> None:
    from diagnostic_msgs.msg import DiagnosticArray
    from geometry_msgs.msg import PoseArray
    from std_msgs.msg import Bool, String

    from .node_util import reliable, transient_local

    probe.subscribe(PoseArray, "waypoints", reliable(10))  # type: ignore[attr-defined]
    probe.subscribe(String, "primitive", reliable(10))  # type: ignore[attr-defined]
    probe.subscribe(DiagnosticArray, "/diagnostics", 10)  # type: ignore[attr-defined]
    probe.done = probe.publisher(Bool, "motion_done", transient_local())  # type: ignore[attr-defined]


def _synchronized(probe: object, after_ns: int) -> int | None:
    """The node's ``synchronized`` counter from the first /diagnostics received after ``after_ns``."""
    for received, msg in probe.recv["/diagnostics"]:  # type: ignore[attr-defined]
        if received > after_ns and msg.status and msg.status[0].hardware_id == "arm_policy":
            values = {kv.key: kv.value for kv in msg.status[0].values}
            return int(values["synchronized"])
    return None


def _stream(probe: object, proc: object, qos: str, env: dict, frames: int, decide: bool) -> set[int]:
    """Run the RGB-D publisher process for ``frames`` frames; with ``decide`` the probe plays the
    executor (``motion_done`` True after each decision), else the node is kept busy-free
    (``motion_done`` False: it synchronizes frames but takes no decision). Returns the stamps."""
    import subprocess
    import sys

    from std_msgs.msg import Bool

    probe.done.publish(Bool(data=decide))  # type: ignore[attr-defined]
    command = [sys.executable, "-m", "greenroom.real.common.camera_publisher", "--rgbd", "--width", "640",
               "--height", "480", "--encoding", "rgb8", "--qos", qos, "--frames", str(frames), "--rate", "30",
               "--linger", "1.0"] + (["--wait-reliable"] if qos == "reliable" else [])
    publisher = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    answered = len(probe.recv["primitive"])  # type: ignore[attr-defined]

    def step() -> bool:
        nonlocal answered
        if decide and len(probe.recv["primitive"]) > answered:  # type: ignore[attr-defined]
            answered = len(probe.recv["primitive"])  # type: ignore[attr-defined]
            probe.done.publish(Bool(data=True))  # type: ignore[attr-defined]  # the "arm" is idle again
        return publisher.poll() is not None

    try:
        probe.spin_until(step, 120.0, "the RGB-D publisher to finish", alive=[proc])  # type: ignore[attr-defined]
    finally:
        if publisher.poll() is None:
            publisher.kill()
    return set(collect_report(publisher, f"RGB-D publisher ({qos})")["stamps"])


def rgbd_case(probe: object, proc: object, qos: str, configured: bool, frames: int) -> dict:
    """Delivery (``frames`` RGB-D frames while the node takes no decision: % it synchronized),
    then decision latency (``frames // 2`` frames, ``motion_done`` after each decision)."""
    import os

    from std_msgs.msg import Bool

    env = dict(os.environ)
    env.pop("FASTDDS_DEFAULT_PROFILES_FILE", None)
    if configured:
        from ..common.share import share_file

        env["FASTDDS_DEFAULT_PROFILES_FILE"] = str(share_file("launch/fastdds_large_images.xml"))
    for samples in probe.recv.values():  # type: ignore[attr-defined]
        samples.clear()

    def synchronized_now() -> int:
        after_ns = time.time_ns()
        probe.spin_until(lambda: _synchronized(probe, after_ns) is not None, 10.0, "arm_policy diagnostics",  # type: ignore[attr-defined]
                         alive=[proc])
        return int(_synchronized(probe, after_ns))  # type: ignore[arg-type]

    before = synchronized_now()
    delivered = _stream(probe, proc, qos, env, frames, decide=False)
    synced = synchronized_now() - before
    stamps = _stream(probe, proc, qos, env, max(30, frames // 2), decide=True)
    probe.done.publish(Bool(data=False))  # type: ignore[attr-defined]
    latencies = []
    for (received, _), (_, prim) in zip(probe.recv["waypoints"], probe.recv["primitive"]):  # type: ignore[attr-defined]
        sec, nsec = json.loads(prim.data)["image_stamp"]
        if sec * 1_000_000_000 + nsec in stamps:
            latencies.append((received - (sec * 1_000_000_000 + nsec)) / 1e6)
    lat = np.array(latencies) if latencies else np.array([np.nan])
    return {"load_average_1min": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
            "size": "640x480", "publisher_qos": qos, "publisher": "configured" if configured else "unconfigured",
            "frames": len(delivered), "synchronized": synced, "synced_percent": 100.0 * synced / max(1, len(delivered)),
            "decision_frames": len(stamps), "decisions": len(latencies), "median_ms": float(np.median(lat)),
            "p99_ms": float(np.percentile(lat, 99))}


BENCHMARKS = {"arm_ros": bench_ros, "arm_ik": bench_ik, "arm_camera": bench_camera, "arm_launch": launch_bench.bench_arm_launch}
"""``{name: fn(quick) -> list[BenchResult]}`` (the form ``greenroom bench`` collects)."""


def cli(argv: list[str] | None = None) -> int:
    from ...policies.common.bench import print_table, write_json

    parser = argparse.ArgumentParser(prog="python -m greenroom.real.arm.bench")
    parser.add_argument("--only", default="", help=f"comma-separated: {', '.join(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n] or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; valid: {', '.join(BENCHMARKS)}")
    results = [r for n in names for r in BENCHMARKS[n](args.quick)]
    print_table(results, "greenroom arm benchmarks")
    out = args.json or Path("runs/bench") / f"arm-{time.strftime('%Y%m%d-%H%M%S')}.json"
    write_json(results, out, "pushgrasp")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(cli())
