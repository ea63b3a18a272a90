"""Torch-free fin-ray policy runtime: the exported ONNX actor behind its contract.

::

    policy = FinRayRuntimePolicy("runs/finray/.../export/policy.onnx")
    action = policy.act(observation)   # (obs_dim,) float32 -> (n_rays,) float32 in [-1, 1]
    targets_rad = action * policy.contract.spec["max_angle"]
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..runtime.contract import Contract, ContractError, load_contract_for
from ..runtime.session import OnnxSession

INPUT = "observation"
OUTPUT = "action"


class FinRayRuntimePolicy:
    """Deterministic SAC actor (tanh of the Gaussian mean) from ``policy.onnx`` + contract."""

    def __init__(self, model_path: Path | str, contract_path: Path | str | None = None) -> None:
        self.contract = Contract.load(contract_path) if contract_path else load_contract_for(model_path)
        if self.contract.task != "finray":
            raise ContractError(f"{model_path} is a {self.contract.task!r} policy, not a finray one")
        self.session = OnnxSession(model_path, self.contract)
        self.obs_dim = int(self.contract.spec["obs_dim"])

    def act(self, observation: np.ndarray) -> np.ndarray:
        obs = np.asarray(observation, np.float32).reshape(1, self.obs_dim)
        return self.session.run({INPUT: obs})[OUTPUT][0]
