"""How a push-grasp scene is filled: random drops (VPG), drops onto the workspace edge, given layouts.

:class:`ScenePlacement` is a mixin of :class:`~greenroom.sim.pushgrasp.world.PushGraspWorld`; it
uses the world's ``workspace``, ``objects``, ``client``, ``config``, ``arm``, ``add_block``,
``block_colors`` and ``settle``. Positions are in the world frame (m, z up, table top at z = 0).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pybullet as p

from .blocks import BLOCK_NAMES
from .testcases import ObjectSpec

DROP_WAIT_STEPS = 480   # VPG's 2 s sleep per dropped object, at 240 Hz
AT_REST_RAD_S = 0.1     # with the settle's 1 cm/s: a block turning slower than this is at rest (a cylinder
                        # rolling off a pile starts below 1 cm/s but turns faster)


def edge_position(workspace: Any, rng: np.random.Generator) -> tuple[float, float]:
    """(x, y) of a block centre on the workspace edge: a random side, U(-1.5, +1) cm across its line
    (negative: inside), at least 5 cm from a corner (draws: side, across, x, y)."""
    ws = workspace
    side, across = int(rng.integers(4)), float(rng.uniform(-0.015, 0.01))  # across > 0: outside
    x, y = float(rng.uniform(ws.x_min + 0.05, ws.x_max - 0.05)), float(rng.uniform(ws.y_min + 0.05, ws.y_max - 0.05))
    if side < 2:
        return (ws.x_min - across if side == 0 else ws.x_max + across), y
    return x, (ws.y_min - across if side == 2 else ws.y_max + across)


class ScenePlacement:
    """Scene-filling methods of the push-grasp world (see the module docstring)."""

    workspace: Any
    objects: list[int]
    client: int
    config: Any
    arm: Any
    add_block: Callable[..., int]
    block_colors: Callable[[int], list[tuple[tuple[float, ...], int]]]
    settle: Callable[..., None]

    def drop_random(self, n: int, rng: np.random.Generator, meshes: list[str] | None = None) -> None:
        """Drop ``n`` random blocks from 15 cm into the workspace inset by 0.1 m (VPG), each onto a pile at rest
        (``config.drop_model``)."""
        meshes = meshes or list(BLOCK_NAMES)
        looks = self.block_colors(n)
        inset = 0.1
        for (rgb, texture) in looks:
            x = rng.uniform(self.workspace.x_min + inset, self.workspace.x_max - inset)
            y = rng.uniform(self.workspace.y_min + inset, self.workspace.y_max - inset)
            euler = tuple(float(v) for v in rng.uniform(-np.pi, np.pi, 3))
            self.add_block(ObjectSpec(str(rng.choice(meshes)), rgb, (x, y, 0.15), euler), texture)
            if self.config.drop_model == "legacy":
                self.arm.step(40)
            else:  # VPG sleeps 2 s after each object: the next one lands on a pile at rest
                self.settle(DROP_WAIT_STEPS, at_rest_rad_s=AT_REST_RAD_S)
        self.settle()

    def drop_on_edge(self, n: int, rng: np.random.Generator, meshes: list[str] | None = None) -> None:
        """Drop ``n`` random blocks flat (random yaw) from 5 cm onto the workspace edge (:func:`edge_position`).
        Blocks stranded there, partly outside the heightmap, end most runs VPG's protocol does not complete."""
        for rgb, texture in self.block_colors(n):
            x, y = edge_position(self.workspace, rng)
            yaw = float(rng.uniform(-np.pi, np.pi))
            self.add_block(ObjectSpec(str(rng.choice(meshes or list(BLOCK_NAMES))), rgb, (x, y, 0.05), (0.0, 0.0, yaw)), texture)
        self.settle()

    def place(self, objects: list[ObjectSpec]) -> None:
        """Place an arrangement (test case) as given, then let it settle.

        Poses written by another simulator overlap a little in this one (VPG's test cases: up to
        a few millimetres between neighbours). Bullet pushes overlapping bodies apart with
        whatever speed it takes, which flung blocks off the workspace at load (4 of 66 hard-case
        resets). For the config's ``placement_separation_steps`` steps the blocks' velocities are
        cleared after each step, so the overlaps resolve by position only (gravity included); then
        the scene settles as usual.
        """
        looks = self.block_colors(len(objects))
        for spec, (_, texture) in zip(objects, looks):
            self.add_block(spec, texture)
        for _ in range(self.config.placement_separation_steps):
            self.arm.step(1)
            for body in self.objects:
                p.resetBaseVelocity(body, [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], physicsClientId=self.client)
        self.settle()
