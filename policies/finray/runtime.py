"""Torch-free fin-ray policy runtime: the exported ONNX actor behind its contract.

::

    policy = FinRayRuntimePolicy("runs/finray/.../export/policy.onnx")
    action = policy.act(observation)   # (obs_dim,) float32 -> (n_rays,) float32 in [-1, 1]
    targets_rad = action * policy.contract.spec["max_angle"]
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..runtime.contract import Contract, ContractError, check_number, load_contract_for
from ..runtime.session import OnnxSession

INPUT = "observation"
OUTPUT = "action"
HISTORY_FRAMES = ("full", "compact")
ENV_SPEC_KEYS = ("n_rays", "segments", "objective", "control_hz", "max_angle", "phase_hz", "force_scale",
                 "history_steps", "history_frame")
"""Spec fields that are env settings the policy was trained with (compared with the env config by evaluate)."""


def check_finray_spec(contract: Contract, where: str) -> dict[str, object]:
    """Range-check every spec field the fin-ray runtime and evaluation use; returns them typed.

    Also checks that the tensors agree with the spec: ``observation`` (batch, obs_dim) and
    ``action`` (batch, n_rays), and that obs_dim = frame_dim + history_steps * record_dim.
    """
    spec = contract.spec
    out: dict[str, object] = {
        "obs_dim": check_number(spec, "obs_dim", where, 1, 1_000_000, integer=True),
        "n_rays": check_number(spec, "n_rays", where, 1, 64, integer=True),
        "segments": check_number(spec, "segments", where, 1, 64, integer=True),
        "control_hz": check_number(spec, "control_hz", where, 0, 1000, low_open=True),
        "max_angle": check_number(spec, "max_angle", where, 0, 3.2, low_open=True),
        "phase_hz": check_number(spec, "phase_hz", where, 0, 1000),
        "force_scale": check_number(spec, "force_scale", where, 0, 1e6, low_open=True),
        "history_steps": check_number(spec, "history_steps", where, 0, 1000, integer=True) if "history_steps" in spec else 0,
    }
    frame = spec.get("history_frame", "full")
    if frame not in HISTORY_FRAMES:
        raise ContractError(f"{where}: spec field 'history_frame' is {frame!r}; valid: {', '.join(HISTORY_FRAMES)}")
    objective = spec.get("objective")
    if not isinstance(objective, str) or not objective:
        raise ContractError(f"{where}: spec field 'objective' must be a name, got {objective!r}")
    out.update(history_frame=frame, objective=objective)
    if "frame_dim" in spec and "record_dim" in spec:
        frame_dim = check_number(spec, "frame_dim", where, 1, 1_000_000, integer=True)
        record_dim = check_number(spec, "record_dim", where, 0, 1_000_000, integer=True)
        if frame_dim + out["history_steps"] * record_dim != out["obs_dim"]:  # type: ignore[operator]
            raise ContractError(f"{where}: obs_dim {out['obs_dim']} != frame_dim {frame_dim} + history_steps "
                                f"{out['history_steps']} x record_dim {record_dim}")
    try:
        inputs, outputs = contract.input(INPUT), contract.output(OUTPUT)
    except ContractError as exc:
        raise ContractError(f"{where}: {exc}") from None
    if not inputs.matches_shape(["batch", out["obs_dim"]]):
        raise ContractError(f"{where}: input {INPUT!r} has shape {inputs.shape}, spec obs_dim is {out['obs_dim']}")
    if not outputs.matches_shape(["batch", out["n_rays"]]):
        raise ContractError(f"{where}: output {OUTPUT!r} has shape {outputs.shape}, spec n_rays is {out['n_rays']}")
    return out


class FinRayRuntimePolicy:
    """Deterministic SAC actor (tanh of the Gaussian mean) from ``policy.onnx`` + contract."""

    def __init__(self, model_path: Path | str, contract_path: Path | str | None = None) -> None:
        self.contract = Contract.load(contract_path) if contract_path else load_contract_for(model_path)
        if self.contract.task != "finray":
            raise ContractError(f"{model_path} is a {self.contract.task!r} policy, not a finray one")
        where = f"contract of {model_path}"
        self.spec = check_finray_spec(self.contract, where)
        self.session = OnnxSession(model_path, self.contract)
        self.obs_dim = int(self.spec["obs_dim"])  # type: ignore[call-overload]
        self.contract.verify_seal(where)

    def act(self, observation: np.ndarray) -> np.ndarray:
        obs = np.asarray(observation, np.float32).reshape(1, self.obs_dim)
        return self.session.run({INPUT: obs})[OUTPUT][0]
