"""Camera tilt of a quadrotor: the attitude its horizontal acceleration needs (first-order lag).

A quadrotor accelerates horizontally by tilting its thrust: to accelerate by ``a`` (m/s^2, body
frame x forward, y left) it pitches nose-down by ``atan(a_x / g)`` and rolls toward ``a_y``
by ``atan(a_y / g)``; the attitude follows with time constant ``tau`` (s). The simulated body
stays level (velocity actuators; contacts use a sphere, so attitude does not change them); this
module tilts the *camera* the way the airframe would, which is what the policy sees.

Acceleration = the change of the body's world velocity over a control step, turned into the
heading frame (includes the centripetal part of a turn). ``gain`` scales the angle (airframe
and controller differences); the ``attitude`` randomization group draws ``tau`` and ``gain``.
"""
from __future__ import annotations

import math

import mujoco
import numpy as np

G = 9.81   # m/s^2


def quat_about(axis: int, angle: float) -> np.ndarray:
    """MuJoCo quaternion (w, x, y, z) of a rotation by ``angle`` rad about body axis 0/1/2 (x/y/z)."""
    q = np.zeros(4)
    q[0] = math.cos(angle / 2)
    q[1 + axis] = math.sin(angle / 2)
    return q


class AttitudeTilt:
    """Roll and pitch (rad) of the airframe, updated once per control step.

    Args:
        tau: attitude time constant (s, > 0); gain: angle scale (>= 0); dt: control period (s).
    """

    def __init__(self, tau: float, gain: float, dt: float) -> None:
        if tau <= 0 or gain < 0 or dt <= 0:
            raise ValueError(f"AttitudeTilt needs tau > 0 s, gain >= 0 and dt > 0 s, got {tau}, {gain}, {dt}")
        self.tau, self.gain, self.dt = float(tau), float(gain), float(dt)
        self.roll = self.pitch = 0.0

    def update(self, v_before: np.ndarray, v_after: np.ndarray, yaw: float) -> None:
        """Advance one control step given the world velocity before/after it (m/s) and the heading (rad)."""
        a_world = (np.asarray(v_after[:2], dtype=np.float64) - np.asarray(v_before[:2], dtype=np.float64)) / self.dt
        c, s = math.cos(yaw), math.sin(yaw)
        ax, ay = c * a_world[0] + s * a_world[1], -s * a_world[0] + c * a_world[1]
        alpha = 1.0 - math.exp(-self.dt / self.tau)
        self.pitch += alpha * (self.gain * math.atan2(ax, G) - self.pitch)    # + = nose down
        self.roll += alpha * (-self.gain * math.atan2(ay, G) - self.roll)     # + = left side up (REP-103)

    def quat(self) -> np.ndarray:
        """(4,) body-tilt quaternion (w, x, y, z): roll about x, then pitch about y."""
        q = np.empty(4)
        mujoco.mju_mulQuat(q, quat_about(0, self.roll), quat_about(1, self.pitch))
        return q

    def apply(self, model: mujoco.MjModel, camera_id: int, mount_pos: np.ndarray, mount_quat: np.ndarray) -> None:
        """Write the tilted camera pose (tilt applied to the mount pose, body frame) into ``model``."""
        tilt = self.quat()
        quat = np.empty(4)
        mujoco.mju_mulQuat(quat, tilt, np.asarray(mount_quat, dtype=np.float64))
        pos = np.empty(3)
        mujoco.mju_rotVecQuat(pos, np.asarray(mount_pos, dtype=np.float64), tilt)
        model.cam_quat[camera_id] = quat
        model.cam_pos[camera_id] = pos
