"""Sim in the loop under the real ``ros2 launch``, from the colcon install tree (README "On the robot").

* ``flight_sim.launch.yaml record:=true`` with its default model, the bundled flight policy
  (share/greenroom/assets/policies/flight, ``cpu`` preset): the simulated drone flies in real time (odometry
  shows >= PROGRESS_M of progress and no collision for FLIGHT_S seconds), ``ros2 topic hz`` sees
  the camera, and the recorder's MCAP file holds the camera, odometry and commands.
* ``arm_sim.launch.yaml`` with the bundled push-grasp policy (assets/policies/pushgrasp) clears a
  4-block scene, judged by tests/real/test_arm_sim_loop.py's own ``_clears`` (the judging of the
  ``greenroom launch`` test), with ``ros2 launch`` in place of ``greenroom launch``.

Needs ../shared/ros2-cli (skipped without it); colcon from the package index.
"""
from __future__ import annotations

import importlib.util
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from nav_msgs.msg import Odometry
from std_msgs.msg import Bool

from greenroom.real.common.procs import Probe, stop_process
from greenroom.real.launch.colcon import Ros2Launch, ros2_executable

pytestmark = [pytest.mark.ros, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
ARM_MODEL = REPO / "assets" / "policies" / "pushgrasp" / "pushgrasp.onnx"
# Seed 4 of the cpu preset: the bundled policy flies 39 m without collision in-process.
FLIGHT_SEED, PROGRESS_M, FLIGHT_S = 4, 4.0, 8.0


def _arm_sim_loop_module():
    spec = importlib.util.spec_from_file_location("greenroom_test_arm_sim_loop", Path(__file__).with_name(
        "test_arm_sim_loop.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _topic_hz(env: dict[str, str], topic: str, timeout: float = 30.0) -> float:
    """The first ``average rate`` that ``ros2 topic hz TOPIC`` prints (then it is stopped)."""
    proc = subprocess.Popen([ros2_executable(), "topic", "hz", topic, "--window", "10"], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and reader.is_alive():
            rates = [line for line in list(lines) if line.startswith("average rate:")]
            if rates:
                return float(rates[0].split(":")[1])
            time.sleep(0.1)
        raise AssertionError(f"ros2 topic hz {topic} printed no rate within {timeout} s:\n{''.join(lines)}")
    finally:
        stop_process(proc)


def test_flight_sim_flies_and_records(ros2_env: dict[str, str], tmp_path: Path) -> None:
    from mcap.reader import make_reader

    record = tmp_path / "flight_sim.mcap"
    # no model:=, as README "On the robot": the bundled policy from the install's share/greenroom
    args = [f"seed:={FLIGHT_SEED}", "record:=true", f"record_output:={record}"]
    with Probe("ros2_launch_flight_probe") as probe:
        path: list[tuple[float, np.ndarray]] = []
        collisions: list[float] = []
        probe.subscribe(Odometry, "/sim/odom", qos=100, callback=lambda m: path.append(
            (time.monotonic(), np.array([m.pose.pose.position.x, m.pose.pose.position.y, m.pose.pose.position.z]))))
        probe.subscribe(Bool, "/sim/collision", callback=lambda m: collisions.append(time.monotonic()))
        launch = Ros2Launch("flight_sim.launch.yaml", args, ros2_env, tmp_path / "launch.log")
        try:
            step = lambda: probe.executor.spin_once(timeout_sec=0.05)  # noqa: E731
            launch.wait_until(lambda: bool(path), 60.0, "odometry from flight_sim_bridge", step)
            start_time, start = path[0]
            moved = lambda: float(np.linalg.norm(path[-1][1][:2] - start[:2]))  # noqa: E731
            launch.wait_until(lambda: moved() >= PROGRESS_M and path[-1][0] - start_time >= FLIGHT_S or collisions,
                              60.0, f"{PROGRESS_M} m of flight", step)
            assert not collisions, f"collision after {moved():.2f} m ({path[-1][0] - start_time:.1f} s)"
            assert _topic_hz(ros2_env, "/sim/image") > 2.0
            launch.check()
        finally:
            code = launch.stop()
    assert code == 0 and not launch.group_alive(), launch.output()
    assert "process has finished cleanly" in launch.output() and not launch.died()
    with record.open("rb") as stream:
        counts = Counter(channel.topic for _, channel, _ in make_reader(stream).iter_messages())
    assert {"/sim/image", "/sim/odom", "/sim/cmd_vel"} <= {t for t, n in counts.items() if n >= 5}, counts


def test_arm_sim_clears_four_blocks(ros2_env: dict[str, str], tmp_path: Path) -> None:
    sim_loop = _arm_sim_loop_module()

    class Ros2SimLoop(sim_loop.SimLoop):
        """test_arm_sim_loop's SimLoop with ``ros2 launch greenroom arm_sim.launch.yaml`` as the process."""

        def __init__(self, model: Path, probe: Probe, log: Path, **args: str) -> None:
            arguments = [f"model:={model}", "preset:=smoke", "max_joint_speed:=1.5", *(f"{k}:={v}" for k, v in args.items())]
            self.launch = Ros2Launch("arm_sim.launch.yaml", arguments, ros2_env, log)
            self.process, self.log_path, self.log, self.probe = self.launch.process, log, None, probe
            for topic, qos in (("/arm/sim/objects_remaining", sim_loop.transient_local()),
                               ("/arm/sim/objects_lost", sim_loop.transient_local()),
                               ("/arm/motion_result", sim_loop.transient_local(10)),
                               ("/arm/primitive", sim_loop.reliable(10)), ("/arm/waypoints", sim_loop.reliable(10))):
                probe.subscribe(self._types[topic], topic, qos)

        _types = {"/arm/sim/objects_remaining": sim_loop.Int32, "/arm/sim/objects_lost": sim_loop.Int32,
                  "/arm/motion_result": sim_loop.String,
                  "/arm/primitive": sim_loop.String, "/arm/waypoints": sim_loop.PoseArray}

        def lost(self) -> int | None:
            """Blocks that left the workspace without the gripper (the bridge's sim/objects_lost)."""
            msgs = self.probe.recv["/arm/sim/objects_lost"]
            return msgs[-1][1].data if msgs else None

        def output(self) -> str:
            return self.launch.output(4000)

        def wait(self, condition, timeout: float, what: str) -> None:
            self.launch.wait_until(condition, timeout, what, lambda: self.probe.executor.spin_once(timeout_sec=0.05))

        def stop(self) -> int:
            return self.launch.stop()

    # test_arm_sim_loop's own judging (_clears: a 4-block scene, cleared, all motions successful,
    # waypoints inside the box, clean exit) with this runner in place of greenroom launch
    sim_loop.SimLoop = Ros2SimLoop  # in this private copy of the module only
    # scene 11: the strict one of test_trained_policy_clears_four_blocks (scene 3 is the other)
    results = sim_loop._clears(ARM_MODEL, tmp_path, max_actions=20, timeout=400.0, seed="11", max_lost=0)
    # every block left in the gripper (objects_lost stayed 0), as test_arm_sim_loop requires of greenroom launch
    assert any(r["primitive"] == "grasp" and (r["grasp_width_m"] or 0.0) > 0.004 for r in results), results
