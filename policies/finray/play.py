"""``greenroom play finray``: the learned policy and the best open-loop gait on the same episode.

Both run one episode of the config's env (seed :data:`~.baseline.EVAL_SEED_BASE` + ``seed``, so
the same randomization draw). The policy is ``--policy model.onnx`` (an exported policy) or the
bundled one (``assets/policies/finray/policy.onnx``); the gait is the best open-loop gait of the
cached baseline (``benchmarks/results/finray-baseline.json``) when its key matches the config,
else the best sinusoid of the coarse grid on the nominal fin.

Outputs in ``out_dir``: ``finray_seed<S>.mp4`` (MuJoCo render, learned left, open-loop right,
rays (orange) and membrane tendons (grey) seen from behind and below the tail, at the control
rate), ``finray_seed<S>_thrust.png`` (thrust vs time, and base angle targets of the head and tail
rays) and ``finray_seed<S>.json``.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..common.config import resolve_config

BUNDLED = Path(__file__).resolve().parents[2] / "assets" / "policies" / "finray" / "policy.onnx"
WIDTH, HEIGHT = 320, 240


def _render_episode(env: Any, act: Any, seed: int, renderer: Any, camera: Any) -> tuple[list[np.ndarray], list[dict]]:
    import mujoco

    obs, info = env.reset(seed=seed)
    frames, infos, done = [], [], False
    while not done:
        obs, reward, terminated, truncated, info = env.step(act(obs, info))
        mujoco.mj_forward(env.model, env.data)
        renderer.update_scene(env.data, camera)
        frames.append(renderer.render().copy())
        infos.append(info)
        done = terminated or truncated
    return frames, infos


def _baseline_gait(config: Any) -> tuple[Any, str]:
    from ...sim.finray.gait_search import nominal_best_sinusoid
    from .baseline import gait_of, load_cached

    record = load_cached(config.env)
    if record is not None:
        return gait_of(record), f"best open-loop gait ({record['best_family']}, cached search)"
    return nominal_best_sinusoid(config.env), "best sinusoid of the nominal fin (no matching cached search)"


def _plot(path: Path, learned: list[dict], baseline: list[dict], labels: tuple[str, str], title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    for infos, label, color in ((learned, labels[0], "tab:red"), (baseline, labels[1], "tab:blue")):
        t = np.array([i["time"] for i in infos])
        thrust = np.array([i["thrust"] for i in infos])
        kept = t > 0.5
        ax.plot(t, thrust, color=color, lw=1, label=f"{label}: mean {thrust[kept].mean():.3f} N after 0.5 s")
        angles = np.array([i["base_angles"] for i in infos])
        ax2.plot(t, angles[:, 0], color=color, lw=1.2, label=f"{label}, head ray")
        ax2.plot(t, angles[:, -1], color=color, lw=0.8, ls="--", label=f"{label}, tail ray")
    ax.axhline(0, color="k", lw=0.5)
    ax.set_ylabel("thrust (N)")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(title, fontsize=9)
    ax2.set_ylabel("base angle (rad)")
    ax2.set_xlabel("time (s)")
    ax2.legend(fontsize=7, ncol=2, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def play(preset: str, overrides: list[str], out_dir: Path, policy: Path | None) -> list[Path]:
    """One episode of the learned policy and one of the best open-loop gait; [video, plot, summary]."""
    import imageio.v2 as imageio
    import mujoco

    from ...sim.finray.env import FinRayEnv
    from .baseline import EVAL_SEED_BASE
    from .config import FinRayTrainConfig
    from .runtime import FinRayRuntimePolicy

    config = resolve_config(FinRayTrainConfig, preset, overrides)
    onnx = Path(policy) if policy else BUNDLED
    runtime = FinRayRuntimePolicy(onnx)
    if runtime.obs_dim != config.env.obs_dim:
        raise ValueError(f"{onnx} takes {runtime.obs_dim} observation values, the env config gives "
                         f"{config.env.obs_dim}; pass the env.history_* overrides it was trained with")
    gait, gait_label = _baseline_gait(config)
    seed = EVAL_SEED_BASE + config.seed
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    env = FinRayEnv(config.env)
    camera = mujoco.MjvCamera()
    camera.type = mujoco.mjtCamera.mjCAMERA_FREE
    camera.lookat[:] = (-(config.env.n_rays - 1) * config.env.ray_spacing / 2, 0.0, -config.env.ray_length / 2)
    camera.distance, camera.azimuth, camera.elevation = 0.22, 150.0, 30.0  # from behind and below the tail
    renderer = mujoco.Renderer(env.model, HEIGHT, WIDTH)
    try:
        learned_frames, learned = _render_episode(env, lambda obs, info: runtime.act(obs), seed, renderer, camera)
        base_frames, base = _render_episode(env, gait.policy(config.env), seed, renderer, camera)
    finally:
        renderer.close()
    stem = f"finray_seed{seed}"
    video, plot, summary = out_dir / f"{stem}.mp4", out_dir / f"{stem}_thrust.png", out_dir / f"{stem}.json"
    gap = np.full((HEIGHT, 8, 3), 255, np.uint8)
    imageio.mimsave(video, [np.concatenate([a, gap, b], axis=1) for a, b in zip(learned_frames, base_frames)],
                    fps=config.env.control_hz, macro_block_size=8)

    def mean_thrust(infos: list[dict]) -> float:
        return float(np.mean([i["thrust"] for i in infos if i["time"] > 0.5]))

    rnd = learned[-1]["randomization"]
    title = (f"seed {seed}: stiffness x{rnd['rays']['stiffness_scale']:.2f}, gain x{rnd['actuators']['kp_scale']:.2f}, "
             f"torque x{rnd['actuators']['torque_scale']:.2f}, latency {rnd['latency']['action_delay']} steps")
    _plot(plot, learned, base, ("learned", gait_label.split(" (")[0]), title)
    summary.write_text(json.dumps({
        "seed": seed, "policy": str(onnx), "baseline": {"label": gait_label, **gait.to_json(config.env.n_rays)},
        "learned_thrust": mean_thrust(learned), "baseline_thrust": mean_thrust(base), "randomization": rnd,
        "video": "left: learned policy, right: open-loop gait", "preset": preset, "overrides": list(overrides)},
        indent=2))
    return [video, plot, summary]
