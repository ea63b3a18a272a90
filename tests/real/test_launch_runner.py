"""``greenroom launch`` with real node processes (topic_recorder) over real DDS on loopback.

Params, remaps and namespaces are observed from a test node through the ROS graph and the
nodes' parameter services, not from the runner's own bookkeeping.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("rclpy")
pytestmark = pytest.mark.ros

DEADLINE_S = 30.0


class LaunchProcess:
    """``python -m greenroom.cli launch FILE ARGS`` with its output collected by a thread."""

    def __init__(self, launch_file: Path, *args: str) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "greenroom.cli", "launch", str(launch_file), *args],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=lambda: self.lines.extend(iter(self.process.stdout.readline, "")),
                                       daemon=True)
        self.reader.start()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def child_pids(self) -> dict[str, int]:
        return {m.group(1): int(m.group(2)) for m in re.finditer(r"started (\S+) \[pid (\d+)\]", self.output)}

    def wait(self, timeout: float = DEADLINE_S) -> int:
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"greenroom launch did not exit within {timeout} s:\n{self.output}")
        self.reader.join(timeout=5.0)
        return self.process.returncode

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15.0)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for pid in self.child_pids().values():  # never leave nodes behind, even on failure
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True




def spin_until(executor, condition, what: str, launch: LaunchProcess) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        if launch.process.poll() is not None:
            raise AssertionError(f"launch exited ({launch.process.returncode}) while waiting for {what}:\n{launch.output}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}:\n{launch.output}")
        executor.spin_once(timeout_sec=0.05)


def get_parameters(node, executor, launch: LaunchProcess, fqn: str, names: list[str]) -> dict:
    from rcl_interfaces.msg import ParameterType
    from rcl_interfaces.srv import GetParameters

    client = node.create_client(GetParameters, f"{fqn}/get_parameters")
    spin_until(executor, lambda: client.service_is_ready(), f"{fqn}/get_parameters", launch)
    future = client.call_async(GetParameters.Request(names=names))
    spin_until(executor, future.done, f"the parameters of {fqn}", launch)
    fields = {ParameterType.PARAMETER_STRING: "string_value", ParameterType.PARAMETER_DOUBLE: "double_value",
              ParameterType.PARAMETER_STRING_ARRAY: "string_array_value", ParameterType.PARAMETER_BOOL: "bool_value"}
    return {name: getattr(value, fields[value.type]) for name, value in zip(names, future.result().values)}


def test_arguments_params_remaps_namespaces_then_sigint(ros_node, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from mcap.reader import make_reader
    from std_msgs.msg import String

    node, executor = ros_node
    params = tmp_path / "recorder.params.yaml"
    params.write_text(textwrap.dedent("""\
        /**:
          ros__parameters:
            diagnostics_period_s: 0.25
            discovery_timeout_s: 30.0
        /grp/robot/rec:
          ros__parameters:
            output: /nonexistent/overridden_by_the_launch_file.mcap
        """))
    launch_file = tmp_path / "two_recorders.launch.yaml"
    launch_file.write_text(textwrap.dedent("""\
        launch:
        - arg: {name: out_dir}
        - arg: {name: params}
        - arg: {name: topic, default: chatter}
        - group:
            children:
            - push-ros-namespace: {namespace: grp}
            - node:
                pkg: greenroom
                exec: topic_recorder
                name: rec
                namespace: robot
                param:
                - {from: "$(var params)"}
                - {name: topics, value: ["$(var topic)"]}
                - {name: output, value: "$(var out_dir)/grp.mcap"}
                remap:
                - {from: "$(var topic)", to: /remapped/chatter}
        - node:
            pkg: greenroom
            exec: topic_recorder
            name: rec
            output: both
            param:
            - {name: topics, value: [/remapped/chatter]}
            - {name: output, value: "$(var out_dir)/root.mcap"}
        """))
    monkeypatch.setenv("ROS_LOG_DIR", str(tmp_path / "ros_log"))  # where `output: both` writes
    publisher = node.create_publisher(String, "/remapped/chatter", 10)  # gives the recorders a type to find
    launch = LaunchProcess(launch_file, f"out_dir:={tmp_path}", f"params:={params}")
    try:
        spin_until(executor, lambda: {("rec", "/grp/robot"), ("rec", "/")} <= set(node.get_node_names_and_namespaces()),
                   "both recorders in the graph", launch)
        subscribers = lambda: {(i.node_name, i.node_namespace)  # noqa: E731
                               for i in node.get_subscriptions_info_by_topic("/remapped/chatter")}
        spin_until(executor, lambda: {("rec", "/grp/robot"), ("rec", "/")} <= subscribers(),
                   "both recorders subscribed to the remapped topic", launch)
        assert not node.get_subscriptions_info_by_topic("/grp/robot/chatter")
        values = get_parameters(node, executor, launch, "/grp/robot/rec",
                                ["topics", "output", "diagnostics_period_s", "discovery_timeout_s"])
        assert values == {"topics": ["chatter"], "output": f"{tmp_path}/grp.mcap",
                          "diagnostics_period_s": 0.25, "discovery_timeout_s": 30.0}
        assert get_parameters(node, executor, launch, "/rec", ["diagnostics_period_s"]) == {"diagnostics_period_s": 1.0}
        publisher.publish(String(data="hello"))
        pids = launch.child_pids()
        assert set(pids) == {"rec", "rec-2"}, launch.output
        command = Path(f"/proc/{pids['rec']}/cmdline").read_bytes().decode().split("\0")
        param_files = [command[i + 1] for i, arg in enumerate(command) if arg == "--params-file"]
        assert param_files[0] == str(params) and len(param_files) == 2, command  # file, then the name/values
        launch.process.send_signal(signal.SIGINT)
        assert launch.wait() == 0, launch.output
    finally:
        launch.kill()
    assert not [label for label, pid in pids.items() if alive(pid)], launch.output
    assert "received SIGINT; stopping 2 node(s)" in launch.output
    # Node output is prefixed with the node's label; both recorders finished their files cleanly.
    assert re.search(r"^\[rec\] .*recording /remapped/chatter", launch.output, re.M), launch.output
    assert re.search(r"^\[rec-2\] .*wrote .*root\.mcap", launch.output, re.M), launch.output
    (log_file,) = (tmp_path / "ros_log").glob("greenroom_launch_*/rec-2.log")
    assert re.search(r"^\[rec-2\] .*wrote .*root\.mcap", log_file.read_text(), re.M)
    for name in ("grp.mcap", "root.mcap"):
        with (tmp_path / name).open("rb") as stream:
            assert make_reader(stream).get_summary() is not None  # summary written = finished, not killed
    assert params.is_file() and not Path(param_files[1]).exists(), param_files  # the generated file is removed


def test_a_dying_node_stops_the_launch_with_an_error(ros_domain, tmp_path: Path) -> None:
    launch_file = tmp_path / "dies.launch.yaml"
    launch_file.write_text(textwrap.dedent("""\
        launch:
        - arg: {name: out_dir}
        - node:   # waits (up to a minute) for a topic that never appears
            pkg: greenroom
            exec: topic_recorder
            name: patient
            param: [{name: topics, value: [/never]}, {name: discovery_timeout_s, value: 60.0},
                    {name: output, value: "$(var out_dir)/patient.mcap"}]
        - node:   # no topics: exits with status 1 during start-up
            pkg: greenroom
            exec: topic_recorder
            name: broken
        """))
    launch = LaunchProcess(launch_file, f"out_dir:={tmp_path}")
    try:
        rc = launch.wait()
    finally:
        launch.kill()
    assert rc == 1, launch.output
    assert "broken died with exit status 1; stopping the other nodes" in launch.output
    assert any(line.startswith("[broken] topic_recorder: error:") and "parameter 'topics' is empty" in line
               for line in launch.output.splitlines()), launch.output
    pids = launch.child_pids()
    assert set(pids) == {"patient", "broken"} and not any(alive(pid) for pid in pids.values()), launch.output
