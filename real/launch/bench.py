"""Latency of the nodes as the launch files start them: the real ``ros2 launch`` next to ``greenroom launch``.

``greenroom bench flight --only launch`` and ``greenroom bench pushgrasp --only arm_launch``. Both
runners start the nodes of one colcon install tree (built by :mod:`.colcon` into ``build/colcon``
of the current directory, colcon in ``.venv-colcon``; the ``ros2`` CLI from ../shared/ros2-cli),
in the environment of ``. install/setup.sh``, DDS on loopback in a random domain, and a probe node
in this process measures, one runner after the other:

- ``flight``: ``flight_sim.launch.yaml`` (simulator camera at 30 Hz, ``control_rate:=30``,
  ``use_stamped:=true``) with the bundled policy (assets/policies/flight). Latency = probe receive
  time of each TwistStamped minus the ``header.stamp`` of the image it answers (set by the bridge
  right after rendering; same host clock): DDS to the node, conversion, ONNX, clamps, DDS back.
  Median and p99 (target p99 <= 5 ms under both runners).
- ``arm``: ``arm.launch.yaml`` (arm_policy + arm_executor) with the bundled push-grasp policy
  (assets/policies/pushgrasp), fed 640x480 RGB-D frames of four blocks at 5 Hz by a camera-driver-
  like process (common/camera_publisher, started with the shipped Fast DDS large-image profile as
  README "Camera-sized images" says); the probe publishes ``motion_done`` after each decision (the
  executor, without joint states, fails each motion at once). Latency = probe receive time of the
  waypoints minus the stamp of the frame they were computed from (reported in ``primitive``).

No torch, no simulator import here: the simulator runs in the launched bridge process.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from ...policies.common.bench import BenchResult, check
from .colcon import Ros2Launch, build_workspace, ensure_colcon, ros2_environment

RUNNERS = ("ros2 launch", "greenroom launch")
CAMERA_HZ = 30.0
FLIGHT_P99_MS = 5.0
ARM_MEDIAN_MS = 250.0
_ASSETS = Path(__file__).resolve().parents[2] / "assets" / "policies"


def _asset(relative: str) -> Path:
    """A bundled policy: from the source tree (editable install) or this install's share/greenroom."""
    for root in (_ASSETS, Path(sys.prefix) / "share" / "greenroom" / "assets" / "policies"):
        if (root / relative).is_file():
            return root / relative
    raise FileNotFoundError(f"bundled policy {relative} not found under {_ASSETS}")


def _environment() -> tuple[Path, dict[str, str]]:
    """colcon install tree of the source checkout in the current directory + its ros2 environment."""
    source = Path.cwd()
    if not (source / "package.xml").is_file() or not (source / "setup.py").is_file():
        raise RuntimeError("the launch benchmarks build the source checkout with colcon: run them from the "
                           "repository root")
    install = build_workspace(source, source / "build" / "colcon", ensure_colcon(source / ".venv-colcon"))
    base = dict(os.environ, ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST", RMW_IMPLEMENTATION="rmw_fastrtps_cpp",
                ROS_DOMAIN_ID=str(random.randint(1, 100)), AMENT_PREFIX_PATH=sys.prefix,
                ROS_LOG_DIR=tempfile.mkdtemp(prefix="greenroom-bench-launch-log-"))
    return install, ros2_environment(install, base)


@contextmanager
def _launched(runner: str, launch_file: str, args: list[str], install: Path, env: dict[str, str],
              work: Path) -> Iterator[Callable[[], None]]:
    """Start ``launch_file`` under ``runner``; yields a liveness check; stops everything on exit."""
    log = work / f"{runner.replace(' ', '_')}-{launch_file}.log"
    if runner == "ros2 launch":
        launch = Ros2Launch(launch_file, args, env, log, cwd=work)
        try:
            yield launch.check
        finally:
            launch.stop()
        return
    path = install / "greenroom" / "share" / "greenroom" / "launch" / launch_file
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "greenroom.cli", "launch", str(path), *args], env=env,
                                   cwd=work, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def alive() -> None:
        if process.poll() is not None:
            raise RuntimeError(f"greenroom launch exited with {process.returncode}:\n{log.read_text()[-3000:]}")

    try:
        yield alive
    finally:
        for sig, wait_s in ((signal.SIGINT, 20.0), (signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
            if process.poll() is None:
                process.send_signal(sig)
                try:
                    process.wait(timeout=wait_s)
                except subprocess.TimeoutExpired:
                    pass


def _spin_until(probe: Any, condition: Callable[[], bool], alive: Callable[[], None], timeout: float,
                what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        alive()
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {what} within {timeout} s")
        probe.executor.spin_once(timeout_sec=0.05)


def _ns(stamp: Any) -> int:
    return int(stamp.sec) * 1_000_000_000 + int(stamp.nanosec)


def _flight_latencies(runner: str, install: Path, env: dict[str, str], work: Path, window_s: float) -> np.ndarray:
    from geometry_msgs.msg import TwistStamped
    from rclpy.qos import qos_profile_sensor_data
    from sensor_msgs.msg import Image

    from ..common.procs import Probe


    args = [f"model:={_asset('flight/policy.onnx')}", "use_stamped:=true", "enable_on_start:=true",
            f"control_rate:={CAMERA_HZ:g}", "watchdog_timeout:=0.5", "seed:=0",
            f"sim_overrides:=[control_hz={CAMERA_HZ:g},physics_hz=240]"]
    os.environ["ROS_DOMAIN_ID"] = env["ROS_DOMAIN_ID"]  # the probe's domain
    with _launched(runner, "flight_sim.launch.yaml", args, install, env, work) as alive, Probe("launch_bench", fast=True) as probe:
        probe.subscribe(Image, "/sim/image", qos_profile_sensor_data)
        probe.subscribe(TwistStamped, "/sim/cmd_vel")
        _spin_until(probe, lambda: len(probe.recv["/sim/cmd_vel"]) >= 10 and len(probe.recv["/sim/image"]) >= 10,
                    alive, 90.0, f"commands from flight_sim.launch.yaml under {runner}")
        for samples in probe.recv.values():
            samples.clear()
        end = time.monotonic() + window_s
        _spin_until(probe, lambda: time.monotonic() > end, alive, window_s + 5.0, "the end of the window")
        images = {_ns(m.header.stamp) for _, m in probe.recv["/sim/image"]}
        return np.array([(t - _ns(m.header.stamp)) / 1e6 for t, m in probe.recv["/sim/cmd_vel"]
                         if _ns(m.header.stamp) in images])


def bench_flight_launch(quick: bool) -> list[BenchResult]:
    """image -> cmd_vel latency of flight_sim.launch.yaml under both runners (``quick``: 4 s windows, else 20 s)."""
    install, env = _environment()
    window_s = 4.0 if quick else 20.0
    results = []
    work = Path(tempfile.mkdtemp(prefix="greenroom-bench-launch-"))  # logs: removed only after a clean run
    for runner in RUNNERS:
        load = os.getloadavg()[0]  # a shared 2-core machine: the load the measurement met
        latencies = _flight_latencies(runner, install, env, work, window_s)
        if latencies.size == 0:
            raise RuntimeError(f"no command matched an image stamp under {runner} (logs in {work})")
        median, p99 = float(np.median(latencies)), float(np.percentile(latencies, 99))
        details = {"runner": runner, "launch_file": "flight_sim.launch.yaml", "model": "assets/policies/flight",
                   "window_s": window_s, "commands_matched": int(latencies.size), "max_ms": float(latencies.max()),
                   "install": "colcon build of the source tree (build/colcon)", "load_avg_1min": load}
        results += [
            BenchResult("launch", f"image->cmd_vel latency median ({runner})", median, "ms", "", None, details),
            BenchResult("launch", f"image->cmd_vel latency p99 ({runner})", p99, "ms", f"<= {FLIGHT_P99_MS:g}",
                        check(p99, "<=", FLIGHT_P99_MS), details),
        ]
    shutil.rmtree(work, ignore_errors=True)
    return results


@contextmanager
def _rgbd_camera(install: Path, env: dict[str, str], work: Path, frames: int) -> Iterator[subprocess.Popen]:
    """A camera-driver-like RGB-D publisher process (greenroom.real.common.camera_publisher --rgbd:
    640x480 rgb8 + 32FC1 depth of four 5 cm blocks at 0.75 m + camera_info, best effort, 5 Hz),
    started as README "Camera-sized images" tells a driver to: with the shipped Fast DDS profile."""
    from ..common.procs import stop_process

    profile = install / "greenroom" / "share" / "greenroom" / "launch" / "fastdds_large_images.xml"
    with (work / "camera_publisher.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "greenroom.real.common.camera_publisher", "--rgbd", "--frames", str(frames),
             "--rate", "5", "--qos", "best_effort"], env=dict(env, FASTDDS_DEFAULT_PROFILES_FILE=str(profile)),
            cwd=work, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        yield process
    finally:
        stop_process(process)


def _arm_latencies(runner: str, install: Path, env: dict[str, str], work: Path, decisions: int) -> list[float]:
    from geometry_msgs.msg import PoseArray
    from std_msgs.msg import Bool, String

    from ..arm.node_util import reliable, transient_local
    from ..common.procs import Probe

    # camera straight down over the workspace centre of the default box (x 0.3..0.748, y +-0.224),
    # on the publisher's topics (camera/color/image_raw ... without the driver's extra namespace)
    args = [f"model:={_asset('pushgrasp/pushgrasp.onnx')}", "camera_pose:=[0.524, 0.0, 0.75, 1.0, 0.0, 0.0, 0.0]",
            "color_topic:=/camera/color/image_raw", "depth_topic:=/camera/aligned_depth_to_color/image_raw",
            "camera_info_topic:=/camera/color/camera_info"]
    os.environ["ROS_DOMAIN_ID"] = env["ROS_DOMAIN_ID"]
    latencies: list[float] = []
    with _launched(runner, "arm.launch.yaml", args, install, env, work) as alive, Probe("launch_bench_arm", fast=True) as probe:
        probe.subscribe(PoseArray, "/arm/waypoints", reliable(10))
        probe.subscribe(String, "/arm/primitive", reliable(10))
        done = probe.publisher(Bool, "/arm/motion_done", transient_local())
        _spin_until(probe, lambda: done.get_subscription_count() > 0, alive, 60.0, "arm_policy")
        with _rgbd_camera(install, env, work, frames=5 * (60 + 5 * decisions)) as camera:
            def running() -> None:
                alive()
                if camera.poll() is not None:
                    raise RuntimeError(f"camera_publisher exited with {camera.returncode} (logs in {work})")

            while len(latencies) < decisions:
                received = len(probe.recv["/arm/waypoints"])
                done.publish(Bool(data=True))  # the motion is "done": decide on the next frame
                _spin_until(probe, lambda: len(probe.recv["/arm/waypoints"]) > received and
                            len(probe.recv["/arm/primitive"]) >= len(probe.recv["/arm/waypoints"]),
                            running, 30.0 if latencies else 60.0, f"a decision under {runner} (logs in {work})")
                sec, nanosec = json.loads(probe.recv["/arm/primitive"][-1][1].data)["image_stamp"]
                latencies.append((probe.recv["/arm/waypoints"][-1][0] - (sec * 1_000_000_000 + nanosec)) / 1e6)
    return latencies


def bench_arm_launch(quick: bool) -> list[BenchResult]:
    """frame -> waypoints latency of arm.launch.yaml under both runners (``quick``: 3 decisions, else 12)."""
    install, env = _environment()
    decisions = 3 if quick else 12
    results = []
    work = Path(tempfile.mkdtemp(prefix="greenroom-bench-launch-"))  # logs: removed only after a clean run
    for runner in RUNNERS:
        load = os.getloadavg()[0]
        latencies = np.array(_arm_latencies(runner, install, env, work, decisions))
        median, p99 = float(np.median(latencies)), float(np.percentile(latencies, 99))
        details = {"runner": runner, "launch_file": "arm.launch.yaml", "model": "assets/policies/pushgrasp",
                   "decisions": int(latencies.size), "image": "640x480 rgb8 + 32FC1 at 5 Hz, profile-configured publisher", "max_ms": float(latencies.max()),
                   "p99_ms": p99, "install": "colcon build of the source tree (build/colcon)", "load_avg_1min": load}
        results.append(BenchResult("arm_launch", f"frame->waypoints latency median ({runner})", median, "ms",
                                   f"<= {ARM_MEDIAN_MS:g}", check(median, "<=", ARM_MEDIAN_MS), details))
    shutil.rmtree(work, ignore_errors=True)
    return results
