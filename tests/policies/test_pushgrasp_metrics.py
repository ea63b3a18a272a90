"""VPG's metric definitions and the synergy measures on constructed runs; protocol settings; even layouts."""
from __future__ import annotations

import math

import numpy as np

import pytest

from greenroom.policies.pushgrasp.config import PushGraspTrainConfig
from greenroom.policies.pushgrasp.metrics import GRASP, PUSH, RunResult, summarize

P, G = PUSH, GRASP


def run(objects: int, actions: list[tuple[int, bool]], lost: int = 0) -> RunResult:
    result = RunResult(objects=objects, lost=lost)
    for primitive, success in actions:
        result.record(primitive, success)
    return result



def test_runs_stuck_on_one_spot_are_counted() -> None:
    """A no-change run whose last 10 actions are one primitive within 2 px of one spot is 'stuck';
    a spread of failures, a switch of primitive, or a run that ended otherwise is not."""
    def spotted(ended: str, steps: list[tuple[int, tuple[int, int]]]) -> RunResult:
        result = RunResult(objects=5, ended=ended)
        for primitive, pixel in steps:
            result.record(primitive, False, pixel)
        return result

    stuck = spotted("no_change", [(G, (10, 10))] * 2 + [(G, (40, 40 + i % 3)) for i in range(10)])
    assert stuck.final_repeats == 10
    spread = spotted("no_change", [(G, (40, 40 + 3 * i)) for i in range(10)])
    assert spread.final_repeats == 1
    switched = spotted("no_change", [(G, (40, 40))] * 9 + [(P, (40, 40))])
    assert switched.final_repeats == 1
    other_end = spotted("action_cap", [(G, (40, 40))] * 12)
    unrecorded = run(5, [(G, False)] * 12)
    assert unrecorded.final_repeats == 0
    assert summarize([stuck, spread, switched, other_end, unrecorded])["no_change_runs_on_one_spot"] == 1

def test_runs_left_with_blocks_on_the_edge_are_counted() -> None:
    """A no-change run counts as left on the edge when every block still in the scene is on the edge;
    blocks_left counts incomplete runs only."""
    def ended(how: str, objects: int, grasps: int, left: int, on_edge: int) -> RunResult:
        result = run(objects, [(G, True)] * grasps + [(G, False)] * 10)
        result.ended, result.left, result.left_on_edge = how, left, on_edge
        return result

    runs = [ended("no_change", 5, 4, 1, 1), ended("no_change", 5, 3, 2, 1), ended("empty", 5, 4, 0, 0),
            ended("cleared", 5, 5, 0, 0), ended("no_change", 5, 2, 3, 3)]
    summary = summarize(runs)
    assert summary["no_change_runs_left_on_edge"] == 2
    assert (summary["blocks_left"], summary["blocks_left_on_edge"]) == (6, 5)


def test_completion_grasp_success_and_efficiency_follow_vpg() -> None:
    # 3 objects: push, grasp ok, grasp fail, grasp ok, grasp ok -> complete; 3/4 grasps; 3/5 actions
    a = run(3, [(P, False), (G, True), (G, False), (G, True), (G, True)])
    assert a.completed and a.grasps == 4 and a.successes == 3 and a.actions == 5 and a.pushes == 1
    assert a.grasp_success == pytest.approx(0.75) and a.efficiency == pytest.approx(0.6)
    # 2 objects, one pushed off the table: never complete although every grasp held
    b = run(2, [(G, True), (P, False)], lost=1)
    assert not b.completed and b.grasp_success == 1.0
    # a push reported as "grasp_success" is not a grasp
    c = run(1, [(P, True), (G, True)])
    assert c.successes == 1 and c.completed
    s = summarize([a, b, c])
    assert s["runs"] == 3 and s["completed_runs"] == 2
    assert s["completion"] == pytest.approx(100 * 2 / 3)
    # grasp success and efficiency: means over *completed* runs (VPG evaluate.py)
    assert s["grasp_success"] == pytest.approx(100 * (0.75 + 1.0) / 2)
    assert s["action_efficiency"] == pytest.approx(100 * (0.6 + 0.5) / 2)
    assert s["grasp_success_all"] == pytest.approx(100 * (0.75 + 1.0 + 1.0) / 3)
    assert s["action_efficiency_all"] == pytest.approx(100 * (0.6 + 1.0 + 0.5) / 3)
    assert s["runs_with_lost_objects"] == pytest.approx(100 / 3)
    assert s["lost_objects_per_run"] == pytest.approx(1 / 3)
    b.ended = "no_change"
    assert summarize([a, b, c])["runs_ended"] == {"": 2, "no_change": 1}


def test_synergy_measures_split_grasps_by_the_previous_action() -> None:
    a = run(3, [(P, False), (G, True), (G, False), (P, False), (G, False), (G, True)])
    b = run(1, [(G, False), (P, False), (P, False), (G, True)])
    # after a push: a[1] ok, a[4] fail, b[3] ok -> 2/3; otherwise: a[2] fail, a[5] ok, b[0] fail -> 1/3
    assert a.grasps_after(True) == (1, 2) and a.grasps_after(False) == (1, 2)
    s = summarize([a, b])
    assert s["push_share"] == pytest.approx(100 * 4 / 10)
    assert s["grasps_after_push"] == 3 and s["grasp_success_after_push"] == pytest.approx(200 / 3)
    assert s["grasps_without_push"] == 3 and s["grasp_success_without_push"] == pytest.approx(100 / 3)


def test_nothing_measured_is_nan_not_zero() -> None:
    s = summarize([run(2, [(G, False)] * 10)])
    assert s["completion"] == 0.0 and s["grasp_success_all"] == 0.0
    assert math.isnan(s["grasp_success"]) and math.isnan(s["action_efficiency"])  # no completed run
    assert math.isnan(s["grasp_success_after_push"]) and s["grasps_after_push"] == 0
    empty = summarize([])
    assert empty["runs"] == 0 and math.isnan(empty["completion"]) and math.isnan(empty["push_share"])


def test_hard_scenarios_run_every_layout_equally_often() -> None:
    from greenroom.policies.pushgrasp.evaluate import layout_runs

    config = PushGraspTrainConfig()  # runs 10, 6 hard layouts
    assert layout_runs(config, "hard", 6) == 12 and layout_runs(config, "vpg", 11) == 11
    assert layout_runs(config, "random", 6) == 10
    per_case = PushGraspTrainConfig(evaluate=PushGraspTrainConfig().evaluate.__class__(runs_per_case=30))
    assert layout_runs(per_case, "vpg", 11) == 330
    with pytest.raises(ValueError, match="runs_per_case >= 0"):
        PushGraspTrainConfig().evaluate.__class__(runs_per_case=-1)


def test_protocols_set_vpgs_rules() -> None:
    from greenroom.policies.pushgrasp.protocols import PROTOCOLS, protocol_config

    base = PushGraspTrainConfig.cpu()
    vpg = protocol_config(base, "vpg")
    ev = vpg.evaluate
    assert ev.runs == 30 and ev.runs_per_case == 30 and ev.clutter_objects == 30
    assert ev.max_actions_per_object == 0 and not ev.avoid_repeats and ev.test_time_learning
    assert vpg.env.max_no_change == 10 and vpg.env.max_actions >= 300
    deployment = protocol_config(base, "deployment")
    assert deployment.evaluate.avoid_repeats and not deployment.evaluate.test_time_learning
    assert deployment.evaluate.runs_per_case == 30 and deployment.env == vpg.env
    assert PROTOCOLS["deployment"].onnx and "not the paper" in PROTOCOLS["deployment"].label
    with pytest.raises(ValueError, match="valid: vpg, deployment"):
        protocol_config(base, "mine")
    smaller = protocol_config(base, "deployment", runs=5)  # a smaller-than-paper run, recorded by the bench
    assert smaller.evaluate.runs == smaller.evaluate.runs_per_case == 5 and smaller.env == vpg.env
    with pytest.raises(ValueError, match="runs per case"):
        protocol_config(base, "vpg", runs=0)


def test_bench_runs_comes_from_the_environment(monkeypatch) -> None:
    from greenroom.policies.pushgrasp.bench import bench_runs

    monkeypatch.delenv("GREENROOM_BENCH_RUNS", raising=False)
    assert bench_runs() is None
    monkeypatch.setenv("GREENROOM_BENCH_RUNS", "7")
    assert bench_runs() == 7
    monkeypatch.setenv("GREENROOM_BENCH_RUNS", "ten")
    with pytest.raises(ValueError, match="GREENROOM_BENCH_RUNS"):
        bench_runs()


def test_bench_layout_seed_comes_from_the_environment(monkeypatch) -> None:
    """Other Table I layouts than the usual ones: the protocol benches' first reset seed."""
    from greenroom.policies.pushgrasp.bench import bench_layout_seed

    monkeypatch.delenv("GREENROOM_BENCH_LAYOUT_SEED", raising=False)
    assert bench_layout_seed(10_000) == 10_000
    monkeypatch.setenv("GREENROOM_BENCH_LAYOUT_SEED", "20000")
    assert bench_layout_seed(10_000) == 20_000
    monkeypatch.setenv("GREENROOM_BENCH_LAYOUT_SEED", "-1")
    with pytest.raises(ValueError, match="GREENROOM_BENCH_LAYOUT_SEED"):
        bench_layout_seed(10_000)


def test_push_then_grasp_curve_follows_episodes() -> None:
    from greenroom.policies.pushgrasp.plots import after_push, grasp_success_curve

    primitives = np.array([P, G, G, P, P, G, G])
    episodes = np.array([0, 0, 0, 0, 1, 1, 0])   # two interleaved episodes (parallel actors)
    outcomes = np.array([0.5, 1.0, 0.0, 0.5, 0.5, 0.0, 1.0])
    assert after_push(primitives, episodes).tolist() == [False, True, False, False, False, True, True]
    assert after_push(primitives, None).tolist() == [False, True, False, False, True, True, False]  # one sequence
    curve = grasp_success_curve(primitives, outcomes, window=2, only=after_push(primitives, episodes))
    # push-then-grasps: #1 ok, #5 fail, #6 ok; VPG weights the first values by count / window
    assert curve.tolist() == pytest.approx([0.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5])


def test_training_curves_are_sampled_from_the_transitions_log(tmp_path) -> None:
    from greenroom.policies.pushgrasp.plots import curve_checkpoints, variants_curve_plot

    # iterations 0..3999: pushes on even iterations up to 1999, then grasps only; every grasp after a
    # push succeeds, other grasps succeed on every 4th iteration
    rows = ["iteration,primitive,outcome,episode"]
    for i in range(4000):
        push = i < 2000 and i % 2 == 0
        outcome = 0.5 if push else float(i < 2000 or i % 4 == 1)
        rows.append(f"{i},{P if push else G},{outcome},0")
    log = tmp_path / "transitions.csv"
    log.write_text("\n".join(rows) + "\n")
    curves = curve_checkpoints(log, every=1000, window=200)
    assert list(curves["grasp_success"]) == [1000, 2000, 3000, 4000]
    assert curves["push_share"] == {1000: 50.0, 2000: 50.0, 3000: 0.0, 4000: 0.0}
    assert curves["grasp_success"][2000] == 100.0 and curves["grasp_success"][4000] == 25.0
    assert curves["push_then_grasp_success"][4000] == 100.0      # the last 200 such grasps all succeeded
    figure = variants_curve_plot({"vpg": log, "grasping-only": log}, tmp_path / "fig4.png")
    assert figure.stat().st_size > 10_000


def test_q_scale_counts_greedy_grasps_and_maxima_above_the_value_bound() -> None:
    from greenroom.policies.pushgrasp.qscale import measure

    def maps(push: float, grasp: float) -> tuple[np.ndarray, np.ndarray]:
        p, g = np.zeros((2, 4, 4), np.float32), np.zeros((2, 4, 4), np.float32)
        p[1, 2, 3], g[0, 1, 1] = push, grasp
        return p, g

    scale = measure([maps(0.5, 1.0), maps(1.2, 0.9), maps(0.8, 2.4), maps(1.0, 1.0)], gamma=0.5)
    assert scale.bound == 2.0
    assert scale.greedy_grasp_share == 75.0          # ties go to the grasp, as VPG's argmax does
    assert scale.over_bound_share == 25.0
    summary = scale.summary()
    assert summary["grasp_max_mean"] == pytest.approx((1.0 + 0.9 + 2.4 + 1.0) / 4)
    assert summary["grasp_over_push"] == pytest.approx((2.0 + 0.75 + 3.0 + 1.0) / 4)


def test_per_run_records_name_each_runs_seed_end_losses_and_rolling_draw() -> None:
    first, second = run(2, [(GRASP, True), (GRASP, True)]), run(3, [(GRASP, True)], lost=2)
    first.seed, first.ended, first.rolling_m = 10000, "cleared", 3e-4
    second.seed, second.ended = 10001, "empty"
    per_run = summarize([first, second])["per_run"]
    assert per_run[0] == {"seed": 10000, "ended": "cleared", "lost": 0, "rolling_m": 3e-4, "losses": []}
    assert per_run[1]["seed"] == 10001 and per_run[1]["lost"] == 2 and math.isnan(per_run[1]["rolling_m"])


def test_rollout_records_the_reset_seed_and_the_rolling_resistance_it_drew() -> None:
    """A real smoke-preset run (grasp the highest cell): the record carries the env's own draw."""
    from greenroom.policies.pushgrasp.evaluate import rollout
    from greenroom.sim.pushgrasp.env import PushGraspEnv

    env = PushGraspEnv(PushGraspTrainConfig.smoke().env)
    try:
        k = env.config.num_rotations

        def highest(color: np.ndarray, height: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            grasp = np.broadcast_to(height, (k, *height.shape)).astype(np.float32)
            return np.zeros_like(grasp), grasp

        result = rollout(env, highest, {"num_objects": 2}, seed=123, grasp_only=True, max_actions=2)
        _, info = env.reset(seed=123, options={"num_objects": 2})
    finally:
        env.close()
    drawn = info["randomization"]["friction"]["rolling"]
    rolling = env.config.randomization.friction.rolling
    assert result.seed == 123 and result.rolling_m == drawn and rolling.low <= drawn <= rolling.high
    losses = [{"action": a, "primitive": "push" if p == PUSH else "grasp", "held": held, "blocks": n}
              for a, p, held, n in result.losses]
    assert sum(n for *_, n in result.losses) == result.lost
    expected = {"seed": 123, "ended": result.ended, "lost": result.lost, "rolling_m": drawn, "losses": losses}
    assert summarize([result])["per_run"] == [expected]


def test_lost_blocks_are_traced_to_the_action_that_lost_them() -> None:
    """Each action that sent blocks off the workspace is listed in ``per_run`` (index, primitive, held,
    blocks) and summed by primitive; a grasp that held its block but knocked a neighbour off counts
    as a grasp loss."""
    first = RunResult(objects=3, seed=7)
    first.record(P, False, (5, 5), lost=1)
    first.record(G, True, (6, 6))
    first.record(G, True, (7, 7), lost=2)
    second = RunResult(objects=2, seed=8)
    second.record(G, False, (1, 1))
    summary = summarize([first, second])
    assert first.lost == 3 and second.lost == 0
    assert summary["lost_by_primitive"] == {"push": 1, "grasp": 2}
    assert summary["per_run"][0]["losses"] == [
        {"action": 0, "primitive": "push", "held": False, "blocks": 1},
        {"action": 2, "primitive": "grasp", "held": True, "blocks": 2}]
    assert summary["per_run"][1]["losses"] == [] and summary["lost_objects_per_run"] == 1.5
