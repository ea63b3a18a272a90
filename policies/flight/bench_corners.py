"""``greenroom bench flight --only corners``: whole hallways, corners included (issue 15's targets).

The policy of a ``cpu`` run (trained here unless ``GREENROOM_BENCH_FLIGHT_RUN`` names a finished
run; ``--quick``: the smoke preset) on ``eval.episodes`` = 30 held-out worlds and the same
worlds with the held-out appearance set (5 with ``--quick``), against, on the same seeds:
flying straight, random cells, the depth oracle and the ground-truth planner
(:mod:`greenroom.sim.flight.oracles`), both oracles on the policy's own action set. Beside
them, image-free, the two oracles on CAD2RL's fixed-speed action set (``cad2rl``) on the
held-out worlds: what the action set alone changes.

Targets (issue 15, item 3): mean collision-free distance >= 75 % of the 40 m cap and success
>= 50 % on both sets; policy >= 0.9x the ground-truth planner; policy >= 3x straight ahead;
training <= 20 min. Beside them the fair learned baseline: SB3 PPO trained with the trainer's
env processes and threads for the run's own training wall-clock (``baselines.train_ppo``), its
learning curve from SB3's monitor log in the details; ``GREENROOM_BENCH_FLIGHT_PPO=0`` leaves it
out (``--quick`` always does: the smoke preset's images are too small for its CNN). With
``$GREENROOM_BENCH_FIGURES`` set, the evaluation's learning-curve figure (policy and PPO) is
copied there as ``flight-corners-learning-curve.png``.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from ..common.bench import BenchResult, check
from ..common.rundir import read_metrics
from .config import FlightTrainConfig

TRAIN_BUDGET_S = 20 * 60


def _oracles_cad2rl(config: FlightTrainConfig, seeds: list[int]) -> dict[str, dict[str, float]]:
    """Depth oracle and ground-truth planner on the cad2rl action set (image-free, held-out worlds)."""
    from ...sim.flight.actions import ActionConfig
    from .envs import LazyRenderEnv
    from .evaluate import Episode, summarize

    env = LazyRenderEnv(replace(config.env, actions=ActionConfig.cad2rl()))
    env.render_enabled = False
    out: dict[str, dict[str, float]] = {}
    try:
        for name in ("oracle", "gt_oracle"):
            episodes = []
            for seed in tqdm(seeds, desc=f"cad2rl {name}", unit="episode", leave=False):
                env.reset(seed=seed)
                while True:
                    twist = env.depth_oracle_twist() if name == "oracle" else env.map_oracle_twist()
                    _, _, terminated, truncated, info = env.step(twist)
                    if terminated or truncated:
                        break
                success = not info["collision"] and info["distance"] >= config.env.max_distance - 1e-6
                episodes.append(Episode(name, "heldout-worlds", seed, float(info["distance"]), bool(info["collision"]),
                                        bool(success), 0))
            out[name] = summarize(episodes)
    finally:
        env.close()
    return out


def bench_corners(quick: bool) -> list[BenchResult]:
    from .bench_policy import bench_run
    from .evaluate import evaluate

    preset = "smoke" if quick else "cpu"
    run = bench_run(preset, "flight-corners")
    episodes = 5 if quick else 30
    with_ppo = not quick and os.environ.get("GREENROOM_BENCH_FLIGHT_PPO", "1") != "0"
    baselines = "straight,random,oracle,gt_oracle" + (",ppo" if with_ppo else "")
    summary = evaluate(run, None, preset, [f"eval.episodes={episodes}", f"eval.baselines=[{baselines}]",
                                           "eval.video_episodes=1"])
    from ..common.config import load_config

    config = load_config(FlightTrainConfig, run.config_path)
    cap = config.env.max_distance
    cad2rl = _oracles_cad2rl(config, summary["seeds"])
    meta = run.read_meta()
    train_s = float(meta.get("train_seconds", float("nan")))
    curve = [{k: round(v, 4) for k, v in row.items() if k in ("time/elapsed_s", "charts/phase", "losses/value",
                                                                 "charts/greedy_distance_m")}
             for row in read_metrics(run.path / "metrics.csv")]
    details: dict[str, Any] = {"run": str(run.path), "episodes": episodes, "cap_m": cap,
                               "actions": config.env.actions.to_dict(), "max_steps": config.env.max_steps,
                               "train_seconds": train_s, "eval_out": summary["out_dir"],
                               "metrics": summary["metrics"], "cad2rl_oracles_heldout_worlds": cad2rl,
                               "learning_curve": curve, "ppo": summary["notes"].get("ppo", "not run"),
                               "load_average_1_5_15_at_end": [round(x, 2) for x in os.getloadavg()],
                               "note": "train_seconds is the run's wall clock on a shared 2-core machine; read it with "
                                       "the machine's load (other jobs ran beside it)"}
    figures = os.environ.get("GREENROOM_BENCH_FIGURES")
    if figures and "learning_curve" in summary.get("files", {}):
        figure = Path(figures) / "flight-corners-learning-curve.png"
        figure.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(summary["files"]["learning_curve"], figure)
        details["learning_curve_figure"] = str(figure)
    results = [BenchResult("corners", "cpu training time", train_s / 60.0, "min", "<= 20",
                           check(train_s, "<=", TRAIN_BUDGET_S), details)]
    for world_set in ("heldout-worlds", "heldout-appearance"):
        rows = {m: s[world_set] for m, s in summary["metrics"].items()}
        policy = rows["policy"]
        results += [
            BenchResult("corners", f"policy mean distance ({world_set})", policy["mean_distance_m"], "m",
                        f">= {0.75 * cap:g}", check(policy["mean_distance_m"], ">=", 0.75 * cap)),
            BenchResult("corners", f"policy success rate ({world_set})", 100 * policy["success_rate"], "%", ">= 50",
                        check(policy["success_rate"], ">=", 0.5)),
            BenchResult("corners", f"policy / ground-truth planner ({world_set})",
                        policy["mean_distance_m"] / max(rows["gt_oracle"]["mean_distance_m"], 1e-9), "x", ">= 0.9",
                        check(policy["mean_distance_m"] / max(rows["gt_oracle"]["mean_distance_m"], 1e-9), ">=", 0.9)),
            BenchResult("corners", f"policy / straight ahead ({world_set})",
                        policy["mean_distance_m"] / max(rows["straight"]["mean_distance_m"], 1e-9), "x", ">= 3",
                        check(policy["mean_distance_m"] / max(rows["straight"]["mean_distance_m"], 1e-9), ">=", 3)),
        ]
        for method, label in (("oracle", "depth oracle"), ("gt_oracle", "ground-truth planner"),
                              ("straight", "straight ahead"), ("random", "random cells"), ("ppo", "PPO")):
            if method in rows:
                results.append(BenchResult("corners", f"{label} mean distance ({world_set})",
                                           rows[method]["mean_distance_m"], "m", "", None,
                                           {"success_rate": rows[method]["success_rate"]}))
    for method, label in (("oracle", "depth oracle"), ("gt_oracle", "ground-truth planner")):
        results.append(BenchResult("corners", f"{label} on cad2rl actions mean distance (heldout-worlds)",
                                   cad2rl[method]["mean_distance_m"], "m", "", None,
                                   {"success_rate": cad2rl[method]["success_rate"]}))
    return results
