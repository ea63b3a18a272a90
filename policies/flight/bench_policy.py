"""Flight policy benchmarks for ``greenroom bench flight --only quality,onnx,rollout``.

- ``quality``: the policy after the ``cpu`` training budget on held-out worlds, against flying
  straight (target >= 3x its mean distance) and the depth oracle (target >= 70 % of it), with
  the learning curve in the details. Trains a fresh ``cpu`` run under ``runs/bench/`` unless
  ``GREENROOM_BENCH_FLIGHT_RUN`` names a finished run to evaluate (``--quick``: smoke preset).
- ``onnx``: single-frame latency at 64x64, one thread, ONNX Runtime vs torch eager measured
  side by side (targets: ORT <= 1 ms and <= 0.3x torch).
- ``rollout``: Monte Carlo labelling throughput (env steps per second, branches included) with
  1 and 2 worker processes, on the same tasks.
- ``bundled``: the shipped policy ``assets/policies/flight/policy.onnx`` (ONNX Runtime, exactly
  what the ROS node runs) on 30 held-out worlds and the 30 held-out appearance worlds (``--quick``:
  5; ``$GREENROOM_BENCH_FLIGHT_EPISODES``: another count), against flying straight, random
  directions, the depth oracle and the ground-truth planner
  (issue 15's target: >= 0.9x the planner) on the same seeds. Its
  README quotes these figures from ``benchmarks/results/flight-bundled.json``.
- ``corners``: issue 15's targets (whole hallways with corners, both oracles, cad2rl vs the
  clearance action set): :mod:`.bench_corners`.
- ``turn_threshold``: the action set's turn-in-place threshold (and mirror averaging) chosen on
  validation worlds and the validation appearance set, then the run's own threshold and the choice
  on the held-out sets: :mod:`.bench_turn`.
"""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np

from ..common.bench import BenchResult, check, median_time
from ..common.config import resolve_config, save_config
from ..common.rundir import RunDir, read_metrics
from .config import FlightTrainConfig

RUN_ENV = "GREENROOM_BENCH_FLIGHT_RUN"
BUNDLED_POLICY = Path(__file__).resolve().parents[2] / "assets" / "policies" / "flight" / "policy.onnx"


INFERENCE_ENV = "GREENROOM_BENCH_FLIGHT_INFERENCE"
BUNDLED_EPISODES_ENV = "GREENROOM_BENCH_FLIGHT_EPISODES"


def bundled_episodes(quick: bool) -> int:
    """Episodes per held-out set of the ``bundled`` bench: 5 with ``--quick``, else
    ``$GREENROOM_BENCH_FLIGHT_EPISODES`` (default 30; seeds from ``eval.seed_start`` on, so a longer
    run extends the default one); ValueError naming the variable for anything but an integer >= 1."""
    if quick:
        return 5
    raw = os.environ.get(BUNDLED_EPISODES_ENV, "").strip() or "30"
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{BUNDLED_EPISODES_ENV}={raw!r}: give a whole number of episodes per held-out set, >= 1")
    return int(raw)


def bench_inference_overrides() -> list[str]:
    """``$GREENROOM_BENCH_FLIGHT_INFERENCE``: comma-separated settings that train nothing (the export's
    ``INFERENCE_SETTINGS``, e.g. ``network.mirror_average=true``) the policy benches evaluate the run with."""
    from .export import INFERENCE_SETTINGS

    items = [v.strip() for v in os.environ.get(INFERENCE_ENV, "").split(",") if v.strip()]
    bad = [item for item in items if "=" not in item or item.split("=", 1)[0].strip() not in INFERENCE_SETTINGS]
    if bad:
        raise ValueError(f"{INFERENCE_ENV} has {bad}; use key=value with keys from {', '.join(INFERENCE_SETTINGS)}")
    return items


def bench_run(preset: str, name: str) -> RunDir:
    """The run a quality benchmark evaluates: ``$GREENROOM_BENCH_FLIGHT_RUN`` if set, else a
    ``preset`` run trained now under ``runs/bench/<name>``."""
    from .trainer import train

    if os.environ.get(RUN_ENV):
        return RunDir.open(Path(os.environ[RUN_ENV]))
    config = resolve_config(FlightTrainConfig, preset, [])
    run = RunDir.create(name, root=Path("runs/bench"))
    save_config(config, run.config_path)
    run.write_meta(task="flight", preset=preset, bench=True)
    train(config, run, resume=False)
    return run


def bench_quality(quick: bool) -> list[BenchResult]:
    from .evaluate import evaluate

    preset = "smoke" if quick else "cpu"
    run = bench_run(preset, "flight-quality")
    episodes = 3 if quick else 20
    summary = evaluate(run, None, preset, [f"eval.episodes={episodes}", "eval.baselines=[straight,random,oracle]",
                                           "eval.video_episodes=0"])
    worlds = {m: s["heldout-worlds"] for m, s in summary["metrics"].items()}
    appearance = {m: s["heldout-appearance"] for m, s in summary["metrics"].items()}
    policy, straight, oracle = (worlds[m]["mean_distance_m"] for m in ("policy", "straight", "oracle"))
    vs_straight = policy / max(straight, 1e-9)
    vs_oracle = policy / max(oracle, 1e-9)
    curve = [{k: round(v, 4) for k, v in row.items() if k in ("time/elapsed_s", "charts/phase", "losses/value",
                                                                 "charts/greedy_distance_m")}
             for row in read_metrics(run.path / "metrics.csv")]
    details = {"run": str(run.path), "episodes": episodes, "heldout_worlds": worlds, "heldout_appearance": appearance,
               "learning_curve": curve, "train_seconds": run.read_meta().get("train_seconds")}
    return [
        BenchResult("quality", "policy mean distance (held-out worlds)", policy, "m", "", None, details),
        BenchResult("quality", "policy / straight-ahead distance", vs_straight, "x", ">= 3", check(vs_straight, ">=", 3)),
        BenchResult("quality", "policy / depth-oracle distance", vs_oracle, "x", ">= 0.7", check(vs_oracle, ">=", 0.7)),
        BenchResult("quality", "policy / oracle (held-out appearance)",
                    appearance["policy"]["mean_distance_m"] / max(appearance["oracle"]["mean_distance_m"], 1e-9), "x"),
        BenchResult("quality", "straight-ahead mean distance", straight, "m"),
        BenchResult("quality", "depth-oracle mean distance", oracle, "m"),
    ]


def bench_onnx(quick: bool) -> list[BenchResult]:
    import torch

    from ..runtime.flight import FlightRuntimePolicy
    from .export import export_policy
    from .network import build_network

    config = FlightTrainConfig.cpu()
    size = config.env.image_size
    torch.manual_seed(0)
    net = build_network(config).eval()
    frames = np.random.default_rng(0).integers(0, 256, (256, size, size, 3), dtype=np.uint8)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            policy = FlightRuntimePolicy(export_policy(net, config, Path(tmp), frames), threads=1)
            image = frames[0]
            tensor = torch.from_numpy(image)[None]

            def torch_once() -> None:
                with torch.no_grad():
                    net(tensor).flatten(1).argmax(1)

            number, repeats = (20, 5) if quick else (200, 15)
            for _ in range(50):
                policy.act(image), torch_once()
            ort_s = median_time(lambda: policy.act(image), repeats, number)
            torch_s = median_time(torch_once, repeats, number)
    finally:
        torch.set_num_threads(threads)
    ratio = ort_s / torch_s
    details = {"image": f"{size}x{size} uint8", "threads": 1, "torch_ms": torch_s * 1e3,
               "note": "ORT time includes contract checks of the input and the in-graph argmax + twist lookup"}
    return [BenchResult("onnx", "ORT single-frame latency (1 thread)", ort_s * 1e3, "ms", "<= 1", check(ort_s * 1e3, "<=", 1.0), details),
            BenchResult("onnx", "torch eager single-frame latency (1 thread)", torch_s * 1e3, "ms"),
            BenchResult("onnx", "ORT / torch eager", ratio, "x", "<= 0.3", check(ratio, "<=", 0.3))]


def bench_rollout(quick: bool) -> list[BenchResult]:
    import torch

    from .backends import RolloutPool
    from .network import build_network
    from .rollout import MONTE_CARLO, RolloutResult, RolloutTask
    from .trainer import cpu_weights, make_tasks

    config = resolve_config(FlightTrainConfig, "cpu", ["rollout.chunk_states=8"])   # 6 even tasks
    torch.manual_seed(0)
    weights = cpu_weights(build_network(config))
    states = 16 if quick else 96
    tasks = make_tasks(config, MONTE_CARLO, states, 0, weights)
    results = []
    rates = {}
    for workers in (1, 2):
        with RolloutPool(config, workers=workers, backend="process") as pool:
            # start every worker process (imports, first world) before timing
            list(pool.map([RolloutTask(MONTE_CARLO, 10_000 + i, 1, i, weights) for i in range(workers)]))
            start = time.perf_counter()
            result = RolloutResult.concat(list(pool.map(tasks)))
            elapsed = time.perf_counter() - start
        rates[workers] = result.env_steps / elapsed
        results.append(BenchResult("rollout", f"MC rollout env steps/s, {workers} worker(s)", rates[workers], "steps/s", "",
                                   None, {"states": states, "env_steps": result.env_steps, "seconds": elapsed,
                                          "labelled_states_per_s": states / elapsed}))
    results.append(BenchResult("rollout", "speed-up 2 vs 1 worker", rates[2] / rates[1], "x", "", None,
                               {"cpus": os.cpu_count()}))
    return results


def bench_bundled(quick: bool) -> list[BenchResult]:
    """The shipped ONNX policy vs straight / random / depth oracle / ground-truth planner on the same
    held-out seeds (issue 15's target: >= 0.9x the planner on each set)."""
    from .evaluate import evaluate

    if not BUNDLED_POLICY.is_file():
        raise FileNotFoundError(f"{BUNDLED_POLICY}: the bundled flight policy is missing")
    episodes = bundled_episodes(quick)
    with tempfile.TemporaryDirectory() as tmp:
        summary = evaluate(None, BUNDLED_POLICY, "cpu", [f"eval.episodes={episodes}",
                                                        "eval.baselines=[straight,random,oracle,gt_oracle]",
                                                        "eval.video_episodes=0"], out_dir=Path(tmp))
    metrics = summary["metrics"]
    results = []
    for world_set in ("heldout-worlds", "heldout-appearance"):
        rows = {m: s[world_set] for m, s in metrics.items()}
        policy, straight, oracle, planner = (rows[m]["mean_distance_m"] for m in ("policy", "straight", "oracle", "gt_oracle"))
        results += [
            BenchResult("bundled", f"policy mean distance ({world_set})", policy, "m", "", None,
                        {"episodes": episodes, "model": BUNDLED_POLICY.name, "metrics": rows}),
            BenchResult("bundled", f"policy / straight-ahead ({world_set})", policy / max(straight, 1e-9), "x"),
            BenchResult("bundled", f"policy / depth oracle ({world_set})", policy / max(oracle, 1e-9), "x"),
            BenchResult("bundled", f"policy / ground-truth planner ({world_set})", policy / max(planner, 1e-9), "x",
                        ">= 0.9", None if quick else check(policy / max(planner, 1e-9), ">=", 0.9)),
        ]
    return results


def bench_corners(quick: bool) -> list[BenchResult]:
    """Issue 15's targets: see :mod:`.bench_corners`."""
    from .bench_corners import bench_corners as run

    return run(quick)


def bench_turn_threshold(quick: bool) -> list[BenchResult]:
    """When to turn in place: see :mod:`.bench_turn`."""
    from .bench_turn import bench_turn_threshold as run

    return run(quick)


def bench_appearance_breakdown(quick: bool) -> list[BenchResult]:
    """Each held-out image on every surface: see :mod:`.bench_appearance`."""
    from .bench_appearance import bench_appearance_breakdown as run

    return run(quick)


def bench_oracle_clearance(quick: bool) -> list[BenchResult]:
    """The depth oracle with the edge columns' clearance beyond the image or not: see :mod:`.bench_clearance`."""
    from .bench_clearance import bench_oracle_clearance as run

    return run(quick)


POLICY_BENCHMARKS = {"quality": bench_quality, "onnx": bench_onnx, "rollout": bench_rollout,
                     "bundled": bench_bundled, "corners": bench_corners, "turn_threshold": bench_turn_threshold,
                     "appearance_breakdown": bench_appearance_breakdown, "oracle_clearance": bench_oracle_clearance}
