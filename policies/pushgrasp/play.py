"""``greenroom play pushgrasp``: one episode with an exported policy (or a scripted one) -> video + Q maps.

The scripted policy grasps the highest cell at a random rotation (a heuristic baseline, no
learning); with ``--policy model.onnx`` the exported FCNs choose. Output: ``episode.mp4``
(camera RGB | colour heightmap per action) and ``qmaps-play.png`` for the first state.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from ...sim.pushgrasp.env import PushGraspEnv
from ..common.config import resolve_config
from ..runtime.failure_memory import FailureMemory
from .config import PushGraspTrainConfig
from .evaluate import choose
from .plots import qmap_figure


def scripted_maps(rng: np.random.Generator, k: int):
    """Heuristic maps: grasp value = height (highest block first), one random rotation; push 0."""
    def maps(color: np.ndarray, height: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        grasp = np.zeros((k, *height.shape), np.float32)
        grasp[int(rng.integers(k))] = height
        return np.zeros_like(grasp), grasp
    return maps


def _frame(camera: np.ndarray, color_map: np.ndarray) -> np.ndarray:
    h = camera.shape[0]
    scale = max(1, h // color_map.shape[0])
    hm = np.kron(color_map, np.ones((scale, scale, 1), np.uint8))[:h]
    pad = np.zeros((h, hm.shape[1], 3), np.uint8)
    pad[: hm.shape[0]] = hm
    frame = np.concatenate([camera, pad], axis=1)
    return frame[: frame.shape[0] // 2 * 2, : frame.shape[1] // 2 * 2]


def play(preset: str, overrides: list[str], out_dir: Path, policy: Path | None, max_actions: int = 30) -> list[Path]:
    import imageio.v3 as iio

    config = resolve_config(PushGraspTrainConfig, preset, overrides)
    grasp_only = config.grasp_only
    if policy is not None:
        from .runtime import PushGraspRuntimePolicy

        runtime = PushGraspRuntimePolicy(policy)
        maps_fn = runtime.maps
        env_config = dataclasses.replace(config.env, resolution=runtime.resolution, workspace=runtime.workspace,
                                         view_margin=runtime.view_margin, num_rotations=runtime.num_rotations,
                                         geometry=runtime.geometry)
        grasp_only = runtime.grasp_only
    else:
        env_config = config.env
        maps_fn = scripted_maps(np.random.default_rng(config.seed), env_config.num_rotations)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    env = PushGraspEnv(env_config, render_mode="rgb_array")
    memory = FailureMemory(env_config.resolution)  # as the ROS node: no repeats of a no-change action
    frames = []
    try:
        obs, _ = env.reset(seed=config.seed)
        for step in range(max_actions):
            maps = maps_fn(obs["color"], obs["height"])
            if step == 0:
                qmap_figure(obs, maps, out_dir / "qmaps-play.png")
            frames.append(_frame(env.render(), obs["color"]))
            action = choose(maps, obs["height"], grasp_only, memory, env.config.valid_pushes())
            obs, _, terminated, truncated, _ = env.step(np.array(action))
            if terminated or truncated:
                break
        frames.append(_frame(env.render(), obs["color"]))
    finally:
        env.close()
    video = out_dir / "episode.mp4"
    iio.imwrite(video, np.stack(frames), fps=2, codec="libx264")
    return [video, out_dir / "qmaps-play.png"]
