"""The YAML launch parser of ``greenroom launch``: substitutions, params, remaps, groups, errors.

No processes and no DDS here; tests/real/test_launch_runner.py runs real nodes.
"""
from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
import yaml

from greenroom.real.launch.description import LaunchFileError, ParamFile, load_launch_file

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str, name: str = "test.launch.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


NODES = """\
launch:
- arg: {name: rate, default: "30", description: "loop rate (Hz)"}
- arg: {name: out}
- arg: {name: topic, default: "chatter_$(var out)"}
- node:
    pkg: greenroom
    exec: topic_recorder
    name: rec
    namespace: robot
    param:
    - {from: "/params/$(var out).yaml"}
    - {name: rate, value: "$(var rate)"}
    - {name: label, value: "'$(var rate)'"}
    - {name: ratio, value: 0.5}
    - {name: topics, value: ["$(var topic)", fixed]}
    - {name: limits, param: [{name: max_speed, value: "1.5"}]}
    - {name: empty, value: ""}
    remap:
    - {from: "$(var topic)", to: "/remapped/$(var topic)"}
"""


def test_arguments_substitutions_and_parameter_types(tmp_path: Path) -> None:
    description = load_launch_file(write(tmp_path, NODES), ["out:=x", "rate:=12.5"])
    assert description.values == {"rate": "12.5", "out": "x", "topic": "chatter_x"}
    (node,) = description.nodes
    assert (node.package, node.executable, node.name, node.namespace) == ("greenroom", "topic_recorder", "rec", "/robot")
    assert node.fully_qualified_name == "/robot/rec"
    # from-files first, then one dict of name/value parameters (it wins, as in launch_ros).
    assert node.parameters == (ParamFile("/params/x.yaml"), {
        "rate": 12.5, "label": "12.5", "ratio": 0.5, "topics": ["chatter_x", "fixed"],
        "limits": {"max_speed": "1.5"}, "empty": ""})  # no substitution: "1.5" stays a string, as in launch_ros
    assert node.remappings == (("chatter_x", "/remapped/chatter_x"),)
    defaults = load_launch_file(write(tmp_path, NODES), {"out": "y"})
    assert defaults.nodes[0].parameters[1]["rate"] == 30 and defaults.values["topic"] == "chatter_y"


def test_missing_required_argument_is_named(tmp_path: Path) -> None:
    with pytest.raises(LaunchFileError, match=r"missing required launch argument 'out'.*out:=VALUE"):
        load_launch_file(write(tmp_path, NODES), [])


def test_unknown_and_malformed_command_line_arguments(tmp_path: Path) -> None:
    with pytest.raises(LaunchFileError, match=r"unknown launch argument\(s\) speed; this file declares: rate, out, topic"):
        load_launch_file(write(tmp_path, NODES), ["out:=x", "speed:=3"])
    with pytest.raises(LaunchFileError, match="not of the form name:=value"):
        load_launch_file(write(tmp_path, NODES), ["out=x"])


def test_group_namespaces_scoping_and_conditions(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        launch:
        - arg: {name: with_b, default: "false"}
        - group:
            children:
            - push-ros-namespace: {namespace: fleet}
            - node: {pkg: greenroom, exec: topic_recorder, name: a}
            - group:
              - push_ros_namespace: {namespace: drone1}
              - node: {pkg: greenroom, exec: topic_recorder, name: b, namespace: cam}
              - node: {pkg: greenroom, exec: topic_recorder, name: c, namespace: /abs}
            - node: {pkg: greenroom, exec: topic_recorder, name: d}
        - node: {pkg: greenroom, exec: topic_recorder, name: e}
        - group:
            scoped: false
            children:
            - push-ros-namespace: {namespace: /leaky}
        - node: {pkg: greenroom, exec: topic_recorder, name: f}
        - node: {pkg: greenroom, exec: topic_recorder, name: g, if: "$(var with_b)"}
        - node: {pkg: greenroom, exec: topic_recorder, name: h, unless: "$(var with_b)"}
        - group: {if: "$(var with_b)", children: [{node: {pkg: greenroom, exec: topic_recorder, name: i}}]}
        """)
    names = [(n.name, n.namespace) for n in load_launch_file(path).nodes]
    assert names == [("a", "/fleet"), ("b", "/fleet/drone1/cam"), ("c", "/abs"), ("d", "/fleet"), ("e", "/"),
                     ("f", "/leaky"), ("h", "/leaky")]
    names = [n.name for n in load_launch_file(path, ["with_b:=True"]).nodes]
    assert names == ["a", "b", "c", "d", "e", "f", "g", "i"]
    with pytest.raises(LaunchFileError, match="'if' must evaluate to true/false/1/0, got 'maybe'"):
        load_launch_file(path, ["with_b:=maybe"])


@pytest.mark.parametrize("body, message", [
    ("- include: {file: other.launch.yaml}", r"unsupported tag 'include'; greenroom launch supports: arg, node, group"),
    ("- node: {pkg: greenroom, exec: topic_recorder, respawn: true}",
     r"unsupported attribute\(s\) respawn of 'node'; supported: pkg, exec, name"),
    ("- group: {namespace: x, children: []}", r"unsupported attribute\(s\) namespace of 'group'"),
    ("- node: {pkg: greenroom, name: x}", r"'node' needs the attribute\(s\) exec"),
    ("- node: {pkg: greenroom, exec: x, name: '$(var nope)'}", r"launch argument 'nope' is not declared"),
    ("- node: {pkg: greenroom, exec: x, name: '$(command ls)'}", r"unsupported substitution \$\(command ls\)"),
    ("- node: {pkg: greenroom, exec: x, name: 'a$(var $(var b))'}", r"cannot parse the substitution"),
    ("- node: {pkg: greenroom, exec: x, name: 'bad-name'}", r"invalid node name 'bad-name'"),
    ("- node: {pkg: greenroom, exec: x, output: loud}", r"output 'loud' is not one of screen, log, both"),
    ("- node: {pkg: greenroom, exec: x, param: [{name: a, from: b.yaml}]}", r"'from' \(a parameter file\) stands alone"),
    ("- node: {pkg: greenroom, exec: x, remap: [{from: a}]}", r"'remap' needs the attribute\(s\) to"),
    ("node: {pkg: greenroom, exec: x}", r"one key, 'launch:', holding a list"),
    # parameter values ros2 launch refuses (launch's typed substitution)
    ("- node: {pkg: greenroom, exec: x, param: [{name: a, value: [1, 2.5]}]}", r"not uniform"),
    ("- arg: {name: v, default: '{a: 1}'}\n- node: {pkg: greenroom, exec: x, param: [{name: a, value: '$(var v)'}]}",
     r"YAML dict"),
    ("- arg: {name: v, default: '~'}\n- node: {pkg: greenroom, exec: x, param: [{name: a, value: '$(var v)'}]}",
     r"YAML NoneType"),
])
def test_unsupported_or_malformed_entities_are_refused(tmp_path: Path, body: str, message: str) -> None:
    text = body if body.startswith("node:") else "launch:\n" + body
    with pytest.raises(LaunchFileError, match=message) as info:
        load_launch_file(write(tmp_path, text))
    assert str(tmp_path / "test.launch.yaml") in str(info.value)


def test_env_and_find_pkg_share(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prefix = tmp_path / "prefix"
    (prefix / "share" / "ament_index" / "resource_index" / "packages").mkdir(parents=True)
    (prefix / "share" / "ament_index" / "resource_index" / "packages" / "demo_pkg").touch()
    (prefix / "share" / "demo_pkg").mkdir()
    monkeypatch.setenv("AMENT_PREFIX_PATH", str(prefix))
    monkeypatch.setenv("GREENROOM_TEST_NS", "from_env")
    path = write(tmp_path, """\
        launch:
        - node:
            pkg: greenroom
            exec: topic_recorder
            namespace: "$(env GREENROOM_TEST_NS)"
            param: [{name: share, value: "$(find-pkg-share demo_pkg)/x"}, {name: d, value: "$(env GREENROOM_UNSET fallback)"}]
        """)
    (node,) = load_launch_file(path).nodes
    assert node.namespace == "/from_env"
    assert node.parameters == ({"share": f"{prefix}/share/demo_pkg/x", "d": "fallback"},)
    bad = write(tmp_path, "launch:\n- node: {pkg: greenroom, exec: x, name: '$(find-pkg-share nope_pkg)'}\n", "bad.yaml")
    with pytest.raises(LaunchFileError, match="find-pkg-share nope_pkg"):
        load_launch_file(bad)


def test_unknown_executable_starts_nothing(tmp_path: Path) -> None:
    from greenroom.real.launch.runner import run_launch_file

    path = write(tmp_path, "launch:\n- node: {pkg: greenroom, exec: no_such_node}\n")
    with pytest.raises(LaunchFileError, match=r"greenroom has no executable 'no_such_node'; installed console scripts: .*topic_recorder"):
        run_launch_file(path)
    path = write(tmp_path, "launch:\n- node: {pkg: other_pkg, exec: talker}\n", "other.yaml")
    with pytest.raises(LaunchFileError, match=r"cannot find executable 'talker' of package 'other_pkg'"):
        run_launch_file(path)


def test_cli_reports_bad_files_with_status_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from greenroom.cli import main

    assert main(["launch", str(write(tmp_path, "launch:\n- let: {name: a, value: b}\n"))]) == 2
    assert "unsupported tag 'let'" in capsys.readouterr().err
    assert main(["launch", str(tmp_path / "missing.launch.yaml")]) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.fixture()
def installed_share(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A prefix whose ament index has greenroom (what colcon or pip install), for $(find-pkg-share greenroom)."""
    import sys

    prefix = tmp_path / "prefix"
    (prefix / "share" / "ament_index" / "resource_index" / "packages").mkdir(parents=True)
    (prefix / "share" / "ament_index" / "resource_index" / "packages" / "greenroom").touch()
    (prefix / "share" / "greenroom").mkdir()
    monkeypatch.setenv("AMENT_PREFIX_PATH", f"{prefix}{os.pathsep}{sys.prefix}")
    return prefix / "share" / "greenroom"


@pytest.mark.parametrize("name, args", [
    ("flight.launch.yaml", ["model:=/robot/policy.onnx", "namespace:=drone1",
                            "cmd_vel_topic:=/mavros/setpoint_velocity/cmd_vel_unstamped", "control_rate:=30"]),
    ("flight_sim.launch.yaml", ["model:=policy.onnx", "record:=true", "sim_overrides:=[max_steps=2000]"]),
])
def test_shipped_launch_files(name: str, args: list[str], installed_share: Path) -> None:
    """Every node the shipped files start is a greenroom console script with declared parameter names."""
    from greenroom.real.launch.runner import greenroom_console_scripts

    path = REPO / "launch" / name
    bundled = load_launch_file(path).nodes  # model defaults to the bundled policy in the installed share
    assert next(n for n in bundled if n.executable == "flight_policy").parameters[-1]["model_path"] == \
        str(installed_share / "assets" / "policies" / "flight" / "policy.onnx")
    description = load_launch_file(path, args)
    scripts = greenroom_console_scripts()
    assert description.nodes and all(n.package == "greenroom" and n.executable in scripts for n in description.nodes)
    policy = next(n for n in description.nodes if n.executable == "flight_policy")
    params = policy.parameters[-1]
    assert params["model_path"] == args[0].split(":=")[1]
    if name == "flight.launch.yaml":
        assert policy.namespace == "/drone1" and params["control_rate_hz"] == 30
        assert ("cmd_vel", "/mavros/setpoint_velocity/cmd_vel_unstamped") in policy.remappings
        assert params["enable_on_start"] is False  # a robot waits for ~/enable
    else:
        assert {n.executable for n in description.nodes} == {"flight_sim_bridge", "flight_policy", "topic_recorder"}
        assert all(n.namespace == "/sim" for n in description.nodes)
        bridge = next(n for n in description.nodes if n.executable == "flight_sim_bridge")
        assert bridge.parameters[-1]["overrides"] == ["max_steps=2000"]
        assert "topic_recorder" not in {n.executable for n in load_launch_file(path, args[:1]).nodes}
    # Parameter names match what the nodes declare (when their modules are importable).
    for node in description.nodes:
        module = pytest.importorskip(scripts[node.executable].module)
        table = getattr(module, "PARAMS", None)
        if table is not None:
            declared = {p.name for p in table}
            assert set(node.parameters[-1]) <= declared, (node.executable, set(node.parameters[-1]) - declared)
    yaml.safe_dump(policy.parameters[-1])  # the runner writes it to a params file


@pytest.mark.parametrize("path", sorted((REPO / "launch").glob("*.launch.yaml")), ids=lambda p: p.name)
def test_every_shipped_launch_file_parses(path: Path, installed_share: Path) -> None:
    """Each file in launch/ stays within the supported subset and starts only greenroom console scripts."""
    from greenroom.real.launch.runner import greenroom_console_scripts

    declared = yaml.safe_load(path.read_text())["launch"]
    required = [e["arg"]["name"] for e in declared if "arg" in e and "default" not in e["arg"]]
    description = load_launch_file(path, [f"{name}:=0" for name in required])
    scripts = greenroom_console_scripts()
    assert description.nodes
    for node in description.nodes:
        assert node.package == "greenroom" and node.executable in scripts, (node.executable, sorted(scripts))
        assert all(isinstance(p, (ParamFile, dict)) for p in node.parameters)


def test_argument_default_is_resolved_only_when_used(tmp_path: Path) -> None:
    """As launch's DeclareLaunchArgument: a given value skips the default's substitutions."""
    path = write(tmp_path, """\
        launch:
        - arg: {name: model, default: "$(find-pkg-share no_such_package)/policy.onnx"}
        - node: {pkg: greenroom, exec: topic_recorder, param: [{name: m, value: "$(var model)"}]}
        """)
    assert load_launch_file(path, ["model:=/x.onnx"]).nodes[0].parameters[0]["m"] == "/x.onnx"
    with pytest.raises(LaunchFileError, match="find-pkg-share no_such_package"):
        load_launch_file(path, [])
