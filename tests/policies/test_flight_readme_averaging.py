"""The flight tour's checkpoint-averaging paragraph: every row, count and figure from the committed bench files."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from flight_readme_support import (  # noqa: E402
    best_validation_score, cell_text, chosen_policy, committed, every_run, paragraph, planner_distance,
    validation_choice_row,
)

AVERAGED_RUNS = {   # (recipe, seed) -> run; "aux-depth": the depth head (weight 1), "aux-depth3": weight 3
    ("aux-depth", 0): "runs/flight/20261207-054756",
    ("aux-depth", 1): "runs/flight/20261207-060612",
    ("aux-depth", 2): "runs/flight/20261207-064154",
    ("aux-depth3", 0): "runs/flight/20261207-075537",
    ("aux-depth3", 1): "runs/flight/20261207-081348",
    ("aux-depth3", 2): "runs/flight/20261207-084801",
    ("aux-depth3", 3): "runs/flight/20261207-110309",   # trained after the other six were benched averaged
}
LABELS = {"aux-depth": "two appearances and the depth head", "aux-depth3": "depth loss weight 3"}
WORDS = {7: "all seven", 6: "six", 5: "five", 4: "four", 3: "three", 2: "two", 1: "one"}
TARGETS = ("mean distance", "success rate", "/ ground-truth planner", "/ straight ahead")
HELD_OUT = ("heldout-worlds", "heldout-appearance")


def _mean_validation_score(rows: dict) -> float:
    """A sweep's validation score averaged over all its candidates."""
    scores = [r["details"]["score_m"] for n, r in rows.items() if n.startswith("validation worlds mean distance")]
    return sum(scores) / len(scores)


def _distance(rows: dict, subset: str) -> float:
    return chosen_policy(rows)[subset]["mean_distance_m"]


def _planner(rows: dict, subset: str) -> dict:
    return rows[f"chosen: policy / ground-truth planner ({subset})"]


def test_averaging_rows_and_comparisons_are_the_committed_results() -> None:
    text = paragraph("Checkpoint averaging")
    row, _ = validation_choice_row("flight-validation-choice-aux-depth3-seed3.json", "depth loss weight 3, seed 3",
                                   AVERAGED_RUNS[("aux-depth3", 3)])
    assert row in text, row
    pairs = {}
    for (recipe, seed), run in AVERAGED_RUNS.items():
        name = f"flight-validation-choice-averaged-{recipe}-seed{seed}.json"
        row, averaged = validation_choice_row(name, f"averaged: {LABELS[recipe]}, seed {seed}", run)
        assert row in text, row
        assert "network.average_checkpoints=3" in averaged["chosen turn_below"]["details"]["inference"], name
        pairs[recipe, seed] = averaged, committed(f"flight-validation-choice-{recipe}-seed{seed}.json")
    n = len(pairs)
    assert n == 7
    for subset, said in (("heldout-appearance", "on the held-out appearance set with"),
                         ("heldout-worlds", "on the held-out worlds with")):
        new = [_distance(a, subset) for a, _ in pairs.values()]
        old = [_distance(b, subset) for _, b in pairs.values()]
        wins = sum(x > y for x, y in zip(new, old))
        assert f"{said} {WORDS[wins]}" in text, subset
        assert f"({sum(new) / n:.1f} m against {sum(old) / n:.1f} m" in text, subset
    val_wins = sum(best_validation_score(a) > best_validation_score(b) for a, b in pairs.values())
    assert f"The chosen candidate's validation score rises in {WORDS[val_wins]} of the seven" in text
    deltas = [_mean_validation_score(a) - _mean_validation_score(b) for a, b in pairs.values()]
    assert all(d > 0 for d in deltas)
    assert f"it rises in all seven, by {min(deltas):.1f} to {max(deltas):.1f} m" in text
    # no run without averaging reached 0.9x the planner on the held-out appearance set
    assert not any(_planner(rows, "heldout-appearance")["passed"] for rows in every_run(averaged=False).values())
    meets = {key for key, (a, _) in pairs.items()
             if all(a[f"chosen: policy {kind} ({subset})"]["passed"] for kind in TARGETS for subset in HELD_OUT)}
    assert meets == {("aux-depth", 0), ("aux-depth3", 1), ("aux-depth3", 2), ("aux-depth3", 3)}
    assert "with it four runs (weight 1 seed 0, weight 3 seeds 1, 2 and 3) meet every target" in text
    seed3 = pairs["aux-depth3", 3][0]
    assert (f"seed 3 among them ({cell_text(chosen_policy(seed3)['heldout-appearance'])} on the held-out appearance set, "
            f"{_planner(seed3, 'heldout-appearance')['value']:.2f}x)") in text
    # the misses: every target of the other three but the ones named
    misses = {key: [(subset, kind) for subset in HELD_OUT for kind in TARGETS
                    if not pairs[key][0][f"chosen: policy {kind} ({subset})"]["passed"]] for key in pairs if key not in meets}
    assert misses == {("aux-depth3", 0): [("heldout-appearance", "/ ground-truth planner")],
                      ("aux-depth", 1): [("heldout-appearance", "/ ground-truth planner")],
                      ("aux-depth", 2): [("heldout-worlds", "/ ground-truth planner"),
                                         ("heldout-appearance", "/ ground-truth planner")]}
    w3s0, w1s1, w1s2 = (pairs[key][0] for key in (("aux-depth3", 0), ("aux-depth", 1), ("aux-depth", 2)))
    gt = planner_distance(w3s0, "heldout-appearance")
    assert (f"Weight 3 seed 0 misses 0.9x the planner on the held-out appearance set by "
            f"{0.9 * gt - _distance(w3s0, 'heldout-appearance'):.1f} m ({_planner(w3s0, 'heldout-appearance')['value']:.3f}x); "
            f"weight 1 seed 1 misses it there ({_planner(w1s1, 'heldout-appearance')['value']:.2f}x) and weight 1 seed 2 "
            f"on both sets ({_planner(w1s2, 'heldout-worlds')['value']:.2f}x, "
            f"{_planner(w1s2, 'heldout-appearance')['value']:.2f}x)"
            ) in text
    weight3 = [a for (recipe, _), (a, _) in pairs.items() if recipe == "aux-depth3"]
    for subset, said in (("heldout-worlds", "on the held-out worlds"), ("heldout-appearance", "on the held-out appearance set")):
        mean = sum(_distance(a, subset) for a in weight3) / len(weight3)
        ratio = mean / planner_distance(weight3[0], subset)
        assert ratio >= 0.9, subset
        assert f"{mean:.1f} m ({ratio:.2f}x" in text and said in text, subset
