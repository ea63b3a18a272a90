"""The README's push-grasp tour quotes the committed results exactly (grasp ceiling, parallel collection)."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "benchmarks" / "results"
# VPG's Tables I and II (completion / grasp success / action efficiency, %), as the README cites them
PAPER = {"table1": (100.0, 67.7, 60.9), "table1_vpg_blocks": (100.0, 67.7, 60.9), "table2": (82.7, 77.2, 60.1)}
TABLES = (("table1", "I: 30 random blocks"), ("table2", "II: VPG's 11 hard cases"))
PAPER_CELLS = {table: " / ".join(f"{v:.1f}" for v in values) for table, values in PAPER.items()}
METRICS = ("completion", "grasp_success", "action_efficiency")


def _tour() -> str:
    readme = (REPO / "README.md").read_text()
    start = readme.index("## Tour: pushgrasp")
    return " ".join(readme[start:readme.index("\n## ", start + 1)].split())


def _results(name: str) -> dict[str, dict]:
    return {r["name"]: r for r in json.loads((RESULTS / name).read_text())["results"]}


def test_grasp_ceiling_figures_are_the_committed_result() -> None:
    r, tour = _results("pushgrasp-ceiling.json"), _tour()
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
    row = _results("pushgrasp-parallel.json")["parallel_collection_speedup_cpu"]
    tour = _tour()
    assert f"{row['value']:.2f}x the training iterations per second" in tour
    assert f"{row['details']['iterations']} iterations each" in tour
    # the machine's load stays with the figure
    assert f"load average {row['details']['load_average_before'][0]:.1f} before" in " ".join(tour.split())


def test_edge_loss_table_is_the_committed_result() -> None:
    r, tour = _results("pushgrasp-edge-losses.json"), _tour()
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
    r, tour = _results("pushgrasp-deployment-bundled.json"), _tour()
    for table, label in (("table1", "I: 30 random blocks"), ("table2", "II: VPG's 11 hard cases")):
        c, g, e = (r[f"deployment_protocol_{table}_{m}"]["value"]
                   for m in METRICS)
        assert f"| {label} | {c:.1f} / {g:.1f} / {e:.1f} | {PAPER_CELLS[table]} |" in tour
    details = r["deployment_protocol_table1_completion"]["details"]
    assert f"{details['runs_per_case']} runs per case" in tour and details["runs_per_case"] < 30
    assert "not the paper's protocol" in tour  # the label travels with the figures


def test_speed_table_is_the_committed_result() -> None:
    r, tour = _results("pushgrasp-speed.json"), _tour()
    it, sim, learn = (r[f"train_iteration_{k}"]["value"] for k in ("cpu", "sim_part", "learn_part"))
    assert f"(sim {sim:.3f} s + learning {learn:.3f} s) | {it:.3f} s |" in tour
    h224, h112 = r["heightmap_640x480_224px"]["value"], r["heightmap_640x480_112px"]["value"]
    assert f"| {h224:.1f} / {h112:.1f} ms |" in tour
    assert f"| {r['onnx_all_16_maps_112px_1thread']['value']:.1f} ms |" in tour


def test_retrain_table_and_q_maxima_are_the_committed_results() -> None:
    tour = _tour()
    deployment = _results("pushgrasp-deployment-retrained.json")
    vpg = _results("pushgrasp-vpg-protocol-retrained.json")
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
    q = _results("pushgrasp-q-maxima.json")
    for scene, count in (("vpg", "11 of 11 hard cases"), ("clutter", "5 of 5")):
        share, ratio = q[f"q_maxima_{scene}_greedy_grasp_share"], q[f"q_maxima_{scene}_grasp_over_push"]
        assert share["value"] == 100.0 and f"{count}" in tour and f"({ratio['value']:.2f}x" in tour
    assert q["q_maxima_clutter_grasp_over_bound_share"]["value"] == 100.0 and "every grasp maximum is above" in tour


# variants trained after pushgrasp-variants.json was benched: each benched alone into pushgrasp-variants-<name>.json
LATE_VARIANTS = ("vpg-noreward", "vpg-myopic", "pg-reactive")
VARIANTS = ("vpg", "vpg-noreward", "vpg-myopic", "grasping-only", "pg-reactive")


def _variant_rows(name: str) -> dict[str, dict]:
    """The rows of a variants table: ``name``.json, with every late variant's own file's rows in place of its
    skipped row (for the current table; the table before the fixes is one file)."""
    rows = _results(f"{name}.json")
    if name != "pushgrasp-variants":
        return rows
    for variant in LATE_VARIANTS:
        late = RESULTS / f"{name}-{variant}.json"
        if late.is_file():
            own = {k: v for k, v in _results(late.name).items() if k.startswith(f"variant_{variant}_")}
            assert "skipped" not in own[f"variant_{variant}_table1_completion"]["details"], late
            rows = {k: v for k, v in rows.items() if not k.startswith(f"variant_{variant}_")} | own
    return rows


def _pct(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.1f}"


@pytest.mark.parametrize("name", ["pushgrasp-variants", "pushgrasp-variants-before-fixes"])
def test_variants_table_is_the_committed_result(name: str) -> None:
    """A variants table (VPG's Tables I-III at one training budget; now and before the simulator fixes) and
    what the tour says of it."""
    rows, tour = _variant_rows(name), _tour()
    trained = []
    for variant in VARIANTS:
        first = rows[f"variant_{variant}_table1_completion"]
        if "skipped" in first["details"]:
            assert f"| {variant} | not trained |" in tour
            continue
        trained.append(variant)
        cells = [" / ".join(_pct(rows[f"variant_{variant}_{t}_{m}"]["value"])
                            for m in METRICS) for t in ("table1", "table2")]
        details = [rows[f"variant_{variant}_{t}_completion"]["details"] for t in ("table1", "table2")]
        every_grasp = " / ".join(_pct(d["grasp_success_all"]) for d in details)
        shares = " / ".join(_pct(d["push_share"]) for d in details)
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


def parallel_curve_sentence(row: dict, gap_row: dict) -> str:
    """The tour's sentence on one process vs actors, from parallel_curve's rows (one format, shared with the README)."""
    d = row["details"]
    low, high = d["difference_ci95_points"]
    verdict = "a difference" if d["difference_detected"] else "no difference detected at this sample size"
    return (f"grasp success over every grasp of iterations {d['burn_in']:,}-{d['common_iterations']:,}: "
            f"{d['single_grasp_success']:.1f} % of {d['single_grasps']:,} grasps in one process, "
            f"{d['parallel_grasp_success']:.1f} % of {d['parallel_grasps']:,} with actors, a difference of "
            f"{row['value']:+.1f} points (95 % interval {low:+.1f} to {high:+.1f}): {verdict}. Every 1,000 "
            f"iterations the two curves (last 200 grasps) differ by {gap_row['value']:.1f} points on average.")


def test_parallel_curve_sentence_is_the_committed_result() -> None:
    rows = _results("pushgrasp-parallel-curve.json")
    row = rows["parallel_curve_difference"]
    assert not row["details"]["quick"] and "skipped" not in row["details"]
    assert parallel_curve_sentence(row, rows["parallel_curve_mean_abs_checkpoint_gap"]) in " ".join(_tour().split())
    assert (RESULTS / "pushgrasp-parallel-curve.png").is_file()


def _bundled_rows(name: str) -> tuple[tuple[dict, str], tuple[dict, str]]:
    vpg = _results(f"pushgrasp-vpg-protocol-{name}.json")
    if (RESULTS / f"pushgrasp-vpg-protocol-{name}-vpg-blocks.json").is_file():  # Table I with VPG's meshes, run apart
        vpg |= _results(f"pushgrasp-vpg-protocol-{name}-vpg-blocks.json")
    return ((_results(f"pushgrasp-deployment-{name}.json"), "deployment_protocol"), (vpg, "vpg_protocol"))


BUNDLED_RUN = "20261204-180652"  # the training run the bundled ONNX was exported from


def _check_bundled_table(protocols, runs_per_case: int, simulator: dict | None, run: str = BUNDLED_RUN,
                         tables=TABLES) -> set:
    """The README's table of ``protocols`` is their committed results, measured on training run ``run`` with
    ``runs_per_case`` (and the ``simulator`` settings, when given); returns the missed paper numbers."""
    tour, missed = _tour(), set()
    for table, label in tables:
        cells = []
        for rows, prefix in protocols:
            values = [rows[f"{prefix}_{table}_{m}"]["value"] for m in METRICS]
            cells.append(" / ".join(f"{v:.1f}" for v in values))
            missed |= {(table, m) for m, v, p in zip(METRICS, values, PAPER[table]) if v < p}
            details = rows[f"{prefix}_{table}_completion"]["details"]
            assert details["runs_per_case"] == runs_per_case and not details["quick"]
            assert run in details["policy"]
            if simulator is not None:
                assert details["simulator"] == simulator
        assert f"| {label} | {cells[0]} | {cells[1]} | {PAPER_CELLS[table]} |" in tour
    return missed


def _current_simulator() -> dict:
    """The default simulator settings, as the protocol benches recorded them before ``finger_speed`` was a
    setting (those rows ran 0, no limit, still the default)."""
    from greenroom.policies.pushgrasp.bench import SIMULATOR_SETTINGS
    from greenroom.sim.pushgrasp.config import PushGraspEnvConfig

    now = PushGraspEnvConfig()
    assert now.finger_speed == 0.0
    return {k: getattr(now, k) for k in SIMULATOR_SETTINGS if k != "finger_speed"}


def _simulator_without_tool_yaw() -> dict:
    """The current settings as rows recorded them before ``tool_yaw_model`` was a setting (they ran
    ``legacy``, still the default)."""
    return {k: v for k, v in _current_simulator().items() if k != "tool_yaw_model"}


def _simulator_without_put_back() -> dict:
    """The settings as rows recorded them before ``put_back_model`` was a setting (its default,
    ``legacy``, is what those rows ran)."""
    return {k: v for k, v in _simulator_without_tool_yaw().items() if k != "put_back_model"}


def _simulator_before_the_mesh_fix() -> dict:
    """The settings recorded before VPG's meshes got their hulls (those rows have no mesh settings)."""
    return {k: v for k, v in _simulator_without_put_back().items() if k not in ("mesh_model", "placement_separation_steps")}


def test_bundled_policy_table_is_the_committed_result() -> None:
    """The bundled policy in the current simulator at VPG's 30 runs per case, and each claim said of it."""
    tour, protocols = _tour(), _bundled_rows("mesh-fix")
    tables = (TABLES[0], ("table1_vpg_blocks", "I: 30 random blocks of VPG's 8 meshes"), TABLES[1])
    missed = _check_bundled_table(protocols, 30, _simulator_without_put_back(), tables=tables)
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
    tour, before = _tour(), _bundled_rows("rolling-fix")
    _check_bundled_table(before, 30, _simulator_before_the_mesh_fix())
    after = _bundled_rows("mesh-fix")
    for (rows, prefix), (now, _) in zip(before, after):
        assert all(rows[f"{prefix}_table1_{m}"]["value"] == now[f"{prefix}_table1_{m}"]["value"] for m in METRICS)
        assert rows[f"{prefix}_table2_completion"]["details"]["runs_ended"]["empty"] == 31
    assert "Table I did not change" in tour and "31 of 330 hard-case runs lost a block before, 7 of 330 after" in tour
    assert after[0][0]["deployment_protocol_table2_completion"]["details"]["runs_ended"]["empty"] == 7


def test_mesh_loss_table_is_the_committed_result() -> None:
    r, tour = _results("pushgrasp-mesh-losses.json"), _tour()
    for name in ("boxes", "hull"):
        row = r[f"mesh_lost_objects_per_run_{name}"]
        d = row["details"]
        assert d["scenario"] == "vpg" and d["runs"] == 33 and not d["quick"]
        assert (f"| {row['value']:.2f} | {d['runs_with_lost_objects']:.1f} % | {d['grasp_success_all']:.1f} % | "
                f"{d['completion']:.1f} % |") in tour, name
    assert r["mesh_lost_objects_per_run_hull"]["details"]["settings"] == {
        k: v for k, v in _simulator_without_put_back().items() if k in ("mesh_model", "placement_separation_steps")}
    assert "the same 3 seeds per case for both settings" in tour


def test_bundled_policy_before_the_rolling_fix_is_the_committed_result() -> None:
    tour, protocols = _tour(), _bundled_rows("slow-descent")
    assert _check_bundled_table(protocols, 10, None) == {("table1", "completion")}
    assert "There too only Table I completion missed the paper" in tour
    ends = [rows[f"{prefix}_table1_completion"]["details"]["runs_ended"] for rows, prefix in protocols]
    assert ends[0].get("empty", 0) == 4 and "4 of 10 clutter runs ended with a block lost" in tour
    assert ends[1].get("no_change", 0) == 5 and ends[1].get("empty", 0) == 2
    assert "5 of 10 ended after 10 consecutive no-change actions and 2 with a lost block" in tour


def test_retrain_with_rolling_resistance_is_the_committed_result() -> None:
    """The retrain in the current simulator: its table, push shares, and why the bundled policy stays."""
    tour, protocols = _tour(), _bundled_rows("retrained-rolling")
    _check_bundled_table(protocols, 10, _simulator_before_the_mesh_fix(), run="20261204-221854")
    deployment = protocols[0][0]
    shares = [deployment[f"deployment_protocol_{t}_completion"]["details"]["push_share"] for t in ("table1", "table2")]
    assert f"({shares[0]:.1f} / {shares[1]:.1f} % of its deployment actions, Table I / II)" in tour
    assert deployment["deployment_protocol_table1_completion"]["details"]["runs_ended"]["no_change"] == 3
    # "completes fewer clutter runs than the bundled policy": at 10 vs 30 runs, as shares
    bundled = _bundled_rows("mesh-fix")
    for (rows, prefix), (old, _) in zip(protocols, bundled):
        assert rows[f"{prefix}_table1_completion"]["value"] < old[f"{prefix}_table1_completion"]["value"]


def test_retrain_on_vpg_meshes_is_the_committed_result() -> None:
    """The retrain on VPG's meshes: its table, and the claims why the bundled policy stays."""
    tour, protocols = _tour(), _bundled_rows("retrained-vpg-meshes")
    tables = (("table1_vpg_blocks", "I: 30 random blocks of VPG's 8 meshes"), TABLES[1])
    _check_bundled_table(protocols, 30, _simulator_without_put_back(), run="20261205-005752", tables=tables)
    for rows, prefix in protocols:  # its clutter is its training blocks: the same runs as table1_vpg_blocks
        assert all(rows[f"{prefix}_table1_{m}"]["value"] == rows[f"{prefix}_table1_vpg_blocks_{m}"]["value"]
                   for m in METRICS)
    deployment, bundled = protocols[0][0], _bundled_rows("mesh-fix")[0][0]
    new, old = (deployment["deployment_protocol_table1_vpg_blocks_completion"]["value"],
                bundled["deployment_protocol_table1_vpg_blocks_completion"]["value"])
    assert new < old and f"({new:.1f} vs {old:.1f}," in tour
    hard = [rows["deployment_protocol_table2_completion"]["value"] for rows in (deployment, bundled)]
    assert hard[0] < hard[1] and f"({hard[0]:.1f} vs {hard[1]:.1f})" in tour
    ended = deployment["deployment_protocol_table1_vpg_blocks_completion"]["details"]["runs_ended"]["no_change"]
    assert f"{ended} of 30 ended after 10 consecutive no-change actions" in tour


def test_training_lr_row_is_the_committed_result() -> None:
    """VPG's protocol at the run's training lr (Table I): the README's figures and its claims."""
    rows, tour = _results("pushgrasp-vpg-protocol-training-lr.json"), _tour()
    cells = " / ".join(f"{rows[f'vpg_protocol_training_lr_table1_{m}']['value']:.1f}" for m in METRICS)
    details = rows["vpg_protocol_training_lr_table1_completion"]["details"]
    assert details["test_lr"] == 1e-3 and details["runs_per_case"] == 30 and BUNDLED_RUN in details["policy"]
    assert details["simulator"] == _simulator_without_put_back()
    assert f"30 runs): {cells}, no run ended after 10 no-change actions" in tour
    assert "no_change" not in details["runs_ended"] and details["runs_ended"]["empty"] == 5
    base = _results("pushgrasp-vpg-protocol-mesh-fix.json")["vpg_protocol_table1_completion"]["details"]
    assert base["test_lr"] == 1e-4 and base["runs_ended"]["no_change"] == 6 and base["no_change_runs_on_one_spot"] == 4
    assert "in 6 of 30 runs (4 of them on one spot" in tour and "5 of 30 ended with a block lost (2 at 1e-4)" in tour
    assert base["runs_ended"]["empty"] == 2


def test_current_variants_claims_are_the_committed_result() -> None:
    """The current variants table's sentences: runs cleared per table, grasps right after a push."""
    rows, tour = _variant_rows("pushgrasp-variants"), _tour()
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
    tour = _tour()
    gentle = _bundled_rows("put-back")
    labels = (("table1", "I: 30 random blocks, gentle put-back"), ("table2", "II: VPG's 11 hard cases, gentle put-back"))
    _check_bundled_table(gentle, 30, {**_simulator_without_tool_yaw(), "put_back_model": "gentle"}, tables=labels)
    assert _current_simulator()["put_back_model"] == "legacy" and "`legacy` stays the default" in tour
    legacy = _bundled_rows("mesh-fix")
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
    rows, curves, tour = _variant_rows("pushgrasp-variants"), _results("pushgrasp-variants-curves.json"), _tour()
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

    tour = _tour()
    rows = {"edge": _results("pushgrasp-deployment-edge-rule.json"), "base": _results("pushgrasp-deployment-mesh-fix.json")}
    cells, counts = {}, {}
    for key, r in rows.items():
        cells[key] = " / ".join(f"{r[f'deployment_protocol_table1_{m}']['value']:.1f}" for m in METRICS)
        d = r["deployment_protocol_table1_completion"]["details"]
        assert d["runs_per_case"] == 30 and BUNDLED_RUN in d["policy"]
        assert {k: v for k, v in d["simulator"].items() if k != "put_back_model"} == _simulator_without_put_back()
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
    tour = _tour()
    measured = {}
    for key, suffix in (("dense", "dense-clutter"), ("bundled", "mesh-fix")):
        cells, lost, pushes, completion = [], [], [], []
        for file, prefix in ((f"pushgrasp-deployment-{suffix}.json", "deployment_protocol"),
                             (f"pushgrasp-vpg-protocol-{suffix}.json", "vpg_protocol")):
            rows = _results(file)
            d = rows[f"{prefix}_table1_completion"]["details"]
            assert d["runs_per_case"] == 30 and d["objects"] == 30
            cells.append(" / ".join(f"{rows[f'{prefix}_table1_{m}']['value']:.1f}" for m in METRICS))
            lost.append(str(round(d["lost_objects_per_run"] * d["runs"])))
            pushes.append(f"{d['push_share']:.1f}")
            completion.append(rows[f"{prefix}_table1_completion"]["value"])
        measured[key] = completion
        label = "trained on 10 to 30 blocks" if key == "dense" else "the previously bundled policy (10 blocks)"
        assert f"| {label} | {cells[0]} | {cells[1]} | {' / '.join(lost)} | {' / '.join(pushes)} |" in tour
    dense = _results("pushgrasp-deployment-dense-clutter.json")["deployment_protocol_table1_completion"]["details"]
    assert "20261205-094308" in dense["policy"]
    assert all(d <= b for d, b in zip(measured["dense"], measured["bundled"]))
    assert "It completes no more clutter runs" in tour


def test_edge_stranding_figures_are_the_committed_result() -> None:
    """VPG's protocol, Table I: the runs that ended after 10 no-change actions left every block on the
    workspace edge; the heightmap-read scripted grasp on such blocks vs in the open."""
    tour = " ".join(_tour().split())
    row = _results("pushgrasp-vpg-protocol-edge-metrics.json")["vpg_protocol_table1_completion"]
    d = row["details"]
    assert d["runs"] == 30 and d["iteration"] == 8000 and d["policy"].endswith("20261204-180652")
    ended = d["runs_ended"]
    assert (f"{ended['cleared']} runs cleared, {ended['empty']} ended with a block lost, and {ended['no_change']} after 10 "
            "consecutive no-change actions") in tour
    assert d["no_change_runs_left_on_edge"] == ended["no_change"] and d["blocks_left"] == d["blocks_left_on_edge"]
    assert f"In all {ended['no_change']}, every block still in the scene ({d['blocks_left']} blocks) lay on the" in tour
    assert f"and in {d['no_change_runs_on_one_spot']} of them the policy repeated one grasp on one spot" in tour
    bundled = _results("pushgrasp-vpg-protocol-mesh-fix.json")["vpg_protocol_table1_completion"]
    assert row["value"] == bundled["value"]  # the same runs as the bundled policy's row
    edge = _results("pushgrasp-ceiling-edge.json")["grasp_ceiling_on_edge_heightmap_k8"]
    open_ = _results("pushgrasp-ceiling.json")["grasp_ceiling_isolated_heightmap_k8"]
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


def _table1_cells(vpg: str, deployment: str, deployment_no_change: bool = False) -> str:
    """A Table I row's cells from two committed protocol results: VPG's protocol figures, its no-change
    runs (of them with every block on the edge), its lost-block runs; the deployment figures, [its
    no-change runs,] its lost-block runs."""
    cells = []
    for rows, prefix in ((_results(vpg), "vpg_protocol_table1"), (_results(deployment), "deployment_protocol_table1")):
        figures = " / ".join(f"{rows[f'{prefix}_{m}']['value']:.1f}" for m in ("completion", "grasp_success", "action_efficiency"))
        details = rows[f"{prefix}_completion"]["details"]
        assert details["runs"] == 30
        ended = details["runs_ended"]
        if prefix.startswith("vpg"):
            cells += [figures, f"{ended.get('no_change', 0)} ({details['no_change_runs_left_on_edge']})", str(ended.get("empty", 0))]
        else:
            cells += [figures, *([str(ended.get("no_change", 0))] if deployment_no_change else []), str(ended.get("empty", 0))]
    return " | ".join(cells)


def test_grasp_reach_bench_runs() -> None:
    """The quick reach bench: on a coarse grid the pre-fix arm misses some grasp poses near its base,
    and either hand yaw reaches them all."""
    from greenroom.policies.pushgrasp.reach import bench_grasp_reach

    legacy, either = bench_grasp_reach(quick=True)
    assert legacy.name == "grasp_unreachable_legacy" and either.name == "grasp_unreachable_either"
    assert legacy.value > 0.0 and either.value == 0.0 and legacy.details["poses"] == either.details["poses"]


def test_edge_training_row_is_the_committed_result() -> None:
    """The run trained with env.edge_objects=2 against the bundled policy, both protocols, Table I."""
    tour = _tour()
    edge = _table1_cells("pushgrasp-vpg-protocol-edge-training.json", "pushgrasp-deployment-edge-training.json")
    assert f"| trained with 2 edge blocks | {edge} |" in tour
    assert _results("pushgrasp-vpg-protocol-edge-training.json")["vpg_protocol_table1_completion"]["details"]["policy"] \
        .endswith("20261205-133336")
    # the bundled row: the same figures as its committed deployment result (which predates the edge counts)
    bundled_vpg = _results("pushgrasp-vpg-protocol-edge-metrics.json")
    bundled_dep = _results("pushgrasp-deployment-mesh-fix.json")
    dep = " / ".join(f"{bundled_dep[f'deployment_protocol_table1_{m}']['value']:.1f}"
                     for m in ("completion", "grasp_success", "action_efficiency"))
    b = bundled_vpg["vpg_protocol_table1_completion"]["details"]
    vpg = " / ".join(f"{bundled_vpg[f'vpg_protocol_table1_{m}']['value']:.1f}" for m in ("completion", "grasp_success", "action_efficiency"))
    lost = bundled_dep["deployment_protocol_table1_completion"]["details"]["runs_ended"]["empty"]
    assert (f"| the previously bundled policy | {vpg} | {b['runs_ended']['no_change']} ({b['no_change_runs_left_on_edge']}) | "
            f"{b['runs_ended']['empty']} | {dep} | {lost} |") in tour
    # "fewer complete under either protocol", "more runs lose a block", "fewer runs end beside edge blocks"
    e_vpg = _results("pushgrasp-vpg-protocol-edge-training.json")
    e_dep = _results("pushgrasp-deployment-edge-training.json")
    assert e_vpg["vpg_protocol_table1_completion"]["value"] < bundled_vpg["vpg_protocol_table1_completion"]["value"]
    assert e_dep["deployment_protocol_table1_completion"]["value"] < bundled_dep["deployment_protocol_table1_completion"]["value"]
    assert e_vpg["vpg_protocol_table1_completion"]["details"]["no_change_runs_left_on_edge"] < b["no_change_runs_left_on_edge"]
    assert e_dep["deployment_protocol_table1_completion"]["details"]["runs_ended"]["empty"] > lost
    from greenroom.sim.pushgrasp.config import PushGraspEnvConfig

    assert PushGraspEnvConfig().edge_objects == 0


VIEW_MARGIN_RUNS = [  # (README label, VPG-protocol results, deployment results, run folder)
    ("view margin 3.2 cm, seed 1234", "pushgrasp-vpg-protocol-view-margin.json", "pushgrasp-deployment-view-margin.json",
     "20261205-175318"),
]


def test_view_margin_rows_are_the_committed_results() -> None:
    """The runs trained with env.view_margin=0.032 against the bundled policy, both protocols, Table I,
    and the claims under the table."""
    tour = _tour()
    for label, vpg, deployment, run in VIEW_MARGIN_RUNS:
        assert f"| {label} | {_table1_cells(vpg, deployment, deployment_no_change=True)} |" in tour
        for name, prefix in ((vpg, "vpg"), (deployment, "deployment")):
            details = _results(name)[f"{prefix}_protocol_table1_completion"]["details"]
            assert details["policy"].startswith(f"runs/pushgrasp/{run}") and details["view_margin"] == 0.032
    bundled = _table1_cells("pushgrasp-vpg-protocol-edge-metrics.json", "pushgrasp-deployment-mesh-fix.json",
                            deployment_no_change=True)
    assert f"| the previously bundled policy | {bundled} |" in tour
    first = _results(VIEW_MARGIN_RUNS[0][2])["deployment_protocol_table1_completion"]["details"]
    first_vpg = _results(VIEW_MARGIN_RUNS[0][1])["vpg_protocol_table1_completion"]["details"]
    old = _results("pushgrasp-deployment-mesh-fix.json")["deployment_protocol_table1_completion"]["details"]
    assert (f"no run ended beside stranded blocks ({first['runs_ended'].get('no_change', 0)} no-change runs against "
            f"{old['runs_ended']['no_change']}), but {first['runs_ended']['empty']} ended with a block lost "
            f"({old['runs_ended']['empty']}), and it pushes far more ({first['push_share']:.1f} % of its actions "
            f"against {old['push_share']:.1f} %)") in tour and first["runs_ended"].get("no_change", 0) == 0
    assert (f"{first_vpg['runs_ended']['no_change']} ended after 10 no-change actions, "
            f"{first_vpg['no_change_runs_on_one_spot']} of them repeating one grasp on one spot, and in "
            f"{first_vpg['no_change_runs_left_on_edge']} every block left lay on the edge") in tour
    edge = _results("pushgrasp-ceiling-edge.json")
    cut, whole = edge["grasp_ceiling_on_edge_heightmap_k8"], edge["grasp_ceiling_on_edge_heightmap_margin32mm_k8"]
    assert whole["details"]["trials"] == cut["details"]["trials"] == 90 and whole["details"]["view_margin_m"] == 0.032
    assert f"lifts {whole['value']:.1f} % of the single blocks across the edge with the margin against {cut['value']:.1f} %" in tour
    from greenroom.sim.pushgrasp.config import PushGraspEnvConfig

    assert PushGraspEnvConfig().view_margin == 0.0


def test_tool_yaw_table_is_the_committed_result() -> None:
    """The arm with either hand yaw: the reach figures, and Table I of both policies with it against their
    committed ``legacy`` rows; ``legacy`` stays the default."""
    tour = _tour()
    reach = _results("pushgrasp-grasp-reach.json")
    legacy, either = reach["grasp_unreachable_legacy"], reach["grasp_unreachable_either"]
    worst = max(legacy["details"]["by_x_unreachable"].values())
    assert legacy["details"]["poses"] == either["details"]["poses"] == 1936
    assert (f"{legacy['value']:.1f} % with `legacy`, up to {100 * worst:.1f} % in the grid row 7.8 cm from the arm's "
            f"edge, and {either['value']:.1f} % with `either`") in tour

    def cells(before: str, after: str, prefix: str) -> str:
        rows = [_results(before), _results(after)]
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
    assert _results("pushgrasp-deployment-tool-yaw.json")["deployment_protocol_table1_completion"]["details"]["policy"] \
        == "assets/policies/pushgrasp/pushgrasp.onnx"
    from greenroom.sim.pushgrasp.config import PushGraspEnvConfig

    assert PushGraspEnvConfig().tool_yaw_model == "legacy" and "`legacy` stays the default and `either` an option" in tour


def test_policy_trained_with_either_hand_yaw_is_the_committed_result() -> None:
    """The run trained with ``either`` (and the view margin): both protocols' Table I row, no no-change run,
    every failed run one lost block, and the comparisons the prose draws."""
    tour = _tour()
    vpg, dep = _results("pushgrasp-vpg-protocol-tool-yaw-trained.json"), _results("pushgrasp-deployment-tool-yaw-trained.json")
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
    hard = [_results(f"pushgrasp-{name}-table2-tool-yaw-trained.json") for name in ("vpg-protocol", "deployment")]
    bundled = [_results(f"pushgrasp-{name}-mesh-fix.json") for name in ("vpg-protocol", "deployment")]
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
    bundled_vpg = _results("pushgrasp-vpg-protocol-edge-metrics.json")["vpg_protocol_table1_completion"]["value"]
    bundled_dep = _results("pushgrasp-deployment-mesh-fix.json")["deployment_protocol_table1_completion"]["value"]
    bundled_either = _results("pushgrasp-deployment-tool-yaw.json")["deployment_protocol_table1_completion"]["value"]
    ours_vpg = vpg["vpg_protocol_table1_completion"]["value"]
    ours_dep = dep["deployment_protocol_table1_completion"]["value"]
    assert bundled_vpg < ours_vpg and bundled_either < ours_dep < bundled_dep
    prose = " ".join(tour.split())
    assert (f"the seed-1234 run completes {ours_vpg:.1f} % of the runs against the previously bundled policy's {bundled_vpg:.1f}") in prose
    assert (f"a few fewer than the previously bundled policy on its own `legacy` arm ({ours_dep:.1f} against {bundled_dep:.1f}) and "
            f"many more than the previously bundled policy on this arm ({bundled_either:.1f})") in prose
    _check_second_seed(tour, prose, details, dep, bundled_vpg, bundled_either)


def _check_second_seed(tour: str, prose: str, first: list[dict], first_deployment: dict, bundled_vpg: float,
                       bundled_either: float) -> None:
    """The ``seed=7`` row: same command, no no-change run, grasps as reliably, more lost-block runs, and
    the comparisons with the bundled policy the prose draws."""
    rows = [_results(f"pushgrasp-{name}-tool-yaw-trained-seed7.json") for name in ("vpg-protocol", "deployment")]
    prefixes = ("vpg_protocol", "deployment_protocol")
    details = [r[f"{p}_table1_completion"]["details"] for r, p in zip(rows, prefixes)]
    for d, d_first in zip(details, first):
        assert d["runs"] == 30 and d["simulator"]["tool_yaw_model"] == "either" and d["view_margin"] == 0.032
        assert d["policy"].startswith("runs/pushgrasp/20261206-013329") and d["iteration"] == 8000
        assert d["runs_ended"].get("no_change", 0) == 0 and d["runs_ended"]["cleared"] + d["runs_ended"]["empty"] == 30
        assert d["runs_ended"]["empty"] > d_first["runs_ended"]["empty"]                   # more lost-block runs
        assert abs(d["grasp_success_all"] - d_first["grasp_success_all"]) < 2.0           # "grasps as reliably"
    cells = _figure_cells(rows, prefixes)
    ends = [d["runs_ended"]["empty"] for d in details]
    lost = [round(d["lost_objects_per_run"] * d["runs"]) for d in details]
    assert (f"| Table I, second training seed (`seed=7`), 30 runs | {cells[0]} | {cells[1]} | 0, 0 | "
            f"{ends[0]}, {ends[1]} |") in tour
    vpg, dep = (rows[i][f"{p}_table1_completion"]["value"] for i, p in enumerate(prefixes))
    hard = _results("pushgrasp-deployment-table2-tool-yaw-trained-seed7.json")
    hard_d = hard["deployment_protocol_table2_completion"]["details"]
    assert hard_d["runs_per_case"] == 30 and hard_d["policy"].startswith("runs/pushgrasp/20261206-013329")
    assert all(hard[f"deployment_protocol_table2_{m}"]["value"] > paper for m, paper in zip(METRICS, (82.7, 77.2, 60.1)))
    hard_cell = " / ".join(f"{hard[f'deployment_protocol_table2_{m}']['value']:.1f}" for m in METRICS)
    assert (f"| Table II, second training seed (`seed=7`), 30 runs each | not run | {hard_cell} | "
            f"-, {hard_d['runs_ended'].get('no_change', 0)} | -, {hard_d['runs_ended'].get('empty', 0)} |") in tour
    _check_lost_runs_by_rolling(prose, [first_deployment, rows[1]])
    assert (f"loses blocks in {ends[0]} and {ends[1]} runs ({lost[0]} and {lost[1]} blocks) and completes "
            f"{vpg:.1f} and {dep:.1f} %") in prose
    assert vpg == bundled_vpg and dep > bundled_either
    assert (f"The second seed only matches the previously bundled policy under VPG's protocol ({bundled_vpg:.1f}) and stays "
            f"above it on this arm under deployment ({dep:.1f} against {bundled_either:.1f})") in prose


def _check_lost_runs_by_rolling(prose: str, deployment: list[dict]) -> None:
    """Lost-block runs against the runs' rolling-resistance draws, from the deployment files' ``per_run``."""
    median = math.sqrt(1e-4 * 1e-3)   # of the log-uniform Friction.rolling range
    per_run = [r["deployment_protocol_table1_completion"]["details"]["per_run"] for r in deployment]
    assert per_run[0] and [r["seed"] for r in per_run[0]] == [r["seed"] for r in per_run[1]]
    assert [r["rolling_m"] for r in per_run[0]] == [r["rolling_m"] for r in per_run[1]]   # the same 30 draws
    lost = [[r for r in runs if r["lost"] > 0] for runs in per_run]
    assert all(r["ended"] != "cleared" for runs in lost for r in runs)
    low = [sum(r["rolling_m"] < median for r in runs) for runs in lost]
    drew_low = sum(r["rolling_m"] < median for r in per_run[0])
    assert ("4 of the 5 (seed 1234) and 7 of the 9 (seed 7)" in prose and
            [low, [len(x) for x in lost]] == [[4, 7], [5, 9]])
    shown = f"{median:.1e}".replace("e-04", "e-4")
    assert f"drew below the range's median, {shown} m, as {drew_low} of the 30 runs did" in prose
    assert (f"{sum(low)} of those {2 * drew_low} runs lost a block, against "
            f"{sum(map(len, lost)) - sum(low)} of the other {2 * (30 - drew_low)}") in prose


def _figure_cells(results: list[dict], prefixes: tuple[str, ...], table: str = "table1") -> list[str]:
    """Each protocol's "completion / grasp success / efficiency" cell of ``table``, from its bench rows."""
    return [" / ".join(f"{r[f'{p}_{table}_{m}']['value']:.1f}" for m in METRICS) for r, p in zip(results, prefixes)]


def _ends_cell(details: dict) -> str:
    """How a bench row's runs ended: "no change / block lost / safety cap" counts."""
    return " / ".join(str(details["runs_ended"].get(k, 0)) for k in ("no_change", "empty", "action_cap"))


def _published_range_file(stem: str, table: str) -> str:
    """The seed-1234 published-range run's results file of one protocol (``stem``) and table."""
    return f"pushgrasp-{stem}{'-table2' if table == 'table2' else ''}-rolling-published.json"


def _lost_runs(details: dict) -> set[int]:
    """Indices of a bench row's runs that lost a block (from its ``per_run`` records)."""
    return {i for i, run in enumerate(details["per_run"]) if run["lost"]}


def test_tripled_rolling_resistance_row_is_the_committed_result() -> None:
    """The seed-1234 run's Table I with the rolling-resistance range tripled: the row, the comparison with
    the simulator's own range, and the lost-block runs the prose names (from ``per_run``)."""
    tour = _tour()
    prefixes = ("vpg_protocol", "deployment_protocol")
    names = ("vpg-protocol", "deployment")
    tripled = [_results(f"pushgrasp-{n}-tool-yaw-trained-rolling3.json") for n in names]
    before = [_results(f"pushgrasp-{n}-tool-yaw-trained.json") for n in names]
    rows = []
    for results in (before, tripled):
        details = [r[f"{p}_table1_completion"]["details"] for r, p in zip(results, prefixes)]
        for d in details:
            assert d["runs"] == 30 and d["policy"].startswith("runs/pushgrasp/20261205-205330")
            assert d["simulator"]["tool_yaw_model"] == "either" and d["runs_ended"].get("no_change", 0) == 0
        cells = _figure_cells(results, prefixes)
        rows.append((cells, [d["runs_ended"]["empty"] for d in details], details))
    assert [d["ranges"]["rolling"] for d in rows[1][2]] == [[3e-4, 3e-3]] * 2
    assert all("ranges" not in d for d in rows[0][2])   # measured before ranges were recorded: the default range
    for label, (cells, ends, _) in zip(("rolling resistance 0.1 to 1 mm (the simulator then)", "tripled: 0.3 to 3 mm"), rows):
        assert f"| {label} | {cells[0]} | {cells[1]} | {ends[0]}, {ends[1]} |" in tour
    assert all(0 < after < was for after, was in zip(rows[1][1], rows[0][1]))   # "fewer runs lose a block, but not none"
    lost = [_lost_runs(d) for d in rows[1][2]]
    assert not lost[1] & _lost_runs(rows[0][2][1]) and len(lost[1]) == 4 and sorted(lost[0] & lost[1]) == [3, 24]
    assert "none of the 5 runs that lost a block before loses one now, and 4 others do (runs 3 and 24 under both" in tour


def test_finger_speed_row_is_the_committed_result() -> None:
    """The seed-1234 run's Table I with the fingers limited to 0.05 m/s: the row, the lower grasp success,
    and the same lost-block runs as with the fast fingers (``per_run``)."""
    tour = _tour()
    prefixes = ("vpg_protocol", "deployment_protocol")
    slow = [_results(f"pushgrasp-{n}-tool-yaw-trained-finger-speed.json") for n in ("vpg-protocol", "deployment")]
    fast = [_results(f"pushgrasp-{n}-tool-yaw-trained.json") for n in ("vpg-protocol", "deployment")]
    details = [r[f"{p}_table1_completion"]["details"] for r, p in zip(slow, prefixes)]
    for d in details:
        assert d["runs"] == 30 and d["policy"].startswith("runs/pushgrasp/20261205-205330")
        assert d["simulator"]["finger_speed"] == 0.05 and d["simulator"]["tool_yaw_model"] == "either"
    cells = _figure_cells(slow, prefixes)
    ends = [d["runs_ended"]["empty"] for d in details]
    assert f"| fingers at 0.05 m/s each | {cells[0]} | {cells[1]} | {ends[0]}, {ends[1]} |" in tour
    fast_cells = _figure_cells(fast, prefixes)
    assert f"| fingers at Bullet's full force (the simulator now) | {fast_cells[0]} | {fast_cells[1]} | 5, 5 |" in tour
    for s, f, p in zip(slow, fast, prefixes):
        assert s[f"{p}_table1_grasp_success"]["value"] < f[f"{p}_table1_grasp_success"]["value"] - 5
        assert s[f"{p}_table1_completion"]["value"] == f[f"{p}_table1_completion"]["value"]
    lost_fast = _lost_runs(fast[1]["deployment_protocol_table1_completion"]["details"])
    assert {6, 12, 20, 25} <= _lost_runs(details[1]) & lost_fast
    tripled = _results("pushgrasp-deployment-tool-yaw-trained-rolling3.json")
    assert not _lost_runs(tripled["deployment_protocol_table1_completion"]["details"]) & {6, 12, 20, 25}   # "tripled, none of these runs lost a block"


def test_finger_speed_trained_row_is_the_committed_result() -> None:
    """The policy trained with the fingers at 0.05 m/s, benched with them: the row, grasp success no higher
    than the fast-trained policy's with slow fingers, and lost-block runs mostly in low rolling draws."""
    tour = _tour()
    prose = " ".join(tour.split())
    prefixes = ("vpg_protocol", "deployment_protocol")
    names = ("vpg-protocol", "deployment")
    trained = [_results(f"pushgrasp-{n}-finger-speed-trained.json") for n in names]
    untrained = [_results(f"pushgrasp-{n}-tool-yaw-trained-finger-speed.json") for n in names]
    fast = [_results(f"pushgrasp-{n}-tool-yaw-trained.json") for n in names]
    details = [r[f"{p}_table1_completion"]["details"] for r, p in zip(trained, prefixes)]
    for d in details:
        assert d["runs"] == 30 and d["policy"].startswith("runs/pushgrasp/20261206-072944")
        assert d["simulator"]["finger_speed"] == 0.05 and d["simulator"]["tool_yaw_model"] == "either"
    cells = _figure_cells(trained, prefixes)
    lost = [_lost_runs(d) for d in details]
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

    tour = _tour()
    prefixes = ("vpg_protocol", "deployment_protocol")
    names = ("vpg-protocol", "deployment")
    published = [_results(f"pushgrasp-{n}-rolling-published.json") for n in names]
    details = [r[f"{p}_table1_completion"]["details"] for r, p in zip(published, prefixes)]
    default = Friction().rolling
    for d in details:
        assert d["runs"] == 30 and d["policy"].startswith("runs/pushgrasp/20261206-093425")
        assert d["simulator"]["tool_yaw_model"] == "either" and d["ranges"]["rolling"] == [default.low, default.high]
        assert d["runs_ended"].get("no_change", 0) == 0 and d["runs_hitting_action_cap"] == 0
    assert (default.low, default.high, default.nominal) == (5e-4, 3e-3, 1.2e-3)
    cells = _figure_cells(published, prefixes)
    lost = [_lost_runs(d) for d in details]
    assert (f"| the same command, trained and tested with 0.5 to 3 mm | {cells[0]} | {cells[1]} | "
            f"{len(lost[0])}, {len(lost[1])} |") in tour
    before = [_results(f"pushgrasp-{n}-tool-yaw-trained.json") for n in names]
    old = _figure_cells(before, prefixes)
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


SHIPPED_RUN = "runs/pushgrasp/20261206-093425"


def test_bundled_policy_readme_is_the_committed_result() -> None:
    """assets/policies/pushgrasp/README.md: the shipped file's tables are its run's committed protocol
    results (30 runs per case, the simulator's rolling range), and its contract is that run's settings."""
    text = " ".join((REPO / "assets" / "policies" / "pushgrasp" / "README.md").read_text().split())
    contract = json.loads((REPO / "assets" / "policies" / "pushgrasp" / "pushgrasp.contract.json").read_text())
    spec = contract["spec"]
    assert spec["tool_yaw_model"] == "either" and spec["view_margin"] == 0.032 and spec["heightmap_size"] == 128
    assert spec["parity_samples"] >= 256 and f"max difference {spec['parity_max_abs_diff']:.1e}" in text
    assert f"the run `{SHIPPED_RUN}`" in text
    from greenroom.sim.pushgrasp.config import PushGraspEnvConfig

    rolling = PushGraspEnvConfig().randomization.friction.rolling
    for label, table, paper in (("I: 30 random blocks", "table1", "100.0 / 67.7 / 60.9"),
                                ("II: VPG's 11 hard cases", "table2", "82.7 / 77.2 / 60.1")):
        prefixes, results = ("deployment_protocol", "vpg_protocol"), []
        for prefix, stem in zip(prefixes, ("deployment", "vpg-protocol")):
            name = _published_range_file(stem, table)
            results.append(_results(name))
            details = results[-1][f"{prefix}_{table}_completion"]["details"]
            assert details["runs_per_case"] == 30 and details["policy"].startswith(SHIPPED_RUN), name
            assert details["ranges"]["rolling"] == [rolling.low, rolling.high], name
        cells = _figure_cells(results, prefixes, table)
        assert f"| {label} | {cells[0]} | {cells[1]} | {paper} |" in text, label


def test_published_rolling_range_table2_is_the_committed_result() -> None:
    """Table II of the run trained with the published range: its row, how runs ended, the synergy figures
    and the comparison with the previously bundled policy's efficiency that the prose draws."""
    tour = " ".join(_tour().split())
    prefixes = ("vpg_protocol", "deployment_protocol")
    hard = [_results(f"pushgrasp-{n}-table2-rolling-published.json") for n in ("vpg-protocol", "deployment")]
    details = [r[f"{p}_table2_completion"]["details"] for r, p in zip(hard, prefixes)]
    for d in details:
        assert d["runs"] == 330 and d["runs_per_case"] == 30 and d["policy"].startswith(SHIPPED_RUN)
        assert d["simulator"]["tool_yaw_model"] == "either"
    cells = _figure_cells(hard, prefixes, "table2")
    ends = [_ends_cell(d) for d in details]
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
    old = [_results(f"pushgrasp-{n}-mesh-fix.json")[f"{p}_table2_action_efficiency"]["value"]
           for n, p in (("deployment", "deployment_protocol"), ("vpg-protocol", "vpg_protocol"))]
    assert f"below the previously bundled policy's ({old[0]:.1f} and {old[1]:.1f} %" in tour
    assert all(r[f"{p}_table2_action_efficiency"]["value"] < min(old) for r, p in zip(hard, prefixes))


def test_bundled_policy_readme_prose_is_the_committed_result() -> None:
    """The asset README's sentences under its table: the lost-block counts and push shares."""
    text = " ".join((REPO / "assets" / "policies" / "pushgrasp" / "README.md").read_text().split())
    d = {(p, t): _results(_published_range_file(n, t))[f"{p}_{t}_completion"]["details"]
         for p, n in (("deployment_protocol", "deployment"), ("vpg_protocol", "vpg-protocol")) for t in ("table1", "table2")}
    t1_dep, t1_vpg = d["deployment_protocol", "table1"], d["vpg_protocol", "table1"]
    for det in (t1_dep, t1_vpg):   # "every incomplete Table I run lost one block"
        assert det["runs"] - det["completed_runs"] == det["runs_ended"]["empty"] == round(det["lost_objects_per_run"] * 30)
    assert (f"({t1_dep['runs_ended']['empty']} of 30 under the deployment protocol, {t1_vpg['runs_ended']['empty']} "
            f"under VPG's)") in text
    assert (f"It pushes in {t1_dep['push_share']:.1f} / {d['deployment_protocol', 'table2']['push_share']:.1f} % of its "
            f"deployment actions (Table I / II) and {t1_vpg['push_share']:.1f} / {d['vpg_protocol', 'table2']['push_share']:.1f} "
            f"% under VPG's protocol") in text


def test_published_rolling_range_second_seed_is_the_committed_result() -> None:
    """Seed 7 with the published range, Table I: its row, and the prose (29 of 30, run 25 lost by both seeds)."""
    tour = " ".join(_tour().split())
    prefixes = ("vpg_protocol", "deployment_protocol")
    names = ("vpg-protocol", "deployment")
    seed7 = [_results(f"pushgrasp-{n}-rolling-published-seed7.json") for n in names]
    details = [r[f"{p}_table1_completion"]["details"] for r, p in zip(seed7, prefixes)]
    for d in details:
        assert d["runs"] == 30 and d["policy"].startswith("runs/pushgrasp/20261206-130047")
        assert d["ranges"]["rolling"] == [5e-4, 3e-3] and d["simulator"]["tool_yaw_model"] == "either"
        assert d["completed_runs"] == 29 and _lost_runs(d) == {25}
    cells = _figure_cells(seed7, prefixes)
    assert (f"| second training seed (`seed=7`), trained and tested with 0.5 to 3 mm | {cells[0]} | {cells[1]} | "
            f"1, 1 |") in tour
    seed1234 = [_results(f"pushgrasp-{n}-rolling-published.json")[f"{p}_table1_completion"]["details"]
                for n, p in zip(names, prefixes)]
    assert all(25 in _lost_runs(d) for d in seed1234)   # "Both seeds lose run 25 under both protocols"
    assert f"{seed1234[0]['per_run'][25]['rolling_m'] * 1e3:.2f} mm" in tour
    assert (f"({details[1]['push_share']:.1f} % of its deployment actions, VPG's protocol: "
            f"{details[0]['push_share']:.1f} %)") in tour
    old = [_results(f"pushgrasp-{n}-tool-yaw-trained-seed7.json")[f"{p}_table1_completion"]["details"]
           for n, p in zip(names, prefixes)]
    assert f"lost blocks in {old[0]['runs_ended']['empty']} and {old[1]['runs_ended']['empty']} of these runs" in tour


def test_published_rolling_range_second_seed_table2_is_the_committed_result() -> None:
    """Seed 7's Table II with the published range: its row beside seed 1234's, and its push share."""
    tour = " ".join(_tour().split())
    prefixes = ("vpg_protocol", "deployment_protocol")
    hard = [_results(f"pushgrasp-{n}-table2-rolling-published-seed7.json") for n in ("vpg-protocol", "deployment")]
    details = [r[f"{p}_table2_completion"]["details"] for r, p in zip(hard, prefixes)]
    for d in details:
        assert d["runs"] == 330 and d["policy"].startswith("runs/pushgrasp/20261206-130047")
        assert d["ranges"]["rolling"] == [5e-4, 3e-3]
    cells = _figure_cells(hard, prefixes, "table2")
    ends = [_ends_cell(d) for d in details]
    assert (f"| second training seed (`seed=7`), trained and tested with 0.5 to 3 mm | {cells[0]} | {cells[1]} | "
            f"{ends[0]}, {ends[1]} |") in tour
    above = all(r[f"{p}_table2_{m}"]["value"] > paper for r, p in zip(hard, prefixes)
                for m, paper in zip(METRICS, (82.7, 77.2, 60.1)))
    assert above == ("Both seeds are above every paper number of Table II under both protocols." in tour)
    assert (f"Seed 7 pushes in {details[1]['push_share']:.1f} % of its deployment actions on the hard cases "
            f"(VPG's protocol: {details[0]['push_share']:.1f} %)") in tour
    seed1234 = _results("pushgrasp-deployment-table2-rolling-published.json")["deployment_protocol_table2_completion"]
    assert "The seed-1234 run pushes far more" in tour and seed1234["details"]["push_share"] > 2 * details[1]["push_share"]
