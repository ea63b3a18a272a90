"""Shared helpers of the flight README tests."""
from __future__ import annotations

import glob
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "benchmarks" / "results"
CORNER_RUNS = ("flight-corners.json", "flight-corners-onpolicy.json", "flight-corners-onpolicy-long.json",
               "flight-corners-episodes.json")


def tour_text() -> str:
    readme = (REPO / "README.md").read_text()
    start = readme.index("## Tour: flight")
    return readme[start:readme.index("\n## ", start + 1)]


def paragraph(heading: str) -> str:
    """The tour's paragraph from the bold ``heading`` to the next bold heading or the shipped-policy
    paragraph, whitespace collapsed."""
    tour = " ".join(tour_text().split())
    start = tour.index(f"**{heading}**")
    ends = [tour.find(marker, start + len(heading) + 4) for marker in ("**", "The shipped policy (")]
    return tour[start:min(end for end in ends if end >= 0)]


def every_run(averaged: bool = False) -> dict[str, dict]:
    """Every committed validation-choice bench file, by name: those without checkpoint averaging, or with it."""
    names = [Path(f).name for f in glob.glob(str(RESULTS / "flight-validation-choice*.json"))]
    return {name: committed(name) for name in names if ("-averaged-" in name) is averaged}


def committed(name: str) -> dict[str, dict]:
    return {r["name"]: r for r in json.loads((RESULTS / name).read_text())["results"]}


def cell_text(metrics: dict) -> str:
    return f"{metrics['mean_distance_m']:.1f} / {100 * metrics['success_rate']:.0f}"


def own_chosen_cells(rows: dict, world_set: str) -> str:
    """A turn_threshold bench's "own, chosen" cell pair for one held-out set ("m / %, m / %")."""
    return ", ".join(cell_text(rows[f"{label}: policy mean distance ({world_set})"]["details"]["metrics"]["policy"][world_set])
                     for label in ("own", "chosen"))


def chosen_policy(rows: dict) -> dict:
    """A turn_threshold bench's policy metrics per held-out set at the chosen candidate."""
    return rows["chosen: policy mean distance (heldout-worlds)"]["details"]["metrics"]["policy"]


def planner_distance(rows: dict, world_set: str) -> float:
    """A turn_threshold bench's ground-truth planner mean distance (m) on ``world_set``."""
    return rows["chosen: policy mean distance (heldout-worlds)"]["details"]["metrics"]["gt_oracle"][world_set]["mean_distance_m"]


def best_validation_score(rows: dict) -> float:
    """A turn_threshold bench's best validation score (m): what its validation rule maximizes."""
    return max(r["details"]["score_m"] for n, r in rows.items() if n.startswith("validation worlds mean distance"))


def validation_choice_row(name: str, label: str, run: str) -> tuple[str, dict]:
    """The README row of a turn_threshold bench chosen by the validation rule (``| label (`name`) | chosen |
    validation worlds | validation appearance | held-out worlds | held-out appearance |``), after checking
    that the file is ``run``'s, never saw the validation appearance and chose the best validation score;
    also the file's rows."""
    from greenroom.policies.flight.bench_turn import candidate_label

    rows = committed(name)
    chosen = rows["chosen turn_below"]
    details = chosen["details"]
    assert details["run"] == run and not details["validation_appearance_seen_in_training"], name
    best = rows[f"validation worlds mean distance ({candidate_label(chosen['value'], details['inference'])})"]
    assert best["details"]["score_m"] == best_validation_score(rows), name
    how = "mirror-averaged" if "network.mirror_average=true" in details["inference"] else "as trained"
    policy = chosen_policy(rows)
    return (f"| {label} (`{name}`) | {chosen['value']:g}, {how} | {best['value']:.1f} / "
            f"{100 * best['details']['success_rate']:.0f} | {cell_text(best['details']['validation_appearance'])} | "
            f"{cell_text(policy['heldout-worlds'])} | {cell_text(policy['heldout-appearance'])} |"), rows
