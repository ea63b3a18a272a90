"""Sim-in-the-loop plumbing shared by the flight ROS tests and ``greenroom bench flight --only ros``.

- :func:`default_model`: the policy a benchmark or SIL run flies: the newest ``greenroom export``
  under ``runs/flight`` when there is one, else the shipped ``assets/policies/flight/policy.onnx``
  (latency, CPU and robustness do not depend on which). No training code, no torch: a test that
  needs a freshly exported network builds it with ``greenroom.policies`` in the test itself.
- :func:`latest_export`: the newest ``runs/flight/*/export/*.onnx`` from ``greenroom export``.
- :func:`start_policy` / :func:`start_bridge`: the two console scripts as processes.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..common.procs import NodeProcess
from ..common.share import shipped_policy


def latest_export(runs: Path | None = None) -> Path | None:
    """Newest exported flight model under ``runs/flight`` (``$GREENROOM_RUNS`` or ./runs), or None."""
    root = Path(runs or os.environ.get("GREENROOM_RUNS", "runs")) / "flight"
    models = sorted(root.glob("*/export/*.onnx"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def default_model() -> tuple[Path, str]:
    """(model path, where it comes from): the latest export, else the shipped policy."""
    model = latest_export()
    if model is not None:
        return model, f"exported run {model.parent.parent}"
    return shipped_policy("flight"), "shipped assets/policies/flight/policy.onnx"


def start_policy(model: Path | str, log_dir: Path | None = None, env: dict[str, str] | None = None,
                 **params: Any) -> NodeProcess:
    """``flight_policy`` with ``model_path`` and extra parameters (``contract_path`` etc.)."""
    return NodeProcess("flight_policy", {"model_path": str(model), **params},
                       module="greenroom.real.flight.policy_node", log_dir=log_dir, env=env)


def start_bridge(log_dir: Path | None = None, overrides: list[str] | None = None, **params: Any) -> NodeProcess:
    """``flight_sim_bridge`` with FlightEnvConfig ``overrides`` and extra parameters."""
    if overrides:
        params["overrides"] = list(overrides)
    return NodeProcess("flight_sim_bridge", params, module="greenroom.real.flight.sim_bridge", log_dir=log_dir)
