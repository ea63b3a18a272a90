"""Sim in the loop over real Fast DDS: ``launch/flight_sim.launch.yaml`` (simulator bridge +
policy node) run by ``greenroom launch`` with the shipped policy on its own (``cpu``) simulator
preset; the vehicle is judged from Odometry and must fly exactly the in-process trajectories.

Also, with a policy trained by ``greenroom train flight --preset smoke`` and exported by
``greenroom export``: the bridge alone (vehicle semantics of cmd_vel, camera/odometry streams)
and the policy node's watchdog when the simulated camera dies.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from geometry_msgs.msg import Twist, Vector3
from nav_msgs.msg import Odometry
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Bool
from std_srvs.srv import SetBool

from greenroom.real.common.procs import Probe, stop_process
from greenroom.real.flight.sil import start_bridge, start_policy

pytestmark = [pytest.mark.ros, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "assets" / "policies" / "flight" / "policy.onnx"  # clearance actions, trained on the cpu preset
DISCOVERY_S = 20.0
# flown in an episode's 5 s: half of them at the 1 m/s reference speed. The clearance action set
# turns in place where nothing ahead looks free (the shipped policy turned for 15 of seed 11's 50
# steps and flew 2.9 m; over seeds 11-110 it flew 4.6 m on average, 7 episodes under 3 m, 1 collision)
TARGET_DISTANCE_M = 2.5
SEEDS = (11, 12, 13)
# The smoke preset with a longer label horizon: with the preset's 12 steps (~1.2 m) nearly every
# direction is labelled fully free, the values tie and the policy climbs into the ceiling.
SMOKE_TRAINING = ("labels.horizon=40", "stage1.states=256", "stage1.epochs=6", "stage2.iterations=0")


def _greenroom(*args: str, env: dict[str, str], timeout: float) -> str:
    done = subprocess.run([sys.executable, "-m", "greenroom.cli", *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)
    assert done.returncode == 0, f"greenroom {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def smoke_policy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``greenroom train flight --preset smoke`` (+ SMOKE_TRAINING) then ``greenroom export``."""
    runs = tmp_path_factory.mktemp("runs")
    env = dict(os.environ, GREENROOM_RUNS=str(runs))
    out = _greenroom("train", "flight", *SMOKE_TRAINING, "--preset", "smoke", env=env, timeout=300)
    run = Path(out.strip().splitlines()[-1])
    model = Path(_greenroom("export", str(run), env=env, timeout=300).strip().splitlines()[-1])
    assert model.is_file() and model.with_suffix(".contract.json").is_file()
    return model


def _xy(msg: Odometry) -> np.ndarray:
    p = msg.pose.pose.position
    return np.array([p.x, p.y, p.z])


def _distinct(points: list[np.ndarray] | np.ndarray) -> np.ndarray:
    """Drop consecutive repeats (re-sent frames repeat a pose; so do steps before the vehicle moves)."""
    kept = [p for i, p in enumerate(points) if i == 0 or not np.array_equal(p, points[i - 1])]
    return np.array(kept).reshape(-1, 3)


def _reference_flights(model: Path, seeds: tuple[int, ...]) -> list[tuple[np.ndarray, bool]]:
    """The same policy flown in-process (FlightEnv + FlightRuntimePolicy): positions per episode and
    whether it ended in a collision."""
    from greenroom.policies.runtime.flight import FlightRuntimePolicy
    from greenroom.sim.flight.config import FlightEnvConfig
    from greenroom.sim.flight.env import FlightEnv

    env = FlightEnv(replace(FlightEnvConfig.cpu(), **SIM_OVERRIDES))
    policy = FlightRuntimePolicy(model)
    flights = []
    for seed in seeds:
        obs, info = env.reset(seed=seed)
        positions = [np.asarray(info["pose"][:3])]
        terminated = truncated = False
        while not (terminated or truncated):
            obs, _, terminated, truncated, info = env.step(policy.act(obs)[1])
            positions.append(np.asarray(info["pose"][:3]))
        flights.append((_distinct(positions), bool(info["collision"])))
    env.close()
    return flights


def _episodes(path: list[np.ndarray]) -> list[np.ndarray]:
    """Split odometry positions where the vehicle jumps back to a start pose (a new episode)."""
    points = _distinct(path)
    cuts = np.flatnonzero(np.linalg.norm(np.diff(points, axis=0), axis=1) > EPISODE_JUMP_M) + 1
    return np.split(points, cuts)


def _length(points: np.ndarray) -> float:
    return float(np.linalg.norm(np.diff(points, axis=0), axis=1).sum())


SIM_OVERRIDES = {"max_steps": 50}  # episodes end by collision or after 5 s
EPISODE_JUMP_M = 0.5  # > the 0.2 m a 2 m/s vehicle moves in one 0.1 s step


def test_flight_sim_launch_flies_without_collision(tmp_path: Path, ros_domain: int) -> None:
    """flight_sim.launch.yaml (lockstep, stamped commands) with the shipped policy, episodes of
    seeds SEEDS in turn: none collides, each flies >= TARGET_DISTANCE_M, and the ROS
    loop flies exactly the trajectories of the in-process loop (DDS, image conversion, clamps and
    the stamped lockstep change nothing)."""
    overrides = ",".join(f"{k}={v}" for k, v in SIM_OVERRIDES.items())
    log = (tmp_path / "launch.log").open("wb")
    launch = subprocess.Popen(
        [sys.executable, "-m", "greenroom.cli", "launch", str(REPO / "launch" / "flight_sim.launch.yaml"),
         f"model:={SHIPPED}", "preset:=cpu", f"seed:={SEEDS[0]}", "lockstep:=true", "use_stamped:=true",
         "enable_on_start:=false", f"sim_overrides:=[{overrides}]"],
        stdout=log, stderr=subprocess.STDOUT, cwd=REPO, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    try:
        with Probe("sil_probe") as probe:
            path: list[np.ndarray] = []
            collisions: list[int] = []
            probe.subscribe(Odometry, "/sim/odom", qos=1000, callback=lambda m: path.append(_xy(m)))
            probe.subscribe(Bool, "/sim/collision", callback=lambda m: collisions.append(len(path)))
            enable = probe.node.create_client(SetBool, "/sim/flight_policy/enable")

            def launch_alive() -> None:
                assert launch.poll() is None, (tmp_path / "launch.log").read_text()[-4000:]

            # Disabled, the policy answers with zero Twists stamped "now": the stamped lockstep
            # does not step, so the vehicle waits at its start pose until we are listening.
            deadline = time.monotonic() + DISCOVERY_S
            while not (path and enable.service_is_ready()):
                launch_alive()
                assert time.monotonic() < deadline, "no odometry / ~/enable service from the launch"
                probe.executor.spin_once(timeout_sec=0.05)
            del path[:-1]
            future = enable.call_async(SetBool.Request(data=True))
            probe.spin_until(future.done, 10, "~/enable reply")
            assert future.result().success
            deadline = time.monotonic() + 120
            while len(_episodes(path)) <= len(SEEDS):  # until the episode after the last seed starts
                launch_alive()
                assert time.monotonic() < deadline, f"{len(_episodes(path))} episodes in 120 s"
                probe.executor.spin_once(timeout_sec=0.05)
            flights = _episodes(path)[:len(SEEDS)]
    finally:
        code = stop_process(launch, 30, first=signal.SIGINT)
        log.close()
    assert code == 0, (tmp_path / "launch.log").read_text()[-4000:]
    for seed, sil, (reference, collided) in zip(SEEDS, flights, _reference_flights(SHIPPED, SEEDS)):
        assert not collided, f"seed {seed}: collision after {_length(reference):.2f} m"
        assert _length(sil) >= TARGET_DISTANCE_M, f"seed {seed}: flew only {_length(sil):.2f} m in the episode"
        assert sil.shape == reference.shape, f"seed {seed}: {len(sil)} poses over ROS, {len(reference)} in-process"
        np.testing.assert_allclose(sil, reference, atol=1e-6, err_msg=f"seed {seed}")


def test_bridge_holds_command_then_zero_after_timeout_and_camera_stop_zeroes_policy(
        smoke_policy: Path, tmp_path: Path, ros_domain: int) -> None:
    """The bridge as a vehicle (camera + info + odometry; last command held, then zero after
    ``cmd_timeout_s``); then the policy node on its camera: the camera dies -> zero Twist
    within two control periods."""
    bridge = start_bridge(tmp_path, preset="smoke", overrides=["max_steps=100000"],
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

            policy = start_policy(smoke_policy, tmp_path, enable_on_start=True, control_rate_hz=rate,
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


def test_bridge_refuses_bad_configuration(tmp_path: Path, ros_domain: int) -> None:
    """A bad preset, config key or value stops the bridge at start with a clear error (exit 1)."""
    cases = {
        "bad preset": ({"preset": "huge"}, "preset must be smoke, cpu or paper"),
        "unknown key": ({"preset": "smoke", "overrides": ["imag_size=64"]}, "imag_size"),
        "bad value": ({"preset": "smoke", "overrides": ["image_size=4"]}, "image_size"),
        "bad timeout": ({"preset": "smoke", "cmd_timeout_s": 0.0}, "cmd_timeout_s"),
    }
    procs = {name: start_bridge(tmp_path, **params) for name, (params, _) in cases.items()}
    for name, proc in procs.items():
        try:
            code = proc.wait(timeout=60)
        finally:
            proc.stop()
        out = proc.output()
        assert code == 1 and "flight_sim_bridge: error:" in out and cases[name][1] in out, f"{name}:\n{out}"
        assert "Traceback" not in out, f"{name}:\n{out}"
