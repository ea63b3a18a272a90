"""Sim in the loop: ``greenroom launch launch/arm_sim.launch.yaml`` (pybullet bridge + arm_policy +
arm_executor as real processes over Fast DDS) clears a 4-block scene.

The scene is cleared by the **trained** VPG policy bundled in ``assets/policies/pushgrasp``
(``greenroom train pushgrasp iterations=8000``, exported; its README says how it was made): all
four blocks must leave in the gripper; a block pushed or knocked off the workspace
(``/arm/sim/objects_lost``) is a failure, not a clear. Set
``GREENROOM_ARM_POLICY=/path/pushgrasp.onnx`` to run the same test on another export. Two more
checks: the scripted grasp heuristic exported in the policy format
(``greenroom.real.arm.heuristic``, contract ``"learned": false``) is a baseline that must clear the
scene as well, and an export of freshly initialised pushgrasp FCNs (smoke preset) must drive the
loop (all its primitives execute).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from geometry_msgs.msg import PoseArray
from std_msgs.msg import Int32, String

from greenroom.real.arm.heuristic import export_heuristic_policy
from greenroom.real.arm.node_util import reliable, transient_local
from greenroom.real.common.procs import Probe

pytestmark = [pytest.mark.ros, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
LAUNCH = REPO / "launch" / "arm_sim.launch.yaml"
BUNDLED_POLICY = REPO / "assets" / "policies" / "pushgrasp" / "pushgrasp.onnx"
# Workspace in the Panda base frame (the sim world's workspace turned by the base's pi yaw) + margin.
BOX_BASE = (0.246 - 0.05, 0.694 + 0.05, -0.224 - 0.05, 0.224 + 0.05, -0.0001, 0.4 + 0.05)


class SimLoop:
    """The launch file as one process tree, and a probe on its topics."""

    def __init__(self, model: Path, probe: Probe, log: Path, **args: str) -> None:
        arguments = [f"model:={model}", "preset:=smoke", "max_joint_speed:=1.5"] + [f"{k}:={v}" for k, v in args.items()]
        self.log = log.open("wb")
        self.process = subprocess.Popen([sys.executable, "-m", "greenroom.cli", "launch", str(LAUNCH), *arguments],
                                        stdout=self.log, stderr=subprocess.STDOUT, env=dict(os.environ, PYTHONUNBUFFERED="1"))
        self.log_path, self.probe = log, probe
        probe.subscribe(Int32, "/arm/sim/objects_remaining", transient_local())
        probe.subscribe(Int32, "/arm/sim/objects_lost", transient_local())
        probe.subscribe(String, "/arm/motion_result", transient_local(10))
        probe.subscribe(String, "/arm/primitive", reliable(10))
        probe.subscribe(PoseArray, "/arm/waypoints", reliable(10))

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def wait(self, condition, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert self.process.poll() is None, f"launch exited with {self.process.poll()}:\n{self.output()}"
            assert time.monotonic() < deadline, f"no {what} within {timeout} s:\n{self.output()}"
            self.probe.executor.spin_once(timeout_sec=0.05)

    def remaining(self) -> int | None:
        msgs = self.probe.recv["/arm/sim/objects_remaining"]
        return msgs[-1][1].data if msgs else None

    def lost(self) -> int | None:
        msgs = self.probe.recv["/arm/sim/objects_lost"]
        return msgs[-1][1].data if msgs else None

    def results(self) -> list[dict]:
        return [json.loads(m.data) for _, m in self.probe.recv["/arm/motion_result"] if json.loads(m.data)["id"] is not None]

    def check_waypoints(self) -> None:
        low, high = np.array(BOX_BASE[0::2]), np.array(BOX_BASE[1::2])
        for _, msg in self.probe.recv["/arm/waypoints"]:
            assert msg.header.frame_id == "panda_link0"
            points = np.array([[p.position.x, p.position.y, p.position.z] for p in msg.poses])
            assert np.all(points >= low - 1e-6) and np.all(points <= high + 1e-6), points

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()
        return self.process.returncode


def _clears(model: Path, tmp_path: Path, max_actions: int, timeout: float, seed: str = "3",
            max_lost: int = 0) -> list[dict]:
    """Run the loop until the 4-block scene is empty; at most ``max_lost`` blocks may leave without the gripper."""
    with Probe("arm_sim_probe") as probe:
        loop = SimLoop(model, probe, tmp_path / "launch.log", num_objects="4", seed=seed)
        try:
            loop.wait(lambda: loop.remaining() == 4 and loop.lost() == 0, 60.0, "a 4-block scene")
            loop.wait(lambda: loop.remaining() == 0 or len(loop.results()) >= max_actions or (loop.lost() or 0) > max_lost,
                      timeout, "a cleared scene")
            results = loop.results()
            assert (loop.lost() or 0) <= max_lost, f"{loop.lost()} block(s) left the workspace without the gripper: {results}"
            assert loop.remaining() == 0, f"{loop.remaining()} blocks left after {len(results)} actions: {results}"
            loop.wait(lambda: any(json.loads(m.data)["primitive"] == "none" for _, m in probe.recv["/arm/primitive"]),
                      30.0, "the policy reporting a clear workspace")
            loop.check_waypoints()
            assert all(r["success"] for r in results), results
        finally:
            code = loop.stop()
        assert code == 0, loop.output()
    return results


def test_heuristic_policy_clears_four_blocks(tmp_path: Path) -> None:
    model = export_heuristic_policy(tmp_path / "policy", "smoke")
    results = _clears(model, tmp_path, max_actions=12, timeout=150.0, max_lost=1)  # a scripted baseline may lose one
    held = [r for r in results if r["primitive"] == "grasp" and (r["grasp_width_m"] or 0.0) > 0.004]
    assert len(held) >= 2, results  # (the last grasp's result may arrive after the scene reads empty)


def test_learned_export_drives_the_loop(tmp_path: Path) -> None:
    """The pushgrasp FCN export (untrained smoke preset) runs the loop: its primitives all execute."""
    torch = pytest.importorskip("torch")
    from greenroom.policies.pushgrasp.config import PushGraspTrainConfig
    from greenroom.policies.pushgrasp.export import export_learner
    from greenroom.policies.pushgrasp.learner import Learner

    torch.manual_seed(1)
    config = PushGraspTrainConfig.smoke()
    size = config.env.heightmap_size
    rng = np.random.default_rng(1)  # parity inputs for an untrained net: 256 random heightmaps (no simulator top-up)
    feeds = [(rng.integers(0, 256, (1, size, size, 3), dtype=np.uint8), rng.uniform(0, 0.06, (1, size, size)).astype(np.float32))
             for _ in range(256)]
    model = export_learner(Learner(config, "cpu"), config, tmp_path / "policy", feeds)
    with Probe("arm_sim_probe") as probe:
        loop = SimLoop(model, probe, tmp_path / "launch.log", num_objects="4")
        try:
            loop.wait(lambda: len(loop.results()) >= 2, 120.0, "two executed primitives")
            loop.check_waypoints()
            assert all(r["success"] for r in loop.results()), loop.results()
        finally:
            code = loop.stop()
        assert code == 0, loop.output()


# Scenes 3 and 11, both strict. Scene 3 was an expected failure until the simulator's rolling fix
# (2026-12-04): a block lying on its side rolled on without slowing and left the workspace before
# the first grasp had finished (4 of 4 runs). With rolling resistance it clears (3 of 3 runs).
@pytest.mark.parametrize("seed", ["3", "11"])
def test_trained_policy_clears_four_blocks(tmp_path: Path, seed: str) -> None:
    model = Path(os.environ.get("GREENROOM_ARM_POLICY", BUNDLED_POLICY))
    assert model.is_file(), f"{model} is missing (the bundled policy is part of the repository)"
    results = _clears(model, tmp_path, max_actions=20, timeout=400.0, seed=seed, max_lost=0)
    # every block left the workspace in the gripper (objects_lost stayed 0): held grasps cleared it
    assert any(r["primitive"] == "grasp" and (r["grasp_width_m"] or 0.0) > 0.004 for r in results), results
