"""Flight training end to end: CLI round trip, resume after SIGKILL, backends give the same labels."""
from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from greenroom.policies.common.config import resolve_config
from greenroom.policies.flight.backends import RolloutPool
from greenroom.policies.flight.config import FlightTrainConfig
from greenroom.policies.flight.network import build_network
from greenroom.policies.flight.rollout import FREE_SPACE, MONTE_CARLO, RolloutResult
from greenroom.policies.flight.trainer import cpu_weights, make_tasks, phase_names
from greenroom.policies.runtime.flight import FlightRuntimePolicy

CLI = [sys.executable, "-m", "greenroom.cli"]


def _greenroom(args: list[str], runs: Path, timeout: float = 180) -> subprocess.CompletedProcess:
    env = {**os.environ, "GREENROOM_RUNS": str(runs)}
    result = subprocess.run(CLI + args, capture_output=True, text=True, timeout=timeout, env=env)
    assert result.returncode == 0, f"greenroom {' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    return result


@pytest.mark.slow
def test_smoke_train_export_evaluate_round_trip(runs_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    train = _greenroom(["train", "flight", "--preset", "smoke"], runs_dir)
    run = Path(train.stdout.strip().splitlines()[-1])
    assert (run / "checkpoints" / "latest").is_file() and (run / "metrics.csv").is_file()
    assert json.loads((run / "run.json").read_text())["finished"] is True

    exported = Path(_greenroom(["export", str(run)], runs_dir).stdout.strip().splitlines()[-1])
    assert exported == run / "export" / "policy.onnx"
    parity = json.loads((run / "export" / "parity.json").read_text())
    assert parity["observations"] >= 256 and parity["max_abs_diff"] <= 1e-5
    policy = FlightRuntimePolicy(exported)
    assert (policy.grid.rows, policy.grid.cols) == (3, 3)

    by_torch = json.loads(_greenroom(["evaluate", str(run)], runs_dir).stdout)
    for name in ("eval.json", "eval.md", "bars.png", "trajectories.png", "learning_curve.png", "policy.mp4"):
        assert (run / "eval" / name).is_file(), name
    assert set(by_torch["metrics"]) == {"policy", "straight", "random", "oracle"}
    for metrics in by_torch["metrics"].values():
        assert set(metrics) == {"heldout-worlds", "heldout-appearance", "all"}
        assert {"mean_distance_m", "median_distance_m", "success_rate", "collisions_per_100m"} <= set(metrics["all"])
    assert min(by_torch["seeds"]) >= FlightTrainConfig.smoke().eval.seed_start

    by_onnx = json.loads(_greenroom(["evaluate", "--onnx", str(exported)], runs_dir).stdout)
    assert by_onnx["policy"].startswith("onnx:") and by_onnx["seeds"] == by_torch["seeds"]
    # clearance speeds are continuous in the values: ONNX and torch differ by float rounding only
    for world_set, metrics in by_torch["metrics"]["policy"].items():
        assert by_onnx["metrics"]["policy"][world_set] == pytest.approx(metrics, rel=1e-4, abs=1e-6)
    onnx_out = Path(by_onnx["out_dir"])   # never beside the model (read-only or an installed package)
    assert onnx_out.parent == runs_dir / "eval" / "flight" and (onnx_out / "eval.json").is_file()
    assert not (exported.parent / "eval").exists()

    # the config beside the model is checked as written (settings added later load with defaults)
    import yaml
    from greenroom.policies.flight.evaluate import _resolve

    beside = exported.with_suffix(".config.yaml")
    written = yaml.safe_load(beside.read_text())
    beside.write_text(yaml.safe_dump({k: written[k] for k in reversed(list(written))}))  # same settings
    assert _resolve(None, exported, "smoke", []).lr == written["lr"]
    beside.write_text(yaml.safe_dump({**written, "lr": written["lr"] * 2}))
    with pytest.raises(ValueError, match="does not match the config hash"):
        _resolve(None, exported, "smoke", [])
    beside.write_text(yaml.safe_dump(written))

    # export-time action set: the graph, contract and config get the override, the weights stay
    relaxed = Path(_greenroom(["export", str(run), "--out", str(runs_dir / "relaxed"), "env.actions.turn_below=0.55"],
                              runs_dir).stdout.strip().splitlines()[-1])
    relaxed_policy = FlightRuntimePolicy(relaxed)  # checks the graph's twists against the contract's action set
    assert relaxed_policy.actions.config.turn_below == 0.55 and policy.actions.config.turn_below != 0.55
    frames = np.load(sorted((run / "data").glob("*.npz"))[-1])["images"][:64]
    np.testing.assert_allclose(relaxed_policy.act_batch(frames)[0], policy.act_batch(frames)[0], atol=1e-6)  # same values
    assert yaml.safe_load(relaxed.with_suffix(".config.yaml").read_text())["env"]["actions"]["turn_below"] == 0.55
    refused = subprocess.run(CLI + ["export", str(run), "--out", str(runs_dir / "bad"), "env.image_size=96"],
                             capture_output=True, text=True, timeout=120, env={**os.environ, "GREENROOM_RUNS": str(runs_dir)})
    assert refused.returncode == 2 and "env.actions.turn_below" in refused.stderr, refused.stderr
    assert not (runs_dir / "bad").exists()

    # checkpoint averaging at export: the graph's weights are the mean of the newest 3 checkpoints'
    from greenroom.policies.common.rundir import RunDir
    from greenroom.policies.flight.export import load_trained_network

    averaged = Path(_greenroom(["export", str(run), "--out", str(runs_dir / "averaged"), "network.average_checkpoints=3"],
                               runs_dir).stdout.strip().splitlines()[-1])
    _, averaged_net, _ = load_trained_network(RunDir.open(run), average_checkpoints=3)
    with torch.no_grad():
        expected = averaged_net(torch.from_numpy(frames)).numpy()
    np.testing.assert_allclose(FlightRuntimePolicy(averaged).act_batch(frames)[0], expected, atol=1e-5)
    assert not np.allclose(expected, policy.act_batch(frames)[0], atol=1e-3)   # not the newest checkpoint alone
    assert yaml.safe_load(averaged.with_suffix(".config.yaml").read_text())["network"]["average_checkpoints"] == 3

    # the turn-in-place threshold (and mirror averaging) is chosen on validation worlds only, with the
    # training appearance and the validation appearance set; then both fly the held-out sets
    from greenroom.policies.flight.bench_turn import VALIDATION_SEED_START, bench_turn_threshold, candidate_label

    monkeypatch.setenv("GREENROOM_BENCH_FLIGHT_RUN", str(run))
    monkeypatch.setenv("GREENROOM_RUNS", str(runs_dir))
    monkeypatch.delenv("GREENROOM_BENCH_FLIGHT_INFERENCE", raising=False)
    rows = {r.name: r for r in bench_turn_threshold(quick=True)}
    chosen = rows["chosen turn_below"]
    candidates = chosen.details["candidates"]
    assert len(candidates) == 2 * len(chosen.details["thresholds"])  # as trained and mirror-averaged
    validation = {c: rows[f"validation worlds mean distance ({c})"] for c in candidates}
    for r in validation.values():
        appearance = r.details["validation_appearance"]
        assert r.details["score_m"] == pytest.approx(0.5 * (r.value + appearance["mean_distance_m"]))
        assert r.details["seed_start"] == VALIDATION_SEED_START
    best = max(validation.values(), key=lambda r: r.details["score_m"])
    assert validation[candidate_label(chosen.value, chosen.details["inference"])].details["score_m"] == \
        best.details["score_m"]
    assert chosen.details["validation_appearance_seen_in_training"] is False
    assert (run / "eval" / "validation-textures" / "astronaut.png").is_file()  # scikit-image's photographs
    for label in ("own", "chosen"):
        held_out = rows[f"{label}: policy mean distance (heldout-worlds)"].details
        assert FlightTrainConfig.smoke().eval.seed_start <= min(held_out["seeds"]) <= max(held_out["seeds"]) < VALIDATION_SEED_START
        assert set(held_out["metrics"]) == {"policy", "straight", "oracle", "gt_oracle"}
    assert rows["own: policy mean distance (heldout-worlds)"].details["turn_below"] == chosen.details["own_turn_below"]
    assert rows["own: policy mean distance (heldout-worlds)"].details["inference"] == []
    assert rows["chosen: policy mean distance (heldout-worlds)"].details["inference"] == chosen.details["inference"]

    # each held-out image alone on every surface, at a given threshold
    from greenroom.policies.flight.bench_appearance import bench_appearance_breakdown

    monkeypatch.setenv("GREENROOM_BENCH_TURN_BELOW", "0.45")
    rows = bench_appearance_breakdown(quick=True)
    assert [r.name for r in rows[:2]] == ["training appearance mean distance", "held-out appearance set mean distance"]
    assert len(rows) == 4 and all(r.name.endswith("on every surface: mean distance") for r in rows[2:])
    assert all(r.details["turn_below"] == 0.45 and r.details["episodes"] == 2 for r in rows)
    assert all(0.0 <= r.value <= FlightTrainConfig.smoke().env.max_distance + 1.0 for r in rows)
    assert not (run / "bench-appearance" / "one").exists()


@pytest.mark.slow
def test_resume_after_sigkill_loses_at_most_one_phase(runs_dir: Path, tmp_path: Path) -> None:
    overrides = ["stage1.epochs=4", "stage2.iterations=3", "network.average_checkpoints=5"]   # keeps 5, not 3
    env = {**os.environ, "GREENROOM_RUNS": str(runs_dir)}
    with (tmp_path / "stderr.txt").open("w") as stderr:
        proc = subprocess.Popen(CLI + ["train", "flight", *overrides, "--preset", "smoke"], stdout=subprocess.PIPE,
                                stderr=stderr, text=True, env=env)
    first_line = proc.stdout.readline().strip()
    assert first_line, f"training did not start: {(tmp_path / 'stderr.txt').read_text()[-2000:]}"
    run = Path(first_line)
    latest = run / "checkpoints" / "latest"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (latest.is_file() and int(latest.read_text()[5:14]) >= 3):
        time.sleep(0.05)
    assert proc.poll() is None, "training finished before it could be killed"
    workers = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    killed_at = int(latest.read_text()[5:14])
    assert killed_at >= 3
    deadline = time.monotonic() + 10           # the rollout workers notice and exit by themselves
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in workers):
        time.sleep(0.2)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()], "orphaned rollout workers"

    resumed = _greenroom(["train", "flight", "--resume", str(run)], runs_dir)
    config = resolve_config(FlightTrainConfig, "smoke", overrides)
    total = len(phase_names(config))
    assert f"after phase {killed_at}" in resumed.stdout      # nothing before the last checkpoint was redone
    checkpoint = torch.load(run / "checkpoints" / latest.read_text().strip(), weights_only=False)
    assert checkpoint["state"]["phases_done"] == total
    shards = sorted(p.stem for p in (run / "data").glob("*.npz"))
    assert shards == sorted(checkpoint["state"]["shards"])
    steps = [int(float(line.split(",")[0])) for line in (run / "metrics.csv").read_text().splitlines()[1:]]
    assert steps == sorted(steps) and len(steps) == total   # one row per phase, no duplicates after resume
    kept = [p.name for p in sorted((run / "checkpoints").glob("ckpt-*.pt"))]
    assert kept == [f"ckpt-{phase:09d}.pt" for phase in range(total - 4, total + 1)]   # what averaging 5 needs


@pytest.mark.slow
@pytest.mark.ray
def test_process_and_ray_backends_give_the_same_labels() -> None:
    config = FlightTrainConfig.smoke()
    torch.manual_seed(3)
    weights = cpu_weights(build_network(config))
    tasks = make_tasks(config, FREE_SPACE, 10, 0, None) + make_tasks(config, MONTE_CARLO, 6, 10, weights)
    results: dict[str, RolloutResult] = {}
    for backend in ("process", "ray"):
        with RolloutPool(config, workers=2, backend=backend) as pool:
            results[backend] = RolloutResult.concat(list(pool.map(tasks)))
    a, b = results["process"], results["ray"]
    assert len(a.images) == 16 and a.mask[-6:].sum() == 6 * config.labels_per_state
    np.testing.assert_array_equal(a.images, b.images)
    np.testing.assert_array_equal(a.targets, b.targets)
    np.testing.assert_array_equal(a.mask, b.mask)
    assert a.env_steps == b.env_steps and a.episode_distances == b.episode_distances


def test_heldout_appearance_worlds_wear_only_heldout_images(tmp_path: Path):
    """A run trained with built-in photos is evaluated on the held-out folder alone."""
    from PIL import Image

    from greenroom.policies.flight.appearance import heldout_env_config
    from greenroom.sim.flight.config import FlightEnvConfig

    folder = tmp_path / "heldout"
    folder.mkdir()
    Image.fromarray(np.full((20, 20, 3), 7, np.uint8)).save(folder / "only.png")
    trained = dataclasses.replace(FlightEnvConfig.smoke(), photo_set="skimage")
    env = heldout_env_config(trained, str(folder), (), tmp_path / "cache")
    assert (env.photo_set, env.textures_dir) == ("none", str(folder))
    assert env.randomization.textures.photo_fraction.low == 1.0


def test_validation_appearance_set_is_scikit_image_photos_disjoint_from_the_heldout_set(tmp_path: Path):
    """``eval.appearance_textures=validation``: scikit-image's 18 photographs on every surface, none of
    them a held-out image; a run trained with the ``skimage`` photo set is flagged as having seen them."""
    from greenroom.policies.flight.appearance import heldout_env_config, validation_set_seen, write_heldout_textures
    from greenroom.sim.flight.config import FlightEnvConfig
    from greenroom.sim.flight.textures import PHOTO_SETS, load_photos

    trained = FlightEnvConfig.smoke()
    env = heldout_env_config(trained, "validation", (), tmp_path / "eval" / "appearance-textures")
    folder = tmp_path / "eval" / "validation-textures"
    assert (env.photo_set, env.textures_dir) == ("none", str(folder))
    assert env.randomization.textures.photo_fraction.low == env.randomization.textures.photo_fraction.high == 1.0
    assert sorted(p.name for p in folder.iterdir() if p.suffix != "") == sorted(PHOTO_SETS["skimage"])
    assert len(load_photos(folder, 16)) == 18
    heldout = {p.name for p in write_heldout_textures(tmp_path / "heldout").glob("*.png")}
    assert heldout and not heldout & {p.name for p in folder.iterdir()}
    assert not validation_set_seen(trained)
    assert validation_set_seen(dataclasses.replace(trained, photo_set="skimage"))
