"""RViz markers for one arm decision (visualization_msgs/MarkerArray, base frame, metres).

Namespace ``greenroom_arm``: id 0 the workspace box (LINE_LIST, grey), id 1 the primitive's
waypoint path (LINE_STRIP: green grasp / orange push), id 2 the waypoints (SPHERE_LIST), id 3 the
chosen point (SPHERE), id 4 a text label (TEXT_VIEW_FACING) with primitive, rotation and Q.
"""
from __future__ import annotations

import numpy as np
from builtin_interfaces.msg import Duration
from geometry_msgs.msg import Point
from std_msgs.msg import ColorRGBA
from visualization_msgs.msg import Marker, MarkerArray

NAMESPACE = "greenroom_arm"
COLORS = {"grasp": (0.1, 0.8, 0.2), "push": (1.0, 0.55, 0.0)}


def _point(xyz: np.ndarray) -> Point:
    return Point(x=float(xyz[0]), y=float(xyz[1]), z=float(xyz[2]))


def _marker(header: object, marker_id: int, kind: int, rgb: tuple[float, float, float], scale: float) -> Marker:
    marker = Marker()
    marker.header = header
    marker.ns, marker.id, marker.type, marker.action = NAMESPACE, marker_id, kind, Marker.ADD
    marker.pose.orientation.w = 1.0
    marker.scale.x = marker.scale.y = marker.scale.z = scale
    marker.color = ColorRGBA(r=rgb[0], g=rgb[1], b=rgb[2], a=1.0)
    marker.lifetime = Duration(sec=0)  # until replaced
    return marker


def box_corners(box_to_base: np.ndarray, bounds: tuple[float, ...]) -> np.ndarray:
    """The 8 corners (8, 3) of an axis-aligned box (x/y/z min,max in its own frame) in the base frame."""
    xs, ys, zs = bounds[0:2], bounds[2:4], bounds[4:6]
    corners = np.array([[x, y, z, 1.0] for x in xs for y in ys for z in zs])
    return (corners @ np.asarray(box_to_base).T)[:, :3]


def decision_markers(
    header: object,
    box_to_base: np.ndarray,
    bounds: tuple[float, ...],
    waypoints: np.ndarray,
    point: np.ndarray,
    primitive: str,
    rotation: int,
    q_value: float,
) -> MarkerArray:
    """Markers for a decision: ``waypoints`` (n, 3) and ``point`` (3,) in the base frame."""
    rgb = COLORS.get(primitive, (0.5, 0.5, 1.0))
    corners = box_corners(box_to_base, bounds)
    box = _marker(header, 0, Marker.LINE_LIST, (0.6, 0.6, 0.6), 0.003)
    for i in range(8):
        for bit in (1, 2, 4):  # corner index bits: z (1), y (2), x (4)
            j = i | bit
            if j != i:
                box.points += [_point(corners[i]), _point(corners[j])]
    path = _marker(header, 1, Marker.LINE_STRIP, rgb, 0.004)
    path.points = [_point(w) for w in waypoints]
    spheres = _marker(header, 2, Marker.SPHERE_LIST, rgb, 0.012)
    spheres.points = [_point(w) for w in waypoints]
    target = _marker(header, 3, Marker.SPHERE, (1.0, 0.1, 0.1), 0.02)
    target.pose.position = _point(point)
    label = _marker(header, 4, Marker.TEXT_VIEW_FACING, (1.0, 1.0, 1.0), 0.03)
    label.pose.position = _point(np.asarray(point) + np.array([0.0, 0.0, 0.2]))
    label.text = f"{primitive} r={rotation} Q={q_value:.3f}"
    return MarkerArray(markers=[box, path, spheres, target, label])
