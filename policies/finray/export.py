"""``greenroom export RUN``: the fin-ray SAC actor as one ONNX file + contract, parity-checked.

Graph: ``observation`` float32 (batch, obs_dim) -> ``action`` float32 (batch, n_rays) in
[-1, 1] = tanh of the actor's Gaussian mean (the deterministic SAC action); the env maps it to
base targets ``action * max_angle`` rad. Parity: torch vs ONNX Runtime on >= 256 observations
recorded by rolling the policy in the run's env; above 1e-5 the export fails and the file is
removed.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ...sim.finray.env import FinRayEnv
from ..common.config import load_config
from ..common.export import ParityError, check_parity, contract_from_onnx, export_onnx
from ..common.rundir import RunDir, atomic_write_json
from .config import FinRayTrainConfig
from .runtime import INPUT, OUTPUT
from .sync_trainer import load_policy_from_checkpoint

PARITY_ATOL = 1e-5
MODEL_NAME = "policy.onnx"


class DeterministicActor(torch.nn.Module):
    """SB3 SAC actor -> tanh(mean): (batch, obs_dim) float32 -> (batch, n_rays) float32."""

    def __init__(self, actor: Any) -> None:
        super().__init__()
        self.features = actor.features_extractor
        self.latent = actor.latent_pi
        self.mu = actor.mu

    def forward(self, observation: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.mu(self.latent(self.features(observation))))


def finray_spec(config: FinRayTrainConfig, obs_dim: int) -> dict[str, Any]:
    env = config.env
    return {
        "obs_dim": obs_dim, "n_rays": env.n_rays, "segments": env.segments, "objective": env.objective,
        "control_hz": env.control_hz, "max_angle": env.max_angle, "phase_hz": env.phase_hz,
        "force_scale": env.force_scale, "history_steps": env.history_steps, "history_frame": env.history_frame,
        "frame_dim": env.frame_dim, "record_dim": env.record_dim if env.history_steps else 0,
        "observation": "the current frame, then history_steps records of the previous frames, newest first (at "
                       "reset the first frame's); a frame is hinge angles (rad, R*S), hinge rates (rad/s / 10, "
                       "R*S), sin/cos clock phase, fluid force x/y (N / force_scale), lateral command and "
                       "low-passed lateral force (N / force_scale), previous action (R); a record is the whole "
                       "frame (history_frame full) or its base angles (R), previous action (R) and fluid force "
                       "x/y (compact); see greenroom.sim.finray.env",
        "action": "base angle targets / max_angle in [-1, 1], ray 0 = head",
    }


def record_observations(module: torch.nn.Module, config: FinRayTrainConfig, count: int = 256) -> np.ndarray:
    env = FinRayEnv(config.env)
    obs, _ = env.reset(seed=12345)
    rows = []
    while len(rows) < count:
        rows.append(obs)
        with torch.no_grad():
            action = module(torch.as_tensor(obs[None])).numpy()[0]
        obs, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            obs, _ = env.reset()
    return np.asarray(rows, np.float32)


def export_run(run: RunDir, out_dir: Path | None = None) -> Path:
    config = load_config(FinRayTrainConfig, run.config_path)
    ckpt = run.load_checkpoint()
    if ckpt is None:
        raise FileNotFoundError(f"run {run.path} has no checkpoint to export (train it first)")
    policy = load_policy_from_checkpoint(config, ckpt)
    module = DeterministicActor(policy.actor).eval()
    obs = record_observations(module, config)
    out = Path(out_dir) if out_dir else run.export_dir
    path = export_onnx(module, (torch.from_numpy(obs[:2]),), out / MODEL_NAME, [INPUT], [OUTPUT])
    try:
        worst = check_parity(module, path, [(obs,), (obs[:1],)], atol=PARITY_ATOL)
    except ParityError:
        path.unlink(missing_ok=True)
        raise
    contract_from_onnx(path, task="finray", config=dataclasses.asdict(config), spec=finray_spec(config, obs.shape[1]))
    atomic_write_json(out / "parity.json", {"max_abs_diff": worst, "atol": PARITY_ATOL, "samples": len(obs)})
    return path
