"""Shared helpers of the push-grasp README tests: the tour text, committed results and cell builders."""
from __future__ import annotations

import json
import math
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "benchmarks" / "results"

# VPG's Tables I and II (completion / grasp success / action efficiency, %), as the README cites them
PAPER = {"table1": (100.0, 67.7, 60.9), "table1_vpg_blocks": (100.0, 67.7, 60.9), "table2": (82.7, 77.2, 60.1)}
TABLES = (("table1", "I: 30 random blocks"), ("table2", "II: VPG's 11 hard cases"))
PAPER_CELLS = {table: " / ".join(f"{v:.1f}" for v in values) for table, values in PAPER.items()}
METRICS = ("completion", "grasp_success", "action_efficiency")


def tour_text() -> str:
    readme = (REPO / "README.md").read_text()
    start = readme.index("## Tour: pushgrasp")
    return " ".join(readme[start:readme.index("\n## ", start + 1)].split())


def committed(name: str) -> dict[str, dict]:
    return {r["name"]: r for r in json.loads((RESULTS / name).read_text())["results"]}


# variants trained after pushgrasp-variants.json was benched: each benched alone into pushgrasp-variants-<name>.json
LATE_VARIANTS = ("vpg-noreward", "vpg-myopic", "pg-reactive")
VARIANTS = ("vpg", "vpg-noreward", "vpg-myopic", "grasping-only", "pg-reactive")


def variant_rows(name: str) -> dict[str, dict]:
    """The rows of a variants table: ``name``.json, with every late variant's own file's rows in place of its
    skipped row (for the current table; the table before the fixes is one file)."""
    rows = committed(f"{name}.json")
    if name != "pushgrasp-variants":
        return rows
    for variant in LATE_VARIANTS:
        late = RESULTS / f"{name}-{variant}.json"
        if late.is_file():
            own = {k: v for k, v in committed(late.name).items() if k.startswith(f"variant_{variant}_")}
            assert "skipped" not in own[f"variant_{variant}_table1_completion"]["details"], late
            rows = {k: v for k, v in rows.items() if not k.startswith(f"variant_{variant}_")} | own
    return rows


def pct(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.1f}"


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


def protocol_rows(name: str) -> tuple[tuple[dict, str], tuple[dict, str]]:
    vpg = committed(f"pushgrasp-vpg-protocol-{name}.json")
    if (RESULTS / f"pushgrasp-vpg-protocol-{name}-vpg-blocks.json").is_file():  # Table I with VPG's meshes, run apart
        vpg |= committed(f"pushgrasp-vpg-protocol-{name}-vpg-blocks.json")
    return ((committed(f"pushgrasp-deployment-{name}.json"), "deployment_protocol"), (vpg, "vpg_protocol"))


BUNDLED_RUN = "20261204-180652"  # the training run the bundled ONNX was exported from


def check_bundled_table(protocols, runs_per_case: int, simulator: dict | None, run: str = BUNDLED_RUN,
                        tables=TABLES) -> set:
    """The README's table of ``protocols`` is their committed results, measured on training run ``run`` with
    ``runs_per_case`` (and the ``simulator`` settings, when given); returns the missed paper numbers."""
    tour, missed = tour_text(), set()
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


def current_simulator() -> dict:
    """The default simulator settings, as the protocol benches recorded them before ``finger_speed`` and
    ``drop_model`` were settings (those rows ran finger speed 0, no limit, still the default, and the
    ``legacy`` drop, 40 steps a block)."""
    from greenroom.policies.pushgrasp.bench import SIMULATOR_SETTINGS
    from greenroom.sim.pushgrasp.config import PushGraspEnvConfig

    now = PushGraspEnvConfig()
    assert now.finger_speed == 0.0
    return {k: getattr(now, k) for k in SIMULATOR_SETTINGS if k not in ("finger_speed", "drop_model")}


def simulator_without_tool_yaw() -> dict:
    """The current settings as rows recorded them before ``tool_yaw_model`` was a setting (they ran
    ``legacy``, still the default)."""
    return {k: v for k, v in current_simulator().items() if k != "tool_yaw_model"}


def simulator_without_put_back() -> dict:
    """The settings as rows recorded them before ``put_back_model`` was a setting (its default,
    ``legacy``, is what those rows ran)."""
    return {k: v for k, v in simulator_without_tool_yaw().items() if k != "put_back_model"}


def simulator_before_the_mesh_fix() -> dict:
    """The settings recorded before VPG's meshes got their hulls (those rows have no mesh settings)."""
    return {k: v for k, v in simulator_without_put_back().items() if k not in ("mesh_model", "placement_separation_steps")}


def table1_cells(vpg: str, deployment: str, deployment_no_change: bool = False) -> str:
    """A Table I row's cells from two committed protocol results: VPG's protocol figures, its no-change
    runs (of them with every block on the edge), its lost-block runs; the deployment figures, [its
    no-change runs,] its lost-block runs."""
    cells = []
    for rows, prefix in ((committed(vpg), "vpg_protocol_table1"), (committed(deployment), "deployment_protocol_table1")):
        figures = " / ".join(f"{rows[f'{prefix}_{m}']['value']:.1f}" for m in ("completion", "grasp_success", "action_efficiency"))
        details = rows[f"{prefix}_completion"]["details"]
        assert details["runs"] == 30
        ended = details["runs_ended"]
        if prefix.startswith("vpg"):
            cells += [figures, f"{ended.get('no_change', 0)} ({details['no_change_runs_left_on_edge']})", str(ended.get("empty", 0))]
        else:
            cells += [figures, *([str(ended.get("no_change", 0))] if deployment_no_change else []), str(ended.get("empty", 0))]
    return " | ".join(cells)


VIEW_MARGIN_RUNS = [  # (README label, VPG-protocol results, deployment results, run folder)
    ("view margin 3.2 cm, seed 1234", "pushgrasp-vpg-protocol-view-margin.json", "pushgrasp-deployment-view-margin.json",
     "20261205-175318"),
]


def check_second_seed(tour: str, prose: str, first: list[dict], first_deployment: dict, bundled_vpg: float,
                      bundled_either: float) -> None:
    """The ``seed=7`` row: same command, no no-change run, grasps as reliably, more lost-block runs, and
    the comparisons with the bundled policy the prose draws."""
    rows = [committed(f"pushgrasp-{name}-tool-yaw-trained-seed7.json") for name in ("vpg-protocol", "deployment")]
    prefixes = ("vpg_protocol", "deployment_protocol")
    details = [r[f"{p}_table1_completion"]["details"] for r, p in zip(rows, prefixes)]
    for d, d_first in zip(details, first):
        assert d["runs"] == 30 and d["simulator"]["tool_yaw_model"] == "either" and d["view_margin"] == 0.032
        assert d["policy"].startswith("runs/pushgrasp/20261206-013329") and d["iteration"] == 8000
        assert d["runs_ended"].get("no_change", 0) == 0 and d["runs_ended"]["cleared"] + d["runs_ended"]["empty"] == 30
        assert d["runs_ended"]["empty"] > d_first["runs_ended"]["empty"]                   # more lost-block runs
        assert abs(d["grasp_success_all"] - d_first["grasp_success_all"]) < 2.0           # "grasps as reliably"
    cells = figure_cells(rows, prefixes)
    ends = [d["runs_ended"]["empty"] for d in details]
    lost = [round(d["lost_objects_per_run"] * d["runs"]) for d in details]
    assert (f"| Table I, second training seed (`seed=7`), 30 runs | {cells[0]} | {cells[1]} | 0, 0 | "
            f"{ends[0]}, {ends[1]} |") in tour
    vpg, dep = (rows[i][f"{p}_table1_completion"]["value"] for i, p in enumerate(prefixes))
    hard = committed("pushgrasp-deployment-table2-tool-yaw-trained-seed7.json")
    hard_d = hard["deployment_protocol_table2_completion"]["details"]
    assert hard_d["runs_per_case"] == 30 and hard_d["policy"].startswith("runs/pushgrasp/20261206-013329")
    assert all(hard[f"deployment_protocol_table2_{m}"]["value"] > paper for m, paper in zip(METRICS, (82.7, 77.2, 60.1)))
    hard_cell = " / ".join(f"{hard[f'deployment_protocol_table2_{m}']['value']:.1f}" for m in METRICS)
    assert (f"| Table II, second training seed (`seed=7`), 30 runs each | not run | {hard_cell} | "
            f"-, {hard_d['runs_ended'].get('no_change', 0)} | -, {hard_d['runs_ended'].get('empty', 0)} |") in tour
    check_lost_runs_by_rolling(prose, [first_deployment, rows[1]])
    assert (f"loses blocks in {ends[0]} and {ends[1]} runs ({lost[0]} and {lost[1]} blocks) and completes "
            f"{vpg:.1f} and {dep:.1f} %") in prose
    assert vpg == bundled_vpg and dep > bundled_either
    assert (f"The second seed only matches the previously bundled policy under VPG's protocol ({bundled_vpg:.1f}) and stays "
            f"above it on this arm under deployment ({dep:.1f} against {bundled_either:.1f})") in prose


def check_lost_runs_by_rolling(prose: str, deployment: list[dict]) -> None:
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


def figure_cells(results: list[dict], prefixes: tuple[str, ...], table: str = "table1") -> list[str]:
    """Each protocol's "completion / grasp success / efficiency" cell of ``table``, from its bench rows."""
    return [" / ".join(f"{r[f'{p}_{table}_{m}']['value']:.1f}" for m in METRICS) for r, p in zip(results, prefixes)]


def ends_cell(details: dict) -> str:
    """How a bench row's runs ended: "no change / block lost / safety cap" counts."""
    return " / ".join(str(details["runs_ended"].get(k, 0)) for k in ("no_change", "empty", "action_cap"))


def published_range_file(stem: str, table: str) -> str:
    """The seed-1234 published-range run's results file of one protocol (``stem``) and table."""
    return f"pushgrasp-{stem}{'-table2' if table == 'table2' else ''}-rolling-published.json"


def lost_runs(details: dict) -> set[int]:
    """Indices of a bench row's runs that lost a block (from its ``per_run`` records)."""
    return {i for i, run in enumerate(details["per_run"]) if run["lost"]}


SEED1234_RUN = "runs/pushgrasp/20261206-093425"   # the published-range run, bundled before seed 31
SHIPPED_RUN = "runs/pushgrasp/20261207-000250"    # seed 31, bundled now
