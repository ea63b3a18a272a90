"""Inverse kinematics on an arm URDF with ikpy, and Cartesian paths as joint waypoints.

Frames and units: the chain runs from ``base_link`` (the robot base frame, REP-103: x forward,
z up; metres) to ``tip_link`` (the tool frame; for the Panda ``panda_grasptarget``: z along the
fingers, pointing out of the hand, y along the finger closing direction). Joint values are in
radians (revolute) or metres (prismatic), in URDF joint order from base to tip.

The default URDF is ``assets/arm/panda.urdf`` (the Franka Panda from pybullet_data, copied
without meshes: IK needs only the kinematic tree). ikpy (PyPI) solves IK by optimisation within
the URDF joint limits; a solution is accepted only when its forward kinematics lands within
``pos_tol`` metres and ``rot_tol`` (Frobenius norm of the rotation difference) of the target.
"""
from __future__ import annotations

import math
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from ...sim.core.rotations import euler_to_matrix
from ..common.share import share_file

PACKAGE = "greenroom"
DEFAULT_URDF = "assets/arm/panda.urdf"
MOVABLE = ("revolute", "prismatic", "continuous")


class IKError(RuntimeError):
    """No joint configuration reaches a target pose within tolerance."""


def default_urdf_path() -> Path:
    """The Panda URDF: the installed share folder (``ros2 run``/wheel), else the source tree."""
    return share_file(DEFAULT_URDF)


def _chain_elements(urdf: Path, base_link: str, tip_link: str) -> tuple[list[str], list[str], list[str]]:
    """Alternating link/joint names from base to tip, the movable joints and their types."""
    try:
        root = ET.parse(urdf).getroot()
    except (OSError, ET.ParseError) as exc:
        raise ValueError(f"cannot read URDF {urdf}: {exc}") from None
    by_child = {}
    for joint in root.iter("joint"):
        child, parent = joint.find("child"), joint.find("parent")
        if child is not None and parent is not None:
            by_child[child.get("link")] = (joint.get("name"), joint.get("type"), parent.get("link"))
    elements, joints, link = [tip_link], [], tip_link
    while link != base_link:
        if link not in by_child:
            raise ValueError(f"URDF {urdf}: no joint chain from {base_link!r} to {tip_link!r} (stuck at {link!r})")
        name, kind, parent = by_child[link]
        elements[:0] = [parent, name]
        joints.insert(0, (name, kind))
        link = parent
    return elements, [n for n, _ in joints], [k for _, k in joints]


def top_down_rotation(yaw: float) -> np.ndarray:
    """Tool rotation (3x3, base frame) pointing z down with the closing axis y at ``yaw`` rad:
    ``Rz(yaw + pi/2) @ Rx(pi)`` (y axis = (cos yaw, sin yaw, 0), z axis = (0, 0, -1))."""
    return euler_to_matrix([yaw + math.pi / 2, math.pi], "ZX")


class ArmKinematics:
    """Forward/inverse kinematics of the chain ``base_link`` -> ``tip_link`` of a URDF.

    Args:
        urdf_path: URDF file (meshes are not needed).
        base_link, tip_link: chain ends (the base frame of all poses, and the tool frame).
        pos_tol: accepted IK position error (m). rot_tol: accepted rotation error (Frobenius).
        symmetric_tool: a parallel-jaw gripper is symmetric under a half turn about the tool z
            axis; when True, IK also tries the target turned by pi and keeps the closer solution.
    """

    def __init__(
        self,
        urdf_path: str | Path | None = None,
        base_link: str = "panda_link0",
        tip_link: str = "panda_grasptarget",
        pos_tol: float = 0.003,
        rot_tol: float = 0.05,
        symmetric_tool: bool = True,
    ) -> None:
        from ikpy.chain import Chain  # ikpy imports scipy/sympy: keep it out of module import

        self.urdf_path = Path(urdf_path) if urdf_path else default_urdf_path()
        if not self.urdf_path.is_file():
            raise FileNotFoundError(f"arm URDF {self.urdf_path} does not exist")
        elements, names, kinds = _chain_elements(self.urdf_path, base_link, tip_link)
        mask = [False] + [kind in MOVABLE for kind in kinds]
        with warnings.catch_warnings():  # ikpy warns about URDF details it ignores (fixed-joint axes)
            warnings.simplefilter("ignore")
            self.chain = Chain.from_urdf_file(str(self.urdf_path), base_elements=elements, active_links_mask=mask)
        self._active = np.array(mask, dtype=bool)
        self.joint_names: list[str] = [n for n, k in zip(names, kinds) if k in MOVABLE]
        bounds = [link.bounds for link, active in zip(self.chain.links, mask) if active]
        self.lower = np.array([b[0] if b[0] is not None else -np.inf for b in bounds])
        self.upper = np.array([b[1] if b[1] is not None else np.inf for b in bounds])
        self.pos_tol, self.rot_tol, self.symmetric_tool = pos_tol, rot_tol, symmetric_tool

    @property
    def dof(self) -> int:
        return len(self.joint_names)

    def _full(self, q: np.ndarray) -> np.ndarray:
        full = np.zeros(len(self.chain.links))
        full[self._active] = q
        return full

    def fk(self, q: np.ndarray) -> np.ndarray:
        """Tool pose (4x4 homogeneous, base frame, metres) for joint values ``q`` (dof,)."""
        return np.asarray(self.chain.forward_kinematics(self._full(np.asarray(q, float))))

    def _solve(self, position: np.ndarray, rotation: np.ndarray, seed: np.ndarray) -> tuple[np.ndarray, float, float]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            full = self.chain.inverse_kinematics(
                position, rotation, orientation_mode="all", initial_position=self._full(seed)
            )
        q = np.clip(np.asarray(full)[self._active], self.lower, self.upper)
        pose = self.fk(q)
        return q, float(np.linalg.norm(pose[:3, 3] - position)), float(np.linalg.norm(pose[:3, :3] - rotation))

    def ik(self, position: np.ndarray, rotation: np.ndarray, seed: np.ndarray, symmetric: bool | None = None) -> np.ndarray:
        """Joint values (dof,) placing the tool at ``position`` (3,) m with ``rotation`` (3x3).

        Seeds the solver with ``seed`` (dof,) and prefers the solution nearest to it.
        ``symmetric`` (default: the ``symmetric_tool`` setting) also tries the half-turned tool.

        Raises:
            IKError: no solution within tolerance (out of reach or against joint limits).
        """
        position, rotation = np.asarray(position, float), np.asarray(rotation, float)
        seed = np.clip(np.asarray(seed, float), self.lower, self.upper)
        targets = [rotation]
        if self.symmetric_tool if symmetric is None else symmetric:
            targets.append(rotation @ np.diag([-1.0, -1.0, 1.0]))  # half turn about tool z
        best: np.ndarray | None = None
        errors = []
        for target in targets:
            q, pos_err, rot_err = self._solve(position, target, seed)
            errors.append((pos_err, rot_err))
            if pos_err <= self.pos_tol and rot_err <= self.rot_tol:
                if best is None or np.abs(q - seed).max() < np.abs(best - seed).max():
                    best = q
        if best is None:
            pos_err, rot_err = min(errors)
            raise IKError(
                f"no IK solution for tool at {np.round(position, 3).tolist()} m: best position error "
                f"{pos_err * 1000:.1f} mm, rotation error {rot_err:.3f} (tolerance {self.pos_tol * 1000:.1f} mm, "
                f"{self.rot_tol}); the target is out of reach or against joint limits"
            )
        return best

    def cartesian_path(
        self, poses: list[tuple[np.ndarray, np.ndarray]], seed: np.ndarray, step: float = 0.02
    ) -> list[np.ndarray]:
        """Joint waypoints following straight lines between tool ``poses`` [(position, rotation)].

        Each segment is cut into pieces of at most ``step`` metres (position interpolated
        linearly; the rotation switches to the segment's target at its first piece, which for
        top-down primitives happens only on the approach from above). Returns one joint vector
        per waypoint piece; raises :class:`IKError` when any piece is unreachable.
        """
        if step <= 0:
            raise ValueError(f"step must be > 0 m, got {step}")
        q = np.asarray(seed, float)
        start = self.fk(q)[:3, 3]
        out: list[np.ndarray] = []
        for position, rotation in poses:
            position = np.asarray(position, float)
            pieces = max(1, int(np.ceil(np.linalg.norm(position - start) / step)))
            for k in range(1, pieces + 1):
                # The first piece may pick the half-turned tool; later pieces keep that choice.
                q = self.ik(start + (position - start) * k / pieces, rotation, q, symmetric=None if k == 1 else False)
                if k == 1:
                    rotation = self.fk(q)[:3, :3]
                out.append(q)
            start = position
        return out


def time_parametrize(path: list[np.ndarray], start: np.ndarray, max_speed: float, min_dt: float = 0.05) -> list[float]:
    """Arrival times (s from start) for joint ``path`` so no joint exceeds ``max_speed`` (rad/s)."""
    if max_speed <= 0:
        raise ValueError(f"max_speed must be > 0 rad/s, got {max_speed}")
    times, t, previous = [], 0.0, np.asarray(start, float)
    for q in path:
        t += max(min_dt, float(np.abs(q - previous).max()) / max_speed)
        times.append(t)
        previous = q
    return times
