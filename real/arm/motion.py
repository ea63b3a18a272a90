"""Primitive waypoints -> a sequence of gripper and joint-trajectory steps (ROS-free).

Input: the four tool waypoints of a VPG primitive (``approach, target, end, retreat``; see
``greenroom.sim.pushgrasp.geometry.PrimitivePlan``), each a position (m) and a tool rotation
(3x3), all in the robot base frame. Output: a list of :class:`GripperStep` and
:class:`TrajectoryStep` that the executor node sends to the controllers one after the other.

- **grasp**: open -> joint move to approach -> straight line down to target -> close ->
  straight line up to retreat -> (optional) joint move above ``drop_position``, open -> home.
- **push**: close -> joint move to approach -> straight lines to target, end, retreat -> home.

Every IK solution is computed before anything moves, so an unreachable primitive is refused
whole (:class:`~.kinematics.IKError`) instead of stopping half way.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .kinematics import ArmKinematics, time_parametrize, top_down_rotation

PRIMITIVES = ("push", "grasp")


@dataclass(frozen=True)
class GripperStep:
    """Command both fingers to ``finger_position`` metres each (0 = closed, Panda max 0.04)."""

    finger_position: float
    label: str


@dataclass(frozen=True)
class TrajectoryStep:
    """Joint positions (rad) to reach at ``times`` (s after the step starts), in joint order."""

    positions: list[np.ndarray]
    times: list[float]
    label: str

    @property
    def duration(self) -> float:
        return self.times[-1] if self.times else 0.0


Step = GripperStep | TrajectoryStep


@dataclass(frozen=True)
class MotionSettings:
    """Executor motion settings (metres, radians, seconds)."""

    max_joint_speed: float = 0.8           # rad/s, every joint
    cartesian_step: float = 0.01           # m between IK points on straight segments
    finger_open: float = 0.04              # m per finger
    finger_closed: float = 0.0             # m per finger
    home: tuple[float, ...] = (0.0, -1.1, 0.0, -2.6, 0.0, 1.6, 0.785)  # joint positions (rad): folded back, out of view
    drop_position: tuple[float, ...] | None = None  # (3,) m base frame; None: keep the object
    drop_height: float = 0.25              # m above the base for the transfer to the drop point
    safety_box: tuple[float, ...] = (-1.0, 1.0, -1.0, 1.0, -0.02, 0.9)  # x/y/z min,max (m)


class MotionRefused(ValueError):
    """The primitive is malformed or leaves the executor's safety box."""


def check_waypoints(positions: np.ndarray, box: tuple[float, ...]) -> None:
    """Refuse waypoints outside the executor's own safety box (defence in depth)."""
    positions = np.asarray(positions, dtype=float)
    if positions.ndim != 2 or positions.shape[1] != 3 or not np.all(np.isfinite(positions)):
        raise MotionRefused(f"waypoints must be finite (n, 3) positions; got shape {positions.shape}")
    low, high = np.array(box[0::2]), np.array(box[1::2])
    outside = np.any((positions < low) | (positions > high), axis=1)
    if outside.any():
        index = int(np.flatnonzero(outside)[0])
        raise MotionRefused(
            f"waypoint {index} at {np.round(positions[index], 3).tolist()} m is outside the executor's "
            f"safety box x[{box[0]}, {box[1]}] y[{box[2]}, {box[3]}] z[{box[4]}, {box[5]}]"
        )


def plan_motion(
    kin: ArmKinematics,
    primitive: str,
    positions: np.ndarray,
    rotations: list[np.ndarray],
    start: np.ndarray,
    settings: MotionSettings,
) -> list[Step]:
    """The steps executing one primitive from joint state ``start`` (see module docstring).

    Args:
        kin: kinematics of the arm (tool frame = the fingertip centre).
        primitive: ``"push"`` or ``"grasp"``.
        positions: (4, 3) approach, target, end, retreat tool positions (m, base frame).
        rotations: four 3x3 tool rotations (base frame).
        start: current joint positions (dof,).

    Raises:
        MotionRefused: unknown primitive, wrong waypoint count, or outside the safety box.
        IKError: a waypoint is unreachable.
    """
    if primitive not in PRIMITIVES:
        raise MotionRefused(f"unknown primitive {primitive!r}; expected one of {PRIMITIVES}")
    positions = np.asarray(positions, dtype=float)
    if positions.shape != (4, 3) or len(rotations) != 4:
        raise MotionRefused(f"a primitive needs 4 waypoints (approach, target, end, retreat); got {positions.shape[0]}")
    check_waypoints(positions, settings.safety_box)
    approach, target, end, retreat = positions
    speed, step = settings.max_joint_speed, settings.cartesian_step
    home = np.asarray(settings.home, dtype=float)

    def joint_move(q_from: np.ndarray, q_to: np.ndarray, label: str, pieces: int = 10) -> TrajectoryStep:
        path = [q_from + (q_to - q_from) * k / pieces for k in range(1, pieces + 1)]
        return TrajectoryStep(path, time_parametrize(path, q_from, speed), label)

    def line(q_from: np.ndarray, poses: list[tuple[np.ndarray, np.ndarray]], label: str) -> TrajectoryStep:
        path = kin.cartesian_path(poses, q_from, step)
        return TrajectoryStep(path, time_parametrize(path, q_from, speed), label)

    q_approach = kin.ik(approach, rotations[0], home)
    steps: list[Step] = []
    if primitive == "grasp":
        down = line(q_approach, [(target, rotations[1])], "descend")
        up = line(down.positions[-1], [(retreat, rotations[3])], "lift")
        steps += [GripperStep(settings.finger_open, "open"), joint_move(start, q_approach, "to approach"),
                  down, GripperStep(settings.finger_closed, "close"), up]
        last = up.positions[-1]
        if settings.drop_position is not None:
            drop = np.array(settings.drop_position, dtype=float)
            check_waypoints(drop[None], settings.safety_box)
            above = np.array([drop[0], drop[1], max(drop[2], settings.drop_height)])
            q_drop = kin.ik(above, top_down_rotation(0.0), last)
            steps += [joint_move(last, q_drop, "to drop"), GripperStep(settings.finger_open, "release")]
            last = q_drop
    else:
        push = line(q_approach, [(target, rotations[1]), (end, rotations[2]), (retreat, rotations[3])], "push")
        steps += [GripperStep(settings.finger_closed, "close"), joint_move(start, q_approach, "to approach"), push]
        last = push.positions[-1]
    steps.append(joint_move(last, home, "home"))
    return steps
