"""A scripted (not learned) grasp policy in the exported-policy format, for bring-up and CI.

``python -m greenroom.real.arm.heuristic OUT_DIR [--preset smoke|cpu|paper]`` writes
``heuristic.onnx`` + ``heuristic.contract.json`` that ``arm_policy`` runs like a trained VPG export
(same inputs ``color``/``height``, outputs ``push_q``/``grasp_q`` (1, k, S, S), same contract spec),
so the camera -> heightmap -> ONNX -> IK -> controller chain can be tested on a robot, or in the
simulator loop, before a learned policy exists. **It is a hand-written heuristic**, labelled
``"variant": "heuristic-height-grasp"`` and ``"learned": false`` in the contract.

Grasp value at cell p for rotation r (all heights in metres, from the ``height`` input only):

    grasp_q[r, p] = mean height in a ``object_window`` square around p
                    - max(height at p +- ``finger_offset`` along the jaw axis of r)
                    - 1 if that mean height < ``min_object_height``

i.e. grasp the middle of something tall whose sides are free where the fingers go down; push
values are a constant -1 and the contract says ``grasp_only``. Built with the ``onnx`` package
from fixed convolution kernels (no torch).
"""
from __future__ import annotations

import argparse
import hashlib
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from ... import __version__
from ...policies.runtime.contract import Contract, TensorSpec, contract_path_for
from ...sim.pushgrasp.config import PushGraspEnvConfig

VARIANT = "heuristic-height-grasp"
OPSET = 18


def finger_kernels(num_rotations: int, resolution: float, finger_offset: float) -> np.ndarray:
    """(2k, 1, K, K) delta kernels sampling the height at +- ``finger_offset`` m along each jaw axis.

    Rotation r's jaw axis is the world angle ``2 pi r / k`` (from +x towards +y); heightmap
    columns are x and rows are y (see greenroom.sim.pushgrasp.geometry).
    """
    reach = int(np.ceil(finger_offset / resolution))
    size = 2 * reach + 1
    kernels = np.zeros((2 * num_rotations, 1, size, size), np.float32)
    for r in range(num_rotations):
        angle = 2 * np.pi * r / num_rotations
        d_col = int(round(finger_offset * np.cos(angle) / resolution))
        d_row = int(round(finger_offset * np.sin(angle) / resolution))
        kernels[2 * r, 0, reach + d_row, reach + d_col] = 1.0
        kernels[2 * r + 1, 0, reach - d_row, reach - d_col] = 1.0
    return kernels


def build_model(size: int, num_rotations: int, resolution: float, object_window: float = 0.03,
                finger_offset: float = 0.045, min_object_height: float = 0.01) -> onnx.ModelProto:
    """The heuristic as an ONNX graph (see module docstring); lengths in metres."""
    half = max(1, int(round(object_window / resolution / 2)))
    box = np.full((1, 1, 2 * half + 1, 2 * half + 1), 1.0 / (2 * half + 1) ** 2, np.float32)
    fingers = finger_kernels(num_rotations, resolution, finger_offset)
    reach = fingers.shape[-1] // 2
    k = num_rotations
    init = [numpy_helper.from_array(box, "box"), numpy_helper.from_array(fingers, "fingers"),
            numpy_helper.from_array(np.array([1], np.int64), "axis1"),
            numpy_helper.from_array(np.array([1, k, 2, size, size], np.int64), "pair_shape"),
            numpy_helper.from_array(np.array([2], np.int64), "axis2"),
            numpy_helper.from_array(np.array(min_object_height, np.float32), "min_height"),
            numpy_helper.from_array(np.array(-1.0, np.float32), "minus_one"),
            numpy_helper.from_array(np.zeros((1, k, size, size), np.float32), "zeros")]
    nodes = [
        helper.make_node("Unsqueeze", ["height", "axis1"], ["h"]),
        helper.make_node("Conv", ["h", "box"], ["object"], pads=[half] * 4),
        helper.make_node("Conv", ["h", "fingers"], ["finger_pairs"], pads=[reach] * 4),
        helper.make_node("Reshape", ["finger_pairs", "pair_shape"], ["pairs"]),
        helper.make_node("ReduceMax", ["pairs", "axis2"], ["finger_height"], keepdims=0),
        helper.make_node("Sub", ["object", "finger_height"], ["clearance"]),
        helper.make_node("Less", ["object", "min_height"], ["flat"]),
        helper.make_node("Cast", ["flat"], ["flat_f"], to=TensorProto.FLOAT),
        helper.make_node("Sub", ["clearance", "flat_f"], ["grasp_q"]),
        helper.make_node("Add", ["zeros", "minus_one"], ["push_q"]),
    ]
    graph = helper.make_graph(
        nodes, "heuristic_height_grasp",
        [helper.make_tensor_value_info("color", TensorProto.UINT8, [1, size, size, 3]),
         helper.make_tensor_value_info("height", TensorProto.FLOAT, [1, size, size])],
        [helper.make_tensor_value_info("push_q", TensorProto.FLOAT, [1, k, size, size]),
         helper.make_tensor_value_info("grasp_q", TensorProto.FLOAT, [1, k, size, size])],
        init)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="greenroom")
    onnx.checker.check_model(model, full_check=True)
    return model


def export_heuristic_policy(out_dir: Path | str, preset: str = "smoke") -> Path:
    """Write ``heuristic.onnx`` + contract for the simulator preset's heightmap; returns the model path."""
    if preset not in ("smoke", "cpu", "paper"):
        raise ValueError(f"preset must be smoke, cpu or paper; got {preset!r}")
    env = getattr(PushGraspEnvConfig, preset)()
    size, k = env.heightmap_size, env.num_rotations
    model = build_model(size, k, env.resolution)
    path = Path(out_dir) / "heuristic.onnx"
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    spec = {
        "workspace": env.workspace.to_dict(), "view_margin": env.view_margin, "resolution": env.resolution,
        "heightmap_size": size, "num_rotations": k, "geometry": env.geometry.to_dict(), "grasp_only": True,
        "fill_holes": env.fill_holes, "variant": VARIANT, "learned": False,
        "description": "scripted grasp heuristic (real.arm.heuristic), not a trained policy",
    }
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    config_digest = hashlib.sha256(repr(sorted(asdict(env).items())).encode()).hexdigest()
    contract = Contract(
        task="pushgrasp", greenroom_version=__version__, created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        model_file=path.name, model_sha256=digest, config_sha256=config_digest, opset=OPSET,
        inputs=[TensorSpec("color", [1, size, size, 3], "uint8"), TensorSpec("height", [1, size, size], "float32")],
        outputs=[TensorSpec("push_q", [1, k, size, size], "float32"), TensorSpec("grasp_q", [1, k, size, size], "float32")],
        spec=spec)
    contract.save(contract_path_for(path))
    return path


def cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m greenroom.real.arm.heuristic", description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--preset", default="smoke", choices=("smoke", "cpu", "paper"))
    args = parser.parse_args(argv)
    print(export_heuristic_policy(args.out_dir, args.preset))
    return 0


if __name__ == "__main__":
    sys.exit(cli())
