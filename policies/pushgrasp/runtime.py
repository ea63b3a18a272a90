"""Run an exported push-grasp policy: heightmap -> 2k maps -> action (numpy + ONNX Runtime; no torch).

The ROS ``arm_policy`` node and ``greenroom evaluate --onnx`` use this class. The contract's
``spec`` carries everything needed to turn camera images into the model's input and its output
into a motion: workspace box, resolution, heightmap size, rotations and their convention,
primitive geometry (:func:`greenroom.sim.pushgrasp.geometry.plan_primitive`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ...sim.pushgrasp.geometry import GRASP, PUSH, PrimitiveGeometry, PrimitivePlan, plan_primitive
from ...sim.pushgrasp.heightmap import Intrinsics, Workspace, fill_holes, heightmap
from ..runtime.contract import Contract, ContractError, load_contract_for
from ..runtime.session import OnnxSession

TASK = "pushgrasp"
INPUTS = ("color", "height")
OUTPUTS = ("push_q", "grasp_q")


class PushGraspRuntimePolicy:
    """Exported VPG policy (see module docstring). Raises ContractError on a bad model/contract."""

    def __init__(self, model_path: Path | str, contract_path: Path | str | None = None, threads: int = 1) -> None:
        contract = Contract.load(contract_path) if contract_path else load_contract_for(model_path)
        if contract.task != TASK:
            raise ContractError(f"{model_path} is a {contract.task!r} policy, not {TASK!r}")
        try:
            spec = contract.spec
            self.workspace = Workspace(**spec["workspace"])
            self.resolution = float(spec["resolution"])
            self.size = int(spec["heightmap_size"])
            self.num_rotations = int(spec["num_rotations"])
            self.geometry = PrimitiveGeometry(**spec["geometry"])
            self.grasp_only = bool(spec.get("grasp_only", False))
        except (KeyError, TypeError, ValueError) as exc:
            raise ContractError(f"contract of {model_path}: bad pushgrasp spec ({exc})") from None
        self.contract = contract
        self.session = OnnxSession(model_path, contract, threads=threads)

    def maps(self, color_map: np.ndarray, height_map: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(push, grasp) maps, each (k, S, S) float32, for one (S, S, 3) uint8 + (S, S) float32 heightmap."""
        out = self.session.run({"color": np.ascontiguousarray(color_map, np.uint8)[None],
                                "height": np.ascontiguousarray(height_map, np.float32)[None]})
        return out["push_q"][0], out["grasp_q"][0]

    def best_action(self, maps: tuple[np.ndarray, np.ndarray]) -> tuple[tuple[int, int, int, int], float]:
        """Greedy (primitive, rotation, row, col) over both maps and its value."""
        push, grasp = maps
        primitive = GRASP if (self.grasp_only or grasp.max() >= push.max()) else PUSH
        chosen = grasp if primitive == GRASP else push
        rotation, row, col = np.unravel_index(int(np.argmax(chosen)), chosen.shape)
        return (primitive, int(rotation), int(row), int(col)), float(chosen[rotation, row, col])

    def act(self, color_map: np.ndarray, height_map: np.ndarray) -> tuple[tuple[int, int, int, int], PrimitivePlan, Any]:
        """Heightmap -> (action, world-frame waypoints, maps)."""
        maps = self.maps(color_map, height_map)
        action, _ = self.best_action(maps)
        plan = plan_primitive(action, height_map, self.workspace, self.resolution, self.num_rotations, self.geometry)
        return action, plan, maps

    def heightmap_from_rgbd(self, color: np.ndarray, depth: np.ndarray, intrinsics: Intrinsics,
                            camera_pose: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Camera images -> the contract's heightmap (same function as the simulator)."""
        color_map, height_map = heightmap(color, depth, intrinsics, camera_pose, self.workspace, self.resolution)
        return fill_holes(color_map, height_map)
