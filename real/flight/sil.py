"""Sim-in-the-loop plumbing shared by the flight ROS tests and ``greenroom bench flight --only ros``.

- :func:`untrained_policy`: an exported flight policy (ONNX + contract) with freshly initialised
  weights and the shipped network/graph/contract code, for latency, CPU and robustness checks
  that do not depend on what the weights learned. Imports torch lazily (the CLI process only;
  the node processes never do).
- :func:`latest_export`: the newest ``runs/flight/*/export/*.onnx`` from ``greenroom export``.
- :func:`start_policy` / :func:`start_bridge`: the two console scripts as processes.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..common.procs import NodeProcess


def untrained_policy(out_dir: Path, preset: str = "cpu", overrides: list[str] | None = None, seed: int = 0) -> Path:
    """Export an untrained network of the ``FlightTrainConfig`` preset through the shipped export path.

    The parity check runs on 256 random images. Returns the ``policy.onnx`` path; its
    ``policy.contract.json`` is written beside it.
    """
    import numpy as np
    import torch

    from ...policies.common.config import resolve_config
    from ...policies.flight.config import FlightTrainConfig
    from ...policies.flight.export import export_policy
    from ...policies.flight.network import build_network

    config = resolve_config(FlightTrainConfig, preset, list(overrides or []))
    torch.manual_seed(seed)
    net = build_network(config)
    size = config.env.image_size
    images = np.random.default_rng(seed).integers(0, 256, (256, size, size, 3), dtype=np.uint8)
    return export_policy(net, config, Path(out_dir), images)


def latest_export(runs: Path | None = None) -> Path | None:
    """Newest exported flight model under ``runs/flight`` (``$GREENROOM_RUNS`` or ./runs), or None."""
    root = Path(runs or os.environ.get("GREENROOM_RUNS", "runs")) / "flight"
    models = sorted(root.glob("*/export/*.onnx"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def start_policy(model: Path | str, log_dir: Path | None = None, **params: Any) -> NodeProcess:
    """``flight_policy`` with ``model_path`` and extra parameters (``contract_path`` etc.)."""
    return NodeProcess("flight_policy", {"model_path": str(model), **params},
                       module="greenroom.real.flight.policy_node", log_dir=log_dir)


def start_bridge(log_dir: Path | None = None, overrides: list[str] | None = None, **params: Any) -> NodeProcess:
    """``flight_sim_bridge`` with FlightEnvConfig ``overrides`` and extra parameters."""
    if overrides:
        params["overrides"] = list(overrides)
    return NodeProcess("flight_sim_bridge", params, module="greenroom.real.flight.sim_bridge", log_dir=log_dir)
