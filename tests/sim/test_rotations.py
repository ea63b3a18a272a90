"""greenroom.sim.core.rotations against known rotations: (x, y, z, w) order, w >= 0, normalisation."""
from __future__ import annotations

import math

import numpy as np
import pytest

from greenroom.sim.core import rotations as rot

S = math.sqrt(0.5)

KNOWN = [  # (x, y, z, w), 3x3 matrix
    ((0.0, 0.0, 0.0, 1.0), np.eye(3)),
    ((0.0, 0.0, S, S), [[0, -1, 0], [1, 0, 0], [0, 0, 1]]),      # +90 deg about z: x -> y
    ((S, 0.0, 0.0, S), [[1, 0, 0], [0, 0, -1], [0, 1, 0]]),      # +90 deg about x: y -> z
    ((0.0, S, 0.0, S), [[0, 0, 1], [0, 1, 0], [-1, 0, 0]]),      # +90 deg about y: z -> x
    ((1.0, 0.0, 0.0, 0.0), [[1, 0, 0], [0, -1, 0], [0, 0, -1]]),  # 180 deg about x (camera looking down)
]


@pytest.mark.parametrize("quat,matrix", KNOWN)
def test_known_rotations_both_ways(quat, matrix) -> None:
    np.testing.assert_allclose(rot.quat_to_matrix(quat), matrix, atol=1e-12)
    np.testing.assert_allclose(rot.matrix_to_quat(np.array(matrix, float)), quat, atol=1e-12)


def test_sign_is_canonical_w_nonnegative_and_input_normalised() -> None:
    q = np.array([0.0, 0.0, -S, -S])  # the same rotation as (0, 0, S, S)
    np.testing.assert_allclose(rot.normalize_quat(q), [0.0, 0.0, S, S], atol=1e-12)
    np.testing.assert_allclose(rot.quat_to_matrix(3.0 * np.array([0.0, 0.0, S, S])), KNOWN[1][1], atol=1e-12)
    rng = np.random.default_rng(0)
    for _ in range(50):
        q = rng.normal(size=4)
        m = rot.quat_to_matrix(q)
        np.testing.assert_allclose(m @ m.T, np.eye(3), atol=1e-12)
        back = rot.matrix_to_quat(m)
        assert back[3] >= 0 and abs(np.linalg.norm(back) - 1) < 1e-12
        np.testing.assert_allclose(back, np.sign(q[3]) * q / np.linalg.norm(q), atol=1e-9)


def test_bad_quaternions_are_refused() -> None:
    for bad in ([0, 0, 0, 0], [np.nan, 0, 0, 1], [0, 0, 1]):
        with pytest.raises(ValueError):
            rot.quat_to_matrix(bad)
    with pytest.raises(ValueError, match="unit quaternion"):
        rot.pose_matrix([0, 0, 0], [0, 0, 0, 2.0])
    with pytest.raises(ValueError, match="3 finite xyz"):
        rot.pose_matrix([0, 0], [0, 0, 0, 1.0])


@pytest.mark.parametrize("yaw", [0.0, 0.3, -2.0, math.pi / 2, 3.0, -3.1])
def test_yaw_round_trip_and_ros_sign(yaw: float) -> None:
    q = rot.quat_of_yaw(yaw)
    np.testing.assert_allclose(q, [0.0, 0.0, math.sin(yaw / 2), math.cos(yaw / 2)] if math.cos(yaw / 2) >= 0
                               else [0.0, 0.0, -math.sin(yaw / 2), -math.cos(yaw / 2)], atol=1e-12)
    assert rot.yaw_of(q) == pytest.approx(yaw, abs=1e-12)
    np.testing.assert_allclose(rot.yaw_matrix(yaw) @ [1, 0, 0], [math.cos(yaw), math.sin(yaw), 0], atol=1e-12)
    t = rot.yaw_transform(1.0, 2.0, 3.0, yaw)
    np.testing.assert_allclose(t @ [1, 0, 0, 1], [1 + math.cos(yaw), 2 + math.sin(yaw), 3, 1], atol=1e-12)


def test_yaw_of_a_tilted_body_is_its_heading() -> None:
    q = rot.euler_to_quat([0.4, 0.2, 1.0], "ZYX")  # intrinsic yaw 0.4, then pitch, then roll
    assert rot.yaw_of(q) == pytest.approx(0.4, abs=1e-12)


def test_euler_xyz_is_rx_ry_rz_and_mujoco_order() -> None:
    a, b, c = 0.3, -0.7, 1.1
    rx = rot.euler_to_matrix([a, 0, 0], "XYZ")
    ry = rot.euler_to_matrix([0, b, 0], "XYZ")
    rz = rot.euler_to_matrix([0, 0, c], "XYZ")
    np.testing.assert_allclose(rot.euler_to_matrix([a, b, c], "XYZ"), rx @ ry @ rz, atol=1e-12)
    np.testing.assert_allclose(rot.quat_to_matrix(rot.euler_to_quat([a, b, c])), rx @ ry @ rz, atol=1e-12)
    q = np.array([0.1, 0.2, 0.3, 0.9])
    np.testing.assert_allclose(rot.wxyz_to_xyzw(rot.xyzw_to_wxyz(q)), q)
    assert rot.xyzw_to_wxyz(q)[0] == 0.9


def test_callers_agree_with_the_module() -> None:
    """The MuJoCo (w, x, y, z) adapters and the pybullet test-case helpers give the same rotations."""
    from greenroom.sim.flight.dynamics import quat_of_yaw, yaw_of
    from greenroom.sim.pushgrasp.testcases import euler_xyz_to_quaternion

    wxyz = quat_of_yaw(1.2)
    np.testing.assert_allclose(wxyz, [math.cos(0.6), 0, 0, math.sin(0.6)], atol=1e-12)
    assert yaw_of(wxyz) == pytest.approx(1.2)
    q = euler_xyz_to_quaternion((math.pi, 0.0, 0.5))
    np.testing.assert_allclose(rot.quat_to_matrix(q), rot.euler_to_matrix([math.pi, 0.0, 0.5], "XYZ"), atol=1e-12)
    assert q[3] >= 0


@pytest.mark.parametrize("yaw", [-2.5, 0.0, 0.7, math.pi])
def test_arm_tool_rotation_points_down_with_jaws_along_yaw(yaw: float) -> None:
    from greenroom.real.arm.kinematics import top_down_rotation

    r = top_down_rotation(yaw)
    np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(r) == pytest.approx(1.0)
    np.testing.assert_allclose(r[:, 1], [math.cos(yaw), math.sin(yaw), 0.0], atol=1e-12)  # closing axis
    np.testing.assert_allclose(r[:, 2], [0.0, 0.0, -1.0], atol=1e-12)  # fingers point down
