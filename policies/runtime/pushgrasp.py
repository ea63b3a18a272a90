"""Torch-free runtime of an exported VPG push-grasp policy: RGB-D -> heightmap -> 2k Q maps -> primitive.

Used by the ROS ``arm_policy`` node (robot computers need no torch and no simulator). Imports
numpy, ONNX Runtime and the numpy-only pieces of ``greenroom.sim.pushgrasp`` (``heightmap`` and
``geometry``: the *same* functions the simulator uses, so a real camera and the simulated one
produce the same heightmap and the same primitive geometry).

Model (``policies/pushgrasp`` export): inputs ``color`` (B, S, S, 3) uint8 RGB heightmap and
``height`` (B, S, S) float32 metres above the table; outputs ``push_q`` and ``grasp_q``
(B, k, S, S) float32: the value of pushing along / grasping across rotation r's angle
``2 pi r / k`` (from +x towards +y) at every cell (row = y, col = x).

Contract ``spec`` (all lengths in metres): ``workspace`` {x_min, x_max, y_min, y_max, z_min,
z_max} (the box blocks are cleared from and pushes end in, in the frame the heightmap is built
in), optional ``view_margin`` (default 0: the heightmap box is the workspace grown by this on each
side in x and y), ``resolution`` (m/cell), ``heightmap_size`` S (of the heightmap box),
``num_rotations`` k, ``geometry`` (:class:`PrimitiveGeometry` fields), optional ``grasp_only``,
``fill_holes`` (default True, as the simulator) and ``tool_yaw_model`` (``either`` or ``legacy``,
default ``legacy``: the hand-yaw rule of the simulated arm the policy was trained on, which a
simulator evaluation of the ONNX file reuses; a robot's executor ignores it).

Action decoding: greedy over both maps (grasp wins ties; push maps are ignored when
``grasp_only``), skipping the cells of actions that just changed nothing (:mod:`.failure_memory`,
on by default in :meth:`PushGraspRuntimePolicy.decide`), then :func:`greenroom.sim.pushgrasp.geometry.plan_primitive` gives the four
fingertip waypoints (approach, target, end, retreat) in the workspace frame.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...sim.pushgrasp.config import TOOL_YAW_MODELS
from ...sim.pushgrasp.geometry import (GRASP, PRIMITIVES, PUSH, PrimitiveGeometry, PrimitivePlan, mask_invalid_pushes,
                                       plan_primitive, valid_push_mask)
from ...sim.pushgrasp.heightmap import Intrinsics, Workspace, fill_holes, heightmap
from .contract import Contract, ContractError, check_number, load_contract_for
from .failure_memory import FailureMemory
from .session import OnnxSession

TASK = "pushgrasp"
INPUTS = ("color", "height")
OUTPUTS = ("push_q", "grasp_q")
CLEAR_HEIGHT = 0.02
"""A cell counts as occupied above this height (m), as the simulator's clear test (VPG: 2 cm)."""


@dataclass(frozen=True)
class Decision:
    """One greedy decision.

    Attributes:
        action: (primitive 0 push / 1 grasp, rotation, row, col).
        q_value: the chosen map's value at the action.
        q_maps: (2, k, S, S) float32, index 0 push, 1 grasp.
        plan: fingertip waypoints in the workspace frame (m).
        tool_yaw: yaw (rad, workspace frame) of the gripper's jaw-closing axis: the grasp angle for
            grasps, the push direction + pi/2 for pushes (the closed fingers span across the push,
            as the simulator executes it).
        inference_ms: ONNX Runtime time for all 2k maps.
    """

    action: tuple[int, int, int, int]
    q_value: float
    q_maps: np.ndarray
    plan: PrimitivePlan
    tool_yaw: float
    inference_ms: float

    @property
    def primitive_name(self) -> str:
        return PRIMITIVES[self.action[0]]


class PushGraspRuntimePolicy:
    """An exported push-grasp policy checked against its contract.

    Args:
        model_path: the ``.onnx`` file.
        contract_path: its contract (default: ``<model>.contract.json`` beside it).
        threads: ONNX Runtime intra-op threads.
        avoid_repeats: :meth:`decide` keeps a :class:`FailureMemory` (masks actions that changed nothing).

    Raises:
        ContractError: missing/corrupt model or contract, another task's model, a spec missing
            fields, or tensors that disagree with the spec.
    """

    def __init__(self, model_path: Path | str, contract_path: Path | str | None = None, threads: int = 1,
                 avoid_repeats: bool = True) -> None:
        contract = Contract.load(contract_path) if contract_path else load_contract_for(model_path)
        where = f"contract of {model_path}"
        if contract.task != TASK:
            raise ContractError(f"{where}: it is a {contract.task!r} policy, not {TASK!r}")
        spec = contract.spec
        bad = f"{where}: bad pushgrasp spec"
        check_number(spec, "resolution", bad, 0, 1.0, low_open=True)
        check_number(spec, "heightmap_size", bad, 8, 2048, integer=True)
        check_number(spec, "num_rotations", bad, 1, 64, integer=True)
        if "view_margin" in spec:
            check_number(spec, "view_margin", bad, 0.0, 0.1)
        self.tool_yaw_model = spec.get("tool_yaw_model", "legacy")
        if self.tool_yaw_model not in TOOL_YAW_MODELS:
            raise ContractError(f"{bad}: spec field 'tool_yaw_model' must be one of {', '.join(TOOL_YAW_MODELS)}, "
                                f"got {self.tool_yaw_model!r}")
        for group in ("workspace", "geometry"):
            if not isinstance(spec.get(group), dict):
                raise ContractError(f"{bad}: spec field {group!r} must be an object, got {spec.get(group)!r}")
            for key in spec[group]:
                check_number(spec[group], key, f"{bad} ({group})", -100.0, 100.0)
        try:
            self.workspace = Workspace(**spec["workspace"])
            self.view_margin = float(spec.get("view_margin", 0.0))
            self.resolution = float(spec["resolution"])
            self.size = int(spec["heightmap_size"])
            self.num_rotations = int(spec["num_rotations"])
            self.geometry = PrimitiveGeometry(**spec["geometry"])
            self.grasp_only = bool(spec.get("grasp_only", False))
            self.fill_holes = bool(spec.get("fill_holes", True))
        except (KeyError, TypeError, ValueError) as exc:
            raise ContractError(f"{where}: bad pushgrasp spec ({type(exc).__name__}: {exc})") from None
        if self.view.shape(self.resolution) != (self.size, self.size):
            raise ContractError(f"{where}: workspace {self.workspace.size} m plus view_margin {self.view_margin} m at "
                                f"{self.resolution} m/cell is {self.view.shape(self.resolution)} cells, spec says "
                                f"{self.size}x{self.size}")
        names_in, names_out = tuple(t.name for t in contract.inputs), tuple(t.name for t in contract.outputs)
        if names_in != INPUTS or names_out != OUTPUTS:
            raise ContractError(f"{where}: tensors {names_in} -> {names_out}; expected {INPUTS} -> {OUTPUTS}")
        for spec_out in contract.outputs:
            if not spec_out.matches_shape(["batch", self.num_rotations, self.size, self.size]):
                raise ContractError(f"{where}: output {spec_out.name!r} has shape {spec_out.shape}, expected "
                                    f"(batch, {self.num_rotations}, {self.size}, {self.size})")
        self.contract = contract
        self.session = OnnxSession(model_path, contract, threads=threads)
        self.memory = FailureMemory(self.resolution) if avoid_repeats else None
        contract.verify_seal(where)

    @property
    def view(self) -> Workspace:
        """The heightmap's box: the workspace grown by the contract's ``view_margin``."""
        return self.workspace.expanded(self.view_margin)

    @property
    def heightmap_shape(self) -> tuple[int, int]:
        return (self.size, self.size)

    def set_workspace(self, bounds: list[float] | tuple[float, ...]) -> None:
        """Move the workspace box (x/y/z min,max m; the heightmap box follows it, grown by the
        contract's ``view_margin``); its x/y size must stay the contract's.

        Raises:
            ValueError: wrong count, or a box whose cells at the contract resolution differ.
        """
        if len(bounds) != 6:
            raise ValueError(f"workspace bounds need 6 values (x_min, x_max, y_min, y_max, z_min, z_max); got {list(bounds)}")
        workspace = Workspace(*(float(b) for b in bounds))
        if workspace.expanded(self.view_margin).shape(self.resolution) != self.heightmap_shape:
            raise ValueError(
                f"workspace {list(bounds)} is {workspace.size[0]:.3f} x {workspace.size[1]:.3f} m; the policy was "
                f"trained on {self.workspace.size[0]:.3f} x {self.workspace.size[1]:.3f} m at {self.resolution} m/cell")
        self.workspace = workspace

    def heightmap(self, color: np.ndarray, depth: np.ndarray, intrinsics: Intrinsics,
                  camera_pose: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Registered RGB (H, W, 3) uint8 + depth (H, W) m -> the contract's (S, S, 3) / (S, S) maps.

        ``camera_pose``: 4x4 optical camera (OpenCV axes) -> workspace frame transform.
        """
        color_map, height_map = heightmap(color, depth, intrinsics, camera_pose, self.view, self.resolution)
        if self.fill_holes:
            color_map, height_map = fill_holes(color_map, height_map)
        return color_map, height_map

    def q_maps(self, color_map: np.ndarray, height_map: np.ndarray) -> np.ndarray:
        """(2, k, S, S) float32 Q maps (push, grasp) for one heightmap pair."""
        if color_map.shape != (self.size, self.size, 3) or height_map.shape != (self.size, self.size):
            raise ValueError(f"heightmaps must be ({self.size}, {self.size}, 3) and ({self.size}, {self.size}); "
                             f"got {color_map.shape} and {height_map.shape}")
        out = self.session.run({"color": np.ascontiguousarray(color_map, dtype=np.uint8)[None],
                                "height": np.ascontiguousarray(height_map, dtype=np.float32)[None]})
        maps = np.stack([out["push_q"][0], out["grasp_q"][0]]).astype(np.float32, copy=False)
        if not np.all(np.isfinite(maps)):
            raise ValueError("the model returned non-finite Q values")
        return maps

    def best_action(self, maps: np.ndarray) -> tuple[tuple[int, int, int, int], float]:
        """Greedy (primitive, rotation, row, col) over the (2, k, S, S) maps, and its value; pushes that
        cannot move with the contract's geometry (:func:`valid_push_mask`) are never chosen."""
        push = mask_invalid_pushes(maps[PUSH], valid_push_mask(self.size, self.view, self.resolution,
                                                               self.num_rotations, self.geometry, bounds=self.workspace))
        grasp = maps[GRASP]
        primitive = GRASP if (self.grasp_only or grasp.max() >= push.max()) else PUSH
        chosen = grasp if primitive == GRASP else push
        rotation, row, col = np.unravel_index(int(np.argmax(chosen)), chosen.shape)
        return (primitive, int(rotation), int(row), int(col)), float(chosen[rotation, row, col])

    def decide(self, color_map: np.ndarray, height_map: np.ndarray) -> Decision:
        """Heightmaps -> the greedy primitive with its waypoints (workspace frame).

        Each call is taken as executed: with ``avoid_repeats`` the next call compares its heightmap
        with this one and, if nothing changed, does not choose this action's cells again.
        """
        start = time.perf_counter()
        maps = self.q_maps(color_map, height_map)
        inference_ms = (time.perf_counter() - start) * 1000.0
        choice_maps = self.memory.mask(maps, height_map) if self.memory is not None else maps
        action, value = self.best_action(choice_maps)
        if self.memory is not None:
            self.memory.executed(action, height_map)
        plan = plan_primitive(action, height_map, self.view, self.resolution, self.num_rotations, self.geometry,
                              bounds=self.workspace)
        tool_yaw = plan.yaw if action[0] == GRASP else plan.yaw + np.pi / 2
        return Decision(action, value, maps, plan, float(tool_yaw), inference_ms)

    def is_clear(self, height_map: np.ndarray, min_area: float = 1e-4) -> bool:
        """True when less than ``min_area`` m^2 (default 1 cm^2) of the workspace is > 2 cm high."""
        cells = max(1, int(round(min_area / self.resolution**2)))
        return int(np.count_nonzero(height_map > CLEAR_HEIGHT)) < cells

    # The names policies/pushgrasp/runtime.py (evaluate, play) uses, so that module can become a
    # re-export of this one without touching its callers.
    def maps(self, color_map: np.ndarray, height_map: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(push, grasp) maps, each (k, S, S) float32."""
        q = self.q_maps(color_map, height_map)
        return q[0], q[1]

    def act(self, color_map: np.ndarray, height_map: np.ndarray
            ) -> tuple[tuple[int, int, int, int], PrimitivePlan, tuple[np.ndarray, np.ndarray]]:
        """Heightmaps -> (action, workspace-frame plan, (push, grasp) maps)."""
        decision = self.decide(color_map, height_map)
        return decision.action, decision.plan, (decision.q_maps[0], decision.q_maps[1])

    heightmap_from_rgbd = heightmap
