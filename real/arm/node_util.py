"""Small rclpy helpers shared by the arm nodes: QoS profiles and pose fields (parameters: :mod:`..common.params`)."""
from __future__ import annotations

from typing import Any

import numpy as np
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

from ...sim.core.rotations import matrix_to_quat, quat_to_matrix


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
    return np.array([p.x, p.y, p.z], dtype=float), quat_to_matrix([o.x, o.y, o.z, o.w])  # ValueError: not one


def arrays_to_pose(position: np.ndarray, rotation: np.ndarray) -> Any:
    """(position (3,) m, rotation 3x3) -> geometry_msgs/Pose."""
    from geometry_msgs.msg import Pose

    pose = Pose()
    pose.position.x, pose.position.y, pose.position.z = (float(v) for v in position)
    q = matrix_to_quat(rotation)
    pose.orientation.x, pose.orientation.y, pose.orientation.z, pose.orientation.w = (float(v) for v in q)
    return pose
