"""Run directories: atomic checkpoints, latest pointer, metrics CSV that survives resume."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from greenroom.policies.common.rundir import CheckpointError, MetricsLogger, RunDir, atomic_write_text, read_metrics


def test_create_lays_out_runs_task_timestamp(runs_dir: Path) -> None:
    first, second = RunDir.create("flight"), RunDir.create("flight")
    assert first.path.parent == runs_dir / "flight"
    assert first.path != second.path  # same second -> suffixed, never shared


def test_open_refuses_non_runs(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        RunDir.open(tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match="no config.yaml"):
        RunDir.open(tmp_path)


def test_checkpoints_are_atomic_and_pruned(tmp_path: Path) -> None:
    run = RunDir(tmp_path)
    for step in (10, 20, 30, 40):
        run.save_checkpoint({"step": step, "w": torch.full((3,), float(step))}, step, keep=2)
    names = sorted(p.name for p in run.checkpoint_dir.iterdir())
    assert names == ["ckpt-000000030.pt", "ckpt-000000040.pt", "latest"]
    state = run.load_checkpoint()
    assert state is not None and state["step"] == 40 and torch.equal(state["w"], torch.full((3,), 40.0))
    assert not list(run.checkpoint_dir.glob("*.tmp"))


def test_no_checkpoint_means_none(tmp_path: Path) -> None:
    assert RunDir(tmp_path).load_checkpoint() is None


def test_corrupt_checkpoint_is_reported_by_name(tmp_path: Path) -> None:
    run = RunDir(tmp_path)
    path = run.save_checkpoint({"step": 1}, 1)
    path.write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match=path.name):
        run.load_checkpoint()


def test_atomic_write_leaves_old_file_on_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "a.txt"
    atomic_write_text(target, "old")

    def failing_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("greenroom.policies.common.rundir.os.fsync", failing_fsync)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]  # temp file removed


def test_atomic_write_gives_normal_permissions(tmp_path: Path) -> None:
    atomic_write_text(tmp_path / "b.txt", "x")
    assert (tmp_path / "b.txt").stat().st_mode & 0o044  # readable by group/others, not 0600


def test_metrics_csv_grows_columns_and_appends_after_resume(tmp_path: Path) -> None:
    run = RunDir(tmp_path)
    logger = MetricsLogger(run, tensorboard=True)
    logger.log(1, {"losses/value": 0.5})
    logger.log(2, {"losses/value": 0.4, "charts/distance": 3.0})
    logger.close()
    resumed = MetricsLogger(run, tensorboard=False)
    resumed.log(3, {"losses/value": 0.3})
    rows = read_metrics(run.path / "metrics.csv")
    assert [r["step"] for r in rows] == [1, 2, 3]
    assert rows[0] == {"step": 1.0, "losses/value": 0.5}
    assert rows[1]["charts/distance"] == 3.0
    assert list((run.path / "tb").iterdir())
