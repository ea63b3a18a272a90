"""Seed 31, the bundled push-grasp policy: the README's section and the asset README quote the committed
results exactly (both tables, both protocols, the layouts it was not chosen on, the policy bundled before)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from pushgrasp_readme_support import (  # noqa: E402
    METRICS, PAPER, PAPER_CELLS, REPO, SEED1234_RUN, SHIPPED_RUN, committed, ends_cell, figure_cells,
    published_range_file, tour_text,
)

FILES = {("vpg", "table1"): "pushgrasp-vpg-protocol-drop-settle-seed31.json",
         ("deployment", "table1"): "pushgrasp-deployment-drop-settle-seed31.json",
         ("vpg", "table2"): "pushgrasp-vpg-protocol-table2-seed31.json",
         ("deployment", "table2"): "pushgrasp-deployment-table2-seed31.json"}
OTHER_LAYOUTS = "pushgrasp-deployment-other-layouts-seed31.json"
LABELS = {"table1": "Table I, 30 random blocks, VPG's drop", "table2": "Table II, VPG's 11 hard cases"}


def _asset_text() -> str:
    return " ".join((REPO / "assets" / "policies" / "pushgrasp" / "README.md").read_text().split())


def _seed31() -> tuple[dict, dict, dict]:
    """(results, cells, details) per (protocol, table); every file is the shipped run at 30 runs per case."""
    results = {key: committed(name) for key, name in FILES.items()}
    cells = {key: figure_cells([rows], (f"{key[0]}_protocol",), key[1])[0] for key, rows in results.items()}
    details = {key: rows[f"{key[0]}_protocol_{key[1]}_completion"]["details"] for key, rows in results.items()}
    for (protocol, table), d in details.items():
        assert d["policy"].startswith(SHIPPED_RUN) and d["runs_per_case"] == 30 and not d["quick"], (protocol, table)
        assert d["runs"] == (30 if table == "table1" else 330) and d["simulator"]["tool_yaw_model"] == "either"
        assert d["simulator"]["drop_model"] == "settle"
    return results, cells, details


def _meets_every_paper_number(results: dict) -> bool:
    return all(rows[f"{p}_protocol_{t}_{m}"]["value"] >= PAPER[t][i]
               for (p, t), rows in results.items() for i, m in enumerate(METRICS))


def test_seed31_section_is_the_committed_result() -> None:
    tour = tour_text()
    results, cells, details = _seed31()
    for table in ("table1", "table2"):
        row = (f"| {LABELS[table]} | {cells['vpg', table]} | {cells['deployment', table]} | {PAPER_CELLS[table]} | "
               f"{ends_cell(details['vpg', table])}, {ends_cell(details['deployment', table])} |")
        assert row in tour, row
    assert _meets_every_paper_number(results)
    assert "It reaches every paper number of both tables under both protocols, the first policy here to do so." in tour
    shares = {key: f"{d['push_share']:.1f}" for key, d in details.items()}
    assert (f"It hardly pushes: {shares['deployment', 'table1']} / {shares['deployment', 'table2']} % of its deployment "
            f"actions (Table I / II; VPG's protocol: {shares['vpg', 'table1']} / {shares['vpg', 'table2']} %)") in tour
    assert all(d["push_share"] < 5.0 for d in details.values())     # "hardly pushes"
    other = committed(OTHER_LAYOUTS)
    d = other["deployment_protocol_table1_completion"]["details"]
    assert d["layout_seed"] == 20000 and d["policy"].startswith(SHIPPED_RUN) and d["runs"] == 30
    screened = {run["seed"] for run in details["deployment", "table1"]["per_run"]}
    assert not screened & {run["seed"] for run in d["per_run"]}     # other layouts: no reset seed in common
    ended = d["runs_ended"]
    assert (f"it scores {figure_cells([other], ('deployment_protocol',))[0]} ({ended.get('cleared', 0)} of 30 cleared, "
            f"{ended.get('empty', 0)} with a block lost, {ended.get('no_change', 0)} after 10 no-change actions)") in tour
    spec = json.loads((REPO / "assets" / "policies" / "pushgrasp" / "pushgrasp.contract.json").read_text())["spec"]
    assert (f"ONNX vs torch parity on {spec['parity_samples']} recorded heightmaps, max difference "
            f"{spec['parity_max_abs_diff']:.1e}") in tour


def test_bundled_policy_readme_is_the_committed_result() -> None:
    """assets/policies/pushgrasp/README.md: its table is seed 31's committed protocol results, its contract
    that run's settings, and the sentences under the table are the files' counts and shares."""
    text = _asset_text()
    contract = json.loads((REPO / "assets" / "policies" / "pushgrasp" / "pushgrasp.contract.json").read_text())
    spec = contract["spec"]
    assert spec["tool_yaw_model"] == "either" and spec["view_margin"] == 0.032 and spec["heightmap_size"] == 128
    assert spec["parity_samples"] >= 256 and f"max difference {spec['parity_max_abs_diff']:.1e}" in text
    assert f"the run `{SHIPPED_RUN}`" in text
    results, cells, details = _seed31()
    for label, table in (("I: 30 random blocks", "table1"), ("II: VPG's 11 hard cases", "table2")):
        assert f"| {label} | {cells['deployment', table]} | {cells['vpg', table]} | {PAPER_CELLS[table]} |" in text, label
        for protocol in ("deployment", "vpg"):
            assert f"`benchmarks/results/{FILES[protocol, table]}`" in text
    assert _meets_every_paper_number(results) and "It reaches every paper number of both tables under both protocols" in text
    lost = {key: d["runs_ended"].get("empty", 0) for key, d in details.items()}
    assert lost["deployment", "table1"] == lost["vpg", "table1"] == 0
    assert (f"on the hard cases {lost['deployment', 'table2']} of 330 runs ended with a block lost under the deployment "
            f"protocol and {lost['vpg', 'table2']} under VPG's") in text
    shares = {key: f"{d['push_share']:.1f}" for key, d in details.items()}
    assert (f"It pushes in {shares['deployment', 'table1']} / {shares['deployment', 'table2']} % of its deployment actions "
            f"(Table I / II) and {shares['vpg', 'table1']} / {shares['vpg', 'table2']} % under VPG's protocol") in text
    other = committed(OTHER_LAYOUTS)
    assert f"it scores {figure_cells([other], ('deployment_protocol',))[0]} under the deployment protocol" in text


def test_asset_readme_policy_bundled_before_is_the_committed_result() -> None:
    """The asset README's figures of the seed-1234 policy bundled before seed 31: that run's committed
    protocol results (30 runs per case, the published rolling range) and its export with each drop."""
    text = _asset_text()
    prefixes, cells = ("deployment_protocol", "vpg_protocol"), {}
    for table in ("table1", "table2"):
        results = []
        for prefix, stem in zip(prefixes, ("deployment", "vpg-protocol")):
            name = published_range_file(stem, table)
            results.append(committed(name))
            details = results[-1][f"{prefix}_{table}_completion"]["details"]
            assert details["runs_per_case"] == 30 and details["policy"].startswith(SEED1234_RUN), name
            assert f"`benchmarks/results/{name}`" in text
        cells[table] = figure_cells(results, prefixes, table)
    assert f"`{SEED1234_RUN}`" in text
    assert (f"Table I {cells['table1'][0]} and {cells['table1'][1]} with the old drop, Table II {cells['table2'][0]} "
            f"and {cells['table2'][1]}, deployment and VPG's protocol") in text
    shares = [committed(published_range_file("deployment", t))[f"deployment_protocol_{t}_completion"]["details"]["push_share"]
              for t in ("table1", "table2")]
    assert f"pushed more ({shares[0]:.1f} / {shares[1]:.1f} % of its deployment actions, Table I / II)" in text
    settle = committed("pushgrasp-deployment-bundled-drop-settle.json")["deployment_protocol_table1_completion"]
    legacy = committed("pushgrasp-deployment-bundled-drop-legacy.json")["deployment_protocol_table1_completion"]
    assert (f"Its export completes {settle['value']:.1f} % of the Table I layouts under the deployment protocol with "
            f"VPG's drop, against {legacy['value']:.1f} % with the old drop") in text
