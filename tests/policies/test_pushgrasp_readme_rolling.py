"""The README's view-margin, hand-yaw and rolling-resistance rows quote the committed results exactly."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from pushgrasp_readme_support import (  # noqa: E402
    check_second_seed, committed, ends_cell, figure_cells, lost_runs,
    table1_cells, tour_text, METRICS, SEED1234_RUN, VIEW_MARGIN_RUNS,
)


def test_view_margin_rows_are_the_committed_results() -> None:
    """The runs trained with env.view_margin=0.032 against the bundled policy, both protocols, Table I,
    and the claims under the table."""
    tour = tour_text()
    for label, vpg, deployment, run in VIEW_MARGIN_RUNS:
        assert f"| {label} | {table1_cells(vpg, deployment, deployment_no_change=True)} |" in tour
        for name, prefix in ((vpg, "vpg"), (deployment, "deployment")):
            details = committed(name)[f"{prefix}_protocol_table1_completion"]["details"]
            assert details["policy"].startswith(f"runs/pushgrasp/{run}") and details["view_margin"] == 0.032
    bundled = table1_cells("pushgrasp-vpg-protocol-edge-metrics.json", "pushgrasp-deployment-mesh-fix.json",
                           deployment_no_change=True)
    assert f"| the previously bundled policy | {bundled} |" in tour
    first = committed(VIEW_MARGIN_RUNS[0][2])["deployment_protocol_table1_completion"]["details"]
    first_vpg = committed(VIEW_MARGIN_RUNS[0][1])["vpg_protocol_table1_completion"]["details"]
    old = committed("pushgrasp-deployment-mesh-fix.json")["deployment_protocol_table1_completion"]["details"]
    assert (f"no run ended beside stranded blocks ({first['runs_ended'].get('no_change', 0)} no-change runs against "
            f"{old['runs_ended']['no_change']}), but {first['runs_ended']['empty']} ended with a block lost "
            f"({old['runs_ended']['empty']}), and it pushes far more ({first['push_share']:.1f} % of its actions "
            f"against {old['push_share']:.1f} %)") in tour and first["runs_ended"].get("no_change", 0) == 0
    assert (f"{first_vpg['runs_ended']['no_change']} ended after 10 no-change actions, "
            f"{first_vpg['no_change_runs_on_one_spot']} of them repeating one grasp on one spot, and in "
            f"{first_vpg['no_change_runs_left_on_edge']} every block left lay on the edge") in tour
    edge = committed("pushgrasp-ceiling-edge.json")
    cut, whole = edge["grasp_ceiling_on_edge_heightmap_k8"], edge["grasp_ceiling_on_edge_heightmap_margin32mm_k8"]
    assert whole["details"]["trials"] == cut["details"]["trials"] == 90 and whole["details"]["view_margin_m"] == 0.032
    assert f"lifts {whole['value']:.1f} % of the single blocks across the edge with the margin against {cut['value']:.1f} %" in tour
    from greenroom.sim.pushgrasp.config import PushGraspEnvConfig

    assert PushGraspEnvConfig().view_margin == 0.0


def test_tool_yaw_table_is_the_committed_result() -> None:
    """The arm with either hand yaw: the reach figures, and Table I of both policies with it against their
    committed ``legacy`` rows; ``legacy`` stays the default."""
    tour = tour_text()
    reach = committed("pushgrasp-grasp-reach.json")
    legacy, either = reach["grasp_unreachable_legacy"], reach["grasp_unreachable_either"]
    worst = max(legacy["details"]["by_x_unreachable"].values())
    assert legacy["details"]["poses"] == either["details"]["poses"] == 1936
    assert (f"{legacy['value']:.1f} % with `legacy`, up to {100 * worst:.1f} % in the grid row 7.8 cm from the arm's "
            f"edge, and {either['value']:.1f} % with `either`") in tour

    def cells(before: str, after: str, prefix: str) -> str:
        rows = [committed(before), committed(after)]
        figures = [" / ".join(f"{r[f'{prefix}_table1_{m}']['value']:.1f}" for m in METRICS) for r in rows]
        details = [r[f"{prefix}_table1_completion"]["details"] for r in rows]
        assert details[0]["runs"] == details[1]["runs"] == 30
        assert details[0]["simulator"].get("tool_yaw_model", "legacy") == "legacy"
        assert details[1]["simulator"]["tool_yaw_model"] == "either"
        ends = [d["runs_ended"] for d in details]
        edge = [f" ({d['no_change_runs_left_on_edge']})" if "no_change_runs_left_on_edge" in d else "" for d in details]
        return (f"{figures[0]} | {figures[1]} | {ends[0].get('no_change', 0)}{edge[0]} -> {ends[1].get('no_change', 0)}"
                f"{edge[1]} | {ends[0].get('empty', 0)} -> {ends[1].get('empty', 0)}")

    vpg = cells("pushgrasp-vpg-protocol-view-margin.json", "pushgrasp-vpg-protocol-view-margin-tool-yaw.json", "vpg_protocol")
    assert f"| view-margin run, VPG's protocol | {vpg} |" in tour
    dep = cells("pushgrasp-deployment-mesh-fix.json", "pushgrasp-deployment-tool-yaw.json", "deployment_protocol")
    assert f"| previously bundled policy, deployment protocol | {dep} |" in tour
    assert committed("pushgrasp-deployment-tool-yaw.json")["deployment_protocol_table1_completion"]["details"]["policy"] \
        == "assets/policies/pushgrasp/pushgrasp.onnx"
    from greenroom.sim.pushgrasp.config import PushGraspEnvConfig

    assert PushGraspEnvConfig().tool_yaw_model == "legacy" and "`legacy` stays the default and `either` an option" in tour


def test_policy_trained_with_either_hand_yaw_is_the_committed_result() -> None:
    """The run trained with ``either`` (and the view margin): both protocols' Table I row, no no-change run,
    every failed run one lost block, and the comparisons the prose draws."""
    tour = tour_text()
    vpg, dep = committed("pushgrasp-vpg-protocol-tool-yaw-trained.json"), committed("pushgrasp-deployment-tool-yaw-trained.json")
    details = [vpg["vpg_protocol_table1_completion"]["details"], dep["deployment_protocol_table1_completion"]["details"]]
    for d in details:
        assert d["runs"] == 30 and d["simulator"]["tool_yaw_model"] == "either" and d["view_margin"] == 0.032
        assert d["policy"].startswith("runs/pushgrasp/20261205-205330")
        assert d["runs_ended"].get("no_change", 0) == 0                                  # "No run ... ends after 10 no-change"
        assert d["runs_ended"]["cleared"] + d["runs_ended"]["empty"] == 30
        assert d["lost_objects_per_run"] * 30 == pytest.approx(d["runs_ended"]["empty"])  # one block lost per failed run
    figures = [" / ".join(f"{r[f'{prefix}_table1_{m}']['value']:.1f}" for m in METRICS)
               for r, prefix in ((vpg, "vpg_protocol"), (dep, "deployment_protocol"))]
    ends = [d["runs_ended"] for d in details]
    assert (f"| Table I, 30 random blocks, 30 runs | {figures[0]} | {figures[1]} | 0, 0 | "
            f"{ends[0]['empty']}, {ends[1]['empty']} |") in tour
    hard = [committed(f"pushgrasp-{name}-table2-tool-yaw-trained.json") for name in ("vpg-protocol", "deployment")]
    bundled = [committed(f"pushgrasp-{name}-mesh-fix.json") for name in ("vpg-protocol", "deployment")]
    cells = []
    for rows, bundled_rows, prefix in zip(hard, bundled, ("vpg_protocol", "deployment_protocol")):
        d = rows[f"{prefix}_table2_completion"]["details"]
        assert d["runs_per_case"] == 30 and d["simulator"]["tool_yaw_model"] == "either"
        assert all(rows[f"{prefix}_table2_{m}"]["value"] > paper for m, paper in zip(METRICS, (82.7, 77.2, 60.1)))
        for m in ("grasp_success", "action_efficiency"):   # "grasps less reliably and less efficiently"
            assert rows[f"{prefix}_table2_{m}"]["value"] < bundled_rows[f"{prefix}_table2_{m}"]["value"]
        cells.append(" / ".join(f"{rows[f'{prefix}_table2_{m}']['value']:.1f}" for m in METRICS))
        assert " / ".join(f"{bundled_rows[f'{prefix}_table2_{m}']['value']:.1f}" for m in METRICS) in tour
    hard_ends = [rows[f"{prefix}_table2_completion"]["details"]["runs_ended"]
                 for rows, prefix in zip(hard, ("vpg_protocol", "deployment_protocol"))]
    assert (f"| Table II, VPG's 11 hard cases, 30 runs each | {cells[0]} | {cells[1]} | "
            f"{hard_ends[0].get('no_change', 0)}, {hard_ends[1].get('no_change', 0)} | "
            f"{hard_ends[0].get('empty', 0)}, {hard_ends[1].get('empty', 0)} |") in tour
    bundled_vpg = committed("pushgrasp-vpg-protocol-edge-metrics.json")["vpg_protocol_table1_completion"]["value"]
    bundled_dep = committed("pushgrasp-deployment-mesh-fix.json")["deployment_protocol_table1_completion"]["value"]
    bundled_either = committed("pushgrasp-deployment-tool-yaw.json")["deployment_protocol_table1_completion"]["value"]
    ours_vpg = vpg["vpg_protocol_table1_completion"]["value"]
    ours_dep = dep["deployment_protocol_table1_completion"]["value"]
    assert bundled_vpg < ours_vpg and bundled_either < ours_dep < bundled_dep
    prose = " ".join(tour.split())
    assert (f"the seed-1234 run completes {ours_vpg:.1f} % of the runs against the previously bundled policy's {bundled_vpg:.1f}") in prose
    assert (f"a few fewer than the previously bundled policy on its own `legacy` arm ({ours_dep:.1f} against {bundled_dep:.1f}) and "
            f"many more than the previously bundled policy on this arm ({bundled_either:.1f})") in prose
    check_second_seed(tour, prose, details, dep, bundled_vpg, bundled_either)


def test_tripled_rolling_resistance_row_is_the_committed_result() -> None:
    """The seed-1234 run's Table I with the rolling-resistance range tripled: the row, the comparison with
    the simulator's own range, and the lost-block runs the prose names (from ``per_run``)."""
    tour = tour_text()
    prefixes = ("vpg_protocol", "deployment_protocol")
    names = ("vpg-protocol", "deployment")
    tripled = [committed(f"pushgrasp-{n}-tool-yaw-trained-rolling3.json") for n in names]
    before = [committed(f"pushgrasp-{n}-tool-yaw-trained.json") for n in names]
    rows = []
    for results in (before, tripled):
        details = [r[f"{p}_table1_completion"]["details"] for r, p in zip(results, prefixes)]
        for d in details:
            assert d["runs"] == 30 and d["policy"].startswith("runs/pushgrasp/20261205-205330")
            assert d["simulator"]["tool_yaw_model"] == "either" and d["runs_ended"].get("no_change", 0) == 0
        cells = figure_cells(results, prefixes)
        rows.append((cells, [d["runs_ended"]["empty"] for d in details], details))
    assert [d["ranges"]["rolling"] for d in rows[1][2]] == [[3e-4, 3e-3]] * 2
    assert all("ranges" not in d for d in rows[0][2])   # measured before ranges were recorded: the default range
    for label, (cells, ends, _) in zip(("rolling resistance 0.1 to 1 mm (the simulator then)", "tripled: 0.3 to 3 mm"), rows):
        assert f"| {label} | {cells[0]} | {cells[1]} | {ends[0]}, {ends[1]} |" in tour
    assert all(0 < after < was for after, was in zip(rows[1][1], rows[0][1]))   # "fewer runs lose a block, but not none"
    lost = [lost_runs(d) for d in rows[1][2]]
    assert not lost[1] & lost_runs(rows[0][2][1]) and len(lost[1]) == 4 and sorted(lost[0] & lost[1]) == [3, 24]
    assert "none of the 5 runs that lost a block before loses one now, and 4 others do (runs 3 and 24 under both" in tour


def test_finger_speed_row_is_the_committed_result() -> None:
    """The seed-1234 run's Table I with the fingers limited to 0.05 m/s: the row, the lower grasp success,
    and the same lost-block runs as with the fast fingers (``per_run``)."""
    tour = tour_text()
    prefixes = ("vpg_protocol", "deployment_protocol")
    slow = [committed(f"pushgrasp-{n}-tool-yaw-trained-finger-speed.json") for n in ("vpg-protocol", "deployment")]
    fast = [committed(f"pushgrasp-{n}-tool-yaw-trained.json") for n in ("vpg-protocol", "deployment")]
    details = [r[f"{p}_table1_completion"]["details"] for r, p in zip(slow, prefixes)]
    for d in details:
        assert d["runs"] == 30 and d["policy"].startswith("runs/pushgrasp/20261205-205330")
        assert d["simulator"]["finger_speed"] == 0.05 and d["simulator"]["tool_yaw_model"] == "either"
    cells = figure_cells(slow, prefixes)
    ends = [d["runs_ended"]["empty"] for d in details]
    assert f"| fingers at 0.05 m/s each | {cells[0]} | {cells[1]} | {ends[0]}, {ends[1]} |" in tour
    fast_cells = figure_cells(fast, prefixes)
    assert f"| fingers at Bullet's full force (the simulator now) | {fast_cells[0]} | {fast_cells[1]} | 5, 5 |" in tour
    for s, f, p in zip(slow, fast, prefixes):
        assert s[f"{p}_table1_grasp_success"]["value"] < f[f"{p}_table1_grasp_success"]["value"] - 5
        assert s[f"{p}_table1_completion"]["value"] == f[f"{p}_table1_completion"]["value"]
    lost_fast = lost_runs(fast[1]["deployment_protocol_table1_completion"]["details"])
    assert {6, 12, 20, 25} <= lost_runs(details[1]) & lost_fast
    tripled = committed("pushgrasp-deployment-tool-yaw-trained-rolling3.json")
    assert not lost_runs(tripled["deployment_protocol_table1_completion"]["details"]) & {6, 12, 20, 25}   # "tripled, none of these runs lost a block"


def test_finger_speed_trained_row_is_the_committed_result() -> None:
    """The policy trained with the fingers at 0.05 m/s, benched with them: the row, grasp success no higher
    than the fast-trained policy's with slow fingers, and lost-block runs mostly in low rolling draws."""
    tour = tour_text()
    prose = " ".join(tour.split())
    prefixes = ("vpg_protocol", "deployment_protocol")
    names = ("vpg-protocol", "deployment")
    trained = [committed(f"pushgrasp-{n}-finger-speed-trained.json") for n in names]
    untrained = [committed(f"pushgrasp-{n}-tool-yaw-trained-finger-speed.json") for n in names]
    fast = [committed(f"pushgrasp-{n}-tool-yaw-trained.json") for n in names]
    details = [r[f"{p}_table1_completion"]["details"] for r, p in zip(trained, prefixes)]
    for d in details:
        assert d["runs"] == 30 and d["policy"].startswith("runs/pushgrasp/20261206-072944")
        assert d["simulator"]["finger_speed"] == 0.05 and d["simulator"]["tool_yaw_model"] == "either"
    cells = figure_cells(trained, prefixes)
    lost = [lost_runs(d) for d in details]
    assert (f"| trained with them too (`seed=1234`), fingers at 0.05 m/s each | {cells[0]} | {cells[1]} | "
            f"{len(lost[0])}, {len(lost[1])} |") in tour
    success = [r[f"{p}_table1_grasp_success"]["value"] for r, p in zip(trained, prefixes)]
    for value, u, f, p in zip(success, untrained, fast, prefixes):
        assert abs(value - u[f"{p}_table1_grasp_success"]["value"]) < 2.5   # "stays where ... had it"
        assert value < f[f"{p}_table1_grasp_success"]["value"] - 10
    fast_success = [f[f"{p}_table1_grasp_success"]["value"] for f, p in zip(fast, prefixes)]
    assert (f"({success[0]:.1f} and {success[1]:.1f} %, against {fast_success[0]:.1f} and {fast_success[1]:.1f} % "
            f"with fast fingers)") in prose
    completion = [r[f"{p}_table1_completion"]["value"] for r, p in zip(trained, prefixes)]
    was = [u[f"{p}_table1_completion"]["value"] for u, p in zip(untrained, prefixes)]
    assert completion[0] < was[0] and completion[1] > was[1] and max(completion) < 100
    assert f"Completion moves both ways ({completion[0]:.1f} and {completion[1]:.1f} %)" in prose
    low = [sum(d["per_run"][i]["rolling_m"] < 3.2e-4 for i in runs) for d, runs in zip(details, lost)]
    assert f"({low[0]} of {len(lost[0])} and {low[1]} of {len(lost[1])} below the median)" in prose


def test_published_rolling_range_row_is_the_committed_result() -> None:
    """The run trained and benched with the published-values range: the row next to the old range's, the
    range the files record (the simulator's default now), and the lost-block runs and synergy figures the
    prose names."""
    from greenroom.sim.pushgrasp.config import Friction

    tour = tour_text()
    prefixes = ("vpg_protocol", "deployment_protocol")
    names = ("vpg-protocol", "deployment")
    published = [committed(f"pushgrasp-{n}-rolling-published.json") for n in names]
    details = [r[f"{p}_table1_completion"]["details"] for r, p in zip(published, prefixes)]
    default = Friction().rolling
    for d in details:
        assert d["runs"] == 30 and d["policy"].startswith("runs/pushgrasp/20261206-093425")
        assert d["simulator"]["tool_yaw_model"] == "either" and d["ranges"]["rolling"] == [default.low, default.high]
        assert d["runs_ended"].get("no_change", 0) == 0 and d["runs_hitting_action_cap"] == 0
    assert (default.low, default.high, default.nominal) == (5e-4, 3e-3, 1.2e-3)
    cells = figure_cells(published, prefixes)
    lost = [lost_runs(d) for d in details]
    assert (f"| the same command, trained and tested with 0.5 to 3 mm | {cells[0]} | {cells[1]} | "
            f"{len(lost[0])}, {len(lost[1])} |") in tour
    before = [committed(f"pushgrasp-{n}-tool-yaw-trained.json") for n in names]
    old = figure_cells(before, prefixes)
    assert f"| seed-1234 `either` run, trained and tested with 0.1 to 1 mm (above) | {old[0]} | {old[1]} | 5, 5 |" in tour
    assert sorted(lost[0]) == [25] and sorted(lost[1]) == [12, 25]
    assert len(details[0]["per_run"]) - details[0]["completed_runs"] == len(lost[0])   # every miss loses a block
    assert len(details[1]["per_run"]) - details[1]["completed_runs"] == len(lost[1])
    draws = {i: details[1]["per_run"][i]["rolling_m"] * 1e3 for i in (12, 25)}
    assert f"run 25, which drew {draws[25]:.2f} mm" in tour and f"run 12, {draws[12]:.2f} mm" in tour
    assert details[0]["per_run"][25]["rolling_m"] == details[1]["per_run"][25]["rolling_m"]
    shares = [f"{d['push_share']:.1f} %" for d in details]
    assert f"pushes in {shares[1]} of its actions (VPG's protocol: {shares[0]})" in tour
    after = [(round(d["grasp_success_after_push"] * d["grasps_after_push"] / 100), d["grasps_after_push"]) for d in details]
    assert f"({after[1][0]} of {after[1][1]}; VPG's protocol: {after[0][0]} of {after[0][1]})" in tour
    assert after[1][0] == after[1][1]   # "every grasp right after a push succeeded"
    for results, p in zip(published, prefixes):   # grasp success and efficiency above the paper's 67.7 / 60.9
        assert results[f"{p}_table1_grasp_success"]["value"] > 67.7
        assert results[f"{p}_table1_action_efficiency"]["value"] > 60.9
        assert results[f"{p}_table1_completion"]["value"] < 100.0


def test_published_rolling_range_table2_is_the_committed_result() -> None:
    """Table II of the run trained with the published range: its row, how runs ended, the synergy figures
    and the comparison with the previously bundled policy's efficiency that the prose draws."""
    tour = " ".join(tour_text().split())
    prefixes = ("vpg_protocol", "deployment_protocol")
    hard = [committed(f"pushgrasp-{n}-table2-rolling-published.json") for n in ("vpg-protocol", "deployment")]
    details = [r[f"{p}_table2_completion"]["details"] for r, p in zip(hard, prefixes)]
    for d in details:
        assert d["runs"] == 330 and d["runs_per_case"] == 30 and d["policy"].startswith(SEED1234_RUN)
        assert d["simulator"]["tool_yaw_model"] == "either"
    cells = figure_cells(hard, prefixes, "table2")
    ends = [ends_cell(d) for d in details]
    assert (f"| seed-1234 `either` run, trained and tested with 0.5 to 3 mm | {cells[0]} | {cells[1]} | "
            f"{ends[0]}, {ends[1]} |") in tour
    for results, p in zip(hard, prefixes):   # "above every paper number of Table II under both protocols"
        assert all(results[f"{p}_table2_{m}"]["value"] > paper for m, paper in zip(METRICS, (82.7, 77.2, 60.1)))
    vpg, dep = details
    assert f"it pushes in {dep['push_share']:.1f} % of its deployment actions (VPG's protocol: {vpg['push_share']:.1f} %)" in tour
    assert (f"succeed {dep['grasp_success_after_push']:.1f} % of the time against {dep['grasp_success_without_push']:.1f} % "
            f"without one (VPG's protocol: {vpg['grasp_success_after_push']:.1f} against "
            f"{vpg['grasp_success_without_push']:.1f} %)") in tour
    for d in details:   # a grasp right after a push succeeds more often than one without
        assert d["grasp_success_after_push"] > d["grasp_success_without_push"]
    old = [committed(f"pushgrasp-{n}-mesh-fix.json")[f"{p}_table2_action_efficiency"]["value"]
           for n, p in (("deployment", "deployment_protocol"), ("vpg-protocol", "vpg_protocol"))]
    assert f"below the previously bundled policy's ({old[0]:.1f} and {old[1]:.1f} %" in tour
    assert all(r[f"{p}_table2_action_efficiency"]["value"] < min(old) for r, p in zip(hard, prefixes))


def test_published_rolling_range_second_seed_is_the_committed_result() -> None:
    """Seed 7 with the published range, Table I: its row, and the prose (29 of 30, run 25 lost by both seeds)."""
    tour = " ".join(tour_text().split())
    prefixes = ("vpg_protocol", "deployment_protocol")
    names = ("vpg-protocol", "deployment")
    seed7 = [committed(f"pushgrasp-{n}-rolling-published-seed7.json") for n in names]
    details = [r[f"{p}_table1_completion"]["details"] for r, p in zip(seed7, prefixes)]
    for d in details:
        assert d["runs"] == 30 and d["policy"].startswith("runs/pushgrasp/20261206-130047")
        assert d["ranges"]["rolling"] == [5e-4, 3e-3] and d["simulator"]["tool_yaw_model"] == "either"
        assert d["completed_runs"] == 29 and lost_runs(d) == {25}
    cells = figure_cells(seed7, prefixes)
    assert (f"| second training seed (`seed=7`), trained and tested with 0.5 to 3 mm | {cells[0]} | {cells[1]} | "
            f"1, 1 |") in tour
    seed1234 = [committed(f"pushgrasp-{n}-rolling-published.json")[f"{p}_table1_completion"]["details"]
                for n, p in zip(names, prefixes)]
    assert all(25 in lost_runs(d) for d in seed1234)   # "Both seeds lose run 25 under both protocols"
    assert f"{seed1234[0]['per_run'][25]['rolling_m'] * 1e3:.2f} mm" in tour
    assert (f"({details[1]['push_share']:.1f} % of its deployment actions, VPG's protocol: "
            f"{details[0]['push_share']:.1f} %)") in tour
    old = [committed(f"pushgrasp-{n}-tool-yaw-trained-seed7.json")[f"{p}_table1_completion"]["details"]
           for n, p in zip(names, prefixes)]
    assert f"lost blocks in {old[0]['runs_ended']['empty']} and {old[1]['runs_ended']['empty']} of these runs" in tour


def test_published_rolling_range_second_seed_table2_is_the_committed_result() -> None:
    """Seed 7's Table II with the published range: its row beside seed 1234's, and its push share."""
    tour = " ".join(tour_text().split())
    prefixes = ("vpg_protocol", "deployment_protocol")
    hard = [committed(f"pushgrasp-{n}-table2-rolling-published-seed7.json") for n in ("vpg-protocol", "deployment")]
    details = [r[f"{p}_table2_completion"]["details"] for r, p in zip(hard, prefixes)]
    for d in details:
        assert d["runs"] == 330 and d["policy"].startswith("runs/pushgrasp/20261206-130047")
        assert d["ranges"]["rolling"] == [5e-4, 3e-3]
    cells = figure_cells(hard, prefixes, "table2")
    ends = [ends_cell(d) for d in details]
    assert (f"| second training seed (`seed=7`), trained and tested with 0.5 to 3 mm | {cells[0]} | {cells[1]} | "
            f"{ends[0]}, {ends[1]} |") in tour
    above = all(r[f"{p}_table2_{m}"]["value"] > paper for r, p in zip(hard, prefixes)
                for m, paper in zip(METRICS, (82.7, 77.2, 60.1)))
    assert above == ("Both seeds are above every paper number of Table II under both protocols." in tour)
    assert (f"Seed 7 pushes in {details[1]['push_share']:.1f} % of its deployment actions on the hard cases "
            f"(VPG's protocol: {details[0]['push_share']:.1f} %)") in tour
    seed1234 = committed("pushgrasp-deployment-table2-rolling-published.json")["deployment_protocol_table2_completion"]
    assert "The seed-1234 run pushes far more" in tour and seed1234["details"]["push_share"] > 2 * details[1]["push_share"]
