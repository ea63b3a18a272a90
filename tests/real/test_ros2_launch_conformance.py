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

import re
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


STABLE_S = 5.0
"""How long the graph must stay unchanged before it is compared: on a loaded machine (make test runs a
second pytest worker beside the DDS tests) a node can add its last topic more than 2 s after its first."""


def _observe(probe: Probe, expected_nodes: int, alive, timeout: float = 90.0) -> dict[str, dict[str, Any]]:
    """Wait until the graph is ready and has not changed for ``STABLE_S``; the graph with parameters."""
    deadline = time.monotonic() + timeout
    previous, since = None, time.monotonic()
    while True:
        alive()
        probe.spin_for(0.5)
        graph = _graph(probe)
        if graph != previous:
            previous, since = graph, time.monotonic()
        elif _ready(graph, expected_nodes) and time.monotonic() - since >= STABLE_S:
            break
        assert time.monotonic() < deadline, f"graph not complete/stable within {timeout} s: {graph}"
    parameters = {node: _parameters(probe, node) for node in graph}
    # topic_recorder subscribes each of its `topics` once a publisher shows up: wait for all of them
    wanted = {node: {_resolve(topic, node) for topic in values["topics"][1]}
              for node, values in parameters.items() if "topics" in values}
    while not all(topics <= set(graph[node]["subscribers"]) for node, topics in wanted.items()):
        alive()
        assert time.monotonic() < deadline, f"recorders never subscribed {wanted}: {graph}"
        probe.spin_for(0.5)
        graph = _graph(probe)
    for node, entry in graph.items():
        entry["parameters"] = parameters[node]
    return graph


def _resolve(topic: str, node: str) -> str:
    """A relative topic name of node ``/ns/name`` -> ``/ns/topic``."""
    return topic if topic.startswith("/") else f"{node.rsplit('/', 1)[0]}/{topic}"


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
        launch_file: str, ros2_env: dict[str, str], tmp_path: Path, new_ros_domain) -> None:
    args = [a.replace("RECORD", str(tmp_path / "record.mcap")) for a in CASES[launch_file]]
    expected_nodes = len(load_launch_file(REPO / "launch" / launch_file, args).nodes)
    graphs = {}
    for runner in ("ros2 launch", "greenroom launch"):
        domain = str(new_ros_domain())  # the probe's domain
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


# Parameter typing and namespaces beyond the shipped files: literal strings that look like other
# types, substituted values, lists, nested parameters, absolute and pushed namespaces. Compared on
# the node command lines (parameter files and -r rules), which also show parameters a node does
# not declare. The recorders wait for a topic that never comes, so they stay up.
EDGE = """\
launch:
- arg: {name: ns, default: robot}
- arg: {name: f, default: "1.5"}
- arg: {name: yes_word, default: "yes"}
- arg: {name: hex, default: "0x10"}
- arg: {name: sci, default: "1e-3"}
- arg: {name: quoted, default: "'7'"}
- arg: {name: empty, default: ""}
- arg: {name: pair, default: "[1, 2]"}
- arg: {name: none, default: "[]"}
- node:
    pkg: greenroom
    exec: topic_recorder
    name: edge
    namespace: "$(var ns)"
    param:
    - {name: topics, value: [/never]}
    - {name: discovery_timeout_s, value: 60.0}
    - {name: output, value: "OUT/edge.mcap"}
    - {name: overwrite, value: true}
    - {name: lit_on, value: "on"}
    - {name: lit_one, value: "1"}
    - {name: lit_true, value: "true"}
    - {name: lit_strings, value: ["1", "2"]}
    - {name: lit_words, value: [a, b]}
    - {name: lit_floats, value: [1.0, 2.5]}
    - {name: lit_int, value: 3}
    - {name: sub_float, value: "$(var f)"}
    - {name: sub_yes, value: "$(var yes_word)"}
    - {name: sub_hex, value: "$(var hex)"}
    - {name: sub_sci, value: "$(var sci)"}
    - {name: sub_quoted, value: "$(var quoted)"}
    - {name: sub_empty, value: "$(var empty)"}
    - {name: sub_pair, value: "$(var pair)"}
    - {name: sub_none, value: "$(var none)"}
    - {name: sub_text, value: "text $(var f)"}
    - {name: sub_twice, value: "$(var f)$(var f)"}
    - {name: sub_list, value: ["$(var f)", "$(var f)"]}
    - {name: sub_words, value: ["a", "$(var ns)"]}
    - {name: nested, param: [{name: x, value: 1}, {name: y, value: "$(var f)"}]}
    remap:
    - {from: image, to: "/$(var ns)/camera"}
    - {from: "/abs/in", to: relative_out}
- group:
    scoped: false
    children:
    - push-ros-namespace: {namespace: pushed}
- node:
    pkg: greenroom
    exec: topic_recorder
    name: inner
    param: [{name: topics, value: [never]}, {name: discovery_timeout_s, value: 60.0}, {name: output, value: OUT/i.mcap},
            {name: overwrite, value: true}]
- node:
    pkg: greenroom
    exec: topic_recorder
    name: absolute
    namespace: /abs
    param: [{name: topics, value: [never]}, {name: discovery_timeout_s, value: 60.0}, {name: output, value: OUT/a.mcap},
            {name: overwrite, value: true}]
"""


EDGE_NODES = ["/abs/absolute", "/pushed/inner", "/robot/edge"]


def _flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _node_command(pid: int) -> tuple[str, dict[str, Any]]:
    """``(fully qualified name, {"params": {...}, "remaps": [...]})`` from a node's command line."""
    import yaml

    argv = [a.decode() for a in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[:-1]]
    rest = argv[argv.index("--ros-args") + 1:]
    params: dict[str, Any] = {}
    remaps: list[str] = []
    for flag, value in zip(rest[0::2], rest[1::2]):
        assert flag in ("-r", "--params-file"), f"unexpected ROS argument {flag} {value} in {argv}"
        if flag == "-r":
            remaps.append(value)
        else:
            for entry in yaml.safe_load(Path(value).read_text()).values():
                params.update(_flatten(entry["ros__parameters"]))
    special = dict(r.split(":=", 1) for r in remaps if r.startswith("__"))
    name = f"{special.get('__ns', '/').rstrip('/')}/{special['__node']}"
    return name, {"params": params, "remaps": sorted(r for r in remaps if not r.startswith("__"))}


def _children(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    kids.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return kids


def _commands(pids_of: Any, nodes: list[str], alive: Any, timeout: float = 60.0) -> dict[str, dict[str, Any]]:
    """The nodes' command lines, once all of them are in the ROS graph (stopping a node before
    rclpy is up ends it with a KeyboardInterrupt, not a clean exit)."""
    deadline = time.monotonic() + timeout
    commands: dict[str, dict[str, Any]] = {}
    with Probe(PROBE) as probe:
        while True:
            alive()
            up = {f"{ns.rstrip('/')}/{name}" for name, ns in probe.node.get_node_names_and_namespaces()}
            if not commands:
                try:
                    pids = pids_of()
                    commands = dict(_node_command(pid) for pid in pids) if len(pids) >= len(nodes) else {}
                except (OSError, ValueError):  # a child between fork and exec: try again
                    commands = {}
            if commands and set(nodes) <= up:
                return commands
            assert time.monotonic() < deadline, f"nodes {sorted(up)} and commands {sorted(commands)} after {timeout} s"
            probe.spin_for(0.1)


def test_parameter_typing_and_namespaces_match_ros2_launch(ros2_env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "edge.launch.yaml"
    path.write_text(EDGE.replace("OUT", str(tmp_path)))
    launch = Ros2Launch(str(path), [], ros2_env, tmp_path / "ros2.log", package=None)
    try:
        ros2_nodes = _commands(lambda: _children(launch.pgid), EDGE_NODES, launch.check)
    finally:
        launch.stop()
    log = tmp_path / "greenroom.log"
    process = _greenroom_launch(path, [], ros2_env, log)

    def started() -> list[int]:
        return [int(pid) for pid in re.findall(r"started \S+ \[pid (\d+)\]", log.read_text())]

    def alive() -> None:
        assert process.poll() is None, f"greenroom launch exited:\n{log.read_text()[-4000:]}"

    try:
        ours = _commands(started, EDGE_NODES, alive)
    finally:
        assert _stop(process) == 0, log.read_text()[-4000:]
    assert sorted(ours) == sorted(ros2_nodes) == EDGE_NODES
    for node, expected in ros2_nodes.items():
        assert ours[node]["remaps"] == expected["remaps"], node
        for name, value in expected["params"].items():
            got = ours[node]["params"].get(name, "<missing>")
            assert (got, type(got)) == (value, type(value)), f"{node} {name}: greenroom {got!r}, ros2 launch {value!r}"
        assert sorted(ours[node]["params"]) == sorted(expected["params"]), node
