"""The robot launch files under the real ``ros2 launch``, from the colcon install tree, checked with
the ``ros2`` CLI the way README "On the robot" tells a user to (``--no-daemon``: no daemon left
behind): node names and namespaces, parameter values, topic remaps for the documented vehicles
and controllers, and the ``~/enable`` service call. A node that dies fails the test: the real
``LaunchService`` keeps running and returns 0 when a node dies, so Ros2Launch watches for it.

Needs ../shared/ros2-cli (skipped without it); colcon from the package index.
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from greenroom.real.launch.colcon import NodeDied, Ros2Launch, ros2

pytestmark = [pytest.mark.ros, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
FLIGHT_MODEL = REPO / "assets" / "policies" / "flight" / "policy.onnx"
ARM_MODEL = REPO / "assets" / "policies" / "pushgrasp" / "pushgrasp.onnx"
DISCOVERY_S = 40.0
MAVROS = {"cmd_vel_topic": "/mavros/setpoint_velocity/cmd_vel_unstamped", "image_topic": "/camera/image_raw"}


def ros2_until(launch: Ros2Launch, env: dict[str, str], args: tuple[str, ...], ok: Callable[[str], bool],
               timeout: float = DISCOVERY_S) -> str:
    """Run ``ros2 ARGS`` until its output satisfies ``ok`` (discovery takes up to seconds); its stdout."""
    deadline = time.monotonic() + timeout
    while True:
        launch.check()
        done = ros2(*args, env=env)
        if done.returncode == 0 and ok(done.stdout):
            return done.stdout
        if time.monotonic() > deadline:
            raise AssertionError(f"ros2 {' '.join(args)} (exit {done.returncode}) never gave what was expected:\n"
                                 f"{done.stdout}\n{done.stderr}\n--- launch output:\n{launch.output()}")


def node_info(text: str) -> dict[str, set[str]]:
    """``ros2 node info`` output -> {"Subscribers": {topic, ...}, "Publishers": ..., "Service Servers": ...}."""
    sections: dict[str, set[str]] = {}
    current = None
    for line in text.splitlines():
        header = re.match(r"^  (\w[\w ]*):$", line)
        if header:
            current = sections.setdefault(header.group(1), set())
        elif current is not None and line.startswith("    /"):
            current.add(line.strip().split(":")[0])
    return sections


def params(launch: Ros2Launch, env: dict[str, str], node: str) -> dict:
    text = ros2_until(launch, env, ("param", "dump", "--no-daemon", "--timeout", "10", node),
                      lambda out: "ros__parameters" in out)
    return yaml.safe_load(text)[node]["ros__parameters"]


def test_flight_launch_with_mavros_remaps(ros2_env: dict[str, str], tmp_path: Path) -> None:
    """README: ``ros2 launch greenroom flight.launch.yaml model:=... <MAVROS remaps>``, then
    ``ros2 service call /flight_policy/enable std_srvs/srv/SetBool "{data: true}"``."""
    args = [f"model:={FLIGHT_MODEL}", "enable_on_start:=false", "max_forward_speed:=0.8",
            *(f"{k}:={v}" for k, v in MAVROS.items())]
    with Ros2Launch("flight.launch.yaml", args, ros2_env, tmp_path / "launch.log") as launch:
        nodes = ros2_until(launch, ros2_env, ("node", "list", "--no-daemon"), lambda out: "/flight_policy" in out.split())
        assert [n for n in nodes.split() if n.startswith("/flight")] == ["/flight_policy"]
        values = params(launch, ros2_env, "/flight_policy")
        assert values["model_path"] == str(FLIGHT_MODEL) and values["contract_path"] == ""
        assert values["max_forward_speed"] == 0.8 and values["max_yaw_rate"] == 1.5  # typed: doubles
        assert values["enable_on_start"] is False and values["watchdog_timeout_s"] == 0.1
        got = ros2_until(launch, ros2_env, ("param", "get", "--no-daemon", "--timeout", "10", "/flight_policy",
                                            "max_forward_speed"), lambda out: "value is" in out)
        assert got.strip() == "Double value is: 0.8", got
        wanted = {MAVROS["image_topic"], "/estop"}
        info = node_info(ros2_until(launch, ros2_env, ("node", "info", "--no-daemon", "/flight_policy"),
                                    lambda out: wanted <= node_info(out).get("Subscribers", set())))
        assert MAVROS["cmd_vel_topic"] in info["Publishers"] and "/flight_policy/values" in info["Publishers"]
        assert "/cmd_vel" not in info["Publishers"]
        assert "/flight_policy/enable" in info["Service Servers"]
        ros2_until(launch, ros2_env, ("topic", "list", "--no-daemon"),
                   lambda out: {MAVROS["cmd_vel_topic"], MAVROS["image_topic"], "/diagnostics"} <= set(out.split()))
        reply = ros2("service", "call", "/flight_policy/enable", "std_srvs/srv/SetBool", "{data: true}", env=ros2_env)
        assert reply.returncode == 0 and "success=True" in reply.stdout, reply.stdout + reply.stderr
        launch.check()
        assert "~/enable True" in launch.output()
    assert launch.process.returncode == 0 and not launch.group_alive(), launch.output()


def test_arm_launch_names_parameters_and_ros2_control_remaps(ros2_env: dict[str, str], tmp_path: Path) -> None:
    """README: ``ros2 launch greenroom arm.launch.yaml model:=... camera_pose:=...`` with a
    ros2_control controller name of another arm (trajectory_topic, gripper_topic remaps)."""
    pose = "[0.5, 0.0, 0.7, 1.0, 0.0, 0.0, 0.0]"
    args = [f"model:={ARM_MODEL}", f"camera_pose:={pose}", "trajectory_topic:=/arm_controller/joint_trajectory",
            "gripper_topic:=/hand_controller/commands"]
    with Ros2Launch("arm.launch.yaml", args, ros2_env, tmp_path / "launch.log") as launch:
        ros2_until(launch, ros2_env, ("node", "list", "--no-daemon"),
                   lambda out: {"/arm/arm_policy", "/arm/arm_executor"} <= set(out.split()))
        policy = params(launch, ros2_env, "/arm/arm_policy")
        assert policy["model_path"] == str(ARM_MODEL) and policy["base_frame"] == "panda_link0"
        assert policy["camera_pose"] == [0.5, 0.0, 0.7, 1.0, 0.0, 0.0, 0.0]
        assert policy["workspace_bounds"] == [0.3, 0.748, -0.224, 0.224, 0.0, 0.4]
        camera = {"/camera/camera/color/image_raw", "/camera/camera/aligned_depth_to_color/image_raw",
                  "/camera/camera/color/camera_info", "/arm/motion_done"}
        info = node_info(ros2_until(launch, ros2_env, ("node", "info", "--no-daemon", "/arm/arm_policy"),
                                    lambda out: camera <= node_info(out).get("Subscribers", set())))
        assert {"/arm/waypoints", "/arm/primitive"} <= info["Publishers"]
        controllers = {"/arm_controller/joint_trajectory", "/hand_controller/commands", "/arm/motion_done"}
        info = node_info(ros2_until(launch, ros2_env, ("node", "info", "--no-daemon", "/arm/arm_executor"),
                                    lambda out: controllers <= node_info(out).get("Publishers", set())))
        assert {"/joint_states", "/arm/waypoints", "/arm/primitive"} <= info["Subscribers"]
        assert "/joint_trajectory_controller/joint_trajectory" not in info["Publishers"]
        launch.check()
    assert launch.process.returncode == 0 and not launch.group_alive(), launch.output()


def test_a_node_that_dies_fails_the_check(ros2_env: dict[str, str], tmp_path: Path) -> None:
    """flight_policy exits 1 on a missing model: ros2 launch itself ends with 0 (all processes
    ended), which is why Ros2Launch reads "process has died" and raises NodeDied."""
    launch = Ros2Launch("flight.launch.yaml", [f"model:={tmp_path / 'missing.onnx'}"], ros2_env, tmp_path / "launch.log")
    try:
        with pytest.raises(NodeDied, match=r"flight_policy-1"):
            launch.wait_until(lambda: False, 60.0, "the node's death")
        assert launch.died()[0][2] == 1
        code = launch.process.wait(timeout=30)  # launch ends once its only process ended ...
    finally:
        launch.stop()
    assert code == 0, "LaunchService.run() now fails on a dead node: Ros2Launch's watch could be simplified"
    assert not launch.group_alive()


def test_stop_is_clean_when_the_parent_ignores_sigint(ros2_env: dict[str, str], tmp_path: Path) -> None:
    """A test run started as ``make test &`` or ``nohup ... &`` ignores SIGINT, and an ignored signal
    stays ignored across exec; Ros2Launch gives ``ros2 launch`` SIGINT back so stop() ends it as
    Ctrl-C does (exit 0), not by the SIGTERM that follows 20 s later (-15)."""
    import signal

    path = tmp_path / "sleep.launch.yaml"
    path.write_text("launch:\n- executable:\n    cmd: sleep 120\n    name: sleeper\n")
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        launch = Ros2Launch(str(path), [], ros2_env, tmp_path / "launch.log", package=None)
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        launch.wait_until(lambda: "process started" in launch.output(), 60.0, "the sleeper")
        started = time.monotonic()
        code = launch.stop()
    finally:
        launch.stop()
    assert code == 0 and time.monotonic() - started < 15, launch.output()
    assert not launch.group_alive()
