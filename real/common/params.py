"""Declared, described and validated ROS 2 parameters from one table per node.

Each node lists its parameters as :class:`Param` rows (name, default, unit-bearing description,
range, read-only, extra check). :func:`declare_params` registers an
``add_on_set_parameters_callback`` *before* declaring, so bad values given on the command line
(``-p``), in a params file or later through ``SetParameters`` are all refused with a reason that
says what was given and what is expected. Integer values for float parameters (``rate:=30``)
are accepted and converted, as ``ros2 param set`` users expect.

Every greenroom node (flight, arm, recorder) declares its parameters here, so they all behave
the same: a descriptor with the description and the range (``ros2 param describe`` shows them),
``read_only`` for what is only read at start-up, and one exception type, :class:`ParamError`
(a :class:`~.spin.StartupError`: ``run_node`` prints it as one line and exits with status 1),
whose message names the node, the parameter, the value given and the valid range.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor, SetParametersResult
from rclpy.exceptions import InvalidParameterTypeException, InvalidParameterValueException
from rclpy.node import Node
from rclpy.parameter import Parameter

from .spin import StartupError

Check = Callable[[Any], "str | None"]
"""Extra validation: returns a reason string when the value is bad, else None."""


class ParamError(StartupError, ValueError):
    """A parameter given at start-up is invalid (message names the node, the parameter, the value
    given and the valid range or rule)."""


@dataclass(frozen=True)
class Param:
    """One node parameter.

    ``low``/``high`` (inclusive) become the descriptor's range for numbers; ``check`` adds
    a rule the range cannot express (e.g. "a file that exists", "7 values"). An empty list
    default (``[]``) declares a double-array parameter without a value.
    """

    name: str
    default: bool | int | float | str
    description: str
    low: float | None = None
    high: float | None = None
    read_only: bool = False
    check: Check | None = None

    def descriptor(self) -> ParameterDescriptor:
        desc = ParameterDescriptor(name=self.name, description=self.description, read_only=self.read_only)
        if isinstance(self.default, float) and self.low is not None and self.high is not None:
            desc.floating_point_range = [FloatingPointRange(from_value=float(self.low), to_value=float(self.high))]
        elif isinstance(self.default, int) and not isinstance(self.default, bool) and self.low is not None:
            desc.integer_range = [IntegerRange(from_value=int(self.low), to_value=int(self.high), step=1)]
        return desc

    def validate(self, value: Any) -> str | None:
        """Reason the value is refused, or None when it is acceptable."""
        expected = type(self.default)
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if expected is list and value is None and not self.default:
            value = []  # an empty double array: declared without a value
        if expected is list and (isinstance(value, (tuple, list)) or hasattr(value, "tolist")):
            value = list(value)
        if type(value) is not expected:
            return f"{self.name} must be a {expected.__name__}, got {value!r} ({type(value).__name__})"
        if isinstance(value, float) and not math.isfinite(value):
            return f"{self.name} must be finite, got {value}"
        if self.low is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
            if not self.low <= value <= self.high:
                return f"{self.name}={value} is outside the valid range [{self.low}, {self.high}]"
        if self.check is not None:
            return self.check(value)
        return None


def not_empty(name: str) -> Check:
    return lambda v: None if str(v).strip() else f"{name} must not be empty"


def one_of(name: str, choices: Sequence[str]) -> Check:
    return lambda v: None if v in choices else f"{name} must be one of {', '.join(choices)}; got {v!r}"


def length(name: str, *allowed: int, what: str = "") -> Check:
    """The list has one of the ``allowed`` lengths (``what`` names the values, e.g. "x, y, z")."""
    sizes = " or ".join(str(n) for n in allowed)
    return lambda v: None if len(v) in allowed else f"{name} needs {sizes} values{f' ({what})' if what else ''}; got {list(v)}"


def _coerce_overrides(node: Node, table: Sequence[Param]) -> None:
    """``rate:=30`` arrives as INTEGER and ``pose:=[0, 0, 1]`` as INTEGER_ARRAY; float (array)
    parameters take them as 30.0 / [0.0, 0.0, 1.0] (rclpy would refuse the type)."""
    overrides = node._parameter_overrides  # rclpy keeps command-line/params-file values here
    for param in table:
        given = overrides.get(param.name)
        if given is None:
            continue
        floats = isinstance(param.default, list) and all(isinstance(v, float) for v in param.default)
        if isinstance(param.default, float) and given.type_ == Parameter.Type.INTEGER:
            overrides[param.name] = Parameter(param.name, Parameter.Type.DOUBLE, float(given.value))
        elif floats and given.type_ == Parameter.Type.INTEGER_ARRAY:
            overrides[param.name] = Parameter(param.name, Parameter.Type.DOUBLE_ARRAY, [float(v) for v in given.value])


def declare_params(node: Node, table: Sequence[Param],
                   on_change: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Declare every parameter of ``table`` on ``node`` with validation; return their values.

    ``on_change(values)`` is called after an accepted runtime change with the changed
    ``{name: value}``. Raises :class:`ParamError` when a start-up value is refused.
    """
    by_name = {p.name: p for p in table}
    declared = False

    def on_set(params: list[Parameter]) -> SetParametersResult:
        for p in params:
            spec = by_name.get(p.name)
            if spec is None:
                continue
            reason = spec.validate(p.value)
            if reason is not None:
                return SetParametersResult(successful=False, reason=reason)
        return SetParametersResult(successful=True)

    def post_set(params: list[Parameter]) -> None:
        if declared and on_change is not None:
            changed = {p.name: p.value for p in params if p.name in by_name}
            if changed:
                on_change(changed)

    node.add_on_set_parameters_callback(on_set)
    node.add_post_set_parameters_callback(post_set)
    _coerce_overrides(node, table)
    values: dict[str, Any] = {}
    where = node.get_fully_qualified_name()
    for param in table:
        try:
            if isinstance(param.default, list) and not param.default:
                value = node.declare_parameter(param.name, Parameter.Type.DOUBLE_ARRAY, param.descriptor()).value
            else:
                value = node.declare_parameter(param.name, param.default, param.descriptor()).value
        except InvalidParameterValueException as exc:
            text = str(exc.args[0]) if exc.args else str(exc)
            reason = text.split("Reason: ", 1)[-1]
            raise ParamError(f"node {where}: parameter {param.name} refused: {reason} ({param.description})") from None
        except InvalidParameterTypeException:
            given = node._parameter_overrides.get(param.name)
            raise ParamError(f"node {where}: parameter {param.name} must be a {type(param.default).__name__}, got "
                             f"{given.value if given is not None else '?'!r} ({param.description})") from None
        if isinstance(param.default, list):
            value = [] if value is None else list(value)
        values[param.name] = value
    declared = True
    return values
