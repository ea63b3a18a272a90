"""Benchmarks of the arm nodes (``python -m greenroom.real.arm.bench [--quick] [--only NAME,...]``).

- ``arm_ros``: ``arm_policy`` as a real process over Fast DDS, fed 640x480 RGB-D frames (a table
  with four 5 cm blocks; RealSense-like intrinsics) by a probe that plays the executor (it reports
  ``motion_done`` after each decision). *Decision latency* = probe receive time of the waypoints
  minus the frame's ``header.stamp`` (same host clock): DDS in, depth/colour conversion, the
  heightmap, ONNX (all 2k maps, one thread), planning, DDS out. Target median <= 250 ms (the
  issue's heightmap <= 20 ms + inference <= 150 ms + overhead). The model is the newest
  ``greenroom export`` under ``runs/pushgrasp`` when there is one, else an untrained ``cpu``
  preset network exported through the pushgrasp exporter (latency does not depend on weights).
- ``arm_ik``: planning one grasp and one push (every IK solution of the primitive with ikpy on
  the Panda URDF, before anything moves): median ms per primitive. Target <= 500 ms (a primitive
  then takes about 5-10 s to execute).
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from ...policies.common.bench import BenchResult, check, median_time

LATENCY_MS = 250.0
PLAN_MS = 500.0


def _model(work: Path) -> tuple[Path, str]:
    exports = sorted(Path("runs/pushgrasp").glob("*/export/*.onnx"), key=lambda p: p.stat().st_mtime)
    if exports:
        return exports[-1], f"exported run {exports[-1].parent.parent}"
    import torch

    from ...policies.pushgrasp.config import PushGraspTrainConfig
    from ...policies.pushgrasp.export import export_learner
    from ...policies.pushgrasp.learner import Learner

    torch.manual_seed(0)
    config = PushGraspTrainConfig.cpu()
    size = config.env.heightmap_size
    feeds = [(np.zeros((1, size, size, 3), np.uint8), np.zeros((1, size, size), np.float32))]
    return export_learner(Learner(config, "cpu"), config, work, feeds), "untrained cpu-preset network"


def bench_ros(quick: bool) -> list[BenchResult]:
    """Decision latency of arm_policy over DDS (``quick``: 3 decisions, else 15)."""
    from geometry_msgs.msg import PoseArray
    from rclpy.qos import qos_profile_sensor_data
    from sensor_msgs.msg import CameraInfo, Image
    from std_msgs.msg import Bool, String

    from ...sim.pushgrasp.heightmap import Intrinsics, Workspace, look_at_pose
    from ..common.procs import NodeProcess, Probe
    from .convert import matrix_to_quaternion
    from .node_util import reliable, transient_local

    decisions = 3 if quick else 15
    model, source = _model(Path(tempfile.mkdtemp(prefix="greenroom-bench-arm-")))
    ws, k = Workspace(), Intrinsics.realsense_d415(640, 480)
    pose = look_at_pose(np.array([*ws.center, 0.75]), np.array([*ws.center, 0.0]), up=np.array([-1.0, 0.0, 0.0]))
    depth = np.full((k.height, k.width), 0.75, np.float32)
    for row, col in ((150, 200), (300, 420), (200, 380), (330, 250)):
        depth[row:row + 40, col:col + 40] = 0.70
    color = np.random.default_rng(0).integers(0, 255, (k.height, k.width, 3), dtype=np.uint8)
    params = {"model_path": str(model), "camera_pose": [float(v) for v in (*pose[:3, 3], *matrix_to_quaternion(pose[:3, :3]))]}
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


BENCHMARKS = {"arm_ros": bench_ros, "arm_ik": bench_ik}
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
