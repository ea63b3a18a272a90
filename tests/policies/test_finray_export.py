"""Fin-ray export: ONNX parity, contract, tamper detection, runtime and evaluate against the sinusoid."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from greenroom.policies.common.config import resolve_config, save_config
from greenroom.policies.common.export import ParityError, check_parity
from greenroom.policies.common.rundir import RunDir
from greenroom.policies.finray.config import FinRayTrainConfig
from greenroom.policies.runtime.contract import ContractError


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory: pytest.TempPathFactory) -> RunDir:
    from greenroom.policies.finray.sync_trainer import train_sync

    config = resolve_config(FinRayTrainConfig, "smoke", ["algo=sync", "total_steps=200"])
    run = RunDir.create("finray", root=tmp_path_factory.mktemp("runs"))
    save_config(config, run.config_path)
    run.write_meta(task="finray")
    train_sync(config, run)
    return run


@pytest.fixture(scope="module")
def exported(trained_run: RunDir) -> Path:
    """``greenroom export RUN`` through the real CLI; the ONNX path it prints."""
    out = subprocess.run([sys.executable, "-m", "greenroom.cli", "export", str(trained_run.path)],
                         capture_output=True, text=True, timeout=180, env=dict(os.environ))
    assert out.returncode == 0, out.stderr[-2000:]
    return Path(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_export_cli_writes_a_parity_checked_model_and_contract(trained_run: RunDir, exported: Path) -> None:
    onnx = exported
    parity = json.loads((onnx.parent / "parity.json").read_text())
    assert parity["max_abs_diff"] <= 1e-5 and parity["samples"] >= 256
    contract = json.loads(onnx.with_suffix(".contract.json").read_text())
    assert contract["task"] == "finray"
    assert contract["spec"]["n_rays"] == 5 and contract["spec"]["objective"] == "thrust"
    spec = contract["spec"]
    assert spec["obs_dim"] == spec["frame_dim"] + spec["history_steps"] * spec["record_dim"]
    assert (spec["history_steps"], spec["history_frame"], spec["record_dim"]) == (3, "full", spec["frame_dim"])
    assert [t["name"] for t in contract["inputs"]] == ["observation"]

    from greenroom.policies.finray.export import DeterministicActor, record_observations
    from greenroom.policies.finray.runtime import FinRayRuntimePolicy
    from greenroom.policies.finray.sync_trainer import load_policy_from_checkpoint

    config = resolve_config(FinRayTrainConfig, "smoke", ["algo=sync", "total_steps=200"])
    module = DeterministicActor(load_policy_from_checkpoint(config, trained_run.load_checkpoint()).actor).eval()
    obs = record_observations(module, config, count=32)
    policy = FinRayRuntimePolicy(onnx)
    with torch.no_grad():
        expected = module(torch.from_numpy(obs)).numpy()
    got = np.stack([policy.act(o) for o in obs])
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert np.all(np.abs(got) <= 1.0)

    # a perturbed network fails parity against the exported file, by a reported margin
    with torch.no_grad():
        module.mu.bias.add_(1e-3)
    with pytest.raises(ParityError, match="differs from torch"):
        check_parity(module, onnx, [(obs,)], atol=1e-5)


@pytest.mark.slow
def test_tampered_model_or_contract_is_refused(exported: Path, tmp_path: Path) -> None:
    from greenroom.policies.finray.runtime import FinRayRuntimePolicy

    onnx, contract = tmp_path / "policy.onnx", tmp_path / "policy.contract.json"
    onnx.write_bytes(exported.read_bytes())
    contract.write_text(exported.with_suffix(".contract.json").read_text())
    FinRayRuntimePolicy(onnx)  # intact copy: loads
    data = bytearray(onnx.read_bytes())
    data[-10] ^= 0xFF  # flip bits inside the weights
    tampered = tmp_path / "tampered.onnx"
    tampered.write_bytes(bytes(data))
    (tmp_path / "tampered.contract.json").write_text(contract.read_text())
    with pytest.raises(ContractError, match="sha256"):
        FinRayRuntimePolicy(tampered)
    contract.write_text("{not json")
    with pytest.raises(ContractError, match="not readable JSON"):
        FinRayRuntimePolicy(onnx)
    other = json.loads(exported.with_suffix(".contract.json").read_text())
    contract.write_text(json.dumps({**other, "task": "flight"}))
    with pytest.raises(ContractError, match="not a finray"):
        FinRayRuntimePolicy(onnx)


@pytest.mark.slow
def test_evaluate_reports_the_best_sinusoid_next_to_the_policy(trained_run: RunDir, exported: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "greenroom.cli", "evaluate", str(trained_run.path)],
                         capture_output=True, text=True, timeout=240, env=dict(os.environ))
    assert out.returncode == 0, out.stderr[-2000:]
    summary = json.loads(out.stdout)
    assert summary["objective"] == "thrust"
    best = summary["best_sinusoid"]
    assert best["phase_lag"] > 0 and best["thrust"] > 0  # a head->tail wave wins the thrust search
    assert summary["learned"]["score"] == pytest.approx(summary["learned"]["thrust"])
    assert summary["improvement"] == pytest.approx(
        (summary["learned"]["score"] - best["score"]) / abs(best["score"]))
    assert (trained_run.path / "eval" / "summary.json").is_file()


BUNDLED = Path(__file__).resolve().parents[2] / "assets" / "policies" / "finray" / "policy.onnx"


def test_evaluate_refuses_a_policy_whose_observation_differs() -> None:
    from greenroom.policies.finray.evaluate import evaluate

    if not BUNDLED.is_file():
        pytest.skip("bundled policy missing (covered by test_finray_baseline.py)")
    with pytest.raises(ValueError, match="trained with env.history_steps=3 env.history_frame=full"):
        evaluate(None, BUNDLED, "cpu", ["env.history_steps=0"])
