"""``greenroom play flight``: fly one episode and write a video and a top-down map.

Without ``--policy`` the depth oracle flies (:meth:`FlightEnv.depth_oracle_twist`: ray-cast
clearance along the grid through the env's action set, a privileged baseline). With ``--policy model.onnx`` the
exported policy flies through :class:`greenroom.policies.runtime.flight.FlightRuntimePolicy`
(ONNX Runtime; the contract beside the model must match the env's image size).

Outputs in ``out_dir``: ``flight_<who>_seed<S>.mp4`` (the camera, upscaled to >= 256 px, at the
control rate) and ``flight_<who>_seed<S>_map.png`` (world map, trajectory, start and end).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..common.config import resolve_config

VIDEO_MIN_SIDE = 256


def _policy_fn(policy: Path | None, env: Any) -> tuple[str, Callable[[np.ndarray], np.ndarray]]:
    """(name, obs -> Twist) for the oracle or an exported ONNX policy."""
    if policy is None:
        return "oracle", lambda obs: env.depth_oracle_twist()
    from ..runtime.flight import FlightRuntimePolicy   # lazy: only when a policy is given

    runtime = FlightRuntimePolicy(Path(policy))
    size = env.config.image_size
    if runtime.image_shape[:2] != (size, size):
        raise ValueError(f"policy {policy} takes {runtime.image_shape[0]}x{runtime.image_shape[1]} images but the "
                         f"env renders {size}x{size}; add env.image_size={runtime.image_shape[0]}")
    return "policy", lambda obs: runtime.act(obs)[1]


def _upscale(frame: np.ndarray) -> np.ndarray:
    factor = max(1, -(-VIDEO_MIN_SIDE // frame.shape[0]))
    big = frame.repeat(factor, axis=0).repeat(factor, axis=1)
    pad_h, pad_w = (-big.shape[0]) % 16, (-big.shape[1]) % 16   # codec-friendly size
    return np.pad(big, ((0, pad_h), (0, pad_w), (0, 0)))


def _save_map(env: Any, trajectory: np.ndarray, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xmin, xmax, ymin, ymax = env.layout.bounds
    fig, ax = plt.subplots(figsize=(7, 7 * (ymax - ymin) / max(xmax - xmin, 1e-6) + 0.6))
    ax.imshow(env.top_down_map(), extent=(xmin, xmax, ymin, ymax), origin="upper")
    ax.plot(trajectory[:, 0], trajectory[:, 1], color="tab:red", lw=2, label="trajectory")
    ax.plot(*trajectory[0, :2], "o", color="tab:green", ms=8, label="start")
    ax.plot(*trajectory[-1, :2], "X", color="black", ms=9, label="end")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    ax.set_title(title, fontsize=9)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def play(preset: str, overrides: list[str], out_dir: Path, policy: Path | None) -> list[Path]:
    """Fly one held-out episode with the oracle (or ``policy``); returns [video, map, summary]."""
    import imageio.v2 as imageio

    from ...sim.flight.env import FlightEnv
    from .config import FlightTrainConfig

    config = resolve_config(FlightTrainConfig, preset, overrides)
    evaluation = getattr(config, "eval", None)
    seed = int(getattr(evaluation, "seed_start", getattr(config, "seed", 0)))
    env = FlightEnv(config.env, render_mode="rgb_array")  # first: bad textures fail before any output
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        obs, info = env.reset(seed=seed)
        who, act = _policy_fn(policy, env)
        frames, poses = [_upscale(obs)], [info["pose"]]
        terminated = truncated = False
        while not (terminated or truncated):
            obs, _, terminated, truncated, info = env.step(act(obs))
            frames.append(_upscale(obs))
            poses.append(info["pose"])
        trajectory = np.array(poses)
        stem = f"flight_{who}_seed{seed}"
        video, map_png, summary = out_dir / f"{stem}.mp4", out_dir / f"{stem}_map.png", out_dir / f"{stem}.json"
        imageio.mimsave(video, frames, fps=config.env.control_hz, macro_block_size=16)
        outcome = "collision" if terminated else "truncated (cap reached)"
        _save_map(env, trajectory, map_png,
                  f"{who}, seed {seed}: {info['distance']:.1f} m in {len(poses) - 1} steps, {outcome}")
        summary.write_text(json.dumps({"who": who, "policy": str(policy) if policy else None, "seed": seed,
                                       "distance_m": info["distance"], "steps": len(poses) - 1,
                                       "collision": bool(terminated), "preset": preset,
                                       "overrides": list(overrides)}, indent=2))
    finally:
        env.close()
    return [video, map_png, summary]
