"""The flight tour's depth-head paragraph: every row and comparison from the committed bench files."""
from __future__ import annotations

import glob
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from flight_readme_support import (  # noqa: E402
    RESULTS, best_validation_score, cell_text, chosen_policy, committed, tour_text, validation_choice_row,
)

AUX_DEPTH_RUNS = {   # seed -> run
    0: "runs/flight/20261207-054756",
    1: "runs/flight/20261207-060612",
}
SHIPPED = "flight-validation-choice-beyond-fov-seed0.json"


def _paragraph() -> str:
    tour = " ".join(tour_text().split())
    start = tour.index("**A depth head in training only**")
    return tour[start:tour.index("The shipped policy (", start)]


def _target_rows(rows: dict, subset: str) -> dict[str, dict]:
    return {kind: rows[f"chosen: policy {kind} ({subset})"]
            for kind in ("mean distance", "success rate", "/ ground-truth planner", "/ straight ahead")}


def test_depth_head_rows_and_comparisons_are_the_committed_results() -> None:
    text = _paragraph()
    seeds = sorted(AUX_DEPTH_RUNS)
    aux, views = {}, {}
    for seed in seeds:
        name = f"flight-validation-choice-aux-depth-seed{seed}.json"
        row, aux[seed] = validation_choice_row(name, f"two appearances and the depth head, seed {seed}", AUX_DEPTH_RUNS[seed])
        assert row in text, row
        views[seed] = committed(f"flight-validation-choice-appearance-views-seed{seed}.json")
    cells = {s: {k: cell_text(chosen_policy(rows)[k]) for k in ("heldout-worlds", "heldout-appearance")}
             for s, rows in (*((f"aux{k}", aux[k]) for k in seeds), *((f"views{k}", views[k]) for k in seeds))}
    pairs = [f"{cells[f'aux{k}']['heldout-appearance']} against {cells[f'views{k}']['heldout-appearance']} with seed {k}"
             for k in seeds]
    assert f"({pairs[0]}, {pairs[1]};" in text
    gain = [chosen_policy(aux[k])["heldout-appearance"]["mean_distance_m"]
            - chosen_policy(views[k])["heldout-appearance"]["mean_distance_m"] for k in seeds]
    assert all(g > 0 for g in gain)                                                   # "farther ... with both seeds"
    ratios = [_target_rows(aux[k], "heldout-appearance")["/ ground-truth planner"]["value"] for k in seeds]
    assert f"{ratios[0]:.2f}x and {ratios[1]:.2f}x the ground-truth planner)" in text
    worlds = [chosen_policy(r)["heldout-worlds"]["mean_distance_m"] for r in (aux[0], views[0], aux[1], views[1])]
    assert worlds[0] < worlds[1] and worlds[2] > worlds[3]                            # seed 0 less far, seed 1 farther
    assert (f"seed 0 flies less far ({cells['aux0']['heldout-worlds']} against {cells['views0']['heldout-worlds']}) "
            f"and seed 1 farther ({cells['aux1']['heldout-worlds']} against {cells['views1']['heldout-worlds']})") in text
    # every held-out-world target met, every held-out-appearance target but 0.9x the planner
    for k in seeds:
        assert all(r["passed"] for r in _target_rows(aux[k], "heldout-worlds").values())
        appearance = _target_rows(aux[k], "heldout-appearance")
        assert not appearance["/ ground-truth planner"]["passed"]
        assert all(r["passed"] for kind, r in appearance.items() if kind != "/ ground-truth planner")
    planner = [_target_rows(aux[k], "heldout-worlds")["/ ground-truth planner"]["value"] for k in seeds]
    straight = [_target_rows(aux[k], "heldout-worlds")["/ straight ahead"]["value"] for k in seeds]
    assert (f"({planner[0]:.2f}x and {planner[1]:.2f}x the ground-truth planner, {straight[0]:.1f}x and "
            f"{straight[1]:.1f}x straight ahead)") in text
    # "the longest any run has flown there", and how far 0.9x the planner is
    longest = max(chosen_policy(aux[k])["heldout-appearance"]["mean_distance_m"] for k in seeds)
    every_run = [committed(Path(f).name) for f in glob.glob(str(RESULTS / "flight-validation-choice*.json"))]
    assert longest == max(chosen_policy(r)["heldout-appearance"]["mean_distance_m"] for r in every_run)
    gt = aux[0]["chosen: policy mean distance (heldout-worlds)"]["details"]["metrics"]["gt_oracle"]["heldout-appearance"]
    assert (f"{longest:.1f} m is the longest any run has flown there, still short of 0.9x the planner "
            f"({0.9 * gt['mean_distance_m']:.1f} m)") in text
    # the validation mean: the highest of any run, against the shipped run's, within the two-appearance seeds' spread
    scores = {Path(f).name: best_validation_score(committed(Path(f).name))
              for f in glob.glob(str(RESULTS / "flight-validation-choice*.json"))}
    best = max(scores, key=scores.get)
    assert best == "flight-validation-choice-aux-depth-seed1.json"
    spread = [scores[f"flight-validation-choice-appearance-views-seed{k}.json"] for k in range(3)]
    assert (f"depth-head seed 1 scores {scores[best]:.1f} m, the highest of any run, against the shipped run's "
            f"{scores[SHIPPED]:.1f} m") in text
    assert f"spread from {min(spread):.1f} to {max(spread):.1f} m on that mean, so {scores[best] - scores[SHIPPED]:.1f} m" in text
    assert max(spread) - min(spread) > scores[best] - scores[SHIPPED]
