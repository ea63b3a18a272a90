"""Sim in the loop over real Fast DDS: ``launch/flight_sim.launch.yaml`` (simulator bridge +
policy node) run by ``greenroom launch``, with a policy trained by ``greenroom train flight
--preset smoke`` and exported by ``greenroom export``; the vehicle is judged from Odometry.

Also: the bridge alone (vehicle semantics of cmd_vel, camera/odometry streams) and the policy
node's watchdog when the simulated camera dies.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from geometry_msgs.msg import Twist, Vector3
from nav_msgs.msg import Odometry
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Bool

from greenroom.real.common.procs import Probe
from greenroom.real.flight.sil import start_bridge, start_policy

pytestmark = [pytest.mark.ros, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
DISCOVERY_S = 20.0
TARGET_DISTANCE_M = 3.0
SEEDS = (11, 12, 13)


def _greenroom(*args: str, env: dict[str, str], timeout: float) -> str:
    done = subprocess.run([sys.executable, "-m", "greenroom.cli", *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)
    assert done.returncode == 0, f"greenroom {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def smoke_policy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``greenroom train flight --preset smoke`` then ``greenroom export``: the exported policy."""
    runs = tmp_path_factory.mktemp("runs")
    env = dict(os.environ, GREENROOM_RUNS=str(runs))
    out = _greenroom("train", "flight", "--preset", "smoke", env=env, timeout=300)
    run = Path(out.strip().splitlines()[-1])
    model = Path(_greenroom("export", str(run), env=env, timeout=300).strip().splitlines()[-1])
    assert model.is_file() and model.with_suffix(".contract.json").is_file()
    return model


def _xy(msg: Odometry) -> np.ndarray:
    p = msg.pose.pose.position
    return np.array([p.x, p.y, p.z])


@pytest.mark.parametrize("seed", SEEDS)
def test_flight_sim_launch_flies_without_collision(smoke_policy: Path, seed: int, tmp_path: Path,
                                                   ros_domain: int) -> None:
    """The launch file's bridge + policy fly >= TARGET_DISTANCE_M from odometry with no collision."""
    log = (tmp_path / "launch.log").open("wb")
    launch = subprocess.Popen(
        [sys.executable, "-m", "greenroom.cli", "launch", str(REPO / "launch" / "flight_sim.launch.yaml"),
         f"model:={smoke_policy}", "preset:=smoke", f"seed:={seed}", "lockstep:=true",
         "sim_overrides:=[max_steps=100000,max_distance=1000.0]"],
        stdout=log, stderr=subprocess.STDOUT, cwd=REPO, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    try:
        with Probe("sil_probe") as probe:
            path: list[np.ndarray] = []
            collisions: list[bool] = []
            probe.subscribe(Odometry, "/sim/odom", callback=lambda m: path.append(_xy(m)))
            probe.subscribe(Bool, "/sim/collision", callback=lambda m: collisions.append(m.data))
            probe.subscribe(Twist, "/sim/cmd_vel")

            def flown() -> float:
                steps = np.linalg.norm(np.diff(np.array(path), axis=0), axis=1) if len(path) > 1 else np.zeros(0)
                assert not collisions, f"collision after {steps.sum():.2f} m (seed {seed})"
                assert steps.size == 0 or steps.max() < 1.0, "odometry jumped: the episode restarted"
                return float(steps.sum())

            def alive() -> None:
                assert launch.poll() is None, (tmp_path / "launch.log").read_text()[-4000:]

            deadline = time.monotonic() + 120
            while flown() < TARGET_DISTANCE_M:
                alive()
                assert time.monotonic() < deadline, f"flew only {flown():.2f} m in 120 s (seed {seed})"
                probe.executor.spin_once(timeout_sec=0.05)
            moving = [m for _, m in probe.recv["/sim/cmd_vel"] if m.linear.x or m.linear.y or m.angular.z]
            assert moving, "the vehicle moved without a non-zero command?"
    finally:
        launch.send_signal(signal.SIGINT)
        try:
            code = launch.wait(timeout=30)
        except subprocess.TimeoutExpired:
            launch.kill()
            code = launch.wait()
        log.close()
    assert code == 0, (tmp_path / "launch.log").read_text()[-4000:]


def test_bridge_holds_command_then_zero_after_timeout_and_camera_stop_zeroes_policy(
        tmp_path: Path, ros_domain: int, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The bridge as a vehicle (camera + info + odometry; last command held, then zero after
    ``cmd_timeout_s``); then the policy node on its camera: the camera dies -> zero Twist
    within two control periods."""
    from greenroom.real.flight.sil import untrained_policy

    model = untrained_policy(tmp_path_factory.mktemp("sil-model"), "smoke")
    bridge = start_bridge(tmp_path, preset="smoke", overrides=["max_steps=100000", "max_distance=1000.0"],
                          seed=3, cmd_timeout_s=0.5)
    rate = 10.0
    policy = None
    try:
        with Probe("bridge_probe") as probe:
            probe.subscribe(Image, "image", qos_profile_sensor_data)
            probe.subscribe(CameraInfo, "camera_info", qos_profile_sensor_data)
            odom: list[tuple[float, np.ndarray, float]] = []
            probe.subscribe(Odometry, "odom", callback=lambda m: odom.append(
                (time.monotonic(), _xy(m), m.twist.twist.linear.x)))
            cmd = probe.publisher(Twist, "cmd_vel")
            probe.spin_until(lambda: len(odom) >= 3 and probe.recv["image"] and probe.recv["camera_info"]
                             and cmd.get_subscription_count() > 0, DISCOVERY_S, "bridge streams", alive=[bridge])
            image, info = probe.recv["image"][-1][1], probe.recv["camera_info"][-1][1]
            assert (image.encoding, image.height, image.width) == ("rgb8", 32, 32)
            assert info.k[0] > 0 and (info.width, info.height) == (32, 32)

            # One forward command, never repeated: held (the vehicle keeps flying) ...
            sent = time.monotonic()
            cmd.publish(Twist(linear=Vector3(x=0.5)))
            probe.spin_until(lambda: odom[-1][2] > 0.3, 5, "forward speed from a held command", alive=[bridge])
            probe.spin_until(lambda: odom[-1][0] - sent > 0.4, 5, "time passes")
            assert odom[-1][2] > 0.3, "the command was not held for cmd_timeout_s"
            # ... then zero after the 0.5 s timeout: the vehicle brakes to a hover.
            probe.spin_until(lambda: odom[-1][0] - sent > 1.5 and abs(odom[-1][2]) < 0.05, 10,
                             "vehicle stops after the command timeout", alive=[bridge])

            policy = start_policy(model, tmp_path, enable_on_start=True, control_rate_hz=rate,
                                  watchdog_timeout_s=1.0 / rate)
            probe.subscribe(Twist, "cmd_vel")
            cmds = probe.recv["cmd_vel"]
            probe.spin_until(lambda: any(m.linear.x for _, m in cmds), DISCOVERY_S, "policy flying on sim camera",
                             alive=[bridge, policy])
            bridge.process.send_signal(signal.SIGTERM)  # the camera dies; keep spinning to time the reply
            stopped = time.time_ns()
            probe.spin_until(lambda: bridge.poll() is not None, 10, "bridge exit")
            assert bridge.poll() == 0, bridge.output()
            last_image = max(t for t, _ in probe.recv["image"])
            probe.spin_until(lambda: cmds[-1][0] > stopped and not cmds[-1][1].linear.x, 5, "zero command",
                             alive=[policy])
            first_zero = next(t for t, m in cmds if t > last_image and not (m.linear.x or m.angular.z))
            assert (first_zero - last_image) / 1e9 <= 2.0 / rate + 0.02  # + transport
    finally:
        bridge.stop()
        if policy is not None:
            assert policy.stop() == 0, policy.output()
