"""VPG's learner: acting on Q maps, labels, and the one-pixel Huber (or BCE) update (torch).

Shapes: heightmaps (S, S, 3) uint8 / (S, S) float32 metres; maps (k, S, S) float32 numpy;
actions ``(primitive, rotation, row, col)`` (see greenroom.sim.pushgrasp.geometry).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ...sim.pushgrasp.geometry import GRASP, PUSH, mask_invalid_pushes
from .config import PushGraspTrainConfig
from .model import PushGraspNet


@dataclass
class Choice:
    action: tuple[int, int, int, int]
    predicted: float
    explored: bool


def outcome_of(primitive: int, grasp_success: bool, changed: bool, lost: int = 0) -> float:
    """VPG's logged reward value (used to pick replay candidates): grasp 1 on success, push 0.5 on a
    change that kept every block in the workspace (``lost`` = blocks pushed out)."""
    if primitive == GRASP:
        return 1.0 if grasp_success else 0.0
    return 0.5 if (changed and not lost) else 0.0


class Learner:
    """The two FCNs, their optimizer and an optional target network (see config docstring)."""

    def __init__(self, config: PushGraspTrainConfig, device: str = "cpu") -> None:
        self.config, self.device = config, device
        env = config.env
        self.k = env.num_rotations
        self.net = PushGraspNet(env.heightmap_size, env.num_rotations, config.model).to(device)
        self.target = copy.deepcopy(self.net).eval() if config.target_update_every > 0 else None
        self.optimizer = torch.optim.SGD(self.net.parameters(), lr=config.lr, momentum=config.momentum,
                                         weight_decay=config.weight_decay)

    # -- acting -------------------------------------------------------------------------------
    def _tensors(self, color: np.ndarray, height: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        return (torch.from_numpy(np.ascontiguousarray(color))[None].to(self.device),
                torch.from_numpy(np.ascontiguousarray(height, dtype=np.float32))[None].to(self.device))

    @torch.no_grad()
    def q_maps(self, color: np.ndarray, height: np.ndarray, target: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """All maps of one state: (push (k, S, S), grasp (k, S, S)) numpy float32."""
        net = self.target if (target and self.target is not None) else self.net
        was_training = net.training
        net.eval()
        push, grasp = net(*self._tensors(color, height))
        net.train(was_training)
        return push[0].float().cpu().numpy(), grasp[0].float().cpu().numpy()

    def choose(self, maps: tuple[np.ndarray, np.ndarray], epsilon: float, rng: np.random.Generator) -> Choice:
        """Greedy action over both maps; with probability epsilon explore (VPG: the primitive only)."""
        push, grasp = maps
        push = mask_invalid_pushes(push, self.config.env.valid_pushes())
        explore = bool(rng.random() < epsilon)
        if self.config.grasp_only:
            primitive = GRASP
        elif explore:
            primitive = int(rng.integers(2))
        else:
            primitive = GRASP if grasp.max() >= push.max() else PUSH
        chosen = grasp if primitive == GRASP else push
        if explore and self.config.explore_mode == "uniform":
            rotation, row, col = (int(rng.integers(n)) for n in chosen.shape)
        else:
            rotation, row, col = (int(i) for i in np.unravel_index(int(np.argmax(chosen)), chosen.shape))
        return Choice((primitive, rotation, row, col), float(chosen[rotation, row, col]), explore)

    # -- labels -------------------------------------------------------------------------------
    def label(self, primitive: int, grasp_success: bool, changed: bool, terminated: bool,
              next_maps: tuple[np.ndarray, np.ndarray] | None, lost: int = 0) -> float:
        """VPG's label: reward + gamma * max Q(s'), with future 0 when nothing changed (or the episode ended).

        A push that sent ``lost`` > 0 blocks out of the workspace earns no push reward.
        """
        if self.config.method == "reactive":
            return 1.0 if (grasp_success if primitive == GRASP else changed) else 0.0
        if primitive == GRASP:
            reward = 1.0 if grasp_success else 0.0
        else:
            reward = 0.5 if (changed and not lost and self.config.push_rewards) else 0.0
        future = 0.0
        if changed and not terminated and next_maps is not None:
            push, grasp = next_maps
            future = float(grasp.max()) if self.config.grasp_only else float(max(push.max(), grasp.max()))
        return reward + self.config.discount * future

    # -- learning -----------------------------------------------------------------------------
    def train_step(self, color: np.ndarray, height: np.ndarray, action: tuple[int, int, int, int], label: float,
                   lr: float | None = None) -> tuple[float, float]:
        """One SGD step on the executed pixel; returns (loss, prediction before the step).

        Grasps also train the opposite rotation (r + k/2), the same grasp with swapped jaws (VPG).
        """
        if lr is not None:
            for group in self.optimizer.param_groups:
                group["lr"] = lr
        primitive, rotation, row, col = action
        rotations = [rotation]
        if primitive == GRASP and self.config.grasp_symmetry:
            rotations.append((rotation + self.k // 2) % self.k)
        self.net.train()
        self.optimizer.zero_grad(set_to_none=True)
        color_t, height_t = self._tensors(color, height)
        target = torch.tensor(label, dtype=torch.float32, device=self.device)
        total, first_prediction = 0.0, 0.0
        for i, r in enumerate(rotations):
            push, grasp = self.net.maps_at(color_t, height_t, r)
            value = (grasp if primitive == GRASP else push)[0, 0, row, col]
            if self.config.method == "reactive":
                loss = F.binary_cross_entropy_with_logits(value, target)
            else:
                loss = F.smooth_l1_loss(value, target)
            loss.backward()
            total += float(loss.detach())
            if i == 0:
                first_prediction = float(value.detach())
        self.optimizer.step()
        return total / len(rotations), first_prediction

    def maybe_update_target(self, iteration: int) -> None:
        every = self.config.target_update_every
        if self.target is not None and every > 0 and iteration % every == 0:
            self.target.load_state_dict(self.net.state_dict())

    def state_dict(self) -> dict[str, Any]:
        return {"net": self.net.state_dict(), "optimizer": self.optimizer.state_dict(),
                "target": self.target.state_dict() if self.target is not None else None}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        from ..common.rundir import load_weights

        load_weights(self.net, state["net"], "the checkpoint's network")  # CheckpointError when it does not fit
        if "optimizer" in state and state["optimizer"] is not None:
            self.optimizer.load_state_dict(state["optimizer"])
        if self.target is not None:
            self.target.load_state_dict(state.get("target") or state["net"])
