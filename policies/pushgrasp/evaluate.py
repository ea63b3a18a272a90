"""Evaluation: completion, grasp success, action efficiency and the synergy measures over N runs.

Scenarios: ``random`` (10 random blocks), ``clutter`` (30 random blocks: the paper's Table I
test), ``clutter_vpg`` (the same with the blocks drawn from VPG's 8 meshes, as VPG's code runs
Table I; skipped without them), ``hard`` (project-generated hard arrangements), ``vpg`` (VPG's
test-case files with their meshes: Table II). Hard and vpg run every layout ``runs_per_case`` times (default
ceil(runs / layouts)), so no layout counts more than another. A run ends when its successful
grasps reach its number of objects, after ``env.max_no_change`` (10) consecutive no-change
actions, when the workspace is empty, or at the action cap (``max_actions_per_object`` x objects,
0 = none; ``env.max_actions``). Metric definitions: :mod:`.metrics`. VPG's protocol and the
deployment protocol as configurations: :mod:`.protocols`. A tqdm bar per scenario shows the
current layout and the running completion.

Outputs in ``RUN/eval`` (or ``runs/pushgrasp-eval/<time>``): summary.json, table.md (paper
numbers alongside), learning_curve.png (grasp success over the last 200 grasps), qmaps-*.png.
"""
from __future__ import annotations

import copy
import dataclasses
import json
import math
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from ...sim.pushgrasp.env import PushGraspEnv
from ...sim.pushgrasp.geometry import mask_invalid_pushes
from ...sim.pushgrasp.testcases import hard_cases, load_vpg_test_case
from ..runtime.failure_memory import FailureMemory
from ..common.config import apply_overrides, load_config, resolve_config
from ..common.rundir import RunDir, atomic_write_json, atomic_write_text, runs_root
from .config import PushGraspTrainConfig
from .metrics import RunResult, summarize
from .plots import learning_curve_plot, qmap_figure

# VPG's test cases + meshes: $GREENROOM_VPG_DIR, else ../shared/vpg beside the repository checkout
SHARED_VPG = Path(os.environ.get("GREENROOM_VPG_DIR", Path(__file__).resolve().parents[3] / "shared" / "vpg"))

# Paper tables (completion, grasp success, action efficiency), mean %
PAPER = {
    "clutter": {"grasping-only": (90.9, 55.8, 55.8), "pg-reactive": (54.5, 59.4, 47.7), "vpg": (100.0, 67.7, 60.9)},
    "vpg": {"grasping-only": (40.6, 51.7, 51.7), "pg-reactive": (48.2, 59.0, 46.4), "vpg": (82.7, 77.2, 60.1),
            "vpg-myopic": (79.1, 74.3, 53.7)},
}
PAPER["clutter_vpg"] = PAPER["clutter"]  # Table I's test with the blocks drawn from VPG's own 8 meshes
PAPER_TABLE = {"clutter": "Table I (30 random objects)", "clutter_vpg": "Table I (30 random objects)",
               "vpg": "Table II/III (VPG's 11 hard cases)"}

MapsFn = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def greedy(maps: tuple[np.ndarray, np.ndarray], grasp_only: bool,
           push_valid: np.ndarray | None = None) -> tuple[int, int, int, int]:
    """Argmax over both maps (grasp wins ties); ``push_valid`` (:func:`valid_push_mask`) drops the pushes
    that cannot move."""
    push, grasp = maps
    if push_valid is not None:
        push = mask_invalid_pushes(push, push_valid)
    primitive = 1 if (grasp_only or grasp.max() >= push.max()) else 0
    chosen = grasp if primitive else push
    r, y, x = np.unravel_index(int(np.argmax(chosen)), chosen.shape)
    return (primitive, int(r), int(y), int(x))


def choose(maps: tuple[np.ndarray, np.ndarray], height: np.ndarray, grasp_only: bool,
           memory: FailureMemory | None, push_valid: np.ndarray | None = None) -> tuple[int, int, int, int]:
    """:func:`greedy`, skipping the cells ``memory`` masks (then remembered as executed on ``height``)."""
    if memory is None:
        return greedy(maps, grasp_only, push_valid)
    masked = memory.mask(np.stack(maps), height)
    action = greedy((masked[0], masked[1]), grasp_only, push_valid)
    memory.executed(action, height)
    return action


LearnFn = Callable[..., "tuple[np.ndarray, np.ndarray] | None"]


def rollout(env: PushGraspEnv, maps_fn: MapsFn, options: dict[str, Any], seed: int, grasp_only: bool,
            max_actions: int, learn: LearnFn | None = None,
            on_first: Callable[[dict[str, np.ndarray], tuple[np.ndarray, np.ndarray]], None] | None = None,
            avoid_repeats: bool = False) -> RunResult:
    """One test run from a reset with ``options`` (``max_actions`` 0: no cap but the env's own).

    ``learn(obs, action, info, terminated, next_obs)`` trains online (VPG's test-time learning)
    and returns the next state's maps, computed before its update (VPG acts on them), or None.
    ``avoid_repeats``: choose with a :class:`FailureMemory` (the ROS node's default).
    """
    obs, info = env.reset(seed=seed, options=options)
    rolling = info.get("randomization", {}).get("friction", {}).get("rolling", math.nan)
    result = RunResult(objects=info["num_objects"], seed=seed, rolling_m=float(rolling))
    memory = FailureMemory(env.config.resolution) if avoid_repeats else None
    push_valid = env.config.valid_pushes()
    maps = None
    while True:
        if max_actions and result.actions >= max_actions:
            result.ended = "action_cap"
            break
        maps = maps if maps is not None else maps_fn(obs["color"], obs["height"])
        if on_first is not None and result.actions == 0:
            on_first(obs, maps)
        action = choose(maps, obs["height"], grasp_only, memory, push_valid)
        next_obs, _, terminated, truncated, info = env.step(np.array(action))
        result.record(action[0], bool(info["grasp_success"]), (action[2], action[3]), int(info.get("lost_objects", 0)))
        result.left, result.left_on_edge = int(info["num_objects"]), int(info.get("objects_on_edge", 0))
        maps = learn(obs, action, info, terminated, next_obs) if learn is not None else None
        obs = next_obs
        if result.completed:
            result.ended = "cleared"
        elif terminated:
            result.ended = "empty"
        elif truncated:
            result.ended = ("recovered" if info.get("recovered") else
                            "no_change" if info.get("no_change", 0) >= env.config.max_no_change else "action_cap")
        if result.ended:
            break
    return result


def scenario_layouts(config: PushGraspTrainConfig, scenario: str) -> list[dict[str, Any]]:
    """Reset options of each distinct layout of a scenario (a run cycles through them)."""
    ev = config.evaluate
    if scenario == "random":
        return [{"num_objects": ev.random_objects}]
    if scenario == "clutter":
        return [{"num_objects": ev.clutter_objects}]
    if scenario == "hard":
        return [{"objects": case} for case in hard_cases(ev.hard_cases, seed=ev.seed, workspace=config.env.workspace)]
    mesh_dir = Path(ev.vpg_mesh_dir) if ev.vpg_mesh_dir else SHARED_VPG / "blocks"
    if scenario == "clutter_vpg":  # Table I's test as VPG's code runs it: random blocks of its 8 meshes
        if not any(mesh_dir.glob("*.obj")):
            raise FileNotFoundError(f"no VPG block meshes in {mesh_dir} (set evaluate.vpg_mesh_dir or drop "
                                    "'clutter_vpg' from evaluate.scenarios)")
        return [{"num_objects": ev.clutter_objects, "blocks": str(mesh_dir)}]
    cases_dir = Path(ev.vpg_cases_dir) if ev.vpg_cases_dir else SHARED_VPG / "test-cases"
    files = sorted(cases_dir.glob("*.txt")) if cases_dir.is_dir() else []
    if not files:
        raise FileNotFoundError(f"no VPG test cases in {cases_dir} (set evaluate.vpg_cases_dir or drop 'vpg' from "
                                "evaluate.scenarios)")
    return [{"objects": load_vpg_test_case(f, mesh_dir, config.env.workspace), "name": f.stem} for f in files]


def layout_runs(config: PushGraspTrainConfig, scenario: str, layouts: int) -> int:
    """Runs of one scenario: ``runs``; hard/vpg: a whole number of runs per layout."""
    ev = config.evaluate
    if scenario not in ("hard", "vpg"):
        return ev.runs
    return (ev.runs_per_case or math.ceil(ev.runs / layouts)) * layouts


def evaluate_policy(config: PushGraspTrainConfig, maps_fn: MapsFn, out_dir: Path, learner: Any = None,
                    scenarios: tuple[str, ...] | None = None, max_layouts: int | None = None,
                    progress: bool = True, label: str = "") -> dict[str, Any]:
    """Run every scenario; ``learner`` (torch) enables VPG's test-time learning when configured.

    ``max_layouts`` keeps only the first layouts of the hard/vpg scenarios (quick checks);
    ``label`` prefixes the progress bar (e.g. the protocol).
    """
    ev = config.evaluate
    env = PushGraspEnv(config.env)
    results: dict[str, Any] = {}
    try:
        for scenario in scenarios or ev.scenarios:
            try:
                layouts = scenario_layouts(config, scenario)[:max_layouts]
            except FileNotFoundError as exc:
                results[scenario] = {"skipped": str(exc)}
                continue
            runs: list[RunResult] = []
            per_case: dict[str, list[RunResult]] = {}
            n_runs = layout_runs(config, scenario, len(layouts))
            bar = tqdm(range(n_runs), desc=f"{label}{scenario}", unit="run", disable=not progress, leave=True)
            for i in bar:
                layout = layouts[i % len(layouts)]
                name = layout.get("name", f"layout-{i % len(layouts)}")
                options = {k: v for k, v in layout.items() if k != "name"}
                count = len(options["objects"]) if "objects" in options else options["num_objects"]
                done = sum(r.completed for r in runs)
                bar.set_postfix_str(f"case {name}, completion so far {100 * done / max(1, len(runs)):.0f}% "
                                    f"({done}/{len(runs)})")
                learn, restore = _online(learner, config) if (learner is not None and ev.test_time_learning) else (None, None)
                qmap_hook = (lambda o, m, s=scenario: qmap_figure(o, m, out_dir / f"qmaps-{s}.png")) if i == 0 else None
                result = rollout(env, maps_fn, options, seed=ev.seed + i, grasp_only=config.grasp_only,
                                 max_actions=ev.max_actions_per_object * count, learn=learn, on_first=qmap_hook,
                                 avoid_repeats=ev.avoid_repeats)
                if restore is not None:
                    restore()
                runs.append(result)
                per_case.setdefault(name, []).append(result)
            done = sum(r.completed for r in runs)
            bar.set_postfix_str(f"completion {100 * done / max(1, len(runs)):.0f}% ({done}/{len(runs)})")
            bar.close()
            results[scenario] = {**summarize(runs), "cases": {k: summarize(v) for k, v in per_case.items()}}
    finally:
        env.close()
    return results


def _online(learner: Any, config: PushGraspTrainConfig):
    """VPG's test-time learning: one SGD step on each executed action at ``evaluate.test_lr`` (no
    replay, no exploration: VPG main.py with --is_testing); the weights are restored after the run."""
    saved = copy.deepcopy(learner.state_dict())

    def learn(obs, action, info, terminated, next_obs) -> tuple[np.ndarray, np.ndarray]:
        next_maps = learner.q_maps(next_obs["color"], next_obs["height"])
        label = learner.label(action[0], info["grasp_success"], info["changed"], terminated, next_maps,
                              int(info.get("lost_objects", 0)))
        learner.train_step(obs["color"], obs["height"], action, label, lr=config.evaluate.test_lr)
        return next_maps

    return learn, (lambda: learner.load_state_dict(saved))


def markdown_table(config: PushGraspTrainConfig, results: dict[str, Any]) -> str:
    ev = config.evaluate
    lines = [f"# VPG evaluation ({config.variant}; {ev.runs} runs of random/clutter, "
             f"{ev.runs_per_case or 'ceil(runs / layouts)'} per hard/vpg layout; test-time learning "
             f"{'on' if ev.test_time_learning else 'off'}, failure mask {'on' if ev.avoid_repeats else 'off'})", "",
             "| Scenario | Method | Completion % | Grasp success % | Action efficiency % | Runs | Pushes % "
             "| Grasp success after a push % (n) | without % (n) |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for scenario, r in results.items():
        if "skipped" in r:
            lines.append(f"| {scenario} | (skipped: {r['skipped']}) | | | | | | | |")
            continue
        lines.append(f"| {scenario} | greenroom {config.variant} | {r['completion']:.1f} | {r['grasp_success']:.1f} | "
                     f"{r['action_efficiency']:.1f} | {r['runs']} | {r['push_share']:.1f} | "
                     f"{r['grasp_success_after_push']:.1f} ({r['grasps_after_push']}) | "
                     f"{r['grasp_success_without_push']:.1f} ({r['grasps_without_push']}) |")
        for method, (c, g, e) in PAPER.get(scenario, {}).items():
            lines.append(f"| {scenario} | paper {method} ({PAPER_TABLE[scenario]}) | {c:.1f} | {g:.1f} | {e:.1f} | 30 "
                         "| | | |")
    lines += ["", "Paper reference (Zeng et al. 2018, mean %; completion / grasp success / action efficiency):"]
    for scenario, table in PAPER.items():
        rows = "; ".join(f"{m} {c:.1f} / {g:.1f} / {e:.1f}" for m, (c, g, e) in table.items())
        lines.append(f"- {PAPER_TABLE[scenario]} (scenario '{scenario}'): {rows}")
    lines.append("- 'random' (10 objects) has no paper table (Fig. 4 curves only); 'hard' cases are greenroom's own.")
    return "\n".join(lines) + "\n"


def onnx_policy(onnx: Path, base: PushGraspTrainConfig) -> tuple[PushGraspTrainConfig, MapsFn]:
    """An exported policy's maps function and ``base`` with the env settings its contract fixes."""
    from .runtime import PushGraspRuntimePolicy

    policy = PushGraspRuntimePolicy(onnx, avoid_repeats=False)  # rollout applies the failure mask itself
    env = dataclasses.replace(base.env, resolution=policy.resolution, num_rotations=policy.num_rotations,
                              workspace=policy.workspace, view_margin=policy.view_margin, geometry=policy.geometry,
                              tool_yaw_model=policy.tool_yaw_model)
    return dataclasses.replace(base, env=env, variant=policy.contract.spec.get("variant", base.variant)), policy.maps


def evaluate(run: RunDir | None, onnx: Path | None, preset: str, overrides: list[str]) -> dict[str, Any]:
    """``greenroom evaluate``: a run's latest checkpoint (torch) or an exported ONNX policy."""
    learner = None
    if run is not None and onnx is None:
        config = apply_overrides(load_config(PushGraspTrainConfig, run.config_path), overrides)
        from .learner import Learner

        state = run.load_checkpoint()
        if state is None:
            raise FileNotFoundError(f"run {run.path} has no checkpoint to evaluate")
        learner = Learner(config, "cpu")
        learner.load_state_dict(state["learner"])
        maps_fn: MapsFn = learner.q_maps
        out_dir = run.eval_dir
    else:
        config, maps_fn = onnx_policy(onnx, resolve_config(PushGraspTrainConfig, preset, overrides))  # type: ignore[arg-type]
        out_dir = run.eval_dir if run is not None else runs_root() / "pushgrasp-eval" / time.strftime("%Y%m%d-%H%M%S")
    out_dir.mkdir(parents=True, exist_ok=True)
    results = evaluate_policy(config, maps_fn, out_dir, learner)
    summary = {"variant": config.variant, "runs_per_scenario": config.evaluate.runs, "results": results,
               "paper": {k: {m: dict(zip(("completion", "grasp_success", "action_efficiency"), v)) for m, v in t.items()}
                         for k, t in PAPER.items()}}
    if run is not None and (run.path / "transitions.csv").is_file():
        summary["learning_curve"] = str(learning_curve_plot(run.path / "transitions.csv", out_dir / "learning_curve.png"))
    atomic_write_json(out_dir / "summary.json", summary)
    atomic_write_text(out_dir / "table.md", markdown_table(config, results))
    summary["table"] = str(out_dir / "table.md")
    return json.loads(json.dumps(summary, default=str))
