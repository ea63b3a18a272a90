"""One graph, two runners: every launch file under the real ``ros2 launch`` (colcon install tree)
and under ``greenroom launch`` (greenroom.real.launch) must give the same ROS graph.

Compared, as read from a probe node with rclpy's graph API and the nodes' parameter services:
fully qualified node names, each node's parameters (names, types and values), and the topics and
services each node publishes, subscribes and serves (remaps and namespaces show there). Any
difference is a bug in ``greenroom launch``. Each runner gets its own random DDS domain, so the
second graph holds no leftovers of the first.

Needs ../shared/ros2-cli (skipped without it); colcon from the package index.
"""
from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from rcl_interfaces.srv import GetParameters, ListParameters
from rclpy.parameter import parameter_value_to_python

from greenroom.real.common.procs import Probe
from greenroom.real.launch.colcon import Ros2Launch
from greenroom.real.launch.description import load_launch_file

pytestmark = [pytest.mark.ros, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
FLIGHT_MODEL = REPO / "assets" / "policies" / "flight" / "policy.onnx"
ARM_MODEL = REPO / "assets" / "policies" / "pushgrasp" / "pushgrasp.onnx"
PROBE = "conformance_probe"
# Launch arguments exercising namespaces, remaps, typed parameters, lists and conditions.
CASES = {
    "flight.launch.yaml": [f"model:={FLIGHT_MODEL}", "namespace:=drone1", "enable_on_start:=true",
                           "image_topic:=/camera/image_raw", "cmd_vel_topic:=/mavros/setpoint_velocity/cmd_vel_unstamped",
                           "max_forward_speed:=0.8", "control_rate:=15"],
    "flight_sim.launch.yaml": [f"model:={FLIGHT_MODEL}", "preset:=smoke", "lockstep:=true", "use_stamped:=true",
                               "sim_overrides:=[max_steps=100,image_size=32]", "record:=true",
                               "record_output:=RECORD"],
    "arm.launch.yaml": [f"model:={ARM_MODEL}", "camera_pose:=[0.5, 0.0, 0.7, 1.0, 0.0, 0.0, 0.0]", "namespace:=panda",
                        "trajectory_topic:=/arm_controller/joint_trajectory", "drop_position:=[]"],
    "arm_sim.launch.yaml": [f"model:={ARM_MODEL}", "preset:=smoke", "num_objects:=2", "seed:=5"],
}


def _parameters(probe: Probe, node: str) -> dict[str, Any]:
    lister = probe.node.create_client(ListParameters, f"{node}/list_parameters")
    getter = probe.node.create_client(GetParameters, f"{node}/get_parameters")
    try:
        probe.spin_until(lambda: lister.service_is_ready() and getter.service_is_ready(), 30.0, f"{node} parameters")
        listed = lister.call_async(ListParameters.Request())
        probe.spin_until(listed.done, 10.0, f"{node}/list_parameters")
        names = sorted(listed.result().result.names)
        got = getter.call_async(GetParameters.Request(names=names))
        probe.spin_until(got.done, 10.0, f"{node}/get_parameters")
        return {n: (v.type, parameter_value_to_python(v)) for n, v in zip(names, got.result().values)}
    finally:
        probe.node.destroy_client(lister)
        probe.node.destroy_client(getter)


def _graph(probe: Probe) -> dict[str, dict[str, Any]]:
    graph = {}
    for name, namespace in probe.node.get_node_names_and_namespaces():
        if name == PROBE:
            continue
        key = (namespace, name)
        graph[f"{namespace.rstrip('/')}/{name}"] = {
            "publishers": sorted(t for t, _ in probe.node.get_publisher_names_and_types_by_node(*reversed(key))),
            "subscribers": sorted(t for t, _ in probe.node.get_subscriber_names_and_types_by_node(*reversed(key))),
            "services": sorted(t for t, _ in probe.node.get_service_names_and_types_by_node(*reversed(key))),
        }
    return graph


def _ready(graph: dict[str, dict[str, Any]], expected_nodes: int) -> bool:
    """All nodes up, each with a topic of its own (simulators create theirs after loading the world)."""
    own = [set(e["publishers"] + e["subscribers"]) - {"/rosout", "/parameter_events"} for e in graph.values()]
    return len(graph) >= expected_nodes and all(own)


def _observe(probe: Probe, expected_nodes: int, alive, timeout: float = 90.0) -> dict[str, dict[str, Any]]:
    """Wait until the graph is ready and has not changed for 2 s; the graph with parameters."""
    deadline = time.monotonic() + timeout
    previous, since = None, time.monotonic()
    while True:
        alive()
        probe.spin_for(0.5)
        graph = _graph(probe)
        if graph != previous:
            previous, since = graph, time.monotonic()
        elif _ready(graph, expected_nodes) and time.monotonic() - since >= 2.0:
            break
        assert time.monotonic() < deadline, f"graph not complete/stable within {timeout} s: {graph}"
    for node, entry in graph.items():
        entry["parameters"] = _parameters(probe, node)
    return graph


def _greenroom_launch(launch_file: Path, args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "greenroom.cli", "launch", str(launch_file), *args], env=env,
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=log.parent)


def _stop(process: subprocess.Popen) -> int:
    for sig, wait_s in ((signal.SIGINT, 20.0), (signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
        if process.poll() is not None:
            break
        process.send_signal(sig)
        try:
            process.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            continue
    return process.wait(timeout=10)


@pytest.mark.parametrize("launch_file", sorted(CASES))
def test_ros2_launch_and_greenroom_launch_build_the_same_graph(
        launch_file: str, ros2_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    args = [a.replace("RECORD", str(tmp_path / "record.mcap")) for a in CASES[launch_file]]
    expected_nodes = len(load_launch_file(REPO / "launch" / launch_file, args).nodes)
    graphs = {}
    for runner in ("ros2 launch", "greenroom launch"):
        domain = str(random.randint(1, 100))
        monkeypatch.setenv("ROS_DOMAIN_ID", domain)  # the probe's domain
        env = dict(ros2_env, ROS_DOMAIN_ID=domain)
        (tmp_path / "record.mcap").unlink(missing_ok=True)
        log = tmp_path / f"{runner.replace(' ', '_')}.log"
        with Probe(PROBE) as probe:
            if runner == "ros2 launch":
                launch = Ros2Launch(launch_file, args, env, log)
                try:
                    graphs[runner] = _observe(probe, expected_nodes, launch.check)
                finally:
                    code = launch.stop()
                assert not launch.group_alive()
            else:
                process = _greenroom_launch(REPO / "launch" / launch_file, args, env, log)

                def alive() -> None:
                    assert process.poll() is None, f"greenroom launch exited:\n{log.read_text()[-4000:]}"

                try:
                    graphs[runner] = _observe(probe, expected_nodes, alive)
                finally:
                    code = _stop(process)
        assert code == 0, f"{runner} exited with {code}:\n{log.read_text()[-4000:]}"
    ros2_graph, ours = graphs["ros2 launch"], graphs["greenroom launch"]
    assert sorted(ours) == sorted(ros2_graph), "node names/namespaces differ"
    for node in ros2_graph:
        for part in ("parameters", "publishers", "subscribers", "services"):
            assert ours[node][part] == ros2_graph[node][part], f"{node} {part}: greenroom launch vs ros2 launch"
