"""Shared helpers of the hardening tests (issue 16): in-process CLI calls and small real run directories."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from greenroom.cli import main

REPO = Path(__file__).resolve().parents[1]
GREENROOM = Path(sys.executable).parent / "greenroom"


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run ``greenroom ARGS`` in this process; (exit code, stderr)."""
    capsys.readouterr()
    code = main([str(a) for a in args])
    return code, capsys.readouterr().err


def assert_clean_error(code: int, err: str, *needles: str) -> str:
    """Exit code 2, exactly one stderr line ``greenroom CMD: error: ...`` containing every needle."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, f"exit code {code}, stderr: {err!r}"
    assert len(lines) == 1, f"expected one line, got {len(lines)}: {err!r}"
    assert lines[0].startswith("greenroom") and ": error: " in lines[0], lines[0]
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"
    return lines[0]


def run_greenroom(args: list[str], cwd: Path, env: dict[str, str] | None = None,
                  timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """The installed ``greenroom`` console script in a subprocess (what a user's terminal sees)."""
    full_env = {k: v for k, v in os.environ.items() if k != "GREENROOM_DEBUG"} | dict(env or {})
    return subprocess.run([str(GREENROOM), *map(str, args)], cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=timeout)


def tree(root: Path) -> set[str]:
    """Every path under ``root`` (relative), to compare before/after a failing command."""
    return {str(p.relative_to(root)) for p in Path(root).rglob("*")} if Path(root).exists() else set()


def smoke_flight_export(out_dir: Path) -> Path:
    """An exported untrained flight policy (smoke config, seed 0, parity on 256 random frames)."""
    import numpy as np
    import torch

    from greenroom.policies.flight.config import FlightTrainConfig
    from greenroom.policies.flight.export import export_policy
    from greenroom.policies.flight.network import build_network

    config = FlightTrainConfig.smoke()
    torch.manual_seed(0)
    size = config.env.image_size
    frames = np.random.default_rng(0).integers(0, 256, (256, size, size, 3), dtype=np.uint8)
    return export_policy(build_network(config).eval(), config, out_dir, frames)


def flight_run(root: Path, overrides: tuple[str, ...] = ()) -> Any:
    """A real flight run directory (smoke config) with one checkpoint of an untrained network."""
    import torch

    from greenroom.policies.common.config import resolve_config, save_config
    from greenroom.policies.common.rundir import RunDir
    from greenroom.policies.flight.config import FlightTrainConfig
    from greenroom.policies.flight.network import build_network

    config = resolve_config(FlightTrainConfig, "smoke", list(overrides))
    run = RunDir.create("flight", root=root)
    save_config(config, run.config_path)
    run.write_meta(task="flight", preset="smoke", overrides=list(overrides), version="test",
                   started_at="2026-01-01T00:00:00")
    net = build_network(config)
    run.save_checkpoint({"model": net.state_dict(), "optimizer": torch.optim.Adam(net.parameters()).state_dict(),
                         "phase_name": "stage1-epoch1"}, step=1)
    return run


class Evil:
    """Pickles to a call that creates ``marker`` (what a tampered checkpoint would do)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))
