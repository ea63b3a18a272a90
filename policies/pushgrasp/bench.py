"""``greenroom bench pushgrasp``: training iteration, heightmap, ONNX inference, VPG hard cases.

- ``train_iteration``: median wall time of a full VPG iteration at the ``cpu`` preset (act, execute
  in pybullet, observe, label, one SGD step, one replay step), from a short real training run.
- ``heightmap``: ``heightmap()`` from a 640x480 RGB-D frame rendered by the simulator, at 2 mm
  (224^2) and 4 mm (112^2); the render time of the same frame is reported alongside.
- ``onnx_inference``: all 2k maps of the ``cpu`` preset net in one ONNX Runtime call, 1 thread,
  next to torch eager on the same input.
- ``vpg_hard_cases``: the latest trained run (``$GREENROOM_PUSHGRASP_RUN`` or the newest
  ``runs/pushgrasp/*`` with a checkpoint) on VPG's 11 hard cases, ``RUNS_PER_CASE`` runs each
  (different randomization seeds), next to Table II.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from ..common.bench import BenchResult, check, median_time
from ..common.rundir import RunDir, read_metrics, runs_root


def bench_train_iteration(quick: bool) -> list[BenchResult]:
    from ..common.config import resolve_config
    from .config import PushGraspTrainConfig
    from .trainer import train

    n = 4 if quick else 25
    preset = "smoke" if quick else "cpu"
    config = resolve_config(PushGraspTrainConfig, preset, [f"iterations={n}", "log_every=1", f"checkpoint_every={n}"])
    with tempfile.TemporaryDirectory() as tmp:
        run = RunDir.create("pushgrasp-bench", Path(tmp))
        train(config, run, progress=False)
        rows = read_metrics(run.path / "metrics.csv")[2:]  # skip warm-up
    total = float(np.median([r["perf/iteration_s"] for r in rows]))
    sim = float(np.median([r["perf/sim_s"] for r in rows]))
    learn = float(np.median([r["perf/learn_s"] for r in rows]))
    details = {"preset": preset, "iterations": n, "sim_s": sim, "learn_s": learn, "threads": config.threads}
    return [BenchResult("pushgrasp", f"train_iteration_{preset}", total, "s", "<= 1.0", check(total, "<=", 1.0), details),
            BenchResult("pushgrasp", "train_iteration_sim_part", sim, "s", "", None, details),
            BenchResult("pushgrasp", "train_iteration_learn_part", learn, "s", "", None, details)]


def bench_heightmap(quick: bool) -> list[BenchResult]:
    from ...sim.pushgrasp.config import PushGraspEnvConfig
    from ...sim.pushgrasp.heightmap import fill_holes, heightmap
    from ...sim.pushgrasp.world import PushGraspWorld

    world = PushGraspWorld(PushGraspEnvConfig.paper())
    try:
        world.drop_random(10, np.random.default_rng(0))
        render_s = median_time(world.render, repeats=1 if quick else 3)
        color, depth = world.render()
        k, pose, ws = world.intrinsics, world.camera_pose, world.workspace
    finally:
        world.close()
    out = []
    for res, target in ((0.002, 20.0), (0.004, 20.0)):
        t = median_time(lambda: heightmap(color, depth, k, pose, ws, res), repeats=3 if quick else 15) * 1000
        cmap, hmap = heightmap(color, depth, k, pose, ws, res)
        t_fill = median_time(lambda: fill_holes(cmap, hmap), repeats=3 if quick else 15) * 1000
        empty = float(np.mean((hmap <= 0) & ~cmap.any(axis=2)))
        out.append(BenchResult("pushgrasp", f"heightmap_640x480_{hmap.shape[0]}px", t, "ms", f"<= {target:g}",
                               check(t, "<=", target), {"fill_holes_ms": t_fill, "render_640x480_ms": render_s * 1000,
                                                        "empty_cells": empty, "resolution_m": res}))
    return out


def bench_onnx_inference(quick: bool) -> list[BenchResult]:
    import torch

    from ..common.config import resolve_config
    from ..runtime.session import OnnxSession
    from .config import PushGraspTrainConfig
    from .export import export_learner
    from .learner import Learner

    config = resolve_config(PushGraspTrainConfig, "cpu")
    size, k = config.env.heightmap_size, config.env.num_rotations
    rng = np.random.default_rng(0)
    color = rng.integers(0, 255, (1, size, size, 3), dtype=np.uint8)
    height = (rng.random((1, size, size)) * 0.06).astype(np.float32)
    learner = Learner(config, "cpu")
    with tempfile.TemporaryDirectory() as tmp:
        path = export_learner(learner, config, Path(tmp), [(color, height)])
        session = OnnxSession(path, None, threads=1)
        repeats = 3 if quick else 10
        ort_ms = median_time(lambda: session.run({"color": color, "height": height}), repeats=repeats) * 1000
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.no_grad():
            net = learner.net.eval()
            ct, ht = torch.from_numpy(color), torch.from_numpy(height)
            torch_ms = median_time(lambda: net(ct, ht), repeats=repeats) * 1000
    finally:
        torch.set_num_threads(threads)
    details = {"maps": 2 * k, "heightmap": size, "torch_eager_1thread_ms": torch_ms}
    return [BenchResult("pushgrasp", f"onnx_all_{2 * k}_maps_{size}px_1thread", ort_ms, "ms", "<= 150",
                        check(ort_ms, "<=", 150.0), details)]


RUNS_PER_CASE = 5  # one run per case swings completion by +-20 points


def latest_trained_run() -> RunDir | None:
    env = os.environ.get("GREENROOM_PUSHGRASP_RUN")
    if env:
        return RunDir.open(Path(env))
    root = runs_root() / "pushgrasp"
    for path in sorted(root.glob("*"), reverse=True) if root.is_dir() else []:
        run = RunDir(path)
        if (path / "config.yaml").is_file() and run.latest_checkpoint() is not None:
            return run
    return None


def bench_vpg_hard_cases(quick: bool) -> list[BenchResult]:
    from ..common.config import apply_overrides, load_config
    from .config import PushGraspTrainConfig
    from .evaluate import PAPER, SHARED_VPG, evaluate_policy
    from .learner import Learner

    run = latest_trained_run()
    if run is None or not (SHARED_VPG / "test-cases").is_dir():
        why = "no trained pushgrasp run (train one: greenroom train pushgrasp)" if run is None else f"{SHARED_VPG} absent"
        return [BenchResult("pushgrasp", "vpg_hard_cases_completion", float("nan"), "%", ">= 82.7", False, {"skipped": why})]
    config = apply_overrides(load_config(PushGraspTrainConfig, run.config_path), ["evaluate.runs=1" if quick else f"evaluate.runs={11 * RUNS_PER_CASE}"])
    state = run.load_checkpoint()
    learner = Learner(config, "cpu")
    learner.load_state_dict(state["learner"])  # type: ignore[index]
    with tempfile.TemporaryDirectory() as tmp:
        results = evaluate_policy(config, learner.q_maps, Path(tmp), scenarios=("vpg",), max_layouts=2 if quick else None)["vpg"]
    paper = dict(zip(("completion", "grasp_success", "action_efficiency"), PAPER["vpg"]["vpg"]))
    details = {"run": str(run.path), "iteration": int(state["iteration"]), "runs": results["runs"],  # type: ignore[index]
               "cases": results["cases"], "grasp_success_all": results["grasp_success_all"]}
    return [BenchResult("pushgrasp", f"vpg_hard_cases_{metric}", float(results[metric]), "%", f">= {paper[metric]} (paper VPG)",
                        check(float(results[metric]), ">=", paper[metric]), details)
            for metric in ("completion", "grasp_success", "action_efficiency")]


BENCHMARKS = {
    "train_iteration": bench_train_iteration,
    "heightmap": bench_heightmap,
    "onnx_inference": bench_onnx_inference,
    "vpg_hard_cases": bench_vpg_hard_cases,
}
