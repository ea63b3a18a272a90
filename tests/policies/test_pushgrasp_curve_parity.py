"""The one-process vs actors learning-curve comparison on constructed transitions logs."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from greenroom.policies.pushgrasp.curve_parity import GraspRate, compare, difference_interval, grasp_rate
from greenroom.policies.pushgrasp.plots import read_transitions


def write_log(path: Path, iterations: int, success_rate: float, seed: int) -> Path:
    """Every action a grasp; each succeeds with ``success_rate`` (outcome 1) or fails (0)."""
    rng = np.random.default_rng(seed)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["iteration", "primitive", "outcome", "episode"])
        for it in range(iterations):
            writer.writerow([it, 1, int(rng.random() < success_rate), it // 20])
    return path


def test_grasp_rate_counts_the_grasps_of_an_iteration_range(tmp_path) -> None:
    path = tmp_path / "t.csv"
    with path.open("w") as handle:
        handle.write("iteration,primitive,outcome,episode\n0,1,1,0\n1,0,0.5,0\n2,1,0,0\n3,1,1,0\n4,1,1,0\n")
    assert grasp_rate(read_transitions(path), 1, 4) == GraspRate(successes=1, grasps=2)   # iterations 1-3: a push, a miss, a hit
    assert grasp_rate(read_transitions(path), 0, 10).rate == pytest.approx(3 / 4)


def test_difference_interval_is_the_two_proportion_normal_interval() -> None:
    diff, low, high = difference_interval(GraspRate(60, 100), GraspRate(70, 100))
    se = np.sqrt(0.6 * 0.4 / 100 + 0.7 * 0.3 / 100)
    assert diff == pytest.approx(0.1) and low == pytest.approx(0.1 - 1.959964 * se) and high == pytest.approx(0.1 + 1.959964 * se)


def test_equal_learners_show_no_difference_and_unequal_ones_do(tmp_path) -> None:
    single = write_log(tmp_path / "single.csv", 3000, 0.6, seed=1)
    same = write_log(tmp_path / "same.csv", 2500, 0.6, seed=2)      # shorter: compared over 2,500 iterations
    better = write_log(tmp_path / "better.csv", 3000, 0.8, seed=3)
    result = compare(single, same)
    assert result["common_iterations"] == 2500 and result["checkpoints"] == [1000, 2000]
    assert result["single_grasps"] == result["parallel_grasps"] == 1500   # iterations 1000-2499
    assert not result["difference_detected"]
    low, high = result["difference_ci95_points"]
    assert low < 0 < high and abs(result["difference_points"]) < 6
    worse = compare(single, better)
    assert worse["difference_detected"] and worse["difference_points"] == pytest.approx(20, abs=5)
    assert all(gap > 0 for gap in worse["checkpoint_gap_points"])
    with pytest.raises(ValueError, match="burn-in"):
        compare(single, write_log(tmp_path / "short.csv", 900, 0.6, seed=4))


def test_bench_compares_the_named_runs_and_skips_short_ones(tmp_path, monkeypatch) -> None:
    from greenroom.policies.common.config import resolve_config, save_config
    from greenroom.policies.pushgrasp.config import PushGraspTrainConfig
    from greenroom.policies.pushgrasp.curve_parity import bench_parallel_curve

    def run_dir(name: str, iterations: int, rate: float, seed: int, actors: int) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        save_config(resolve_config(PushGraspTrainConfig, "cpu", [f"parallel.actors={actors}"]), folder / "config.yaml")
        write_log(folder / "transitions.csv", iterations, rate, seed)
        return folder

    single, parallel = run_dir("single", 2200, 0.6, 1, 0), run_dir("parallel", 2600, 0.6, 2, 2)
    monkeypatch.setenv("GREENROOM_BENCH_FIGURES", str(tmp_path / "figures"))
    monkeypatch.setenv("GREENROOM_PUSHGRASP_CURVE_RUNS", f"{single},{parallel}")
    difference, gap = bench_parallel_curve(quick=False)
    assert difference.name == "parallel_curve_difference" and difference.details["common_iterations"] == 2200
    assert difference.passed is (not difference.details["difference_detected"])
    assert difference.details["checkpoints"] == [1000, 2000]
    assert gap.value == pytest.approx(np.mean(np.abs(difference.details["checkpoint_gap_points"])))
    assert (tmp_path / "figures" / "pushgrasp-parallel-curve.png").is_file()
    short = run_dir("short", 800, 0.6, 3, 0)
    monkeypatch.setenv("GREENROOM_PUSHGRASP_CURVE_RUNS", f"{short},{parallel}")
    (row,) = bench_parallel_curve(quick=False)
    assert "burn-in" in row.details["skipped"]
    monkeypatch.setenv("GREENROOM_PUSHGRASP_CURVE_RUNS", str(single))
    with pytest.raises(ValueError, match="two run folders"):
        bench_parallel_curve(quick=False)
