"""The bundled flight policy (``assets/policies/flight/``) still flies, and its README quotes the
committed bench results (``benchmarks/results/flight-bundled.json``) exactly."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from greenroom.policies.flight.bench_policy import BUNDLED_POLICY, bench_bundled
from greenroom.policies.runtime.contract import load_contract_for

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "benchmarks" / "results" / "flight-bundled.json"
POLICY_README = BUNDLED_POLICY.parent / "README.md"


def test_bundled_policy_loads_with_its_contract() -> None:
    assert BUNDLED_POLICY.is_file(), f"{BUNDLED_POLICY} is missing (the bundled policy is part of the repository)"
    contract = load_contract_for(BUNDLED_POLICY)
    assert contract.task == "flight"


@pytest.mark.slow
def test_bundled_policy_flies_farther_than_straight_ahead() -> None:
    """5 held-out worlds per set through ONNX Runtime (what the ROS node runs), same seeds for all."""
    rows = {r.name: r.value for r in bench_bundled(quick=True)}
    assert rows["policy / straight-ahead (heldout-worlds)"] >= 1.5, rows
    assert rows["policy / straight-ahead (heldout-appearance)"] >= 1.3, rows
    assert rows["policy / depth oracle (heldout-worlds)"] >= 0.7, rows


def _metrics(world_set: str) -> dict:
    results = json.loads(RESULTS.read_text())["results"]
    row = next(r for r in results if r["name"] == f"policy mean distance ({world_set})")
    assert row["details"]["episodes"] >= 30
    return row["details"]["metrics"]


def test_readme_table_is_the_committed_bench_result() -> None:
    text = POLICY_README.read_text()
    worlds, appearance = _metrics("heldout-worlds"), _metrics("heldout-appearance")
    for label, method in (("this policy (ONNX Runtime)", "policy"), ("ground-truth planner", "gt_oracle"),
                          ("depth oracle", "oracle"),
                          ("straight ahead", "straight"), ("random direction", "random")):
        match = re.search(rf"\| {re.escape(label)} \| ([\d.]+) m \| ([\d.]+) m \|", text)
        assert match, f"{POLICY_README}: no table row for {label!r}"
        assert float(match.group(1)) == round(worlds[method]["mean_distance_m"], 1), label
        assert float(match.group(2)) == round(appearance[method]["mean_distance_m"], 1), label
    success = [round(100 * m["policy"]["success_rate"]) for m in (worlds, appearance)]
    assert (f"is {success[0]} % of the episodes on the held-out worlds and {success[1]} % on the held-out appearance "
            f"set") in " ".join(text.split())


def test_readme_names_the_run_and_its_planner_ratios() -> None:
    """The asset README names the run and export of the validation-choice bench that picked it, and quotes
    the planner ratios of the committed bundled bench (ONNX Runtime) and of that bench (torch)."""
    text = " ".join(POLICY_README.read_text().split())
    choice = json.loads((RESULTS.parent / "flight-validation-choice-averaged-aux-depth-seed1.json").read_text())["results"]
    rows = {r["name"]: r for r in choice}
    chosen = rows["chosen turn_below"]
    assert f"It is `{chosen['details']['run']}`" in text
    assert chosen["details"]["inference"] == ["network.average_checkpoints=3"]   # as trained, checkpoint-averaged
    assert (f"greenroom export {chosen['details']['run']} env.actions.turn_below={chosen['value']:g} "
            f"network.average_checkpoints=3") in text
    assert load_contract_for(BUNDLED_POLICY).spec["actions"]["turn_below"] == chosen["value"]
    bundled = {r["name"]: r for r in json.loads(RESULTS.read_text())["results"]}
    held_out = ("heldout-worlds", "heldout-appearance")
    onnx = [bundled[f"policy / ground-truth planner ({w})"]["value"] for w in held_out]
    torch_ratios = [rows[f"chosen: policy / ground-truth planner ({w})"]["value"] for w in held_out]
    assert (f"{onnx[0]:.2f}x the ground-truth planner on the held-out worlds and {onnx[1]:.2f}x on the held-out "
            f"appearance set") in text
    assert f"with torch, {torch_ratios[0]:.2f}x and {torch_ratios[1]:.2f}x" in text
    longer = {r["name"]: r for r in json.loads((RESULTS.parent / "flight-bundled-100.json").read_text())["results"]}
    ratios = [longer[f"policy / ground-truth planner ({w})"]["value"] for w in held_out]
    success = [100 * longer[f"policy mean distance ({w})"]["details"]["metrics"]["policy"]["success_rate"] for w in held_out]
    assert all(longer[f"policy / ground-truth planner ({w})"]["passed"] for w in held_out)
    assert (f"this file flies {ratios[0]:.2f}x the ground-truth planner on the held-out worlds and {ratios[1]:.2f}x on the "
            f"held-out appearance set, with {success[0]:.0f} % and {success[1]:.0f} % success") in text


def test_bundled_episodes_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """``$GREENROOM_BENCH_FLIGHT_EPISODES`` sets the bundled bench's episodes per set; bad values are named."""
    from greenroom.policies.flight.bench_policy import bundled_episodes

    monkeypatch.delenv("GREENROOM_BENCH_FLIGHT_EPISODES", raising=False)
    assert (bundled_episodes(quick=False), bundled_episodes(quick=True)) == (30, 5)
    monkeypatch.setenv("GREENROOM_BENCH_FLIGHT_EPISODES", "100")
    assert (bundled_episodes(quick=False), bundled_episodes(quick=True)) == (100, 5)
    for bad in ("0", "-3", "ten", "2.5"):
        monkeypatch.setenv("GREENROOM_BENCH_FLIGHT_EPISODES", bad)
        with pytest.raises(ValueError, match="GREENROOM_BENCH_FLIGHT_EPISODES"):
            bundled_episodes(quick=False)
