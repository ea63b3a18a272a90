"""Small rclpy helpers shared by the arm nodes: parameters with descriptors, QoS, pose fields."""
from __future__ import annotations

from typing import Any

import numpy as np
from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor, SetParametersResult
from rclpy.exceptions import ParameterException
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

from .convert import matrix_to_quaternion, quaternion_to_matrix


def declare(
    node: Node,
    name: str,
    default: Any,
    description: str,
    value_range: tuple[float, float] | None = None,
    read_only: bool = True,
) -> Any:
    """Declare a parameter with a descriptor (description, range, read-only) and return its value.

    An empty list default declares a double-array parameter with no value (returns ``[]``).
    A value outside ``value_range`` or of the wrong type given on the command line or in a params
    file raises ``ValueError`` naming the parameter, its description and rclpy's reason.
    """
    descriptor = ParameterDescriptor(description=description, read_only=read_only)
    if value_range is not None:
        low, high = value_range
        if isinstance(default, int) and not isinstance(default, bool):
            descriptor.integer_range = [IntegerRange(from_value=int(low), to_value=int(high), step=1)]
        else:
            descriptor.floating_point_range = [FloatingPointRange(from_value=float(low), to_value=float(high))]
    try:
        if isinstance(default, list) and not default:
            value = node.declare_parameter(name, Parameter.Type.DOUBLE_ARRAY, descriptor).value
            return [] if value is None else list(value)
        value = node.declare_parameter(name, default, descriptor).value
    except ParameterException as exc:  # out of range or of the wrong type: one clear start-up error
        raise ValueError(f"parameter {name} refused ({description}; default {default!r}): {exc}") from None
    return list(value) if isinstance(default, list) else value


def reject_all_changes(node: Node) -> None:
    """Refuse runtime parameter changes (settings are read at start-up)."""

    def callback(params: list[Parameter]) -> SetParametersResult:
        names = ", ".join(p.name for p in params)
        return SetParametersResult(successful=False, reason=f"{names}: parameters are read at start-up; restart the node")

    node.add_on_set_parameters_callback(callback)


def reliable(depth: int = 1) -> QoSProfile:
    """Commands and decisions: reliable, volatile, keep last ``depth``."""
    return QoSProfile(depth=depth, reliability=ReliabilityPolicy.RELIABLE, history=HistoryPolicy.KEEP_LAST,
                      durability=DurabilityPolicy.VOLATILE)


def transient_local(depth: int = 1) -> QoSProfile:
    """Latched state (a late subscriber gets the last message): reliable, transient local."""
    return QoSProfile(depth=depth, reliability=ReliabilityPolicy.RELIABLE, history=HistoryPolicy.KEEP_LAST,
                      durability=DurabilityPolicy.TRANSIENT_LOCAL)


def pose_to_arrays(pose: Any) -> tuple[np.ndarray, np.ndarray]:
    """geometry_msgs/Pose -> (position (3,) m, rotation 3x3)."""
    p, o = pose.position, pose.orientation
    quat = np.array([o.x, o.y, o.z, o.w], dtype=float)
    norm = float(np.linalg.norm(quat))
    if not np.isfinite(norm) or norm < 1e-6:
        raise ValueError(f"pose orientation {quat.tolist()} is not a quaternion")
    return np.array([p.x, p.y, p.z], dtype=float), quaternion_to_matrix(quat / norm)


def arrays_to_pose(position: np.ndarray, rotation: np.ndarray) -> Any:
    """(position (3,) m, rotation 3x3) -> geometry_msgs/Pose."""
    from geometry_msgs.msg import Pose

    pose = Pose()
    pose.position.x, pose.position.y, pose.position.z = (float(v) for v in position)
    q = matrix_to_quaternion(rotation)
    pose.orientation.x, pose.orientation.y, pose.orientation.z, pose.orientation.w = (float(v) for v in q)
    return pose
