"""The README's push-grasp simulator fixes and the policies bundled before them quote the committed results exactly."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from pushgrasp_readme_support import (  # noqa: E402
    check_bundled_table, committed, current_simulator, protocol_rows, simulator_before_the_mesh_fix,
    simulator_without_put_back, simulator_without_tool_yaw, table1_cells, tour_text, variant_rows,
    BUNDLED_RUN, LATE_VARIANTS, METRICS, RESULTS, TABLES, VARIANTS,
)


def test_bundled_policy_table_is_the_committed_result() -> None:
    """The bundled policy in the current simulator at VPG's 30 runs per case, and each claim said of it."""
    tour, protocols = tour_text(), protocol_rows("mesh-fix")
    tables = (TABLES[0], ("table1_vpg_blocks", "I: 30 random blocks of VPG's 8 meshes"), TABLES[1])
    missed = check_bundled_table(protocols, 30, simulator_without_put_back(), tables=tables)
    # "reaches every paper number of Table II and Table I's grasp success and action efficiency under both
    # protocols; it misses Table I completion (86.7 and 73.3 vs 100.0 with the project's blocks, 36.7 and 36.7"
    assert missed == {("table1", "completion"), ("table1_vpg_blocks", "completion")}, missed
    completion = {t: [rows[f"{prefix}_{t}_completion"]["value"] for rows, prefix in protocols]
                  for t in ("table1", "table1_vpg_blocks")}
    assert (f"misses Table I completion ({completion['table1'][0]:.1f} and {completion['table1'][1]:.1f} vs 100.0 "
            f"with the project's blocks, {completion['table1_vpg_blocks'][0]:.1f} and "
            f"{completion['table1_vpg_blocks'][1]:.1f} with VPG's)") in tour
    blocks = protocols[0][0]["deployment_protocol_table1_vpg_blocks_completion"]["details"]["blocks"]
    assert blocks == "VPG's meshes" and "it completes few of those runs" in tour
    ends = {(prefix, t): rows[f"{prefix}_{t}_completion"]["details"]["runs_ended"] for rows, prefix in protocols
            for t in ("table1", "table1_vpg_blocks", "table2")}
    dep, vpg = "deployment_protocol", "vpg_protocol"
    assert (ends[dep, "table1"].get("empty"), ends[dep, "table1"].get("no_change")) == (3, 1)
    assert "deployment protocol 3 of 30 ended with a block lost and 1 after 10 consecutive no-change actions" in tour
    assert (ends[vpg, "table1"].get("no_change"), ends[vpg, "table1"].get("empty")) == (6, 2)
    assert "6 of 30 ended after 10 consecutive no-change actions and 2 with a lost block" in tour
    vb = [ends[p, "table1_vpg_blocks"].get(k) for p in (dep, vpg) for k in ("empty", "no_change")]
    assert f"{vb[0]} and {vb[1]} of 30 (deployment: lost block, no change), {vb[2]} and {vb[3]} (VPG's protocol)" in tour
    lost = [ends[p, "table2"].get("empty") for p in (dep, vpg)]
    assert f"{lost[0]} of 330 runs ended with a block lost under the deployment protocol and {lost[1]} under" in tour
    shares, held = [], []
    for rows, prefix in protocols:
        for t in ("table1", "table2"):
            d = rows[f"{prefix}_{t}_completion"]["details"]
            shares.append(d["push_share"])
            held.append(f"{round(d['grasp_success_after_push'] * d['grasps_after_push'] / 100)} of {d['grasps_after_push']}")
    assert f"pushes in {shares[0]:.1f} / {shares[1]:.1f} % of its deployment actions" in tour
    assert f"{shares[2]:.1f} / {shares[3]:.1f} % under VPG's protocol" in tour
    assert f"held {held[0]} / {held[1]} times (deployment) and {held[2]} / {held[3]}" in tour


def test_bundled_policy_before_the_mesh_fix_is_the_committed_result() -> None:
    """The same policy before VPG's meshes got their hulls: Table I is the same, Table II lost more blocks."""
    tour, before = tour_text(), protocol_rows("rolling-fix")
    check_bundled_table(before, 30, simulator_before_the_mesh_fix())
    after = protocol_rows("mesh-fix")
    for (rows, prefix), (now, _) in zip(before, after):
        assert all(rows[f"{prefix}_table1_{m}"]["value"] == now[f"{prefix}_table1_{m}"]["value"] for m in METRICS)
        assert rows[f"{prefix}_table2_completion"]["details"]["runs_ended"]["empty"] == 31
    assert "Table I did not change" in tour and "31 of 330 hard-case runs lost a block before, 7 of 330 after" in tour
    assert after[0][0]["deployment_protocol_table2_completion"]["details"]["runs_ended"]["empty"] == 7


def test_mesh_loss_table_is_the_committed_result() -> None:
    r, tour = committed("pushgrasp-mesh-losses.json"), tour_text()
    for name in ("boxes", "hull"):
        row = r[f"mesh_lost_objects_per_run_{name}"]
        d = row["details"]
        assert d["scenario"] == "vpg" and d["runs"] == 33 and not d["quick"]
        assert (f"| {row['value']:.2f} | {d['runs_with_lost_objects']:.1f} % | {d['grasp_success_all']:.1f} % | "
                f"{d['completion']:.1f} % |") in tour, name
    assert r["mesh_lost_objects_per_run_hull"]["details"]["settings"] == {
        k: v for k, v in simulator_without_put_back().items() if k in ("mesh_model", "placement_separation_steps")}
    assert "the same 3 seeds per case for both settings" in tour


def test_bundled_policy_before_the_rolling_fix_is_the_committed_result() -> None:
    tour, protocols = tour_text(), protocol_rows("slow-descent")
    assert check_bundled_table(protocols, 10, None) == {("table1", "completion")}
    assert "There too only Table I completion missed the paper" in tour
    ends = [rows[f"{prefix}_table1_completion"]["details"]["runs_ended"] for rows, prefix in protocols]
    assert ends[0].get("empty", 0) == 4 and "4 of 10 clutter runs ended with a block lost" in tour
    assert ends[1].get("no_change", 0) == 5 and ends[1].get("empty", 0) == 2
    assert "5 of 10 ended after 10 consecutive no-change actions and 2 with a lost block" in tour


def test_retrain_with_rolling_resistance_is_the_committed_result() -> None:
    """The retrain in the current simulator: its table, push shares, and why the bundled policy stays."""
    tour, protocols = tour_text(), protocol_rows("retrained-rolling")
    check_bundled_table(protocols, 10, simulator_before_the_mesh_fix(), run="20261204-221854")
    deployment = protocols[0][0]
    shares = [deployment[f"deployment_protocol_{t}_completion"]["details"]["push_share"] for t in ("table1", "table2")]
    assert f"({shares[0]:.1f} / {shares[1]:.1f} % of its deployment actions, Table I / II)" in tour
    assert deployment["deployment_protocol_table1_completion"]["details"]["runs_ended"]["no_change"] == 3
    # "completes fewer clutter runs than the bundled policy": at 10 vs 30 runs, as shares
    bundled = protocol_rows("mesh-fix")
    for (rows, prefix), (old, _) in zip(protocols, bundled):
        assert rows[f"{prefix}_table1_completion"]["value"] < old[f"{prefix}_table1_completion"]["value"]


def test_retrain_on_vpg_meshes_is_the_committed_result() -> None:
    """The retrain on VPG's meshes: its table, and the claims why the bundled policy stays."""
    tour, protocols = tour_text(), protocol_rows("retrained-vpg-meshes")
    tables = (("table1_vpg_blocks", "I: 30 random blocks of VPG's 8 meshes"), TABLES[1])
    check_bundled_table(protocols, 30, simulator_without_put_back(), run="20261205-005752", tables=tables)
    for rows, prefix in protocols:  # its clutter is its training blocks: the same runs as table1_vpg_blocks
        assert all(rows[f"{prefix}_table1_{m}"]["value"] == rows[f"{prefix}_table1_vpg_blocks_{m}"]["value"]
                   for m in METRICS)
    deployment, bundled = protocols[0][0], protocol_rows("mesh-fix")[0][0]
    new, old = (deployment["deployment_protocol_table1_vpg_blocks_completion"]["value"],
                bundled["deployment_protocol_table1_vpg_blocks_completion"]["value"])
    assert new < old and f"({new:.1f} vs {old:.1f}," in tour
    hard = [rows["deployment_protocol_table2_completion"]["value"] for rows in (deployment, bundled)]
    assert hard[0] < hard[1] and f"({hard[0]:.1f} vs {hard[1]:.1f})" in tour
    ended = deployment["deployment_protocol_table1_vpg_blocks_completion"]["details"]["runs_ended"]["no_change"]
    assert f"{ended} of 30 ended after 10 consecutive no-change actions" in tour


def test_training_lr_row_is_the_committed_result() -> None:
    """VPG's protocol at the run's training lr (Table I): the README's figures and its claims."""
    rows, tour = committed("pushgrasp-vpg-protocol-training-lr.json"), tour_text()
    cells = " / ".join(f"{rows[f'vpg_protocol_training_lr_table1_{m}']['value']:.1f}" for m in METRICS)
    details = rows["vpg_protocol_training_lr_table1_completion"]["details"]
    assert details["test_lr"] == 1e-3 and details["runs_per_case"] == 30 and BUNDLED_RUN in details["policy"]
    assert details["simulator"] == simulator_without_put_back()
    assert f"30 runs): {cells}, no run ended after 10 no-change actions" in tour
    assert "no_change" not in details["runs_ended"] and details["runs_ended"]["empty"] == 5
    base = committed("pushgrasp-vpg-protocol-mesh-fix.json")["vpg_protocol_table1_completion"]["details"]
    assert base["test_lr"] == 1e-4 and base["runs_ended"]["no_change"] == 6 and base["no_change_runs_on_one_spot"] == 4
    assert "in 6 of 30 runs (4 of them on one spot" in tour and "5 of 30 ended with a block lost (2 at 1e-4)" in tour
    assert base["runs_ended"]["empty"] == 2


def test_current_variants_claims_are_the_committed_result() -> None:
    """The current variants table's sentences: runs cleared per table, grasps right after a push."""
    rows, tour = variant_rows("pushgrasp-variants"), tour_text()
    cleared = {(v, t): rows[f"variant_{v}_{t}_completion"]["details"]["runs_ended"].get("cleared", 0)
               for v in ("vpg", "grasping-only") for t in ("table1", "table2")}
    assert f"({cleared['vpg', 'table1']} vs {cleared['grasping-only', 'table1']} of 10 runs cleared;" in tour
    assert f"({cleared['vpg', 'table2']} vs {cleared['grasping-only', 'table2']} of 110)" in tour
    no_change = rows["variant_grasping-only_table1_completion"]["details"]["runs_ended"]["no_change"]
    assert f"grasping-only's other {no_change} ended after 10 consecutive no-change actions" in tour
    held = []
    for t in ("table1", "table2"):
        d = rows[f"variant_vpg_{t}_completion"]["details"]
        assert d["runs_per_case"] == 10 and d["simulator"]["put_back_model"] == "legacy"
        held.append(f"{round(d['grasp_success_after_push'] * d['grasps_after_push'] / 100)} of {d['grasps_after_push']}")
    assert f"held {held[0]} times in clutter and {held[1]} on the hard cases" in tour
    assert BUNDLED_RUN in rows["variant_vpg_table1_completion"]["details"]["policy"]
    # "Of all five variants VPG completes the most runs in clutter and on the hard cases"
    for t in ("table1", "table2"):
        vpg = rows[f"variant_vpg_{t}_completion"]["value"]
        assert all(vpg > rows[f"variant_{v}_{t}_completion"]["value"] for v in VARIANTS if v != "vpg"), t
    assert "Of all five variants VPG completes the most runs in clutter and on the hard cases" in tour
    reactive = [rows[f"variant_pg-reactive_{t}_completion"] for t in ("table1", "table2")]
    shares = " / ".join(f"{r['details']['push_share']:.1f}" for r in reactive)
    completion = " / ".join(f"{r['value']:.1f}" for r in reactive)
    assert f"pg-reactive pushes in {shares} % of its actions and completes {completion} %" in tour
    assert "far below the paper's 54.5 / 48.2 %" in tour and all(r["value"] < 48.2 for r in reactive)
    ended = reactive[1]["details"]["runs_ended"]
    assert f"{ended['empty']} of its {reactive[1]['details']['runs']} hard-case runs ended with a block lost" in tour


def test_put_back_table_is_the_committed_result() -> None:
    """The bundled policy with env.put_back_model=gentle (Tables I and II, 30 runs per case) and the claims
    comparing it with the same runs under the default."""
    tour = tour_text()
    gentle = protocol_rows("put-back")
    labels = (("table1", "I: 30 random blocks, gentle put-back"), ("table2", "II: VPG's 11 hard cases, gentle put-back"))
    check_bundled_table(gentle, 30, {**simulator_without_tool_yaw(), "put_back_model": "gentle"}, tables=labels)
    assert current_simulator()["put_back_model"] == "legacy" and "`legacy` stays the default" in tour
    legacy = protocol_rows("mesh-fix")
    completion = [(rows[f"{prefix}_table1_completion"]["value"], old[f"{prefix}_table1_completion"]["value"])
                  for (rows, prefix), (old, _) in zip(gentle, legacy)]
    assert (f"Table I completion {completion[0][0]:.1f} vs {completion[0][1]:.1f} and {completion[1][0]:.1f} vs "
            f"{completion[1][1]:.1f}") in tour
    lost = [rows["vpg_protocol_table1_completion"]["details"]["runs_ended"]["empty"] for rows in (gentle[1][0], legacy[1][0])]
    assert lost[0] == lost[1] + 1 and "one more run ended with a lost block" in tour
    for (rows, prefix), (old, _) in zip(gentle, legacy):  # "Table II the same" (completion)
        assert rows[f"{prefix}_table2_completion"]["value"] == old[f"{prefix}_table2_completion"]["value"]


def test_variants_fig4_is_every_benched_variants_run() -> None:
    """Fig. 4 of the current table (``--only variants_curves``) draws the very runs the table benched, at the
    same iteration, and the late variants were benched like the rest (same simulator, runs per case)."""
    rows, curves, tour = variant_rows("pushgrasp-variants"), committed("pushgrasp-variants-curves.json"), tour_text()
    base = rows["variant_vpg_table1_completion"]["details"]
    for variant in VARIANTS:
        first = rows[f"variant_{variant}_table1_completion"]["details"]
        curve = curves[f"variant_curve_{variant}_grasp_success"]
        if "skipped" in first:
            assert "skipped" in curve["details"], variant
            continue
        assert Path(curve["details"]["policy"]).name == Path(first["policy"]).name, variant
        assert curve["details"]["iteration"] == first["iteration"] == 8000, variant
        assert Path(curve["details"]["figure"]).name == "pushgrasp-variants-fig4.png"
        for table in ("table1", "table2"):
            d = rows[f"variant_{variant}_{table}_completion"]["details"]
            assert d["simulator"] == base["simulator"] and d["runs_per_case"] == base["runs_per_case"], variant
            assert not d["quick"]
    assert "`benchmarks/results/pushgrasp-variants-curves.json`" in tour
    for variant in LATE_VARIANTS:
        if (RESULTS / f"pushgrasp-variants-{variant}.json").is_file():
            assert f"`benchmarks/results/pushgrasp-variants-{variant}.json`" in tour, variant


def test_edge_rule_ablation_is_the_committed_result() -> None:
    """push_edge_min_inward=0.7 on Table I (deployment, the same 30 runs as the bundled table): the README's
    cells and counts, and why the default stays 0."""
    from greenroom.sim.pushgrasp.geometry import PrimitiveGeometry

    tour = tour_text()
    rows = {"edge": committed("pushgrasp-deployment-edge-rule.json"), "base": committed("pushgrasp-deployment-mesh-fix.json")}
    cells, counts = {}, {}
    for key, r in rows.items():
        cells[key] = " / ".join(f"{r[f'deployment_protocol_table1_{m}']['value']:.1f}" for m in METRICS)
        d = r["deployment_protocol_table1_completion"]["details"]
        assert d["runs_per_case"] == 30 and BUNDLED_RUN in d["policy"]
        assert {k: v for k, v in d["simulator"].items() if k != "put_back_model"} == simulator_without_put_back()
        assert d["simulator"].get("put_back_model", "legacy") == "legacy"
        counts[key] = (round(d["lost_objects_per_run"] * d["runs"]), d["runs_ended"]["empty"], d["runs_ended"]["no_change"])
    assert rows["edge"]["deployment_protocol_table1_completion"]["details"]["push_edge_min_inward"] == 0.7
    (el, ee, en), (bl, be, bn) = counts["edge"], counts["base"]
    assert (f"30 runs): {cells['edge']} against {cells['base']} without it; {el} vs {bl} blocks lost, {ee} vs {be} "
            f"runs ended with a lost block, {en} vs {bn} after 10 consecutive no-change actions") in tour
    assert "the default stays 0" in tour and PrimitiveGeometry().push_edge_min_inward == 0.0


def test_dense_clutter_training_row_is_the_committed_result() -> None:
    """The policy trained on 10 to 30 blocks (env.num_objects_max=30) against the bundled one on Table I, both
    protocols at 30 runs: the README's rows and the claim that it completes no more clutter runs."""
    tour = tour_text()
    measured = {}
    for key, suffix in (("dense", "dense-clutter"), ("bundled", "mesh-fix")):
        cells, lost, pushes, completion = [], [], [], []
        for file, prefix in ((f"pushgrasp-deployment-{suffix}.json", "deployment_protocol"),
                             (f"pushgrasp-vpg-protocol-{suffix}.json", "vpg_protocol")):
            rows = committed(file)
            d = rows[f"{prefix}_table1_completion"]["details"]
            assert d["runs_per_case"] == 30 and d["objects"] == 30
            cells.append(" / ".join(f"{rows[f'{prefix}_table1_{m}']['value']:.1f}" for m in METRICS))
            lost.append(str(round(d["lost_objects_per_run"] * d["runs"])))
            pushes.append(f"{d['push_share']:.1f}")
            completion.append(rows[f"{prefix}_table1_completion"]["value"])
        measured[key] = completion
        label = "trained on 10 to 30 blocks" if key == "dense" else "the previously bundled policy (10 blocks)"
        assert f"| {label} | {cells[0]} | {cells[1]} | {' / '.join(lost)} | {' / '.join(pushes)} |" in tour
    dense = committed("pushgrasp-deployment-dense-clutter.json")["deployment_protocol_table1_completion"]["details"]
    assert "20261205-094308" in dense["policy"]
    assert all(d <= b for d, b in zip(measured["dense"], measured["bundled"]))
    assert "It completes no more clutter runs" in tour


def test_edge_stranding_figures_are_the_committed_result() -> None:
    """VPG's protocol, Table I: the runs that ended after 10 no-change actions left every block on the
    workspace edge; the heightmap-read scripted grasp on such blocks vs in the open."""
    tour = " ".join(tour_text().split())
    row = committed("pushgrasp-vpg-protocol-edge-metrics.json")["vpg_protocol_table1_completion"]
    d = row["details"]
    assert d["runs"] == 30 and d["iteration"] == 8000 and d["policy"].endswith("20261204-180652")
    ended = d["runs_ended"]
    assert (f"{ended['cleared']} runs cleared, {ended['empty']} ended with a block lost, and {ended['no_change']} after 10 "
            "consecutive no-change actions") in tour
    assert d["no_change_runs_left_on_edge"] == ended["no_change"] and d["blocks_left"] == d["blocks_left_on_edge"]
    assert f"In all {ended['no_change']}, every block still in the scene ({d['blocks_left']} blocks) lay on the" in tour
    assert f"and in {d['no_change_runs_on_one_spot']} of them the policy repeated one grasp on one spot" in tour
    bundled = committed("pushgrasp-vpg-protocol-mesh-fix.json")["vpg_protocol_table1_completion"]
    assert row["value"] == bundled["value"]  # the same runs as the bundled policy's row
    edge = committed("pushgrasp-ceiling-edge.json")["grasp_ceiling_on_edge_heightmap_k8"]
    open_ = committed("pushgrasp-ceiling.json")["grasp_ceiling_isolated_heightmap_k8"]
    assert edge["details"]["trials"] == 90 and edge["details"]["rotations"] == 8
    assert (f"lifts {edge['value']:.1f} % of single blocks resting across the edge" in tour
            and f"against {open_['value']:.1f} % for the same grasp on blocks in the open" in tour)


def test_edge_ceiling_bench_runs() -> None:
    """The quick edge-ceiling bench: one block of each shape across the edge, grasped where the heightmap
    shows it, with the heightmap ending at the edge and reaching 3.2 cm past it."""
    from greenroom.policies.pushgrasp.ceiling import bench_grasp_ceiling_edge

    rows = bench_grasp_ceiling_edge(quick=True)
    assert [row.name for row in rows] == ["grasp_ceiling_on_edge_heightmap_k8", "grasp_ceiling_on_edge_heightmap_margin32mm_k8"]
    assert [row.details["view_margin_m"] for row in rows] == [0.0, 0.032]
    for row in rows:
        assert 0.0 <= row.value <= 100.0 and 1 <= row.details["trials"] <= 9 and row.details["rotations"] == 8


def test_grasp_reach_bench_runs() -> None:
    """The quick reach bench: on a coarse grid the pre-fix arm misses some grasp poses near its base,
    and either hand yaw reaches them all."""
    from greenroom.policies.pushgrasp.reach import bench_grasp_reach

    legacy, either = bench_grasp_reach(quick=True)
    assert legacy.name == "grasp_unreachable_legacy" and either.name == "grasp_unreachable_either"
    assert legacy.value > 0.0 and either.value == 0.0 and legacy.details["poses"] == either.details["poses"]


def test_edge_training_row_is_the_committed_result() -> None:
    """The run trained with env.edge_objects=2 against the bundled policy, both protocols, Table I."""
    tour = tour_text()
    edge = table1_cells("pushgrasp-vpg-protocol-edge-training.json", "pushgrasp-deployment-edge-training.json")
    assert f"| trained with 2 edge blocks | {edge} |" in tour
    assert committed("pushgrasp-vpg-protocol-edge-training.json")["vpg_protocol_table1_completion"]["details"]["policy"] \
        .endswith("20261205-133336")
    # the bundled row: the same figures as its committed deployment result (which predates the edge counts)
    bundled_vpg = committed("pushgrasp-vpg-protocol-edge-metrics.json")
    bundled_dep = committed("pushgrasp-deployment-mesh-fix.json")
    dep = " / ".join(f"{bundled_dep[f'deployment_protocol_table1_{m}']['value']:.1f}"
                     for m in ("completion", "grasp_success", "action_efficiency"))
    b = bundled_vpg["vpg_protocol_table1_completion"]["details"]
    vpg = " / ".join(f"{bundled_vpg[f'vpg_protocol_table1_{m}']['value']:.1f}" for m in ("completion", "grasp_success", "action_efficiency"))
    lost = bundled_dep["deployment_protocol_table1_completion"]["details"]["runs_ended"]["empty"]
    assert (f"| the previously bundled policy | {vpg} | {b['runs_ended']['no_change']} ({b['no_change_runs_left_on_edge']}) | "
            f"{b['runs_ended']['empty']} | {dep} | {lost} |") in tour
    # "fewer complete under either protocol", "more runs lose a block", "fewer runs end beside edge blocks"
    e_vpg = committed("pushgrasp-vpg-protocol-edge-training.json")
    e_dep = committed("pushgrasp-deployment-edge-training.json")
    assert e_vpg["vpg_protocol_table1_completion"]["value"] < bundled_vpg["vpg_protocol_table1_completion"]["value"]
    assert e_dep["deployment_protocol_table1_completion"]["value"] < bundled_dep["deployment_protocol_table1_completion"]["value"]
    assert e_vpg["vpg_protocol_table1_completion"]["details"]["no_change_runs_left_on_edge"] < b["no_change_runs_left_on_edge"]
    assert e_dep["deployment_protocol_table1_completion"]["details"]["runs_ended"]["empty"] > lost
    from greenroom.sim.pushgrasp.config import PushGraspEnvConfig

    assert PushGraspEnvConfig().edge_objects == 0
