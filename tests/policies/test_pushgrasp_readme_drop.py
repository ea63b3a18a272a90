"""The README's rows on VPG's drop (``drop_model``) and the seed-3 run quote the committed results exactly."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from pushgrasp_readme_support import (  # noqa: E402
    METRICS, PAPER, committed, ends_cell, figure_cells, lost_runs, tour_text,
)

BUNDLED_ONNX = "assets/policies/pushgrasp/pushgrasp.onnx"
SEED3_RUN = "runs/pushgrasp/20261206-153549"


def _table1(name: str, prefix: str) -> tuple[str, dict]:
    """(completion / grasp success / efficiency cell, details) of a Table I protocol row."""
    rows = committed(name)
    return figure_cells([rows], (prefix,))[0], rows[f"{prefix}_table1_completion"]["details"]


def _missed(rows: dict, prefix: str, table: str) -> list[str]:
    """The metrics of one protocol's results where ``table`` is below the paper (``PAPER``)."""
    return [m for m, paper in zip(METRICS, PAPER[table]) if rows[f"{prefix}_{table}_{m}"]["value"] < paper]


def _ended(details: dict) -> str:
    ended = details["runs_ended"]
    assert set(ended) <= {"cleared", "empty", "action_cap"}, ended
    return f"{ended.get('cleared', 0)} / {ended.get('empty', 0)} / {ended.get('action_cap', 0)}"


def test_bundled_policy_with_each_drop_is_the_committed_result() -> None:
    tour = tour_text()
    cells = {}
    for drop in ("legacy", "settle"):
        cell, d = _table1(f"pushgrasp-deployment-bundled-drop-{drop}.json", "deployment_protocol")
        assert d["policy"] == BUNDLED_ONNX and d["simulator"]["drop_model"] == drop
        assert d["runs"] == 30 and d["runs_per_case"] == 30 and not d["quick"] and d["objects"] == 30
        # every 'empty' run ended with its blocks gone but not all grasped: a block lost
        assert len(lost_runs(d)) == d["runs_ended"].get("empty", 0)
        cells[drop] = (cell, _ended(d), f"{d['push_share']:.1f}", d)
    legacy, settle = cells["legacy"], cells["settle"]
    assert f"| seed-1234 export, `legacy` drop | {legacy[0]} | {legacy[1]} | {legacy[2]} |" in tour
    assert f"| seed-1234 export, VPG's drop (`settle`) | {settle[0]} | {settle[1]} | {settle[2]} |" in tour
    # "completes 2 runs fewer: one more run loses a block, and one run acts until the 500-action safety cap"
    ended_l, ended_s = legacy[3]["runs_ended"], settle[3]["runs_ended"]
    assert ended_l["cleared"] - ended_s["cleared"] == 2
    assert ended_s["empty"] - ended_l["empty"] == 1 and ended_s.get("action_cap", 0) == 1
    assert "acts until the 500-action safety cap" in tour and "completes 2 runs fewer" in tour
    # "It pushes twice as often (37.8 against 18.9 % of its actions)"
    share_l, share_s = legacy[3]["push_share"], settle[3]["push_share"]
    assert 1.9 <= share_s / share_l <= 2.1
    assert f"It pushes twice as often ({share_s:.1f} against {share_l:.1f} % of its actions)" in tour


def test_third_seed_with_vpgs_drop_is_the_committed_result() -> None:
    """Seed 3, Table I with VPG's drop under both protocols: its row, every paper number reached, the
    push shares the prose quotes."""
    tour = tour_text()
    protocols = (("vpg-protocol", "vpg_protocol"), ("deployment", "deployment_protocol"))
    (vpg, d_vpg), (dep, d_dep) = (_table1(f"pushgrasp-{stem}-drop-settle-seed3.json", prefix) for stem, prefix in protocols)
    for d in (d_vpg, d_dep):
        assert d["policy"].startswith(SEED3_RUN) and d["simulator"]["drop_model"] == "settle"
        assert d["runs"] == 30 and not d["quick"] and d["objects"] == 30 and d["simulator"]["tool_yaw_model"] == "either"
    assert (f"| seed-3 `either` run | {vpg} | {dep} | {_ended(d_vpg)}, {_ended(d_dep)} |") in tour
    for stem, prefix in protocols:   # "reach every paper number of Table I, completion included"
        assert not _missed(committed(f"pushgrasp-{stem}-drop-settle-seed3.json"), prefix, "table1")
    assert d_vpg["runs_ended"] == d_dep["runs_ended"] == {"cleared": 30} and not lost_runs(d_vpg) | lost_runs(d_dep)
    assert (f"It hardly pushes in clutter ({d_vpg['push_share']:.1f} % of its actions under VPG's protocol, "
            f"{d_dep['push_share']:.1f} % under the deployment protocol)") in tour


def test_third_seed_table2_is_the_committed_result() -> None:
    """Seed 3's Table II under both protocols: its row, the one paper number it misses (action efficiency,
    under both), and the synergy figures the prose quotes."""
    tour = tour_text()
    prefixes = ("vpg_protocol", "deployment_protocol")
    rows = [committed(f"pushgrasp-{stem}-table2-seed3.json") for stem in ("vpg-protocol", "deployment")]
    details = [r[f"{p}_table2_completion"]["details"] for r, p in zip(rows, prefixes)]
    cells = figure_cells(rows, prefixes, "table2")
    for d in details:
        assert d["runs"] == 330 and d["runs_per_case"] == 30 and d["policy"].startswith(SEED3_RUN) and not d["quick"]
    assert f"| seed-3 `either` run | {cells[0]} | {cells[1]} | {ends_cell(details[0])}, {ends_cell(details[1])} |" in tour
    for r, p in zip(rows, prefixes):
        assert _missed(r, p, "table2") == ["action_efficiency"], p
    efficiency = [r[f"{p}_table2_action_efficiency"]["value"] for r, p in zip(rows, prefixes)]
    assert f"action efficiency ({efficiency[0]:.1f} and {efficiency[1]:.1f} %) is below the paper's 60.1" in tour
    vpg, dep = details
    assert (f"It pushes in {dep['push_share']:.1f} % of its deployment actions on the hard cases (VPG's protocol: "
            f"{vpg['push_share']:.1f} %)") in tour
    assert (f"Grasps right after a push succeed {dep['grasp_success_after_push']:.1f} % of the time against "
            f"{dep['grasp_success_without_push']:.1f} % without one (VPG's protocol: {vpg['grasp_success_after_push']:.1f} "
            f"against {vpg['grasp_success_without_push']:.1f} %)") in tour
    for d in details:
        assert d["grasp_success_after_push"] > d["grasp_success_without_push"]


# seeds trained with VPG's drop (the default)
SETTLE_SEED_RUNS = {5: "runs/pushgrasp/20261206-180230", 11: "runs/pushgrasp/20261206-183723",
                    17: "runs/pushgrasp/20261206-194936", 23: "runs/pushgrasp/20261206-210755",
                    29: "runs/pushgrasp/20261206-222013", 31: "runs/pushgrasp/20261207-000250"}
TABLE2_NOT_RUN = {17, 23, 29}   # screened on Table II only when Table I reached every paper number


def test_seeds_trained_with_vpgs_drop_are_the_committed_result() -> None:
    """Each seed trained with VPG's drop: its deployment-protocol row on both tables, and the Table I
    counts the prose gives (runs cleared, lost a block, ended without change)."""
    tour = tour_text()
    prefix = "deployment_protocol"
    results = {}   # seed -> (Table I rows, Table II rows)
    for seed, run in SETTLE_SEED_RUNS.items():
        t1 = committed(f"pushgrasp-deployment-drop-settle-seed{seed}.json")
        d1 = t1[f"{prefix}_table1_completion"]["details"]
        screened = [(d1, 30)]
        if seed in TABLE2_NOT_RUN:
            assert _missed(t1, prefix, "table1"), f"seed {seed} reached Table I: its Table II screen is due"
            t2, table2_cells = None, "not run | -"
        else:
            t2 = committed(f"pushgrasp-deployment-table2-seed{seed}.json")
            d2 = t2[f"{prefix}_table2_completion"]["details"]
            screened.append((d2, 330))
            table2_cells = f"{figure_cells([t2], (prefix,), 'table2')[0]} | {ends_cell(d2)}"
        results[seed] = t1, t2
        for d, runs in screened:
            assert d["policy"].startswith(run) and d["simulator"]["drop_model"] == "settle" and not d["quick"]
            assert d["runs"] == runs and d["runs_per_case"] == 30 and d["simulator"]["tool_yaw_model"] == "either"
        assert d1["objects"] == 30 and len(lost_runs(d1)) == d1["runs_ended"].get("empty", 0)
        assert f"| seed {seed} (`{run}`, " in tour
        assert f"| {figure_cells([t1], (prefix,))[0]} | {ends_cell(d1)} | {table2_cells} |" in tour
    t1, t2 = results[5]
    ended = t1[f"{prefix}_table1_completion"]["details"]["runs_ended"]
    assert (f"clears only {ended['cleared']} of the 30 clutter runs: {ended['empty']} lose a block and "
            f"{ended['no_change']} end after 10 no-change actions") in tour
    assert not _missed(t2, prefix, "table2")
    # seed 11: "clears 27 of 30 (3 lose a block) and on the hard cases grasps just below the paper"
    t1, t2 = results[11]
    seed11 = t1[f"{prefix}_table1_completion"]["details"]
    assert seed11["runs_ended"] == {"cleared": 27, "empty": 3} and "Seed 11 clears 27 of 30 (3 lose a block)" in tour
    missed = _missed(t2, prefix, "table2")
    assert missed == ["grasp_success"], missed
    assert f"grasps just below the paper ({t2[f'{prefix}_table2_grasp_success']['value']:.1f} against 77.2 %)" in tour
    shares = [seed11["push_share"], t2[f"{prefix}_table2_completion"]["details"]["push_share"]]
    assert all(f"{s:.1f}" == "0.1" for s in shares) and "It almost never pushes (0.1 % of its actions on either table)" in tour
    # the seeds screened on Table I only: runs cleared, runs that lost a block, seed 23's no-change runs
    ended = {seed: results[seed][0][f"{prefix}_table1_completion"]["details"]["runs_ended"] for seed in (17, 23, 29)}
    assert ended == {17: {"cleared": 28, "empty": 2}, 23: {"cleared": 27, "empty": 1, "no_change": 2},
                     29: {"cleared": 29, "empty": 1}}
    assert ("Seeds 17, 23 and 29 clear 28, 27 and 29 of 30 (2, 1 and 1 runs lose a block; 2 of seed 23's end "
            "after 10 no-change actions)") in tour
    # "seed 23's went off in a push, seed 29's in a grasp that held its own block and knocked a neighbour off"
    traced = {seed: results[seed][0][f"{prefix}_table1_completion"]["details"] for seed in (23, 29)}
    losses = {seed: [loss for run in d["per_run"] for loss in run["losses"]] for seed, d in traced.items()}
    assert [(loss["primitive"], loss["blocks"]) for loss in losses[23]] == [("push", 1)]
    assert [(loss["primitive"], loss["blocks"], loss["held"]) for loss in losses[29]] == [("grasp", 1, True)]
    assert traced[29]["lost_by_primitive"] == {"push": 0, "grasp": 1}   # seed 23's bench predates the sums
    assert ("seed 23's went off in a push, seed 29's in a grasp that held its own block and knocked a neighbour off"
            in tour)


def test_clutter_runs_cleared_per_seed_with_vpgs_drop() -> None:
    """ "the clutter runs cleared are 26 (seed 1234), 30 (seed 3), 23 (seed 5), 27 (seed 11), 28 (seed 17),
    27 (seed 23), 29 (seed 29) and 30 (seed 31) of 30":
    the deployment-protocol Table I files with VPG's drop, one per seed, all on the same 30 layouts."""
    files = {"1234": "pushgrasp-deployment-bundled-drop-settle.json", "3": "pushgrasp-deployment-drop-settle-seed3.json"}
    files |= {str(seed): f"pushgrasp-deployment-drop-settle-seed{seed}.json" for seed in SETTLE_SEED_RUNS}
    details = {seed: committed(name)["deployment_protocol_table1_completion"]["details"] for seed, name in files.items()}
    layouts = {seed: [run["seed"] for run in d["per_run"]] for seed, d in details.items()}
    assert all(d["simulator"]["drop_model"] == "settle" and d["runs"] == 30 for d in details.values())
    assert len({tuple(v) for v in layouts.values()}) == 1, "the seeds did not meet the same layouts"
    cleared = [f"{d['runs_ended'].get('cleared', 0)} (seed {seed})" for seed, d in details.items()]
    quoted = ", ".join(cleared[:-1]) + f" and {cleared[-1]} of 30"
    assert f"the clutter runs cleared are {quoted}" in tour_text()
    words = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}
    all_cleared = sum(d["runs_ended"].get("cleared", 0) == 30 for d in details.values())
    plural = "s" if all_cleared > 1 else ""
    assert f"reached by {words[all_cleared]} seed{plural} in {words[len(details)]}" in tour_text()
