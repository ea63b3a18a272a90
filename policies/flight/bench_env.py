"""Flight env benchmark (``greenroom bench flight --only env``).

Measured side by side in one run, on the ``cpu`` preset (64x64 RGB) with every randomization
group on, flying random direction-grid actions (CAD2RL-style exploration; crashes make resets
frequent, as in early training):

- env steps/s in one process, and in two processes started together (multiprocessing, spawn);
- the time split per step: physics (MuJoCo steps), rendering (scene update, render, readback,
  image degradation), randomization/reset (per-episode randomization, world regeneration);
- the floor: the same world rendered from the same poses by a bare ``mujoco.Renderer``
  (``update_scene`` + ``render``), in the same process right after the env run.

Targets: >= 500 steps/s in one process; env step <= 1.5x the bare render; two processes >= 1.8x
one; reset (including world generation) <= 50 ms amortized.
"""
from __future__ import annotations

import multiprocessing as mp
import time
from typing import Any

import numpy as np

from ..common.bench import BenchResult, check

GROUP = "env"


def _run_env(steps: int, seed: int, barrier: Any = None) -> dict[str, Any]:
    """Step a cpu-preset FlightEnv ``steps`` times; returns timings and the bare-render floor."""
    import mujoco

    from greenroom.sim.flight.config import FlightEnvConfig
    from greenroom.sim.flight.env import FlightEnv

    env = FlightEnv(FlightEnvConfig.cpu())
    rng = np.random.default_rng(seed)
    twists = env.grid.twists()
    env.reset(seed=seed)
    env.step(twists[env.grid.center_index()])        # warm up (GL context, first world)
    env.timing.update({k: 0 if isinstance(v, int) else 0.0 for k, v in env.timing.items()})
    if barrier is not None:
        barrier.wait()
    poses: list[np.ndarray] = []
    step_time, wall_start = 0.0, time.perf_counter()
    done = False
    for _ in range(steps):
        if done:
            env.reset()
            poses = []
        t0 = time.perf_counter()
        _, _, terminated, truncated, _ = env.step(twists[rng.integers(len(twists))])
        step_time += time.perf_counter() - t0
        poses.append(env.data.qpos.copy())
        done = terminated or truncated
    wall = time.perf_counter() - wall_start
    timing = dict(env.timing)

    # floor: a bare mujoco.Renderer on the same model, same camera, same poses
    model, data = env.model, env.data
    bare = mujoco.Renderer(model, env.config.image_size, env.config.image_size)
    option = mujoco.MjvOption()
    option.geomgroup[:] = env._scene_option.geomgroup
    camera = model.camera("fpv").id
    replay = (poses * (1 + 200 // max(len(poses), 1)))[:max(200, len(poses))]
    bare.update_scene(data, camera=camera, scene_option=option)
    bare.render()
    bare_time = 0.0
    for qpos in replay:
        data.qpos[:] = qpos
        mujoco.mj_kinematics(model, data)
        mujoco.mj_camlight(model, data)
        t0 = time.perf_counter()
        bare.update_scene(data, camera=camera, scene_option=option)
        bare.render()
        bare_time += time.perf_counter() - t0
    bare.close()
    env.close()
    return {"steps": steps, "wall_s": wall, "step_s": step_time, "bare_render_s": bare_time / len(replay),
            "timing": timing}


def _two_processes(steps: int) -> list[dict[str, Any]]:
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(2)
        with ctx.Pool(2) as pool:
            jobs = [pool.apply_async(_run_env, (steps, 100 + k, barrier)) for k in range(2)]
            return [job.get(timeout=600) for job in jobs]


def bench_env(quick: bool) -> list[BenchResult]:
    """Env throughput, time split, bare-render floor, two-process scaling, reset cost."""
    steps = 300 if quick else 3000
    one = _run_env(steps, seed=0)
    t = one["timing"]
    rate = steps / one["wall_s"]
    step_ms = 1e3 * one["step_s"] / steps
    bare_ms = 1e3 * one["bare_render_s"]
    resets = max(t["resets"], 1)
    reset_ms = 1e3 * t["reset"] / resets
    details = {"steps": steps, "episodes": t["resets"], "worlds_built": t["worlds"],
               "world_build_ms_each": 1e3 * t["world"] / max(t["worlds"], 1)}
    results = [
        BenchResult(GROUP, "steps/s, 1 process (64x64 RGB, all randomization)", rate, "steps/s", ">= 500",
                    check(rate, ">=", 500), details),
        BenchResult(GROUP, "physics per step", 1e3 * t["physics"] / steps, "ms"),
        BenchResult(GROUP, "rendering per step (incl. image noise/blur/gamma)", 1e3 * t["render"] / steps, "ms"),
        BenchResult(GROUP, "randomization/reset per step (amortized)", 1e3 * t["reset"] / steps, "ms"),
        BenchResult(GROUP, "bare mujoco.Renderer update_scene+render, same scene", bare_ms, "ms"),
        BenchResult(GROUP, "env step / bare render", step_ms / bare_ms, "x", "<= 1.5",
                    check(step_ms / bare_ms, "<=", 1.5), {"env_step_ms": step_ms, "bare_render_ms": bare_ms}),
        BenchResult(GROUP, "reset incl. world generation (amortized)", reset_ms, "ms", "<= 50",
                    check(reset_ms, "<=", 50), details),
    ]
    two = _two_processes(steps)
    aggregate = sum(r["steps"] for r in two) / max(r["wall_s"] for r in two)
    results.append(BenchResult(GROUP, "steps/s, 2 processes together", aggregate, "steps/s"))
    results.append(BenchResult(GROUP, "2-process speed-up over 1 process", aggregate / rate, "x", ">= 1.8",
                               check(aggregate / rate, ">=", 1.8),
                               {"per_process_steps_per_s": [r["steps"] / r["wall_s"] for r in two]}))
    return results


ENV_BENCHMARKS = {"env": bench_env}
