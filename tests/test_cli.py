"""The `greenroom` command line: subcommands, clear errors, exit codes."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from greenroom import __version__
from greenroom.cli import main


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "greenroom.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


def test_version_and_help() -> None:
    result = run_cli("--version")
    assert result.returncode == 0 and __version__ in result.stdout
    result = run_cli("--help")
    for command in ("train", "evaluate", "export", "play", "bench", "launch"):
        assert command in result.stdout


def test_unknown_task_lists_valid_tasks() -> None:
    result = run_cli("train", "walking")
    assert result.returncode == 2
    assert "walking" in result.stderr
    assert all(name in result.stderr for name in ("finray", "flight", "pushgrasp"))


def test_evaluate_needs_a_run_or_onnx(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate"]) == 2
    assert "RUN directory or --onnx" in capsys.readouterr().err


def test_export_of_a_missing_run_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.parametrize("task", ["pushgrasp", "finray"])
def test_export_overrides_only_where_the_task_allows_them(task: str, tmp_path: Path) -> None:
    from greenroom.policies.common.config import ConfigError
    from greenroom.policies.common.rundir import RunDir
    from greenroom.policies.common.task import load_task

    with pytest.raises(ConfigError, match=f"greenroom export {task}: takes no overrides"):
        load_task(task).export(RunDir(tmp_path), None, ["lr=0.1"])  # refused before the run is read


def test_unknown_config_key_names_valid_keys(runs_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "flight", "--preset", "smoke", "env.no_such_key=1"]) == 2
    err = capsys.readouterr().err
    assert "env.no_such_key" in err and "image_size" in err
    assert not (runs_dir / "flight").exists() or not any((runs_dir / "flight").iterdir())


def test_bad_value_is_refused(runs_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "flight", "--preset", "smoke", "env.image_size=-3"]) == 2
    assert "image_size" in capsys.readouterr().err


def test_stray_option_is_refused() -> None:
    result = run_cli("train", "flight", "--preset", "smoke", "--bogus")
    assert result.returncode == 2 and "--bogus" in result.stderr


def test_unknown_benchmark_names_valid_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "flight", "--only", "nonsense"]) == 2
    assert "valid:" in capsys.readouterr().err


def test_override_after_onnx_is_not_taken_for_a_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The optional RUN positional must not swallow `key=value`; the missing model is the error.
    assert main(["evaluate", "--onnx", str(tmp_path / "missing.onnx"), "episodes=2"]) == 2
    err = capsys.readouterr().err
    assert "missing.onnx" in err and "episodes=2" not in err.split("error:")[0]


def test_failed_run_is_removed_or_marked(runs_dir: Path) -> None:
    """After a failure: a new run without checkpoints goes; one with checkpoints is marked failed (resumable)."""
    from greenroom.cli import _after_failed_train
    from greenroom.policies.common.rundir import RunDir

    empty = RunDir.create("flight")
    _after_failed_train(empty, ValueError("boom"), new=True, before=None, checkpoint=None, keep=False,
                        made=[runs_dir / "flight"])
    assert not empty.path.exists() and not (runs_dir / "flight").exists()
    run = RunDir.create("flight")
    run.write_meta(task="flight")
    run.save_checkpoint({"x": 1}, step=1)
    _after_failed_train(run, ValueError("disk\nfull"), new=True, before=None, checkpoint=None, keep=False, made=[])
    assert run.read_meta()["failed"]["error"] == "disk full" and run.latest_checkpoint() is not None
    before = (run.path / "run.json").read_bytes()
    run.write_meta(resumed_at="now")
    _after_failed_train(run, ValueError("again"), new=False, before=before, checkpoint=run.latest_checkpoint(),
                        keep=False, made=[])
    assert (run.path / "run.json").read_bytes() == before  # a resume that made no checkpoint changes nothing
