"""Checkpoint averaging (``network.average_checkpoints``): the mean of the newest checkpoints' weights,
clear errors when a run kept too few, an inference setting a trained run may switch, and the
``turn_threshold`` bench's candidates with it."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from greenroom.policies.common.config import ConfigError, apply_overrides
from greenroom.policies.common.rundir import RunDir
from greenroom.policies.flight.bench_turn import inference_candidates
from greenroom.policies.flight.config import FlightTrainConfig
from greenroom.policies.flight.export import averaged_weights, deployment_config
from greenroom.policies.flight.network import build_network


def _run_with_checkpoints(root: Path, count: int) -> tuple[RunDir, list[dict[str, torch.Tensor]]]:
    """A run holding ``count`` checkpoints of random smoke-preset weights (the default keeps the newest 3)."""
    run = RunDir.create("flight", root)
    states = []
    for step in range(1, count + 1):
        torch.manual_seed(step)
        states.append(build_network(FlightTrainConfig.smoke()).state_dict())
        run.save_checkpoint({"model": states[-1], "phase_name": f"stage2-round{step}"}, step=step)
    return run, states


def test_average_is_the_mean_of_the_newest_checkpoints(tmp_path: Path) -> None:
    run, states = _run_with_checkpoints(tmp_path, 5)
    assert [p.name for p in run.kept_checkpoints()] == [f"ckpt-{step:09d}.pt" for step in (3, 4, 5)]
    for count in (2, 3):
        mean = averaged_weights(run, count)
        for key, value in mean.items():
            expected = sum(state[key] for state in states[-count:]) / count
            torch.testing.assert_close(value, expected, rtol=1e-6, atol=1e-7)
    assert not torch.equal(averaged_weights(run, 3)["head.3.weight"], states[-1]["head.3.weight"])


def test_too_few_or_different_checkpoints_are_named(tmp_path: Path) -> None:
    run, _ = _run_with_checkpoints(tmp_path, 2)
    with pytest.raises(ValueError, match=r"average_checkpoints=3 needs 3 checkpoints, the run kept 2 "
                                         r"\(ckpt-000000001.pt, ckpt-000000002.pt\)"):
        averaged_weights(run, 3)
    wider = apply_overrides(FlightTrainConfig.smoke(), ["network.hidden=17"])
    run.save_checkpoint({"model": build_network(wider).state_dict()}, step=3)
    with pytest.raises(ValueError, match="ckpt-000000002.pt holds other tensors than .*ckpt-000000003.pt"):
        averaged_weights(run, 2)


def test_a_trained_run_may_average_at_export_and_bad_counts_are_refused() -> None:
    config = FlightTrainConfig.smoke()
    assert config.network.average_checkpoints == 1
    assert deployment_config(config, ["network.average_checkpoints=3"]).network.average_checkpoints == 3
    with pytest.raises((ConfigError, ValueError), match="average_checkpoints must be >= 1, got 0"):
        apply_overrides(config, ["network.average_checkpoints=0"])


def test_bench_candidates_keep_the_environments_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """``$GREENROOM_BENCH_FLIGHT_INFERENCE`` goes into every candidate; mirror averaging stays a candidate
    of its own unless the environment or the training sets it."""
    config = FlightTrainConfig.smoke()
    mirrored = apply_overrides(config, ["network.mirror_average=true"])
    monkeypatch.delenv("GREENROOM_BENCH_FLIGHT_INFERENCE", raising=False)
    assert inference_candidates(config) == [[], ["network.mirror_average=true"]]
    assert inference_candidates(mirrored) == [[]]
    monkeypatch.setenv("GREENROOM_BENCH_FLIGHT_INFERENCE", "network.average_checkpoints=3")
    assert inference_candidates(config) == [["network.average_checkpoints=3"],
                                            ["network.average_checkpoints=3", "network.mirror_average=true"]]
    assert inference_candidates(mirrored) == [["network.average_checkpoints=3"]]
    monkeypatch.setenv("GREENROOM_BENCH_FLIGHT_INFERENCE", "network.mirror_average=true")
    assert inference_candidates(config) == [["network.mirror_average=true"]]
