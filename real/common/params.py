"""Declared, described and validated ROS 2 parameters from one table per node.

Each node lists its parameters as :class:`Param` rows (name, default, unit-bearing description,
range, read-only, extra check). :func:`declare_params` registers an
``add_on_set_parameters_callback`` *before* declaring, so bad values given on the command line
(``-p``), in a params file or later through ``SetParameters`` are all refused with a reason that
says what was given and what is expected. Integer values for float parameters (``rate:=30``)
are accepted and converted, as ``ros2 param set`` users expect.
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

Check = Callable[[Any], "str | None"]
"""Extra validation: returns a reason string when the value is bad, else None."""


class ParamError(ValueError):
    """A parameter given at start-up is invalid (message names it, the value and the fix)."""


@dataclass(frozen=True)
class Param:
    """One node parameter.

    ``low``/``high`` (inclusive) become the descriptor's range for numbers; ``check`` adds
    a rule the range cannot express (e.g. "a file that exists", "not empty").
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
        if type(value) is not expected:
            return f"{self.name} must be a {expected.__name__}, got {value!r} ({type(value).__name__})"
        if isinstance(value, float) and not math.isfinite(value):
            return f"{self.name} must be finite, got {value}"
        if self.low is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
            if not self.low <= value <= self.high:
                return f"{self.name}={value} is outside [{self.low}, {self.high}]: {self.description}"
        if self.check is not None:
            return self.check(value)
        return None


def not_empty(name: str) -> Check:
    return lambda v: None if str(v).strip() else f"{name} must not be empty"


def _coerce_overrides(node: Node, table: Sequence[Param]) -> None:
    """``rate:=30`` arrives as INTEGER; float parameters take it as 30.0 (rclpy would refuse)."""
    overrides = node._parameter_overrides  # rclpy keeps command-line/params-file values here
    for param in table:
        given = overrides.get(param.name)
        if isinstance(param.default, float) and given is not None and given.type_ == Parameter.Type.INTEGER:
            overrides[param.name] = Parameter(param.name, Parameter.Type.DOUBLE, float(given.value))


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
    for param in table:
        try:
            values[param.name] = node.declare_parameter(param.name, param.default, param.descriptor()).value
        except InvalidParameterValueException as exc:
            text = str(exc.args[0]) if exc.args else str(exc)
            reason = text.split("Reason: ", 1)[-1]
            raise ParamError(f"parameter {param.name} refused: {reason} ({param.description})") from None
        except InvalidParameterTypeException:
            given = node._parameter_overrides.get(param.name)
            raise ParamError(f"parameter {param.name} must be a {type(param.default).__name__}, got "
                             f"{given.value if given is not None else '?'!r} ({param.description})") from None
    declared = True
    return values
