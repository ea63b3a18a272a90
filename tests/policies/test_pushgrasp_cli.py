"""Smoke train -> export -> evaluate (torch and ONNX) through the CLI; parity and contract tamper checks."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from greenroom.cli import main
from greenroom.policies.common.export import ParityError, check_parity
from greenroom.policies.common.rundir import RunDir
from greenroom.policies.runtime.contract import Contract, ContractError, contract_path_for


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, Path]:
    """One smoke run exported to ONNX (shared by the tests of this module)."""
    import os

    root = tmp_path_factory.mktemp("runs")
    old = os.environ.get("GREENROOM_RUNS")
    os.environ["GREENROOM_RUNS"] = str(root)
    try:
        assert main(["train", "pushgrasp", "iterations=3", "--preset", "smoke"]) == 0
        run = next((root / "pushgrasp").iterdir())
        assert main(["export", str(run)]) == 0
    finally:
        if old is None:
            os.environ.pop("GREENROOM_RUNS", None)
        else:
            os.environ["GREENROOM_RUNS"] = old
    return run, run / "export" / "pushgrasp.onnx"


@pytest.mark.slow
def test_smoke_round_trip_through_the_cli(trained, capsys, runs_dir) -> None:
    run, onnx = trained
    contract = Contract.load(contract_path_for(onnx))
    spec = contract.spec
    assert contract.task == "pushgrasp" and spec["num_rotations"] == 4 and spec["heightmap_size"] == 64
    assert spec["workspace"]["x_min"] == -0.724 and spec["geometry"]["push_length"] == 0.1
    assert spec["parity_max_abs_diff"] <= 1e-5 and spec["parity_samples"] >= 256
    parity = json.loads((onnx.parent / "pushgrasp.parity.json").read_text())
    assert parity["samples"] == spec["parity_samples"] and parity["max_abs_diff"] <= 1e-5
    assert [t.name for t in contract.outputs] == ["push_q", "grasp_q"] and contract.outputs[0].shape == [1, 4, 64, 64]
    assert main(["evaluate", str(run), "evaluate.runs=1"]) == 0
    summary = json.loads((run / "eval" / "summary.json").read_text())
    assert set(summary["results"]) == {"random", "hard"}
    for scenario in summary["results"].values():
        assert 0 <= scenario["completion"] <= 100 and scenario["runs"] >= 1
    assert "paper" in (run / "eval" / "table.md").read_text()
    assert (run / "eval" / "learning_curve.png").is_file() and (run / "eval" / "qmaps-random.png").is_file()
    for key in ("push_share", "grasp_success_after_push", "grasp_success_without_push"):  # synergy measures
        assert key in summary["results"]["random"]
    progress = capsys.readouterr().err  # a tqdm bar per scenario: its name, the case and the running completion
    assert "random" in progress and "hard" in progress and "completion" in progress and "case layout-0" in progress
    # (the CLI's optional RUN positional would swallow a key=value here, so only the preset is given)
    assert main(["evaluate", "--onnx", str(onnx), "--preset", "smoke"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["results"]["random"]["runs"] == 1 and printed["variant"] == "vpg"


def test_runtime_policy_acts_inside_the_workspace(trained) -> None:
    from greenroom.policies.pushgrasp.runtime import PushGraspRuntimePolicy

    _, onnx = trained
    policy = PushGraspRuntimePolicy(onnx)
    height = np.zeros((64, 64), np.float32)
    height[30:36, 30:36] = 0.04
    action, plan, maps = policy.act(np.zeros((64, 64, 3), np.uint8), height)
    assert maps[0].shape == (4, 64, 64) and action[0] in (0, 1)
    ws = policy.workspace
    for point in plan.waypoints():
        assert ws.x_min - 0.001 <= point[0] <= ws.x_max + 0.001 and ws.y_min - 0.001 <= point[1] <= ws.y_max + 0.001


def test_tampered_model_or_weights_are_detected(trained, tmp_path) -> None:
    from greenroom.policies.pushgrasp.config import PushGraspTrainConfig
    from greenroom.policies.pushgrasp.learner import Learner
    from greenroom.policies.pushgrasp.runtime import PushGraspRuntimePolicy

    run, onnx = trained
    # 1) the ONNX bytes changed after export: the contract's hash refuses it
    copy = tmp_path / "pushgrasp.onnx"
    data = bytearray(onnx.read_bytes())
    data[-10] ^= 0xFF
    copy.write_bytes(bytes(data))
    contract_path_for(copy).write_text(contract_path_for(onnx).read_text())
    with pytest.raises(ContractError, match="sha256"):
        PushGraspRuntimePolicy(copy)
    # 2) torch weights that differ from the graph fail the parity gate
    from greenroom.policies.common.config import load_config

    config = load_config(PushGraspTrainConfig, run / "config.yaml")
    learner = Learner(config)
    learner.load_state_dict(RunDir(run).load_checkpoint()["learner"])
    feeds = [(np.zeros((1, 64, 64, 3), np.uint8), np.full((1, 64, 64), 0.02, np.float32))]
    assert check_parity(learner.net, onnx, feeds, min_samples=1) <= 1e-5
    with pytest.raises(ParityError, match="at least 256 recorded inputs"):
        check_parity(learner.net, onnx, feeds)  # a pass on one input is no evidence
    with torch.no_grad():
        learner.net.grasp_net.head[2].bias += 1e-3
    with pytest.raises(ParityError, match="tolerance"):
        check_parity(learner.net, onnx, feeds)


def test_runtime_imports_neither_torch_nor_pybullet() -> None:
    import subprocess
    import sys

    code = ("import sys, greenroom.policies.pushgrasp.runtime; "
            "bad=[m for m in ('torch','pybullet','mujoco') if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.slow
def test_edge_losses_bench_compares_the_simulator_settings() -> None:
    """Quick edge_losses: one row per simulator setting, each run with its own friction model / lost rule."""
    from greenroom.policies.pushgrasp.losses import EDGE_SETTINGS, bench_edge_losses

    rows = bench_edge_losses(quick=True)
    assert [r.name for r in rows] == [f"edge_lost_objects_per_run_{n}" for n in EDGE_SETTINGS]
    for row, settings in zip(rows, EDGE_SETTINGS.values()):
        assert row.details["settings"] == settings and row.details["runs"] == 1 and row.details["quick"]
        assert row.value >= 0 and sum(row.details["runs_ended"].values()) == 1


@pytest.mark.slow
def test_mesh_losses_bench_compares_the_mesh_models(vpg_shared) -> None:
    """Quick mesh_losses: one hard-case run per mesh setting, each with its own mesh model and load."""
    from greenroom.policies.pushgrasp.losses import MESH_SETTINGS, bench_mesh_losses

    rows = bench_mesh_losses(quick=True)
    assert [r.name for r in rows] == [f"mesh_lost_objects_per_run_{n}" for n in MESH_SETTINGS]
    for row, settings in zip(rows, MESH_SETTINGS.values()):
        assert row.details["settings"] == settings and row.details["scenario"] == "vpg" and row.details["runs"] == 1
        assert row.value >= 0 and sum(row.details["runs_ended"].values()) == 1


@pytest.mark.slow
def test_training_lr_bench_learns_at_the_runs_training_rate(trained, monkeypatch, tmp_path) -> None:
    """Quick vpg_protocol_training_lr: VPG's protocol rows with test-time learning at the run's training lr."""
    import shutil

    from greenroom.policies.pushgrasp.bench import bench_vpg_protocol_training_lr

    run = shutil.copytree(trained[0], tmp_path / "run")
    config = (run / "config.yaml").read_text()
    assert "\nlr: 0.0001\n" in config and "test_lr: 0.0001" in config
    (run / "config.yaml").write_text(config.replace("\nlr: 0.0001\n", "\nlr: 0.0005\n"))  # a rate unlike test_lr
    monkeypatch.setenv("GREENROOM_PUSHGRASP_RUN", str(run))
    monkeypatch.setenv("GREENROOM_BENCH_TABLES", "table1")
    rows = bench_vpg_protocol_training_lr(quick=True)
    assert [r.name for r in rows] == [f"vpg_protocol_training_lr_table1_{m}"
                                      for m in ("completion", "grasp_success", "action_efficiency")]
    details = rows[0].details
    assert details["test_lr"] == 0.0005 and details["quick"] and details["policy"] == str(run)
    assert "VPG protocol" in details["protocol"] and details["runs"] == 1
    # every lost block is traced to its action, and the per-primitive sums agree with the per-run records
    assert set(details["lost_by_primitive"]) == {"push", "grasp"}
    assert sum(details["lost_by_primitive"].values()) == sum(loss["blocks"] for run in details["per_run"]
                                                             for loss in run["losses"])


def test_bench_simulator_settings_are_applied_and_checked(monkeypatch) -> None:
    """GREENROOM_BENCH_SIMULATOR: the protocol benches' simulator settings; unknown keys name the valid ones."""
    from greenroom.policies.pushgrasp.bench_settings import bench_simulator
    from greenroom.policies.pushgrasp.config import PushGraspTrainConfig

    config = PushGraspTrainConfig.smoke()
    assert bench_simulator(config) is config
    monkeypatch.setenv("GREENROOM_BENCH_SIMULATOR", "put_back_model=gentle, mesh_model=boxes")
    changed = bench_simulator(config)
    assert (changed.env.put_back_model, changed.env.mesh_model) == ("gentle", "boxes")
    monkeypatch.setenv("GREENROOM_BENCH_SIMULATOR", "push_edge_min_inward=0.7")
    assert bench_simulator(config).env.geometry.push_edge_min_inward == 0.7
    monkeypatch.setenv("GREENROOM_BENCH_SIMULATOR", "num_objects=3")
    with pytest.raises(ValueError, match="put_back_model.*push_edge_min_inward.*rolling"):
        bench_simulator(config)


def test_bench_simulator_range_maps_the_same_draws_onto_the_new_range(monkeypatch) -> None:
    """``rolling=LOW:HIGH`` moves the rolling-resistance range: each reset's draw keeps its quantile (the
    friction group's generator is untouched), the other friction draws stay, and the row records the range."""
    import numpy as np

    from greenroom.policies.pushgrasp.bench_settings import bench_ranges, bench_simulator
    from greenroom.policies.pushgrasp.config import PushGraspTrainConfig
    from greenroom.sim.core.randomization import sample_groups

    config = PushGraspTrainConfig.smoke()
    assert bench_ranges(config) == {"rolling": [5e-4, 3e-3]}
    monkeypatch.setenv("GREENROOM_BENCH_SIMULATOR", "rolling=1.5e-3:9e-3")
    moved = bench_simulator(config)
    assert bench_ranges(moved) == {"rolling": [1.5e-3, 9e-3]}
    for seed in (10000, 10007):
        before = sample_groups({"friction": config.env.randomization.friction}, seed)["friction"]
        after = sample_groups({"friction": moved.env.randomization.friction}, seed)["friction"]
        assert np.isclose(after["rolling"], 3 * before["rolling"])
        assert after["table_lateral"] == before["table_lateral"]
    for bad, message in (("rolling=3e-4", "LOW:HIGH"), ("rolling=3e-3:3e-4", "low <= high")):
        monkeypatch.setenv("GREENROOM_BENCH_SIMULATOR", bad)
        with pytest.raises(ValueError, match=message):
            bench_simulator(config)


def test_variants_curves_bench_plots_every_trained_variant(trained, monkeypatch, tmp_path) -> None:
    """variants_curves: Fig. 4 and each variant's final training grasp success, from the runs' logs only;
    variants with no run are listed as skipped."""
    import shutil

    from greenroom.policies.pushgrasp.bench import bench_variants_curves

    runs = []
    for variant, every in (("vpg", 2), ("pg-reactive", 4)):  # grasps succeed on every 2nd / 4th iteration
        run = shutil.copytree(trained[0], tmp_path / variant)
        config = (run / "config.yaml").read_text()
        (run / "config.yaml").write_text(config.replace(config.splitlines()[0], f"variant: {variant}", 1))
        lines = ["iteration,primitive,outcome,episode"] + [f"{i},1,{float(i % every == 0)},0" for i in range(2000)]
        (run / "transitions.csv").write_text("\n".join(lines) + "\n")
        runs.append(str(run))
    monkeypatch.setenv("GREENROOM_PUSHGRASP_RUNS", ",".join(runs))
    monkeypatch.setenv("GREENROOM_BENCH_FIGURES", str(tmp_path / "figures"))
    rows = {r.name: r for r in bench_variants_curves(quick=True)}
    assert rows["variant_curve_vpg_grasp_success"].value == 50.0
    assert rows["variant_curve_pg-reactive_grasp_success"].value == 25.0
    assert rows["variant_curve_vpg_grasp_success"].details["iteration"] == 2000
    assert "skipped" in rows["variant_curve_grasping-only_grasp_success"].details
    assert (tmp_path / "figures" / "pushgrasp-variants-fig4.png").stat().st_size > 10_000
