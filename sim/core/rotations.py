"""Rotations, quaternions, yaw and rigid transforms: greenroom's one place for them.

Built on :class:`scipy.spatial.transform.Rotation` (no hand-written quaternion algebra).

Conventions (every caller in sim/, policies/ and real/ uses these):

- Quaternions are ``(x, y, z, w)``, scalar last: the order of ROS ``geometry_msgs/Quaternion``,
  tf2, pybullet and scipy. MuJoCo stores ``(w, x, y, z)``: convert at that boundary only
  (:func:`wxyz_to_xyzw`, :func:`xyzw_to_wxyz`).
- Quaternions this module returns are unit length with ``w >= 0`` (``q`` and ``-q`` are the same
  rotation; one sign makes them comparable). Inputs are normalised; a zero, non-finite or
  wrongly sized one raises ``ValueError``, and with ``tolerance`` so does one whose norm is more
  than ``tolerance`` away from 1 (a typo in a parameter, not rounding).
- A rotation matrix ``R`` maps child-frame coordinates to parent-frame ones (``v_parent = R @
  v_child``; its columns are the child axes in the parent frame). A 4x4 transform is ``[R t; 0 1]``.
- Yaw is the rotation about +z, counter-clockwise seen from above (REP-103: x forward, y left,
  z up), in radians in ``(-pi, pi]``; :func:`yaw_of` is the heading of the rotated x axis in the
  xy plane, defined for any rotation that does not point x straight up or down.
- Euler angles: scipy's sequence strings. Upper case (``"XYZ"``) = intrinsic, i.e.
  ``R = Rx(a) @ Ry(b) @ Rz(c)`` (V-REP / VPG test cases); lower case = extrinsic.

Why here, in ``greenroom.sim.core``: data flows sim <- policies <- real and sim/ imports neither
policies/ nor real/. The simulators need this math (MuJoCo flight pose, pybullet test-case
poses), and so do policies/ and the robot nodes in real/; the lowest layer is the only one all
of them may import. The module imports only numpy and scipy (no MuJoCo, no pybullet), so a robot
node that uses it loads no simulator (checked by tests/real/test_imports.py).
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.spatial.transform import Rotation

ArrayLike = Sequence[float] | np.ndarray


def _quat(q: ArrayLike, tolerance: float | None = None) -> np.ndarray:
    arr = np.asarray(q, dtype=np.float64)
    if arr.shape != (4,) or not np.all(np.isfinite(arr)):
        raise ValueError(f"a quaternion needs 4 finite values (x, y, z, w); got {np.ravel(arr).tolist()}")
    norm = float(np.linalg.norm(arr))
    if norm < 1e-9:
        raise ValueError(f"quaternion {arr.tolist()} has zero length")
    if tolerance is not None and abs(norm - 1.0) > tolerance:
        raise ValueError(f"quaternion {arr.tolist()} has norm {norm:.4f}; expected a unit quaternion (x, y, z, w)")
    return arr / norm


def _canonical(rotation: Rotation) -> np.ndarray:
    q = rotation.as_quat()
    return -q if q[3] < 0 else q


def normalize_quat(q: ArrayLike, tolerance: float | None = None) -> np.ndarray:
    """Unit ``(x, y, z, w)`` with ``w >= 0``; ValueError for a zero, non-finite or off-norm input."""
    return _canonical(Rotation.from_quat(_quat(q, tolerance)))


def quat_to_matrix(q: ArrayLike, tolerance: float | None = None) -> np.ndarray:
    """``(x, y, z, w)`` -> 3x3 rotation matrix (the quaternion is normalised first)."""
    return Rotation.from_quat(_quat(q, tolerance)).as_matrix()


def matrix_to_quat(rotation: np.ndarray) -> np.ndarray:
    """3x3 rotation matrix -> unit ``(x, y, z, w)``, ``w >= 0``.

    A slightly non-orthonormal matrix is projected to the nearest rotation (scipy)."""
    m = np.asarray(rotation, dtype=np.float64)
    if m.shape != (3, 3) or not np.all(np.isfinite(m)):
        raise ValueError(f"a rotation matrix must be a finite 3x3 array; got shape {m.shape}")
    return _canonical(Rotation.from_matrix(m))


def quat_of_yaw(yaw: float) -> np.ndarray:
    """``(x, y, z, w)`` of a rotation by ``yaw`` rad about +z."""
    return _canonical(Rotation.from_euler("z", float(yaw)))


def yaw_of(q: ArrayLike) -> float:
    """Heading (rad, about +z, in (-pi, pi]) of the x axis rotated by ``(x, y, z, w)``."""
    m = quat_to_matrix(q)
    return float(math.atan2(m[1, 0], m[0, 0]))


def yaw_matrix(yaw: float) -> np.ndarray:
    """3x3 rotation by ``yaw`` rad about +z."""
    return Rotation.from_euler("z", float(yaw)).as_matrix()


def euler_to_matrix(angles: ArrayLike, sequence: str = "XYZ") -> np.ndarray:
    """Euler angles (rad) in scipy's ``sequence`` (upper case = intrinsic) -> 3x3 matrix."""
    return Rotation.from_euler(sequence, np.asarray(angles, dtype=np.float64)).as_matrix()


def euler_to_quat(angles: ArrayLike, sequence: str = "XYZ") -> np.ndarray:
    """Euler angles (rad) -> unit ``(x, y, z, w)``, ``w >= 0``."""
    return _canonical(Rotation.from_euler(sequence, np.asarray(angles, dtype=np.float64)))


def transform(translation: ArrayLike, rotation: np.ndarray | None = None) -> np.ndarray:
    """4x4 ``[R t; 0 1]`` from a translation (m) and a 3x3 rotation (identity when None)."""
    t = np.eye(4)
    if rotation is not None:
        t[:3, :3] = rotation
    t[:3, 3] = np.asarray(translation, dtype=np.float64).reshape(3)
    return t


def yaw_transform(x: float, y: float, z: float, yaw: float) -> np.ndarray:
    """4x4 transform of a frame at ``(x, y, z)`` m turned ``yaw`` rad about +z."""
    return transform((x, y, z), yaw_matrix(yaw))


def pose_matrix(xyz: ArrayLike, q: ArrayLike, tolerance: float = 0.01) -> np.ndarray:
    """xyz (m) + ``(x, y, z, w)`` -> 4x4 transform.

    Raises:
        ValueError: wrong lengths, non-finite values, or a quaternion whose norm is more than
            ``tolerance`` from 1.
    """
    position = np.asarray(xyz, dtype=np.float64)
    quat = np.asarray(q, dtype=np.float64)
    if position.shape != (3,) or quat.shape != (4,) or not (np.all(np.isfinite(position)) and np.all(np.isfinite(quat))):
        raise ValueError(f"pose needs 3 finite xyz values and 4 quaternion values (x, y, z, w); got "
                         f"{np.ravel(position).tolist()}, {np.ravel(quat).tolist()}")
    return transform(position, quat_to_matrix(quat, tolerance))


def wxyz_to_xyzw(q: ArrayLike) -> np.ndarray:
    """MuJoCo order ``(w, x, y, z)`` -> ``(x, y, z, w)`` (no normalisation)."""
    w, x, y, z = (float(v) for v in q)
    return np.array([x, y, z, w])


def xyzw_to_wxyz(q: ArrayLike) -> np.ndarray:
    """``(x, y, z, w)`` -> MuJoCo order ``(w, x, y, z)`` (no normalisation)."""
    x, y, z, w = (float(v) for v in q)
    return np.array([w, x, y, z])
