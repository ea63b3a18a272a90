"""SB3 SAC with a leaner gradient step: the same losses, order and random draws, less work per update.

:class:`LeanSAC` is :class:`stable_baselines3.SAC` (policy, buffers, ``learn``, save/load) with
its ``train`` rewritten. On the small MLPs of the fin task the update is what the learner spends
its time on, and SB3's step does work it does not need:

* the actor loss backpropagates only into the actor (``backward(inputs=actor params)``): SB3
  also forms the critics' weight gradients there and discards them; and each critic's first
  layer is applied as W_s s + W_a a, so the gradient into the action multiplies by W_a only;
* the entropy-coefficient loss is linear in log alpha: its gradient is set, not backpropagated;
* the target critics follow by one ``torch._foreach_lerp_`` instead of two tensor ops per
  parameter (SB3's ``polyak_update`` loop);
* actions and log-probabilities come from the squashed-Gaussian formulas directly instead of
  through ``torch.distributions`` objects built twice per step;
* the replay batch wraps the gathered numpy rows as tensors instead of copying them again, and
  per-step loss values stay tensors until the end of ``train``.

About 20 % less time per update (``greenroom bench finray --only update_cost``). Both trainers use it,
so the synchronous reference and the asynchronous learner pay the same per update and
``sync_vs_async`` measures asynchrony alone. The step draws replay indices and action noise from
the same numpy and torch streams in SB3's order: ``tests/policies/test_finray_lean_sac.py``
checks that, from the same state and seeds, its parameters after 40 updates match
``SAC.train``'s to float rounding. What it does not cover (gSDE, n-step returns, a target update
interval other than 1, batch-norm statistics) falls back to SB3's own ``train``.
"""
from __future__ import annotations

import math
from itertools import islice

import numpy as np
import torch
import torch.nn.functional as F
from stable_baselines3 import SAC
from stable_baselines3.common.buffers import ReplayBuffer
from stable_baselines3.common.type_aliases import ReplayBufferSamples


_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


class LeanSAC(SAC):
    """:class:`stable_baselines3.SAC` with a cheaper gradient step (see the module docstring)."""

    def _lean_step_applies(self) -> bool:
        return (not self.use_sde and self.target_update_interval == 1 and not self.batch_norm_stats
                and getattr(self.replay_buffer, "n_steps", 1) == 1)

    def train(self, gradient_steps: int, batch_size: int = 64) -> None:
        if not self._lean_step_applies():
            super().train(gradient_steps, batch_size)
            return
        self.policy.set_training_mode(True)
        optimizers = [self.actor.optimizer, self.critic.optimizer]
        if self.ent_coef_optimizer is not None:
            optimizers.append(self.ent_coef_optimizer)
        self._update_learning_rate(optimizers)
        actor_params = list(self.actor.parameters())
        critic_params = list(self.critic.parameters())
        target_params = list(self.critic_target.parameters())
        # per-step values stay 0-d tensors until the end: no float conversion inside the loop
        stats: dict[str, list[torch.Tensor]] = {name: [] for name in
                                                ("ent_coef", "actor_loss", "critic_loss", "ent_coef_loss")}
        for _ in range(gradient_steps):
            batch = self._sample_replay(batch_size)
            actions_pi, log_prob = self._sample_actions(batch.observations)
            alpha = self._temperature_step(log_prob, stats)
            stats["critic_loss"].append(self._critic_step(batch, alpha))
            stats["actor_loss"].append(self._actor_step(batch.observations, actions_pi, log_prob, alpha, actor_params))
            with torch.no_grad():
                torch._foreach_lerp_(target_params, critic_params, self.tau)
        self._n_updates += gradient_steps
        self.logger.record("train/n_updates", self._n_updates, exclude="tensorboard")
        for name, values in stats.items():
            if values:
                self.logger.record(f"train/{name}", float(torch.stack(values).mean()))

    def _sample_replay(self, batch_size: int) -> ReplayBufferSamples:
        """``replay_buffer.sample`` for a plain one-env ReplayBuffer, viewing the gathered rows as tensors.

        SB3 copies each gathered array once more into a new tensor; this draws the same indices
        from the same numpy stream (env indices included) and wraps the gathered rows instead
        (moved to the model's device: a no-op on CPU, one host-to-device copy on CUDA).
        """
        buffer = self.replay_buffer
        if type(buffer) is not ReplayBuffer or buffer.optimize_memory_usage or self._vec_normalize_env is not None:
            return buffer.sample(batch_size, env=self._vec_normalize_env)  # type: ignore[union-attr]
        rows = np.random.randint(0, buffer.buffer_size if buffer.full else buffer.pos, size=batch_size)
        envs = np.random.randint(0, high=buffer.n_envs, size=batch_size)
        dones = buffer.dones[rows, envs] * (1 - buffer.timeouts[rows, envs])
        return ReplayBufferSamples(*(torch.from_numpy(x).to(self.device) for x in (
            buffer.observations[rows, envs], buffer.actions[rows, envs], buffer.next_observations[rows, envs],
            dones.reshape(-1, 1), buffer.rewards[rows, envs].reshape(-1, 1))))

    def _temperature_step(self, log_prob: torch.Tensor, stats: dict[str, list[torch.Tensor]]) -> torch.Tensor:
        """The entropy coefficient for this step (its value before the step), stepping it when learned.

        The loss -(log alpha * (log pi + target entropy)).mean() is linear in log alpha, so its
        gradient, -(log pi + target entropy).mean(), is set directly instead of by a backward pass.
        """
        if self.ent_coef_optimizer is None or self.log_ent_coef is None:
            alpha = self.ent_coef_tensor
        else:
            log_alpha = self.log_ent_coef
            alpha = torch.exp(log_alpha.detach())
            entropy_gap = (log_prob.detach() + self.target_entropy).mean()
            stats["ent_coef_loss"].append(-(log_alpha.detach() * entropy_gap).sum())
            log_alpha.grad = (-entropy_gap).expand_as(log_alpha).clone()
            self.ent_coef_optimizer.step()
        stats["ent_coef"].append(alpha.detach().reshape(()))
        return alpha

    def _critic_step(self, batch: ReplayBufferSamples, alpha: torch.Tensor) -> torch.Tensor:
        """One Adam step on the twin critics toward the soft Bellman target; the loss value."""
        with torch.no_grad():
            next_actions, next_log_prob = self._sample_actions(batch.next_observations)
            next_q = torch.cat(self.critic_target(batch.next_observations, next_actions), dim=1)
            next_q = next_q.min(dim=1, keepdim=True)[0]
            soft_next = next_q - alpha * next_log_prob
            target = batch.rewards + (1 - batch.dones) * self.gamma * soft_next
        loss = 0.5 * sum(F.mse_loss(q, target) for q in self.critic(batch.observations, batch.actions))
        self.critic.optimizer.zero_grad()
        loss.backward()
        self.critic.optimizer.step()
        return loss.detach()

    def _actor_step(self, observations: torch.Tensor, actions_pi: torch.Tensor, log_prob: torch.Tensor,
                    alpha: torch.Tensor, actor_params: list[torch.Tensor]) -> torch.Tensor:
        """One Adam step on the actor (gradients flow through the critics only into the action)."""
        loss = (alpha * log_prob - self._min_q_for_actor(observations, actions_pi)).mean()
        self.actor.optimizer.zero_grad()
        loss.backward(inputs=actor_params)
        self.actor.optimizer.step()
        return loss.detach()

    def _min_q_for_actor(self, observations: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """min over the critics of Q(s, a), (batch, 1), with each first layer split into its s and a columns.

        W [s; a] + b = W_s s + W_a a + b: the same value, but the backward pass into the action
        then multiplies by the action columns W_a only, not by the whole (obs + action)-wide W.
        """
        features = self.critic.extract_features(observations, self.critic.features_extractor)
        n_obs = features.shape[1]
        values = []
        for q_net in self.critic.q_networks:
            first = q_net[0]
            hidden = (F.linear(features, first.weight[:, :n_obs], first.bias)
                      + F.linear(actions, first.weight[:, n_obs:]))
            for layer in islice(q_net, 1, None):  # (slicing a Sequential would build a new one per call)
                hidden = layer(hidden)
            values.append(hidden)
        return torch.cat(values, dim=1).min(dim=1, keepdim=True)[0]

    def _sample_actions(self, observations: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Squashed-Gaussian actions (reparametrized) and their log-probabilities, shape (batch, 1).

        SB3's ``actor.action_log_prob`` without its distribution objects: the same noise draw
        (``normal_`` on a tensor shaped like the mean) and the same density, with the Gaussian
        term written in the noise, (a - mu) / sigma = eps.
        """
        mean, log_std, _ = self.actor.get_action_dist_params(observations)
        noise = torch.empty_like(mean).normal_()
        gaussian = mean + noise * log_std.exp()
        actions = torch.tanh(gaussian)
        log_prob = (-0.5 * noise.square() - log_std - _HALF_LOG_2PI).sum(dim=1, keepdim=True)
        log_prob = log_prob - torch.log(1 - actions.square() + self.actor.action_dist.epsilon).sum(dim=1, keepdim=True)
        return actions, log_prob
