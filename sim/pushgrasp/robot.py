"""A pybullet arm with a parallel gripper (Franka Panda by default), driven by IK.

Frames: world (z up, metres). The tool point is the fingertip centre (Panda's
``panda_grasptarget`` link); a top-down tool pose is given by its position and the world yaw
of the jaw-closing direction. Free-space moves to and from the approach pose above a target
are *kinematic* (joint reset to an IK solution: the arm never sweeps through the blocks, and it
is the slow part of a primitive); contact moves (descend, push stroke, close, lift) run under
physics with position control, so pushes and grasps act on the blocks through contacts.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pybullet as p
import pybullet_data


BRANCH_MARGIN = 1e-4  # m: the turned hand yaw is used only when its IK lands closer by more than this


@dataclass(frozen=True)
class ArmSpec:
    """Link/joint names of an arm + parallel gripper URDF; defaults: pybullet_data's Panda."""

    urdf: str = "franka_panda/panda.urdf"
    tool_link: str = "panda_grasptarget"
    finger_joints: tuple[str, ...] = ("panda_finger_joint1", "panda_finger_joint2")
    finger_open: float = 0.04            # per-finger joint position when open, m
    finger_force: float = 40.0           # N per finger
    home: tuple[float, ...] = (0.0, -1.1, 0.0, -2.6, 0.0, 1.6, 0.785)  # folded back, out of the camera view
    yaw_offset: float = np.pi / 2        # tool yaw = jaw direction + offset (Panda fingers move along hand y)
    joint_force: float = 200.0
    finger_friction: float = 1.5         # finger pad material coefficient (Bullet: contact = product of the two)
    finger_speed: float = 0.0            # m/s limit of each finger's motor; 0: none (Bullet closes at ~0.7 m/s)


class Arm:
    """The arm in one pybullet client (see module docstring)."""

    def __init__(self, client: int, spec: ArmSpec, base_position: tuple[float, float, float], base_yaw: float,
                 time_step: float) -> None:
        self.client, self.spec, self.time_step = client, spec, time_step
        path = spec.urdf if Path(spec.urdf).is_absolute() else str(Path(pybullet_data.getDataPath()) / spec.urdf)
        if not Path(path).is_file():
            raise FileNotFoundError(f"robot URDF {path} does not exist (env.robot_urdf={spec.urdf!r})")
        try:
            self.body = p.loadURDF(path, base_position, p.getQuaternionFromEuler([0, 0, base_yaw]),
                                   useFixedBase=True, flags=p.URDF_USE_SELF_COLLISION_EXCLUDE_PARENT,
                                   physicsClientId=client)
        except p.error as exc:  # pybullet.error: not a URDF pybullet can parse
            raise ValueError(f"robot URDF {path} cannot be loaded ({exc}; env.robot_urdf={spec.urdf!r})") from None
        names = {p.getJointInfo(self.body, j, physicsClientId=client)[1].decode(): j
                 for j in range(p.getNumJoints(self.body, physicsClientId=client))}
        links = {p.getJointInfo(self.body, j, physicsClientId=client)[12].decode(): j for j in names.values()}
        if spec.tool_link not in links:
            raise ValueError(f"{path} has no link {spec.tool_link!r}; links: {', '.join(links)}")
        missing = [n for n in spec.finger_joints if n not in names]
        if missing:
            raise ValueError(f"{path} has no finger joint(s) {missing}; joints: {', '.join(names)}")
        self.tool = links[spec.tool_link]
        self.fingers = [names[n] for n in spec.finger_joints]
        self.arm_joints = [j for j in names.values()
                           if p.getJointInfo(self.body, j, physicsClientId=client)[2] == p.JOINT_REVOLUTE]
        info = [p.getJointInfo(self.body, j, physicsClientId=client) for j in self.arm_joints]
        self.lower = np.array([i[8] for i in info])
        self.upper = np.array([i[9] for i in info])
        self.home_q = np.array(spec.home[: len(self.arm_joints)])
        self.base = np.array(base_position)
        self.flipped = False  # the tool-yaw branch the moves of the current primitive use (see teleport)
        for finger in self.fingers:
            p.changeDynamics(self.body, finger, lateralFriction=spec.finger_friction, spinningFriction=0.01, physicsClientId=client)

    # -- state --------------------------------------------------------------------------------
    @property
    def joint_names(self) -> list[str]:
        """Arm joint names (URDF order), as a sensor_msgs/JointState would carry them."""
        return [p.getJointInfo(self.body, j, physicsClientId=self.client)[1].decode() for j in self.arm_joints]

    def command_joints(self, positions: np.ndarray) -> None:
        """Position targets for the arm joints (rad); physics moves there on the next steps (ROS sim bridge)."""
        q = np.clip(np.asarray(positions, dtype=np.float64), self.lower, self.upper)
        p.setJointMotorControlArray(self.body, self.arm_joints, p.POSITION_CONTROL, targetPositions=list(q),
                                    forces=[self.spec.joint_force] * len(q), physicsClientId=self.client)

    def command_gripper(self, opening: float) -> None:
        """Summed finger opening target (m), clipped to [0, 2 * finger_open]."""
        self._drive_fingers(float(np.clip(opening / 2, 0.0, self.spec.finger_open)))

    def _drive_fingers(self, per_finger: float) -> None:
        """Both finger motors to ``per_finger`` (m), at most ``spec.finger_speed`` m/s when it is set."""
        if self.spec.finger_speed <= 0:
            p.setJointMotorControlArray(self.body, self.fingers, p.POSITION_CONTROL, targetPositions=[per_finger] * 2,
                                        forces=[self.spec.finger_force] * 2, physicsClientId=self.client)
            return
        for finger in self.fingers:
            p.setJointMotorControl2(self.body, finger, p.POSITION_CONTROL, targetPosition=per_finger,
                                    force=self.spec.finger_force, maxVelocity=self.spec.finger_speed,
                                    physicsClientId=self.client)

    def joint_positions(self) -> np.ndarray:
        return np.array([s[0] for s in p.getJointStates(self.body, self.arm_joints, physicsClientId=self.client)])

    def tool_position(self) -> np.ndarray:
        return np.array(p.getLinkState(self.body, self.tool, physicsClientId=self.client)[4])

    def opening(self) -> float:
        """Summed finger joint positions, m (0 = closed on nothing, 2 * finger_open = fully open)."""
        return float(sum(s[0] for s in p.getJointStates(self.body, self.fingers, physicsClientId=self.client)))

    def is_sane(self) -> bool:
        """False when the arm state is NaN, outside its joint limits, or the tool is far from the base."""
        q = self.joint_positions()
        if not np.all(np.isfinite(q)) or not np.isfinite(self.opening()):
            return False
        if np.any(q < self.lower - 0.1) or np.any(q > self.upper + 0.1):
            return False
        return bool(np.linalg.norm(self.tool_position() - self.base) < 1.5)

    # -- kinematic moves ----------------------------------------------------------------------
    def _reset_joints(self, q: np.ndarray) -> None:
        for joint, value in zip(self.arm_joints, q):
            p.resetJointState(self.body, joint, float(value), 0.0, physicsClientId=self.client)
        p.setJointMotorControlArray(self.body, self.arm_joints, p.POSITION_CONTROL, targetPositions=list(q),
                                    forces=[self.spec.joint_force] * len(q), physicsClientId=self.client)

    def go_home(self) -> None:
        """Teleport to the home pose with the gripper open (used between primitives and on recovery)."""
        self._reset_joints(self.home_q)
        for finger in self.fingers:
            p.resetJointState(self.body, finger, self.spec.finger_open, 0.0, physicsClientId=self.client)
        self.set_gripper(open_=True)

    def tool_yaw(self, yaw: float, flipped: bool = False) -> float:
        """Hand yaw (rad) for jaw direction ``yaw``: in [-pi/2, pi/2), or (``flipped``) the same pose
        turned by pi, which the symmetric jaws close alike but the wrist reaches differently."""
        tool_yaw = float(np.mod(yaw + self.spec.yaw_offset + np.pi / 2, np.pi) - np.pi / 2)
        return tool_yaw + (np.pi if tool_yaw < 0 else -np.pi) if flipped else tool_yaw

    def ik(self, position: np.ndarray, yaw: float) -> np.ndarray:
        """Joint angles placing the tool at ``position`` pointing down with jaw direction ``yaw``
        (on the branch :attr:`flipped` says)."""
        tool_yaw = self.tool_yaw(yaw, self.flipped)
        orientation = p.getQuaternionFromEuler([np.pi, 0.0, tool_yaw])
        solution = p.calculateInverseKinematics(
            self.body, self.tool, list(position), orientation, lowerLimits=list(self.lower),
            upperLimits=list(self.upper), jointRanges=list(self.upper - self.lower), restPoses=list(self.home_q),
            maxNumIterations=100, residualThreshold=1e-4, physicsClientId=self.client)
        return np.array(solution[: len(self.arm_joints)])

    def teleport(self, position: np.ndarray, yaw: float, through: tuple[np.ndarray, ...] = (),
                 either_branch: bool = False) -> float:
        """Kinematic move; returns the remaining tool position error (m).

        ``either_branch``: the jaws are symmetric, so hand yaws theta and theta + pi grasp (and push)
        alike, but near the base the wrist's joint limits reach only one of them for some yaws (10 %
        of the grasp poses over the workspace miss with the branch in [-pi/2, pi/2), none with either;
        ``greenroom bench pushgrasp --only grasp_reach``). Solves both branches at ``position`` and
        at each point of ``through`` (the moves that follow) and keeps the one whose worst IK miss is
        smaller by more than :data:`BRANCH_MARGIN` in :attr:`flipped` for those moves. (Preferring
        the usual branch whenever its miss is under 1 mm was not enough: its 1.8 mm misses at 45
        degrees near the base still failed under physics.) Without it: the branch in [-pi/2, pi/2),
        the pre-fix arm.
        """
        self.flipped = False
        if either_branch:
            start = self.joint_positions()
            errors = {}
            for flipped in (False, True):
                self._reset_joints(start)
                self.flipped = flipped
                errors[flipped] = max(self.solve(point, yaw) for point in (position, *through))
            self._reset_joints(start)
            self.flipped = errors[True] < errors[False] - BRANCH_MARGIN
        return self.solve(position, yaw)

    def solve(self, position: np.ndarray, yaw: float) -> float:
        """IK from the current configuration, refined 3 times; leaves the arm there; tool error (m)."""
        q = self.ik(position, yaw)
        for _ in range(3):  # refine: IK from the new configuration
            self._reset_joints(q)
            q = self.ik(position, yaw)
        self._reset_joints(q)
        return float(np.linalg.norm(self.tool_position() - position))

    # -- physical moves -----------------------------------------------------------------------
    def step(self, n: int) -> None:
        for _ in range(n):
            p.stepSimulation(physicsClientId=self.client)

    def move_linear(self, start: np.ndarray, end: np.ndarray, yaw: float, speed: float = 0.4,
                    settle_steps: int = 10) -> bool:
        """Straight tool line from ``start`` to ``end`` at ``speed`` m/s under physics.

        Returns False when the tool ends up more than 1.5 cm from ``end`` (blocked by contact).
        """
        distance = float(np.linalg.norm(end - start))
        substeps = max(1, int(round(distance / speed / self.time_step)))
        chunk = 4
        for i in range(chunk, substeps + chunk, chunk):
            point = start + (end - start) * min(i / substeps, 1.0)
            q = self.ik(point, yaw)
            p.setJointMotorControlArray(self.body, self.arm_joints, p.POSITION_CONTROL, targetPositions=list(q),
                                        forces=[self.spec.joint_force] * len(q), physicsClientId=self.client)
            self.step(chunk)
        self.step(settle_steps)
        return bool(np.linalg.norm(self.tool_position() - end) < 0.015)

    def set_gripper(self, open_: bool) -> None:
        self._drive_fingers(self.spec.finger_open if open_ else 0.0)

    def gripper_steps(self, steps: int) -> int:
        """``steps``, or as many as a full stroke takes at ``spec.finger_speed`` plus 20 to settle, if more."""
        if self.spec.finger_speed <= 0:
            return steps
        return max(steps, int(np.ceil(self.spec.finger_open / self.spec.finger_speed / self.time_step)) + 20)

    def close_gripper(self, steps: int = 60) -> float:
        """Close under physics (at least :meth:`gripper_steps`); returns the final opening (m)."""
        self.set_gripper(open_=False)
        self.step(self.gripper_steps(steps))
        return self.opening()

    def hold_closed_instantly(self) -> None:
        """Fingers closed kinematically (for pushes: the closed gripper is the pusher)."""
        for finger in self.fingers:
            p.resetJointState(self.body, finger, 0.0, 0.0, physicsClientId=self.client)
        self.set_gripper(open_=False)
