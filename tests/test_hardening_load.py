"""Issue 16, safe loading: tampered checkpoints, SB3 zips and replay buffers never run code.

Each test builds a file the way an attacker would (a pickled object whose ``__reduce__`` calls
``os.system``) and proves the command never ran (its marker file does not appear) and that the
error names the file.
"""
from __future__ import annotations

import base64
import io
import json
import os
import sys
import zipfile
from pathlib import Path

import pytest
import torch

from greenroom.policies.common.rundir import CheckpointError, RunDir, safe_torch_load

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from hardening_support import Evil, assert_clean_error, cli, flight_run, tree  # noqa: E402


def _plant(run: RunDir, state: object) -> Path:
    path = run.save_checkpoint({"x": 1}, step=2)
    buffer = io.BytesIO()
    torch.save(state, buffer)
    path.write_bytes(buffer.getvalue())
    return path


@pytest.mark.parametrize("command", ["evaluate", "export", "resume"])
def test_malicious_checkpoint_runs_nothing_and_is_named(runs_dir: Path, tmp_path: Path, command: str,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    run = flight_run(runs_dir)
    marker = tmp_path / "pwned"
    path = _plant(run, {"model": Evil(marker), "optimizer": {}})
    torch.load(path, weights_only=False, map_location="cpu")  # the attack is real: an unsafe load runs it
    assert marker.exists()
    marker.unlink()
    args = {"evaluate": ["evaluate", run.path], "export": ["export", run.path],
            "resume": ["train", "flight", "--resume", run.path]}[command]
    meta_before = (run.path / "run.json").read_bytes()
    code, err = cli(args, capsys)
    line = assert_clean_error(code, err, str(path), "nothing was run")
    assert "posix.system" in line or "os.system" in line
    assert not marker.exists()
    assert (run.path / "run.json").read_bytes() == meta_before  # resume wrote no resumed_at


def test_safe_load_keeps_numpy_arrays_and_refuses_object_arrays(tmp_path: Path) -> None:
    import numpy as np

    good = tmp_path / "good.pt"
    torch.save({"a": np.arange(5, dtype=np.float32), "b": np.zeros((2, 2), np.uint8), "s": np.float64(1.5),
                "t": torch.ones(3), "rng": np.random.default_rng(0).bit_generator.state}, good)
    loaded = safe_torch_load(good, "good")
    assert loaded["a"].dtype == np.float32 and loaded["s"] == 1.5 and loaded["t"].sum() == 3
    bad = tmp_path / "objects.pt"
    torch.save({"a": np.array([Evil(tmp_path / "pwned")], dtype=object)}, bad)
    with pytest.raises(CheckpointError, match="objects.pt"):
        safe_torch_load(bad, f"checkpoint {bad}")
    assert not (tmp_path / "pwned").exists()


def _sb3_zip_with(payload_entry: dict, extra_pth: bytes | None = None) -> bytes:
    """A genuine SB3 SAC zip (smoke fin-ray config) with a tampered ``data`` entry / extra .pth."""
    from greenroom.policies.common.config import resolve_config
    from greenroom.policies.finray.config import FinRayTrainConfig
    from greenroom.policies.finray.sac_common import make_sac

    config = resolve_config(FinRayTrainConfig, "smoke", [])
    blob = io.BytesIO()
    make_sac(config).save(blob, exclude=["replay_buffer"])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(blob.getvalue())) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            if name == "policy.pth" and extra_pth is not None:
                continue
            data = src.read(name)
            if name == "data":
                data = json.dumps({**json.loads(data), **payload_entry}).encode()
            dst.writestr(name, data)
        if extra_pth is not None:
            dst.writestr("policy.pth", extra_pth)
    return out.getvalue()


def test_sync_finray_checkpoint_never_unpickles_the_sb3_zip(tmp_path: Path) -> None:
    import cloudpickle

    from greenroom.policies.common.config import resolve_config
    from greenroom.policies.finray.config import FinRayTrainConfig
    from greenroom.policies.finray.sync_trainer import load_policy_from_checkpoint

    marker = tmp_path / "pwned"
    evil = {":type:": "<class 'object'>", ":serialized:": base64.b64encode(cloudpickle.dumps(Evil(marker))).decode()}
    blob = _sb3_zip_with({"observation_space": evil, "lr_schedule": evil, "num_timesteps": 123})
    config = resolve_config(FinRayTrainConfig, "smoke", [])
    policy = load_policy_from_checkpoint(config, {"algo": "sync", "sb3_zip": blob})
    assert policy is not None and not marker.exists()
    # the tensors themselves go through the safe torch.load too
    evil_pth = io.BytesIO()
    torch.save({"w": Evil(marker)}, evil_pth)
    blob = _sb3_zip_with({}, extra_pth=evil_pth.getvalue())
    with pytest.raises(CheckpointError, match=r"policy\.pth.*nothing was run"):
        load_policy_from_checkpoint(config, {"algo": "sync", "sb3_zip": blob})
    assert not marker.exists()


def test_cached_ppo_baseline_is_loaded_without_unpickling(tmp_path: Path) -> None:
    import cloudpickle
    from stable_baselines3 import PPO

    from greenroom.policies.common.config import resolve_config
    from greenroom.policies.flight.baselines import _grid_env, load_or_train_ppo
    from greenroom.policies.flight.config import FlightTrainConfig

    config = resolve_config(FlightTrainConfig, "smoke", ["env.image_size=48"])
    model = PPO("CnnPolicy", _grid_env(config), n_steps=256, batch_size=64, n_epochs=4, seed=0, verbose=0,
                device="cpu")
    model.save(str(tmp_path / "ppo.zip"))
    marker = tmp_path / "pwned"
    evil = {":type:": "<class 'object'>", ":serialized:": base64.b64encode(cloudpickle.dumps(Evil(marker))).decode()}
    with zipfile.ZipFile(tmp_path / "ppo.zip") as src:
        entries = {name: src.read(name) for name in src.namelist()}
    entries["data"] = json.dumps({**json.loads(entries["data"]), "observation_space": evil, "policy_class": evil}).encode()
    with zipfile.ZipFile(tmp_path / "ppo.zip", "w") as dst:
        for name, data in entries.items():
            dst.writestr(name, data)
    (tmp_path / "ppo.json").write_text(json.dumps({"budget_s": 5.0, "image_size": 48}))
    loaded, meta = load_or_train_ppo(config, 5.0, tmp_path)
    assert not marker.exists() and meta["budget_s"] == 5.0
    for key, value in model.policy.state_dict().items():
        assert torch.equal(value, loaded.policy.state_dict()[key])


def test_corrupt_checkpoint_on_resume_is_one_line_and_changes_nothing(
        runs_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = flight_run(runs_dir)
    newest = run.save_checkpoint({"x": 1}, step=2)
    newest.write_bytes(os.urandom(2000))
    before = tree(run.path)
    meta = (run.path / "run.json").read_bytes()
    code, err = cli(["train", "flight", "--resume", run.path], capsys)
    assert_clean_error(code, err, str(newest), "corrupt", "ckpt-000000001.pt")  # names the one to fall back to
    assert (run.path / "run.json").read_bytes() == meta and tree(run.path) == before


def test_checkpoint_that_does_not_fit_the_edited_config_names_the_tensor(
        runs_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = flight_run(runs_dir)
    text = run.config_path.read_text()
    assert "grid_rows: 3" in text
    run.config_path.write_text(text.replace("grid_rows: 3", "grid_rows: 5"))
    before = tree(run.path)
    for args in (["export", run.path], ["evaluate", run.path], ["train", "flight", "--resume", run.path]):
        code, err = cli(args, capsys)
        assert_clean_error(code, err, "does not fit the run's config.yaml", "size mismatch", "ckpt-000000001.pt")
    assert tree(run.path) == before


def test_resuming_a_finished_run_is_refused(runs_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = flight_run(runs_dir)
    run.write_meta(train_seconds=12.5, finished=True, finished_at="2026-01-01T01:00:00")
    meta = (run.path / "run.json").read_bytes()
    code, err = cli(["train", "flight", "--resume", run.path], capsys)
    assert_clean_error(code, err, "finished training", "start a new run")
    assert (run.path / "run.json").read_bytes() == meta
    assert json.loads(meta)["train_seconds"] == 12.5


def test_no_unsafe_loader_left_in_the_package() -> None:
    """grep-level guard: every load path in the package is a safe one."""
    import re

    root = Path(__file__).resolve().parents[1]
    bad = re.compile(r"weights_only\s*=\s*False|allow_pickle\s*=\s*True|pickle\.loads?\(|cloudpickle\.loads?\("
                     r"|yaml\.load\(|yaml\.unsafe_load|\b(?:SAC|PPO|LeanSAC)\.load\(|load_replay_buffer\(")
    hits = [f"{p.relative_to(root)}:{i + 1}" for folder in ("greenroom", "policies", "sim", "real")
            for p in (root / folder).rglob("*.py") for i, line in enumerate(p.read_text().splitlines())
            if bad.search(line) and not line.lstrip().startswith("#")]
    assert not hits, f"unsafe load paths: {hits}"
