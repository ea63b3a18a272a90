"""Fin-ray benchmarks (``greenroom bench finray [--only NAME] [--quick]``).

* ``env_steps``: FinRay-v0 control steps per second per core (random actions, one process;
  steps per CPU-second of the process, so other load on a shared machine counts less; the
  wall-clock rate is in the details). Target >= 5,000.
* ``sync_vs_async``: the same SAC config trained synchronously (SB3 ``SAC.learn``) and
  asynchronously (2 actor processes + learner), same updates-per-sample (APT-RL demo ratio
  50 updates / 400 transitions = 0.125 by default), same step budget: samples/s and wall-clock
  until the running mean return first reaches a target (the mean return of a weak reference
  sinusoid, A 0.2 rad, 1.5 Hz, lag 0.6, on the same randomized episodes), as the ratio of the
  mean times over seeds 0-4 (an asynchronous run's samples to target vary ~10 % run to run;
  seeds 1-4 stop at the target). Both trainers run the same LeanSAC gradient step. Target:
  async >= 1.7x.
  On 2 cores the async learner (one thread) is the bottleneck, so the ratio is about 1 + (env and
  acting cost) / (update cost), and it falls as the update gets dearer: the default 4-frame
  observation history makes each update ~30 % dearer than the one-frame observation.
* ``update_cost``: ms per SAC gradient step of SB3's ``SAC.train`` and of LeanSAC's step (same
  networks, batch 128, one thread), side by side.
* ``sync_vs_async_no_history``: the same with ``env.history_steps=0``.
* ``openloop_search``: the best open-loop gait of every family (:mod:`greenroom.sim.finray.gaits`:
  sinusoid incl. overdriven, per-ray phases, 3-harmonic Fourier, trapezoid) on the 20 randomized
  evaluation episodes, ``BUDGET`` candidates per family (grid + refinement, CMA-ES); each optimum's
  place in its search ranges. Cached in ``benchmarks/results/finray-baseline.json`` by a hash of
  everything the search depends on (:mod:`.baseline`); a stale or missing cache is searched again.
* ``adaptation_ceiling``: the sinusoid searched on each evaluation episode alone (a gait tuned
  to that fin, :mod:`.ceiling`) vs the single best gait: what adapting the gait to the fin can gain.
* ``learned_vs_openloop``: the learned policy (``$FINRAY_BENCH_ONNX``, an exported policy; or
  ``$FINRAY_BENCH_RUN``, a run, exported here; default the bundled ``assets/policies/finray``)
  vs the best gait of every family on the same randomized episodes (target >= 20 %), on the
  out-of-range episodes (target > 0), and its efficiency vs the most efficient gait whose mean
  thrust reaches the thrust floor (the best sinusoid of the nominal fin).
"""
from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from ...sim.finray.config import FinRayEnvConfig
from ...sim.finray.env import FinRayEnv
from ...sim.finray.sinusoid import Sinusoid, evaluate_policy
from ..common.bench import BenchResult, check
from ..common.config import resolve_config, save_config
from ..common.rundir import RunDir

BENCH_EPISODES = 20  # shared seeds for the learned policy and every sinusoid of the grid
GROUP = "finray"
REFERENCE = Sinusoid(0.2, 1.5, 0.6)
TARGET_SEEDS = (0, 1, 2, 3, 4)  # seeds of the wall-clock-to-target pairs (seed 0: the full-budget pair)


def bench_env_steps(quick: bool) -> list[BenchResult]:
    env = FinRayEnv(FinRayEnvConfig())
    env.reset(seed=0)
    actions = np.random.default_rng(0).uniform(-1, 1, (1000, env.R)).astype(np.float32)
    steps = 2_000 if quick else 20_000
    rates_cpu, rates_wall = [], []
    for _ in range(3 if quick else 5):
        wall, cpu = time.perf_counter(), time.process_time()
        for k in range(steps):
            _, _, terminated, truncated, _ = env.step(actions[k % 1000])
            if terminated or truncated:
                env.reset()
        rates_cpu.append(steps / (time.process_time() - cpu))
        rates_wall.append(steps / (time.perf_counter() - wall))
    value = float(np.median(rates_cpu))
    physics = value * env.config.substeps
    return [BenchResult(GROUP, "env control steps/s per core", value, "steps/s", ">= 5000", check(value, ">=", 5000),
                        {"wall_steps_per_s": float(np.median(rates_wall)), "physics_steps_per_cpu_s": physics,
                         "substeps": env.config.substeps, "control_hz": env.config.control_hz})]


def bench_update_cost(quick: bool) -> list[BenchResult]:
    """ms per SAC gradient step, SB3 ``SAC.train`` vs :class:`LeanSAC`, cpu-preset networks, one thread."""
    import torch

    from .config import FinRayTrainConfig
    from .sac_common import make_sac

    torch.set_num_threads(1)
    config = FinRayTrainConfig()
    env = FinRayEnv(config.env)
    models = {"sb3": make_sac(config, env, lean=False), "lean": make_sac(config, env)}
    rng = np.random.default_rng(0)
    for model in models.values():
        for _ in range(2 * config.sac.batch_size):
            obs, next_obs = rng.normal(size=(2, *env.observation_space.shape)).astype(np.float32)
            model.replay_buffer.add(obs, next_obs, env.action_space.sample(), 0.0, False, [{}])
    steps = 20 if quick else 200
    times: dict[str, list[float]] = {name: [] for name in models}
    for _ in range(3 if quick else 7):  # alternate, so both see the same machine state
        for name, model in models.items():
            start = time.perf_counter()
            model.train(gradient_steps=steps, batch_size=config.sac.batch_size)
            times[name].append(1e3 * (time.perf_counter() - start) / steps)
    ms = {name: float(np.median(t)) for name, t in times.items()}
    return [BenchResult(GROUP, f"SAC update, {name}", value, "ms", details={"obs_dim": config.env.obs_dim,
                                                                             "net_arch": config.sac.net_arch})
            for name, value in ms.items()] + [
        BenchResult(GROUP, "LeanSAC / SB3 update time", ms["lean"] / ms["sb3"], "x", details=ms)]


def _bench_config(quick: bool, extra: tuple[str, ...] = ()):
    from .config import FinRayTrainConfig

    overrides = [*extra, "sac.updates_per_sample=0.125", "sac.net_arch=[128,128]", "sac.batch_size=128",
                 f"total_steps={2_000 if quick else 100_000}", "sac.learning_starts=500", "checkpoint_every=1000000",
                 "log_every=1000", "parallel.n_actors=2", "env.episode_seconds=2.0"]
    config = resolve_config(FinRayTrainConfig, "cpu", overrides)
    seeds = list(range(800_000, 800_005))
    reference = evaluate_policy(config.env, lambda: REFERENCE.policy(config.env), seeds)["return"]
    return dataclasses.replace(config, target_return=float(reference))


def _train(config, root: Path) -> tuple[RunDir, dict]:
    """Train ``config`` into a new run under ``root``; (run, training summary)."""
    from .async_trainer import train_async
    from .sync_trainer import train_sync

    run = RunDir.create("finray", root=root)
    save_config(config, run.config_path)
    return run, (train_sync if config.algo == "sync" else train_async)(config, run)


def bench_sync_vs_async(quick: bool, extra: tuple[str, ...] = (), label: str = "") -> list[BenchResult]:
    base = _bench_config(quick, extra)
    results: dict[str, dict] = {}
    reached: dict[int, dict[str, dict | None]] = {}
    with tempfile.TemporaryDirectory(prefix="finray-bench-") as tmp:
        for algo in ("sync", "async"):  # the whole budget: steady samples/s, and seed 0's time to target
            results[algo] = _train(dataclasses.replace(base, algo=algo), Path(tmp))[1]
        reached[base.seed] = {algo: results[algo]["target_reached"] for algo in results}
        for seed in () if quick else TARGET_SEEDS[1:]:  # asynchronous runs differ run to run: more seeds
            config = dataclasses.replace(base, seed=seed, stop_at_target=True)
            reached[seed] = {algo: _train(dataclasses.replace(config, algo=algo), Path(tmp))[1]["target_reached"]
                             for algo in ("sync", "async")}
    sync, asyn = results["sync"], results["async"]
    rate_ratio = asyn["samples_per_s"] / sync["samples_per_s"]
    return [
        BenchResult(GROUP, f"sync SAC samples/s{label}", sync["samples_per_s"], "samples/s", details=sync),
        BenchResult(GROUP, f"async SAC samples/s (2 actors){label}", asyn["samples_per_s"], "samples/s", details=asyn),
        BenchResult(GROUP, f"async/sync samples/s{label}", rate_ratio, "x", ">= 1.7", check(rate_ratio, ">=", 1.7),
                    {"updates_per_sample": {k: v["updates_per_sample"] for k, v in results.items()}}),
        _time_to_target_row(reached, base.target_return, label),
    ]


def _time_to_target_row(reached: dict[int, dict[str, dict | None]], target: float, label: str) -> BenchResult:
    """Mean sync / mean async wall-clock until the running mean return first reached ``target``, over seeds."""
    both = {seed: r for seed, r in reached.items() if r["sync"] and r["async"]}
    details = {"target_return": target, "per_seed": reached,
               "missed": sorted(seed for seed in reached if seed not in both)}
    name = f"async/sync wall-clock to target return{label}"
    if not both:
        return BenchResult(GROUP, name, float("nan"), "x", ">= 1.7", False, details)
    walls = {algo: float(np.mean([r[algo]["wall_time"] for r in both.values()])) for algo in ("sync", "async")}
    speedup = walls["sync"] / walls["async"]
    details.update(mean_wall_to_target_s=walls, seeds=sorted(both))
    return BenchResult(GROUP, name, speedup, "x", ">= 1.7", check(speedup, ">=", 1.7) and not details["missed"], details)


def bench_sync_vs_async_no_history(quick: bool) -> list[BenchResult]:
    """``sync_vs_async`` on the one-frame observation (``env.history_steps=0``): cheaper learner updates."""
    return bench_sync_vs_async(quick, ("env.history_steps=0",), " (no history)")


QUICK_GRID = {"amplitude": (0.6, 0.9), "frequency": (2.5, 3.0), "phase_lag": (0.4,)}


def _baseline_record(quick: bool) -> dict:
    """The cached open-loop baseline of the cpu preset's env (searched and cached when stale or absent);
    ``--quick``: a tiny search on 2 episodes, never cached."""
    from .baseline import cached_or_search, search_baseline
    from .config import FinRayTrainConfig

    env = resolve_config(FinRayTrainConfig, "cpu", []).env
    if quick:
        return search_baseline(env, episodes=2, budget=8, workers=1, grid=QUICK_GRID)
    return cached_or_search(env)


def bench_openloop_search(quick: bool) -> list[BenchResult]:
    """Best open-loop gait of every family on the randomized evaluation episodes (thrust), and where
    each optimum sits in its search ranges."""
    from .baseline import CACHE, load_cached
    from .config import FinRayTrainConfig

    cached = not quick and load_cached(resolve_config(FinRayTrainConfig, "cpu", []).env) is not None
    record = _baseline_record(quick)
    rows = []
    for name, fam in record["families"].items():
        rows.append(BenchResult(GROUP, f"open-loop {name}: best mean thrust", fam["summary"]["thrust"], "N",
                                "optimum inside the search ranges", not fam["on_edge"],
                                {"best": fam["best"], "evaluations": fam["evaluations"], "method": fam["method"],
                                 "bounds": fam["bounds"], "on_edge": fam["on_edge"], "history": fam["history"],
                                 "episodes": record["episodes"], "out_of_range": {
                                     k: v for k, v in fam["out_of_range"].items() if k != "per_episode"}}))
    rows.append(BenchResult(GROUP, "open-loop search wall time", record["wall_s"], "s",
                            details={"cache": str(CACHE), "from_cache": cached, "key": record["key"],
                                     "budget_per_family": record["budget"], "grid": record["grid"]}))
    return rows


def bench_learned_vs_openloop(quick: bool) -> list[BenchResult]:
    """The learned policy vs the best gait of every family (thrust) on the randomized and the
    out-of-range episodes, and its efficiency vs the most efficient gait above the thrust floor.
    Policy: ``$FINRAY_BENCH_ONNX`` (an exported policy), or the bundled one."""
    from .baseline import compare_learned
    from .config import FinRayTrainConfig
    from .runtime import FinRayRuntimePolicy

    with tempfile.TemporaryDirectory(prefix="finray-bench-") as tmp:
        if os.environ.get("FINRAY_BENCH_RUN"):
            from .export import export_run

            onnx = export_run(RunDir.open(Path(os.environ["FINRAY_BENCH_RUN"])), Path(tmp) / "export")
        else:
            onnx = Path(os.environ.get("FINRAY_BENCH_ONNX") or BUNDLED)
        policy = FinRayRuntimePolicy(onnx)
    env = resolve_config(FinRayTrainConfig, "cpu", []).env
    record = _baseline_record(quick)
    out = compare_learned(env, lambda obs, info: policy.act(obs), record)
    rnd, ood, eff = out["randomized"], out["out_of_range"], out["efficiency"]
    details = {"onnx": str(onnx), "episodes": record["episodes"]}
    rows = [BenchResult(GROUP, "learned vs best open-loop gait, thrust, randomized", rnd["gain_pct"], "%", ">= 20",
                        check(rnd["gain_pct"], ">=", 20.0), {**details, **rnd})]
    for name, gain in rnd["gain_pct_per_family"].items():
        rows.append(BenchResult(GROUP, f"learned vs best {name}, thrust, randomized", gain, "%", ">= 20",
                                check(gain, ">=", 20.0), {"learned": rnd["learned"], name: rnd["families"][name]}))
    rows.append(BenchResult(GROUP, "learned vs best open-loop gait, thrust, out-of-range", ood["gain_pct"], "%", "> 0",
                            check(ood["gain_pct"], ">", 0.0), {**details, **ood}))
    gain = eff["gain_pct"] if eff["gain_pct"] is not None else float("nan")
    rows.append(BenchResult(GROUP, "learned vs most efficient gait at thrust >= floor, efficiency", gain, "%",
                            "learned meets the floor", bool(eff["learned_meets_floor"]), eff))
    return rows


def bench_adaptation_ceiling(quick: bool) -> list[BenchResult]:
    """Per-episode-tuned sinusoid vs the cached baseline (``--quick``: 2 episodes, a 4-point grid)."""
    from .baseline import BUDGET
    from .ceiling import ceiling_rows, per_episode_tuned
    from .config import FinRayTrainConfig

    env = resolve_config(FinRayTrainConfig, "cpu", []).env
    record = _baseline_record(quick)
    tuned = per_episode_tuned(env, record["episodes"], 8 if quick else BUDGET, workers=1 if quick else 2,
                              grid=QUICK_GRID if quick else None)
    return ceiling_rows(record, tuned)


BUNDLED = Path(__file__).resolve().parents[2] / "assets" / "policies" / "finray" / "policy.onnx"

BENCHMARKS = {
    "env_steps": bench_env_steps,
    "update_cost": bench_update_cost,
    "sync_vs_async": bench_sync_vs_async,
    "sync_vs_async_no_history": bench_sync_vs_async_no_history,
    "openloop_search": bench_openloop_search,
    "learned_vs_openloop": bench_learned_vs_openloop,
    "adaptation_ceiling": bench_adaptation_ceiling,
}
