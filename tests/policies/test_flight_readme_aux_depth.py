"""The flight tour's depth-head paragraphs: every row and comparison from the committed bench files."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from flight_readme_support import (  # noqa: E402
    best_validation_score, cell_text, chosen_policy, committed, every_run, paragraph, planner_distance,
    validation_choice_row,
)

AUX_DEPTH_RUNS = {   # seed -> run
    0: "runs/flight/20261207-054756",
    1: "runs/flight/20261207-060612",
    2: "runs/flight/20261207-064154",
}
HEAVY_DEPTH_RUNS = {   # aux_depth=3: seed -> run
    0: "runs/flight/20261207-075537",
    1: "runs/flight/20261207-081348",
    2: "runs/flight/20261207-084801",
}
HEAVIEST_DEPTH_RUN = "runs/flight/20261207-092112"   # aux_depth=10, seed 0
SHIPPED = "flight-validation-choice-beyond-fov-seed0.json"


def _target_rows(rows: dict, subset: str) -> dict[str, dict]:
    return {kind: rows[f"chosen: policy {kind} ({subset})"]
            for kind in ("mean distance", "success rate", "/ ground-truth planner", "/ straight ahead")}


def _and(items: list[str]) -> str:
    return f"{', '.join(items[:-1])} and {items[-1]}"


def test_depth_head_rows_and_comparisons_are_the_committed_results() -> None:
    text = paragraph("A depth head in training only")
    seeds = sorted(AUX_DEPTH_RUNS)
    assert seeds == [0, 1, 2]
    aux, views = {}, {}
    for seed in seeds:
        name = f"flight-validation-choice-aux-depth-seed{seed}.json"
        row, aux[seed] = validation_choice_row(name, f"two appearances and the depth head, seed {seed}", AUX_DEPTH_RUNS[seed])
        assert row in text, row
        views[seed] = committed(f"flight-validation-choice-appearance-views-seed{seed}.json")

    def policy(rows: dict, subset: str) -> dict:
        return chosen_policy(rows)[subset]

    def planner(rows: dict, subset: str) -> dict:
        return rows[f"chosen: policy / ground-truth planner ({subset})"]

    app = [(policy(aux[k], "heldout-appearance"), policy(views[k], "heldout-appearance")) for k in seeds]
    pairs = [f"{cell_text(a)} against {cell_text(b)} with seed {k}" for k, (a, b) in zip(seeds, app)]
    assert f"({', '.join(pairs)};" in text
    gain = [a["mean_distance_m"] - b["mean_distance_m"] for a, b in app]
    assert all(g > 0 for g in gain)                                                 # "farther ... with all three seeds"
    new, old = ([f"{planner(r, 'heldout-appearance')['value']:.2f}x" for r in group]
                for group in ([aux[k] for k in seeds], [views[k] for k in seeds]))
    assert f"{_and(new)} the ground-truth planner against {_and(old)})" in text
    worlds = [(policy(aux[k], "heldout-worlds"), policy(views[k], "heldout-worlds")) for k in seeds]
    delta = [a["mean_distance_m"] - b["mean_distance_m"] for a, b in worlds]
    assert delta[0] < 0 < delta[1] and delta[2] < 0                                 # seeds 0 and 2 less far, 1 farther
    assert (f"seeds 0 and 2 fly less far ({cell_text(worlds[0][0])} against {cell_text(worlds[0][1])}, "
            f"{cell_text(worlds[2][0])} against {cell_text(worlds[2][1])}) and seed 1 farther "
            f"({cell_text(worlds[1][0])} against {cell_text(worlds[1][1])})") in text
    assert (f"held-out appearance set ({gain[0]:.1f}, {gain[1]:.1f} and {gain[2]:.1f} m) comes with a mixed result on the "
            f"held-out worlds ({-delta[0]:.1f} m less, {delta[1]:.1f} m more, {-delta[2]:.1f} m less)") in text
    # seeds 0 and 1 meet every held-out-world target, seed 2 all but 0.9x; on the held-out appearance set every
    # target but 0.9x the planner
    for k in seeds:
        for subset in ("heldout-worlds", "heldout-appearance"):
            targets = _target_rows(aux[k], subset)
            misses_planner = subset == "heldout-appearance" or k == 2
            assert targets["/ ground-truth planner"]["passed"] is not misses_planner, (k, subset)
            assert all(r["passed"] for kind, r in targets.items() if kind != "/ ground-truth planner"), (k, subset)
    ratio = [_target_rows(aux[k], "heldout-worlds") for k in seeds]
    assert (f"({ratio[0]['/ ground-truth planner']['value']:.2f}x and {ratio[1]['/ ground-truth planner']['value']:.2f}x "
            f"the ground-truth planner, {ratio[0]['/ straight ahead']['value']:.1f}x and "
            f"{ratio[1]['/ straight ahead']['value']:.1f}x straight ahead); seed 2 misses 0.9x there "
            f"({ratio[2]['/ ground-truth planner']['value']:.2f}x)") in text
    assert "every target but 0.9x the planner (36.0 m)" in text
    # the validation mean against the shipped run's, within the two-appearance seeds' spread
    scores = {name: best_validation_score(rows) for name, rows in every_run().items()}
    best = "flight-validation-choice-aux-depth-seed1.json"
    spread = [scores[f"flight-validation-choice-appearance-views-seed{k}.json"] for k in range(3)]
    assert f"depth-head seed 1 scores {scores[best]:.1f} m, against the then shipped run's {scores[SHIPPED]:.1f} m" in text
    assert f"spread from {min(spread):.1f} to {max(spread):.1f} m on that mean, so {scores[best] - scores[SHIPPED]:.1f} m" in text
    assert max(spread) - min(spread) > scores[best] - scores[SHIPPED]


def _signed(delta: float) -> str:
    return f"{abs(delta):.1f} m {'more' if delta > 0 else 'less'}"


def test_heavier_depth_loss_rows_and_comparisons_are_the_committed_results() -> None:
    text = paragraph("A heavier depth loss")
    heavy, light = {}, {}
    for seed, run in HEAVY_DEPTH_RUNS.items():
        row, heavy[seed] = validation_choice_row(f"flight-validation-choice-aux-depth3-seed{seed}.json",
                                                 f"depth loss weight 3, seed {seed}", run)
        assert row in text, row
        light[seed] = committed(f"flight-validation-choice-aux-depth-seed{seed}.json")
    row, heaviest = validation_choice_row("flight-validation-choice-aux-depth10-seed0.json", "depth loss weight 10, seed 0",
                                          HEAVIEST_DEPTH_RUN)
    assert row in text, row
    seeds = sorted(HEAVY_DEPTH_RUNS)
    assert seeds == [0, 1, 2]
    deltas = {}
    for subset, name in (("heldout-appearance", "held-out appearance set"), ("heldout-worlds", "held-out worlds")):
        pairs = [(chosen_policy(heavy[k])[subset], chosen_policy(light[k])[subset]) for k in seeds]
        cells = [f"{cell_text(a)} against {cell_text(b)}" for a, b in pairs]
        delta = deltas[subset] = [a["mean_distance_m"] - b["mean_distance_m"] for a, b in pairs]
        assert f"{cells[0]}, {cells[1]} and {cells[2]} on the {name}" in text, subset
        said = f"({', '.join(_signed(d) for d in delta)})"
        assert said in text, (subset, said)
    assert min(deltas["heldout-appearance"]) < 0   # "no consistent gain": a seed flies less far with weight 3
    # the longest any run has flown on the held-out appearance set, and 0.9x the planner
    runs = every_run()
    longest = max(runs, key=lambda n: chosen_policy(runs[n])["heldout-appearance"]["mean_distance_m"])
    assert longest == "flight-validation-choice-aux-depth3-seed1.json"
    distance = chosen_policy(runs[longest])["heldout-appearance"]["mean_distance_m"]
    ratio = runs[longest]["chosen: policy / ground-truth planner (heldout-appearance)"]
    gt = planner_distance(runs[longest], "heldout-appearance")
    assert not ratio["passed"] and ratio["value"] < 0.9
    assert (f"Seed 1's {distance:.1f} m ({ratio['value']:.2f}x the planner) is the longest any run has flown there "
            f"without checkpoint averaging (below), still short of 0.9x the planner "
            f"({0.9 * gt:.1f} m)") in text
    # weight 10: the highest validation mean of any run, below 50 % success on the held-out appearance set
    scores = {name: best_validation_score(rows) for name, rows in runs.items()}
    assert max(scores, key=scores.get) == "flight-validation-choice-aux-depth10-seed0.json"
    success = heaviest["chosen: policy success rate (heldout-appearance)"]
    assert not success["passed"] and success["value"] < 50
    assert (f"the highest validation mean of any run without checkpoint averaging, "
            f"{scores['flight-validation-choice-aux-depth10-seed0.json']:.1f} m, "
            f"yet flies {cell_text(chosen_policy(heaviest)['heldout-appearance'])} on the held-out appearance set, "
            f"below the 50 % success target there") in text
