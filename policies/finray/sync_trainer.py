"""Synchronous reference: SB3 ``SAC.learn`` (of :class:`~.lean_sac.LeanSAC`), same hyperparameters and ratio.

``updates_per_sample`` u maps to SB3's ``train_freq``/``gradient_steps`` (u >= 1: one env step
then u updates; u = 1/k: k env steps then one update). A callback logs the same metrics as the
asynchronous learner and writes atomic checkpoints (SB3 model zip bytes + replay buffer), so
``--resume`` continues with ``learn(reset_num_timesteps=False)``.
"""
from __future__ import annotations

import io
from typing import Any

import torch
from stable_baselines3.common.callbacks import BaseCallback

from ...sim.finray.env import FinRayEnv
from ..common.device import pick_device
from ..common.rundir import RunDir
from .config import FinRayTrainConfig
from .progress import Progress
from .sac_common import buffer_state, load_buffer_state, load_sb3_zip, make_sac


class _ProgressCallback(BaseCallback):
    def __init__(self, config: FinRayTrainConfig, run: RunDir, progress: Progress, restarts: int) -> None:
        super().__init__()
        self.config, self.run, self.progress, self.restarts = config, run, progress, restarts
        self.episode_return = 0.0

    def _on_step(self) -> bool:
        self.episode_return += float(self.locals["rewards"][0])
        samples = self.num_timesteps
        if self.locals["dones"][0]:
            self.progress.add_episodes([self.episode_return], samples)
            self.episode_return = 0.0
        if samples % self.config.log_every == 0:
            losses = {k.replace("train/", "losses/"): float(v) for k, v in self.model.logger.name_to_value.items()}
            self.progress.log(samples, self.model._n_updates, losses)
        if samples % self.config.checkpoint_every == 0:
            save_sync_checkpoint(self.run, self.model, self.progress, self.restarts)
        return not (self.config.stop_at_target and self.progress.reached)


def save_sync_checkpoint(run: RunDir, model: Any, progress: Progress, restarts: int) -> None:
    blob = io.BytesIO()
    model.save(blob, exclude=["replay_buffer"])
    run.save_checkpoint({"algo": "sync", "sb3_zip": blob.getvalue(), "buffer": buffer_state(model.replay_buffer),
                         "samples": model.num_timesteps, "restarts": restarts, "progress": progress.state()},
                        step=model.num_timesteps)


def train_sync(config: FinRayTrainConfig, run: RunDir, resume: bool = False) -> dict[str, Any]:
    torch.set_num_threads(config.torch_threads)
    device = pick_device(config.device)
    ckpt = run.load_checkpoint() if resume else None
    restarts = int(ckpt["restarts"]) + 1 if ckpt else 0
    env = FinRayEnv(config.env)
    if ckpt:
        model = make_sac(config, env, device)  # then the zip's tensors and counters, never its pickles
        load_sb3_zip(model, ckpt["sb3_zip"], f"checkpoint of {run.path}")
        load_buffer_state(model.replay_buffer, ckpt["buffer"])
        env.reset(seed=config.seed + 100 * restarts)
    else:
        model = make_sac(config, env, device)
    progress = Progress(run, config.return_window, config.target_return, ckpt["progress"] if ckpt else None)
    remaining = config.total_steps - model.num_timesteps
    if remaining > 0:
        model.learn(total_timesteps=remaining, reset_num_timesteps=False,
                    callback=_ProgressCallback(config, run, progress, restarts))
    row = progress.log(model.num_timesteps, model._n_updates)
    save_sync_checkpoint(run, model, progress, restarts)
    progress.close()
    summary = {"algo": "sync", "samples": model.num_timesteps, "updates": model._n_updates,
               "updates_per_sample": model._n_updates / max(model.num_timesteps, 1),
               "configured_updates_per_sample": config.sac.updates_per_sample, "wall_time": row["perf/wall_time"],
               "samples_per_s": row["perf/samples_per_s"], "mean_return": row["charts/mean_return"],
               "target_reached": progress.reached, "restarts": restarts}
    run.write_meta(result=summary)
    return summary


def load_policy_from_checkpoint(config: FinRayTrainConfig, ckpt: dict[str, Any]) -> Any:
    """The trained SB3 SACPolicy of a checkpoint from either trainer (on CPU)."""
    from .sac_common import load_sac_state

    model = make_sac(config, device="cpu")
    if ckpt.get("algo") == "sync":
        load_sb3_zip(model, ckpt["sb3_zip"], "checkpoint")
        return model.policy
    first_layer = ckpt["sac"]["policy"].get("actor.latent_pi.0.weight")
    expected = config.env.obs_dim
    if first_layer is not None and first_layer.shape[1] != expected:
        raise ValueError(f"the checkpoint's policy takes {first_layer.shape[1]} observation values, the run's env "
                         f"config gives {expected} (env.history_steps={config.env.history_steps}, env.history_frame="
                         f"{config.env.history_frame}): set them in the run's config.yaml to what it was trained with "
                         f"(history_steps 0 for runs from before history)")
    load_sac_state(model, ckpt["sac"])
    return model.policy
