"""``greenroom bench pushgrasp``: training iteration, heightmap, ONNX inference, VPG hard cases.

- ``train_iteration``: median wall time of a full VPG iteration at the ``cpu`` preset (act, execute
  in pybullet, observe, label, one SGD step, one replay step), from a short real training run.
- ``heightmap``: ``heightmap()`` from a 640x480 RGB-D frame rendered by the simulator, at 2 mm
  (224^2) and 4 mm (112^2); the render time of the same frame is reported alongside.
- ``onnx_inference``: all 2k maps of the ``cpu`` preset net in one ONNX Runtime call, 1 thread,
  next to torch eager on the same input.
- ``parallel_collection``: training iterations per second, one process vs 2 simulator actors
  feeding one learner (``parallel.actors=2``, local processes), measured one after the other
  in the same bench run with the same preset and seed, start-up iterations left out.
- ``parallel_curve``: the learning curves per iteration of a one-process and an actors run
  (``curve_parity.py``): Fig. 4 checkpoints and the grasp-success difference with its interval.
- ``vpg_protocol``: Tables I (30 random blocks; ``table1_vpg_blocks``: the same test with VPG's 8
  meshes, as VPG's code runs it) and II (VPG's 11 hard cases) under VPG's own
  protocol (``protocols.py``: 30 runs per case, test-time learning, no failure mask, 10 no-change
  end rule) with the latest trained run (``$GREENROOM_PUSHGRASP_RUN`` or the newest
  ``runs/pushgrasp/*`` with a checkpoint), next to the paper's VPG row; with the synergy measures
  (share of pushes, grasp success right after a push vs without) in the details.
  ``$GREENROOM_BENCH_TABLES`` (e.g. ``table1,table2``) runs some of the tables only;
  ``$GREENROOM_BENCH_SIMULATOR`` (e.g. ``put_back_model=gentle``) changes simulator settings;
  ``$GREENROOM_BENCH_LAYOUT_SEED`` (default 10000) draws other layouts and physics.
- ``vpg_protocol_training_lr``: the same with test-time learning at the run's training lr (the
  ``cpu`` preset's 1e-3) instead of VPG's 1e-4: VPG's code tests at its training rate.
- ``deployment_protocol``: the same tables with the ONNX policy as deployed (failure mask, no
  learning), labelled as such.
- ``variants`` (``variants_bench.py``): the paper's variants table (Tables I-III): the newest run of each variant under
  VPG's protocol, next to the paper's row for that variant where it has one; each row's details
  carry the variant's training curves every 1,000 iterations, and the Fig. 4 plot of all variants
  goes to ``$GREENROOM_BENCH_FIGURES/pushgrasp-variants-fig4.png`` (default folder runs/bench).
  ``variants_curves``: only that Fig. 4 plot and each variant's final training grasp success, no
  protocol runs (variants benched in separate runs share one figure).
- ``edge_losses``: blocks lost off the workspace in 30-block clutter with the ONNX policy, simulator
  before and after the friction / lost-block fixes (``friction_model``, ``lost_rule``,
  ``grasp_descent_speed``, ``rolling_model``); ``mesh_losses``: the same on VPG's hard cases, VPG's
  meshes as voxel boxes loaded as given vs convex hulls and overlaps separated at load (``losses.py``).
- ``grasp_ceiling``: the simulator's grasp-success ceiling with a scripted oracle grasp
  (``ceiling.py``) on isolated blocks and on blocks touching others, at 8 and 16 rotations.
- ``grasp_ceiling_edge``: the same oracle, read off the heightmap, on one block resting across the
  workspace edge (partly outside the heightmap): the blocks VPG-protocol runs end stranded beside;
  again with the heightmap reaching 3.2 cm past the edge (``env.view_margin``), the same blocks.
- ``grasp_reach``: the share of top-down grasp poses (workspace grid x 16 rotations) the arm cannot
  reach, with one hand yaw per grasp vs either (``env.tool_yaw_model``; ``reach.py``).
- ``q_maxima``: push vs grasp map maxima of the latest trained run on the first frame of every test
  scene (``qscale.py``): how often greedy picks a grasp, and how far the maxima exceed 1 / (1 - gamma).
"""
from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path

import numpy as np

from ..common.bench import BenchResult, check, median_time
from .bench_settings import (SIMULATOR_SETTINGS, bench_layout_seed, bench_ranges, bench_runs,  # noqa: F401 (re-exported)
                             bench_simulator, bench_tables)
from .ceiling import bench_grasp_ceiling, bench_grasp_ceiling_edge
from .curve_parity import bench_parallel_curve
from .losses import bench_edge_losses, bench_mesh_losses
from .qscale import bench_q_maxima
from .reach import bench_grasp_reach
from .variants_bench import bench_variants, bench_variants_curves
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
        train(config, run, progress=True)
        rows = read_metrics(run.path / "metrics.csv")[2:]  # skip warm-up
    total = float(np.median([r["perf/iteration_s"] for r in rows]))
    sim = float(np.median([r["perf/sim_s"] for r in rows]))
    learn = float(np.median([r["perf/learn_s"] for r in rows]))
    details = {"preset": preset, "iterations": n, "sim_s": sim, "learn_s": learn, "threads": config.threads}
    return [BenchResult("pushgrasp", f"train_iteration_{preset}", total, "s", "<= 1.0", check(total, "<=", 1.0), details),
            BenchResult("pushgrasp", "train_iteration_sim_part", sim, "s", "", None, details),
            BenchResult("pushgrasp", "train_iteration_learn_part", learn, "s", "", None, details)]


def _steady_rate(rows: list[dict], skip: int) -> tuple[float, int]:
    """Iterations per second over the rows after the first ``skip`` (start-up), and how many were used."""
    times = [r["perf/iteration_s"] for r in rows[skip:]]
    return (1.0 / float(np.mean(times)) if times else float("nan")), len(times)


def bench_parallel_collection(quick: bool) -> list[BenchResult]:
    """Training iterations per second: one process vs ``parallel.actors=2`` (local backend), side by side.

    Same preset, iterations and seed; the first iterations of each (start-up: spawning actors,
    first resets) are left out of both rates.
    """
    from ..common.config import resolve_config
    from .config import PushGraspTrainConfig
    from .trainer import train

    n, skip = (8, 3) if quick else (60, 10)
    preset = "smoke" if quick else "cpu"
    # the ratio is only a 2-core figure on an otherwise idle machine: the load is recorded with it
    rates, details = {}, {"preset": preset, "iterations": n, "warmup_skipped": skip,
                          "load_average_before": list(os.getloadavg())}
    for label, extra in (("single", []), ("parallel", ["parallel.actors=2"])):
        config = resolve_config(PushGraspTrainConfig, preset, [f"iterations={n}", "log_every=1", f"checkpoint_every={n}",
                                                               *extra])
        with tempfile.TemporaryDirectory() as tmp:
            run = RunDir.create("pushgrasp-bench", Path(tmp))
            train(config, run, progress=True)  # the bar names the mode (pushgrasp / pushgrasp x2 actors)
            rows = read_metrics(run.path / "metrics.csv")
        rates[label], used = _steady_rate(rows, skip)
        details[f"{label}_iterations_per_s"] = rates[label]
        details[f"{label}_rows"] = used
        if label == "parallel":
            details["policy_lag_mean"] = float(np.mean([r["charts/policy_lag"] for r in rows[skip:]]))
    ratio = rates["parallel"] / rates["single"]
    details["load_average_after"] = list(os.getloadavg())
    return [BenchResult("pushgrasp", f"parallel_collection_speedup_{preset}", ratio, "x", ">= 1.8 (2 actors vs 1 process)",
                        None if quick else check(ratio, ">=", 1.8), details)]


def bench_heightmap(quick: bool) -> list[BenchResult]:
    from ...sim.pushgrasp.config import PushGraspEnvConfig
    from ...sim.pushgrasp.heightmap import fill_holes, heightmap
    from ...sim.pushgrasp.world import PushGraspWorld

    world = PushGraspWorld(PushGraspEnvConfig.paper())
    try:
        world.drop_random(10, np.random.default_rng(0))
        render_s = median_time(world.render, repeats=1 if quick else 3)
        color, depth = world.render()
        k, pose, ws = world.intrinsics, world.camera_pose, world.view
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


BUNDLED_POLICY = Path(__file__).resolve().parents[2] / "assets" / "policies" / "pushgrasp" / "pushgrasp.onnx"
METRICS = ("completion", "grasp_success", "action_efficiency")
SYNERGY = ("runs", "completed_runs", "push_share", "grasp_success_after_push", "grasps_after_push",
           "grasp_success_without_push", "grasps_without_push", "grasp_success_all", "action_efficiency_all",
           "mean_actions", "runs_with_lost_objects", "lost_objects_per_run", "runs_hitting_action_cap", "runs_ended",
           "no_change_runs_on_one_spot", "no_change_runs_left_on_edge", "blocks_left", "blocks_left_on_edge",
           "lost_by_primitive", "per_run")


def latest_trained_run(variant: str = "vpg") -> RunDir | None:
    """``$GREENROOM_PUSHGRASP_RUN``, else the newest run of ``variant`` with a checkpoint under
    ``runs/pushgrasp`` (runs of the other variants, trained for the variants table, are skipped)."""
    from ..common.config import load_config
    from .config import PushGraspTrainConfig

    env = os.environ.get("GREENROOM_PUSHGRASP_RUN")
    if env:
        return RunDir.open(Path(env))
    root = runs_root() / "pushgrasp"
    for path in sorted(root.glob("*"), reverse=True) if root.is_dir() else []:
        run = RunDir(path)
        if (path / "config.yaml").is_file() and run.latest_checkpoint() is not None \
                and load_config(PushGraspTrainConfig, run.config_path).variant == variant:
            return run
    return None


def _load_learner(run: RunDir):
    from ..common.config import load_config
    from .config import PushGraspTrainConfig
    from .learner import Learner

    config = load_config(PushGraspTrainConfig, run.config_path)
    state = run.load_checkpoint()
    learner = Learner(config, "cpu")
    learner.load_state_dict(state["learner"])  # type: ignore[index]
    return config, learner, int(state["iteration"])  # type: ignore[index]


def _protocol_rows(name: str, config, maps_fn, learner, source: dict, quick: bool, prefix: str = "",
                   method: str = "vpg") -> list[BenchResult]:
    """Tables I (clutter) and II (VPG's 11 cases) under protocol ``name``, next to the paper's ``method`` row."""
    from .evaluate import PAPER, PAPER_TABLE, evaluate_policy
    from .protocols import PROTOCOLS, protocol_config

    protocol = PROTOCOLS[name]
    config = protocol_config(bench_simulator(config), name, quick, runs=bench_runs())
    config = dataclasses.replace(config, evaluate=dataclasses.replace(
        config.evaluate, seed=bench_layout_seed(config.evaluate.seed)))
    tables = bench_tables()
    with tempfile.TemporaryDirectory() as tmp:
        results = evaluate_policy(config, maps_fn, Path(tmp), learner=learner if protocol.learning else None,
                                  scenarios=tuple(tables), max_layouts=2 if quick else None, label=f"{name} protocol: ")
    rows = []
    for scenario, table in tables.items():
        r = results[scenario]
        details = {"protocol": protocol.label, **source, "quick": quick, "test_lr": config.evaluate.test_lr,
                   "runs_per_case": config.evaluate.runs_per_case, "layout_seed": config.evaluate.seed,
                   "objects": "VPG test case" if scenario == "vpg" else config.evaluate.clutter_objects,
                   "blocks": config.env.blocks if scenario == "clutter" else "VPG's meshes",
                   "simulator": {k: getattr(config.env, k) for k in SIMULATOR_SETTINGS},
                   "push_edge_min_inward": config.env.geometry.push_edge_min_inward,
                   "ranges": bench_ranges(config), "view_margin": config.env.view_margin}
        prefix_ = prefix or f"{name}_protocol_"
        if "skipped" in r:
            rows.append(BenchResult("pushgrasp", f"{prefix_}{table}_completion", float("nan"), "%", "", False,
                                    {**details, "skipped": r["skipped"]}))
            continue
        details.update({k: r[k] for k in SYNERGY})
        if scenario == "vpg":
            details["cases"] = {case: {k: v[k] for k in (*METRICS, "runs", "push_share")} for case, v in r["cases"].items()}
        paper_row = PAPER[scenario].get(method)
        for i, metric in enumerate(METRICS):
            value = float(r[metric])
            target = f"paper {method} {paper_row[i]} ({PAPER_TABLE[scenario]})" if paper_row else "(no paper row)"
            passed = None if (quick or not paper_row or method != "vpg") else check(value, ">=", paper_row[i])
            rows.append(BenchResult("pushgrasp", f"{prefix_}{table}_{metric}", value, "%",
                                    f">= {target}" if passed is not None else target, passed, details))
    return rows


def bench_vpg_protocol(quick: bool) -> list[BenchResult]:
    """VPG's protocol (see protocols.py) on the latest trained run's checkpoint (torch: it learns at test time)."""
    run = latest_trained_run()
    if run is None:
        return [BenchResult("pushgrasp", "vpg_protocol_table1_completion", float("nan"), "%", ">= 100.0", False,
                            {"skipped": "no trained pushgrasp run with a checkpoint (greenroom train pushgrasp, or set "
                                        "GREENROOM_PUSHGRASP_RUN); the bundled ONNX policy cannot learn at test time"})]
    config, learner, iteration = _load_learner(run)
    return _protocol_rows("vpg", config, learner.q_maps, learner, {"policy": str(run.path), "iteration": iteration}, quick)


def bench_vpg_protocol_training_lr(quick: bool) -> list[BenchResult]:
    """VPG's protocol with test-time learning at the run's own training lr instead of ``evaluate.test_lr``.

    VPG's code tests with the optimizer it trained with (1e-4 both); the ``cpu`` preset trains its small
    trunk at 1e-3, so "the training rate" and "VPG's 1e-4" part here. Rows ``vpg_protocol_training_lr_*``."""
    import dataclasses

    run = latest_trained_run()
    if run is None:
        return [BenchResult("pushgrasp", "vpg_protocol_training_lr_table1_completion", float("nan"), "%", "", None,
                            {"skipped": "no trained pushgrasp run with a checkpoint"})]
    config, learner, iteration = _load_learner(run)
    config = dataclasses.replace(config, evaluate=dataclasses.replace(config.evaluate, test_lr=config.lr))
    return _protocol_rows("vpg", config, learner.q_maps, learner, {"policy": str(run.path), "iteration": iteration},
                          quick, prefix="vpg_protocol_training_lr_")


def figures_dir() -> Path:
    """Where benches write figures: ``$GREENROOM_BENCH_FIGURES`` (e.g. benchmarks/results), else runs/bench."""
    return Path(os.environ.get("GREENROOM_BENCH_FIGURES") or "runs/bench")


def bench_deployment_protocol(quick: bool) -> list[BenchResult]:
    """The deployment protocol on ONNX: ``$GREENROOM_PUSHGRASP_ONNX``, else the latest run exported now
    (parity-checked), else the bundled policy."""
    from ..common.config import resolve_config
    from .config import PushGraspTrainConfig
    from .evaluate import onnx_policy
    from .export import export_learner, replay_inputs

    with tempfile.TemporaryDirectory() as tmp:
        run = latest_trained_run()
        if os.environ.get("GREENROOM_PUSHGRASP_ONNX"):
            onnx, source = Path(os.environ["GREENROOM_PUSHGRASP_ONNX"]), {"policy": os.environ["GREENROOM_PUSHGRASP_ONNX"]}
            base = resolve_config(PushGraspTrainConfig, "cpu")
        elif run is not None:
            base, learner, iteration = _load_learner(run)
            onnx = export_learner(learner, base, Path(tmp), replay_inputs(run))
            source = {"policy": f"{run.path} exported to ONNX", "iteration": iteration}
        else:
            onnx, source = BUNDLED_POLICY, {"policy": "bundled assets/policies/pushgrasp/pushgrasp.onnx"}
            base = resolve_config(PushGraspTrainConfig, "cpu")
        config, maps_fn = onnx_policy(onnx, base)
        return _protocol_rows("deployment", config, maps_fn, None, source, quick)


BENCHMARKS = {
    "train_iteration": bench_train_iteration,
    "heightmap": bench_heightmap,
    "onnx_inference": bench_onnx_inference,
    "parallel_collection": bench_parallel_collection,
    "parallel_curve": bench_parallel_curve,
    "vpg_protocol": bench_vpg_protocol,
    "vpg_protocol_training_lr": bench_vpg_protocol_training_lr,
    "deployment_protocol": bench_deployment_protocol,
    "variants": bench_variants,
    "variants_curves": bench_variants_curves,
    "grasp_ceiling": bench_grasp_ceiling,
    "grasp_ceiling_edge": bench_grasp_ceiling_edge,
    "grasp_reach": bench_grasp_reach,
    "edge_losses": bench_edge_losses,
    "mesh_losses": bench_mesh_losses,
    "q_maxima": bench_q_maxima,
}
