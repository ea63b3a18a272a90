"""Fin-ray training through the real CLI: async smoke run, sync reference, Ray backend, resume after kill."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from greenroom.policies.common.config import ConfigError, load_config, resolve_config
from greenroom.policies.common.rundir import RunDir, read_metrics
from greenroom.policies.finray.config import FinRayTrainConfig

CLI = [sys.executable, "-m", "greenroom.cli"]


def _train(runs_dir: Path, *args: str, timeout: float = 240) -> Path:
    env = {**os.environ, "GREENROOM_RUNS": str(runs_dir)}
    out = subprocess.run([*CLI, "train", "finray", *args], env=env, capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stderr[-3000:]
    return Path(out.stdout.strip().splitlines()[-1])


def _orphans(runs_dir: Path) -> list[int]:
    """Processes re-parented to init that inherited this test's GREENROOM_RUNS (leftover actors)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            environ = (proc / "environ").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == 1 and f"GREENROOM_RUNS={runs_dir}".encode() in environ:
            found.append(int(proc.name))
    return found


@pytest.mark.slow
def test_async_smoke_run_through_the_cli(runs_dir: Path) -> None:
    # 128-wide networks: the broadcast weights exceed a pipe buffer, so a learner that cannot exit
    # cleanly (queue feeder threads blocked on dead actors) would hang here until the timeout
    run = RunDir.open(_train(runs_dir, "sac.net_arch=[128,128]", "--preset", "smoke", timeout=180))
    result = run.read_meta()["result"]
    assert result["algo"] == "async" and result["n_actors"] == 2
    assert result["samples"] == 400
    config = resolve_config(FinRayTrainConfig, "smoke")
    # the configured update ratio holds exactly at the end (updates start after learning_starts)
    assert result["updates"] == int(config.sac.updates_per_sample * (400 - config.sac.learning_starts))
    assert run.latest_checkpoint() is not None
    rows = read_metrics(run.path / "metrics.csv")
    assert rows[-1]["perf/updates_per_sample"] == pytest.approx(result["updates"] / 400)
    assert any("charts/mean_return" in r for r in rows)
    assert not _orphans(runs_dir)

    # a checkpoint read with a config whose observation differs (history) fails with the reason
    from greenroom.policies.finray.sync_trainer import load_policy_from_checkpoint

    saved = load_config(FinRayTrainConfig, run.config_path)
    assert load_policy_from_checkpoint(saved, run.load_checkpoint()) is not None
    with pytest.raises(ValueError, match="takes 204 observation values.*env.history_steps=0"):
        load_policy_from_checkpoint(saved.with_env(history_steps=0), run.load_checkpoint())


def test_sync_reference_trains_with_the_same_ratio(runs_dir: Path) -> None:
    from greenroom.policies.common.config import save_config
    from greenroom.policies.finray.sync_trainer import train_sync

    config = resolve_config(FinRayTrainConfig, "smoke", ["algo=sync", "total_steps=250", "sac.updates_per_sample=0.5"])
    run = RunDir.create("finray", root=runs_dir)
    save_config(config, run.config_path)
    result = train_sync(config, run)
    assert result["samples"] == 250
    assert result["updates"] == pytest.approx(0.5 * (250 - config.sac.learning_starts), abs=1)


@pytest.mark.parametrize("algo", ["sync", "async"])
def test_stop_at_target_ends_training_there(runs_dir: Path, algo: str) -> None:
    from greenroom.policies.common.config import save_config
    from greenroom.policies.finray.async_trainer import train_async
    from greenroom.policies.finray.sync_trainer import train_sync

    # any return reaches this target: training ends once the first 2-episode window is full
    config = resolve_config(FinRayTrainConfig, "smoke", [f"algo={algo}", "total_steps=3000", "target_return=-1e9",
                                                         "stop_at_target=true", "return_window=2"])
    run = RunDir.create("finray", root=runs_dir)
    save_config(config, run.config_path)
    result = (train_sync if algo == "sync" else train_async)(config, run)
    assert result["target_reached"]["samples"] >= 2 * config.env.max_steps  # two whole episodes
    # the run stops with the chunk (async) or step (sync) that reached the target, whatever is still queued
    assert result["samples"] == result["target_reached"]["samples"]
    assert run.latest_checkpoint() is not None  # the stopped run is saved like a finished one
    with pytest.raises(ConfigError, match="stop_at_target needs a target_return"):
        resolve_config(FinRayTrainConfig, "smoke", ["stop_at_target=true"])


def test_bad_override_names_valid_keys() -> None:
    with pytest.raises(ConfigError, match="valid keys under 'parallel'.*backend"):
        resolve_config(FinRayTrainConfig, "smoke", ["parallel.bakend=ray"])
    with pytest.raises(ConfigError, match="updates_per_sample"):
        resolve_config(FinRayTrainConfig, "smoke", ["sac.updates_per_sample=0.3"])


@pytest.mark.slow
def test_resume_after_kill_continues_with_the_replay_buffer(runs_dir: Path) -> None:
    env = {**os.environ, "GREENROOM_RUNS": str(runs_dir)}
    proc = subprocess.Popen([*CLI, "train", "finray", "total_steps=1200", "checkpoint_every=150", "--preset", "smoke"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    run_path = Path(proc.stdout.readline().strip())
    run = RunDir(run_path)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (run.latest_checkpoint() is None or "ckpt-000000300" > run.latest_checkpoint().name):
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    killed_at = run.load_checkpoint()
    assert killed_at is not None and 300 <= killed_at["samples"] < 1200
    deadline = time.monotonic() + 10
    while _orphans(runs_dir) and time.monotonic() < deadline:  # actors notice the dead learner
        time.sleep(0.2)
    assert not _orphans(runs_dir)
    out = subprocess.run([*CLI, "train", "finray", "--resume", str(run_path)], env=env, capture_output=True,
                         text=True, timeout=240)
    assert out.returncode == 0, out.stderr[-3000:]
    result = RunDir.open(run_path).read_meta()["result"]
    assert result["samples"] == 1200 and result["restarts"] == 1
    final = run.load_checkpoint()
    assert len(final["buffer"]["observations"]) == 1200  # the pre-kill transitions were kept
    assert final["progress"]["episodes"] > killed_at["progress"]["episodes"]


@pytest.mark.slow
@pytest.mark.ray
def test_ray_backend_smoke(runs_dir: Path) -> None:
    ray = pytest.importorskip("ray")
    from greenroom.policies.common.config import save_config
    from greenroom.policies.finray.async_trainer import train_async

    from greenroom.policies.common.ray_local import init_ray

    init_ray("local", 2)  # what backend=ray does with ray_address=local: one Ray on loopback
    try:
        assert {n["NodeManagerAddress"] for n in ray.nodes()} == {"127.0.0.1"}  # nothing off loopback
        config = resolve_config(FinRayTrainConfig, "smoke", ["parallel.backend=ray", "total_steps=200"])
        run = RunDir.create("finray", root=runs_dir)
        save_config(config, run.config_path)
        result = train_async(config, run)
    finally:
        ray.shutdown()
    assert result["backend"] == "ray" and result["samples"] == 200
    assert result["updates"] == int(config.sac.updates_per_sample * (200 - config.sac.learning_starts))
    assert json.loads((run.path / "run.json").read_text())["result"]["backend"] == "ray"


def _run_or_dump(command: list[str], timeout: float) -> subprocess.CompletedProcess:
    """Run ``command``; if it outlives ``timeout``, fail with every thread's traceback (faulthandler on
    SIGABRT) so that a hang says where it hangs (this bench once hung in CI, silently, and never again
    in reruns), then kill its whole process group (the actor processes too)."""
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env={**os.environ, "PYTHONFAULTHANDLER": "1"})
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)
        try:
            out, err = proc.communicate(timeout=30)
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:  # the whole group is gone already
                pass
        pytest.fail(f"{' '.join(command[2:])} ran longer than {timeout} s; its threads:\n{err[-8000:]}")
    return subprocess.CompletedProcess(command, proc.returncode, out, err)


@pytest.mark.slow
def test_quick_benchmarks_run_through_the_cli(tmp_path: Path) -> None:
    out_json = tmp_path / "bench.json"
    out = _run_or_dump([*CLI, "bench", "finray", "--only", "update_cost,sync_vs_async", "--quick", "--json",
                        str(out_json)], timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    rows = {r["name"]: r for r in json.loads(out_json.read_text())["results"]}
    assert rows["SAC update, lean"]["value"] > 0 and rows["SAC update, sb3"]["value"] > 0  # timings: reported only
    ratio = rows["async/sync samples/s"]
    assert ratio["value"] > 0 and ratio["details"]["updates_per_sample"]["sync"] > 0
    assert "async/sync wall-clock to target return" in rows
