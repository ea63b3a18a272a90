"""greenroom.real.common.params: one declaration/validation path for every node's parameters."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.ros


@pytest.fixture()
def make_node(ros_domain):
    import rclpy
    from rclpy.node import Node

    context = rclpy.Context()
    rclpy.init(context=context)
    nodes = []

    def make(**overrides):
        from rclpy.parameter import Parameter

        node = Node("param_test", context=context,
                    parameter_overrides=[Parameter(k, value=v) for k, v in overrides.items()])
        nodes.append(node)
        return node

    yield make
    for node in nodes:
        node.destroy_node()
    rclpy.shutdown(context=context)


def _table():
    from greenroom.real.common.params import Param, length, one_of

    return (
        Param("rate", 30.0, "loop rate (Hz)", 1.0, 100.0),
        Param("count", 3, "items", 1, 10, read_only=True),
        Param("mode", "auto", "mode", check=one_of("mode", ("auto", "manual"))),
        Param("pose", [0.0, 0.0, 0.0], "x, y, z (m)", check=length("pose", 3)),
        Param("bounds", [], "optional box", check=length("bounds", 0, 6)),
    )


def test_defaults_descriptors_and_coercion(make_node) -> None:
    from greenroom.real.common.params import declare_params

    node = make_node(rate=50, pose=[1, 2, 3])  # integers for float parameters, as `-p rate:=50` gives
    values = declare_params(node, _table())
    assert values == {"rate": 50.0, "count": 3, "mode": "auto", "pose": [1.0, 2.0, 3.0], "bounds": []}
    desc = node.describe_parameter("rate")
    assert desc.description == "loop rate (Hz)" and desc.floating_point_range[0].to_value == 100.0
    assert node.describe_parameter("count").read_only


@pytest.mark.parametrize("overrides,expected", [
    ({"rate": 500.0}, "rate"), ({"count": 0}, "count"), ({"mode": "fast"}, "mode must be one of auto, manual"),
    ({"pose": [1.0, 2.0]}, "pose needs 3 values"), ({"bounds": [1.0]}, "bounds needs 0 or 6 values"),
    ({"rate": "fast"}, "rate must be a float"),
])
def test_bad_start_values_raise_one_error_type_naming_node_and_parameter(make_node, overrides, expected) -> None:
    from greenroom.real.common.params import ParamError, declare_params
    from greenroom.real.common.spin import StartupError

    with pytest.raises(ParamError) as info:
        declare_params(make_node(**overrides), _table())
    assert isinstance(info.value, StartupError) and isinstance(info.value, ValueError)
    text = str(info.value)
    assert text.startswith("node /param_test: parameter ") and expected in text, text


def test_runtime_changes_are_validated_and_reported(make_node) -> None:
    from rclpy.parameter import Parameter

    from greenroom.real.common.params import declare_params

    changes = []
    node = make_node()
    declare_params(node, _table(), on_change=changes.append)
    assert not node.set_parameters([Parameter("rate", value=1000.0)])[0].successful
    assert not node.set_parameters([Parameter("count", value=5)])[0].successful  # read-only
    refused = node.set_parameters([Parameter("mode", value="fast")])[0]
    assert not refused.successful and "auto, manual" in refused.reason
    assert node.set_parameters([Parameter("rate", value=20.0)])[0].successful
    assert changes == [{"rate": 20.0}] and node.get_parameter("rate").value == 20.0
