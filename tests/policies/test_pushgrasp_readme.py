"""The README's push-grasp tour quotes the committed results exactly: grasp ceiling, parallel collection, speed, variants."""
from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from pushgrasp_readme_support import (  # noqa: E402
    committed, parallel_curve_sentence, pct, tour_text, variant_rows, METRICS, PAPER_CELLS, RESULTS,
    VARIANTS,
)


def test_grasp_ceiling_figures_are_the_committed_result() -> None:
    r, tour = committed("pushgrasp-ceiling.json"), tour_text()
    isolated, touching = r["grasp_ceiling_isolated_k8"], r["grasp_ceiling_touching_k8"]
    assert isolated["details"]["trials"] == 45 and touching["details"]["trials"] == 24
    assert f"holds {isolated['value']:.1f} % of 45 isolated blocks" in tour
    assert f"{touching['value']:.0f} % of 24 blocks pressed against neighbours" in tour
    packed = f"{r['grasp_ceiling_packed_k8']['value']:.0f} / {r['grasp_ceiling_packed_k16']['value']:.0f} % of 10 corner"
    assert packed in tour
    heightmap = r["grasp_ceiling_isolated_heightmap_k8"]
    cylinders = heightmap["details"]["per_kind"]["cylinder"]
    assert f"hold {heightmap['value']:.1f} %, cylinders {round(cylinders['success'] * cylinders['trials'] / 100)} of " \
           f"{cylinders['trials']}" in tour
    # the claim "more than the number of rotations": 16 rotations change the isolated ceiling by less
    assert abs(r["grasp_ceiling_isolated_k16"]["value"] - isolated["value"]) < isolated["value"] - heightmap["value"]


def test_parallel_speedup_is_the_committed_result() -> None:
    row = committed("pushgrasp-parallel.json")["parallel_collection_speedup_cpu"]
    tour = tour_text()
    assert f"{row['value']:.2f}x the training iterations per second" in tour
    assert f"{row['details']['iterations']} iterations each" in tour
    # the machine's load stays with the figure
    assert f"load average {row['details']['load_average_before'][0]:.1f} before" in " ".join(tour.split())


def test_edge_loss_table_is_the_committed_result() -> None:
    r, tour = committed("pushgrasp-edge-losses.json"), tour_text()
    for name in ("before", "friction_fix", "after", "slow_descent", "rolling_fix"):
        row = r[f"edge_lost_objects_per_run_{name}"]
        d = row["details"]
        assert d["objects"] == 30 and not d["quick"]
        assert (f"| {row['value']:.2f} | {d['runs_with_lost_objects']:.0f} % | {d['grasp_success_all']:.1f} % | "
                f"{d['completion']:.0f} % |") in tour, name
    runs = r["edge_lost_objects_per_run_after"]["details"]["runs"]
    assert f"the same {runs} seeds per setting" in tour
    # "with rolling resistance none of the 4 runs lost a block and all 4 completed"
    fixed = r["edge_lost_objects_per_run_rolling_fix"]
    assert fixed["value"] == 0 and fixed["details"]["completion"] == 100.0 and fixed["details"]["runs"] == 4
    assert fixed["details"]["settings"]["rolling_model"] == "contact"
    slow, after = (r[f"edge_lost_objects_per_run_{n}"]["details"]["grasp_success_all"] for n in ("slow_descent", "after"))
    assert f"({after:.1f} -> {slow:.1f} % of all grasps)" in tour


def test_deployment_protocol_table_is_the_committed_result() -> None:
    r, tour = committed("pushgrasp-deployment-bundled.json"), tour_text()
    for table, label in (("table1", "I: 30 random blocks"), ("table2", "II: VPG's 11 hard cases")):
        c, g, e = (r[f"deployment_protocol_{table}_{m}"]["value"]
                   for m in METRICS)
        assert f"| {label} | {c:.1f} / {g:.1f} / {e:.1f} | {PAPER_CELLS[table]} |" in tour
    details = r["deployment_protocol_table1_completion"]["details"]
    assert f"{details['runs_per_case']} runs per case" in tour and details["runs_per_case"] < 30
    assert "not the paper's protocol" in tour  # the label travels with the figures


def test_speed_table_is_the_committed_result() -> None:
    r, tour = committed("pushgrasp-speed.json"), tour_text()
    it, sim, learn = (r[f"train_iteration_{k}"]["value"] for k in ("cpu", "sim_part", "learn_part"))
    assert f"(sim {sim:.3f} s + learning {learn:.3f} s) | {it:.3f} s |" in tour
    h224, h112 = r["heightmap_640x480_224px"]["value"], r["heightmap_640x480_112px"]["value"]
    assert f"| {h224:.1f} / {h112:.1f} ms |" in tour
    assert f"| {r['onnx_all_16_maps_112px_1thread']['value']:.1f} ms |" in tour


def test_retrain_table_and_q_maxima_are_the_committed_results() -> None:
    tour = tour_text()
    deployment = committed("pushgrasp-deployment-retrained.json")
    vpg = committed("pushgrasp-vpg-protocol-retrained.json")
    for table, label in (("table1", "I: 30 random blocks"), ("table2", "II: VPG's 11 hard cases")):
        cells = [" / ".join(f"{rows[f'{prefix}_{table}_{m}']['value']:.1f}"
                            for m in METRICS)
                 for rows, prefix in ((deployment, "deployment_protocol"), (vpg, "vpg_protocol"))]
        assert f"| {label} | {cells[0]} | {cells[1]} | {PAPER_CELLS[table]} |" in tour
    assert f"{deployment['deployment_protocol_table1_completion']['details']['runs_per_case']} runs per case;" in tour
    assert f"{vpg['vpg_protocol_table1_completion']['details']['runs_per_case']} runs per case;" in tour
    shares = [rows[f"{prefix}_{t}_completion"]["details"]["push_share"]
              for rows, prefix in ((deployment, "deployment_protocol"), (vpg, "vpg_protocol")) for t in ("table1", "table2")]
    assert f"{shares[0]:.1f} / {shares[1]:.1f} % of its deployment actions" in tour
    assert f"{shares[2]:.1f} / {shares[3]:.1f} % under VPG's protocol" in tour
    q = committed("pushgrasp-q-maxima.json")
    for scene, count in (("vpg", "11 of 11 hard cases"), ("clutter", "5 of 5")):
        share, ratio = q[f"q_maxima_{scene}_greedy_grasp_share"], q[f"q_maxima_{scene}_grasp_over_push"]
        assert share["value"] == 100.0 and f"{count}" in tour and f"({ratio['value']:.2f}x" in tour
    assert q["q_maxima_clutter_grasp_over_bound_share"]["value"] == 100.0 and "every grasp maximum is above" in tour


@pytest.mark.parametrize("name", ["pushgrasp-variants", "pushgrasp-variants-before-fixes"])
def test_variants_table_is_the_committed_result(name: str) -> None:
    """A variants table (VPG's Tables I-III at one training budget; now and before the simulator fixes) and
    what the tour says of it."""
    rows, tour = variant_rows(name), tour_text()
    trained = []
    for variant in VARIANTS:
        first = rows[f"variant_{variant}_table1_completion"]
        if "skipped" in first["details"]:
            assert f"| {variant} | not trained |" in tour
            continue
        trained.append(variant)
        cells = [" / ".join(pct(rows[f"variant_{variant}_{t}_{m}"]["value"])
                            for m in METRICS) for t in ("table1", "table2")]
        details = [rows[f"variant_{variant}_{t}_completion"]["details"] for t in ("table1", "table2")]
        every_grasp = " / ".join(pct(d["grasp_success_all"]) for d in details)
        shares = " / ".join(pct(d["push_share"]) for d in details)
        assert f"| {variant} | {cells[0]} | {cells[1]} | {every_grasp} | {shares} |" in tour, variant
        # "-": no completed run, so VPG's per-completion grasp success and efficiency are undefined
        for d, table in zip(details, ("table1", "table2")):
            assert (d["completed_runs"] == 0) == math.isnan(rows[f"variant_{variant}_{table}_grasp_success"]["value"])
        assert first["details"]["iteration"] == 8000 and not first["details"]["quick"]
    assert {"vpg", "grasping-only"} <= set(trained)
    # "Only pg-reactive and vpg-noreward (on the hard cases) push ...; only pg-reactive ever grasps right after a push"
    pushing = {(v, t) for v in trained for t in ("table1", "table2")
               if rows[f"variant_{v}_{t}_completion"]["details"]["push_share"] > 0}
    after_push = {v for v in trained for t in ("table1", "table2")
                  if rows[f"variant_{v}_{t}_completion"]["details"]["grasps_after_push"] > 0}
    if name.endswith("before-fixes"):  # "Only pg-reactive and vpg-noreward (on the hard cases) push"
        assert "Only pg-reactive and vpg-noreward (on the hard cases) push" in tour
        assert pushing == {("pg-reactive", "table1"), ("pg-reactive", "table2"), ("vpg-noreward", "table2")}, pushing
        assert after_push == {"pg-reactive"}, after_push
    runs = rows["variant_vpg_table1_completion"]["details"]["runs_per_case"]
    assert f"{runs} runs per case" in tour
    assert (RESULTS / f"{name}-fig4.png").is_file() and f"`benchmarks/results/{name}-fig4.png`" in tour
    # the sentence on VPG vs grasping-only follows the table
    for table, words in (("table1", "clutter"), ("table2", "hard cases")):
        vpg = rows[f"variant_vpg_{table}_completion"]["value"]
        grasp_only = rows[f"variant_grasping-only_{table}_completion"]["value"]
        verdict = "beats" if vpg > grasp_only else "does not beat"
        assert f"VPG {verdict} grasping-only on completion in {words}" in tour, (table, vpg, grasp_only)


def test_parallel_curve_sentence_is_the_committed_result() -> None:
    rows = committed("pushgrasp-parallel-curve.json")
    row = rows["parallel_curve_difference"]
    assert not row["details"]["quick"] and "skipped" not in row["details"]
    assert parallel_curve_sentence(row, rows["parallel_curve_mean_abs_checkpoint_gap"]) in " ".join(tour_text().split())
    assert (RESULTS / "pushgrasp-parallel-curve.png").is_file()
