"""The README's flight tour quotes the committed results exactly: corners, the bundled policy, speed, turn thresholds."""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from flight_readme_support import (  # noqa: E402
    CORNER_RUNS, RESULTS, best_validation_score, cell_text, committed, every_run, tour_text,
)


def test_corners_table_is_the_committed_results() -> None:
    tour = tour_text()
    for name in CORNER_RUNS:
        details = committed(name)["cpu training time"]["details"]
        assert details["episodes"] == 30 and details["cap_m"] == 40.0
        policy = details["metrics"]["policy"]
        row = (f"(`{name}`) | {cell_text(policy['heldout-worlds'])} | {cell_text(policy['heldout-appearance'])} | "
               f"{details['train_seconds'] / 60:.1f} min |")
        assert row in tour, row
    details = committed(CORNER_RUNS[-1])["cpu training time"]["details"]
    for method, label in (("gt_oracle", "ground-truth planner"), ("oracle", "depth oracle"),
                          ("straight", "straight ahead"), ("random", "random cells")):
        m = details["metrics"][method]
        assert f"| {label} | {cell_text(m['heldout-worlds'])} | {cell_text(m['heldout-appearance'])} | - |" in tour, label
    # the fair learned baseline: SB3 PPO with the trainer's env processes and the run's own training wall-clock
    ppo, meta = details["metrics"]["ppo"], details["ppo"]
    assert abs(meta["budget_s"] - details["train_seconds"]) < 1.0 and meta["learning_curve"], meta
    assert (f"| PPO (SB3 `CnnPolicy`, {meta['envs']} env processes, the last policy row's wall-clock) | "
            f"{cell_text(ppo['heldout-worlds'])} | {cell_text(ppo['heldout-appearance'])} | {meta['train_seconds'] / 60:.1f} min |"
            ) in tour
    assert (RESULTS / "flight-corners-learning-curve.png").is_file() and "flight-corners-learning-curve.png" in tour
    prose = " ".join(tour.split())
    assert f"it ran {meta['timesteps']:,} env steps" in prose
    straight = details["metrics"]["straight"]
    assert ppo["heldout-appearance"]["mean_distance_m"] < straight["heldout-appearance"]["mean_distance_m"]
    assert abs(ppo["heldout-worlds"]["mean_distance_m"] - straight["heldout-worlds"]["mean_distance_m"]) < 0.5
    previous = committed(CORNER_RUNS[-2])["cpu training time"]["details"]["metrics"]["ppo"]
    assert (f"PPO flew {previous['heldout-worlds']['mean_distance_m']:.1f} / "
            f"{previous['heldout-appearance']['mean_distance_m']:.1f} m (`{CORNER_RUNS[-2]}`)") in prose
    cad2rl = details["cad2rl_oracles_heldout_worlds"]["oracle"]
    assert f"{cad2rl['mean_distance_m']:.1f} m, {100 * cad2rl['success_rate']:.0f} % success" in tour
    # earlier rows met no target; the last row's met and missed targets are named with their values
    for name in CORNER_RUNS[:-1]:
        rows = committed(name)
        assert not any(r["passed"] for r in rows.values() if r["passed"] is not None), name
    last = committed(CORNER_RUNS[-1])
    met = {n for n, r in last.items() if r["passed"]}
    assert met == {"cpu training time", "policy / straight ahead (heldout-worlds)"}, met
    assert "meets two targets of issue 15: <= 20 min of training " \
           f"({last['cpu training time']['value']:.1f} min) and >= 3x straight ahead on the held-out worlds " \
           f"({last['policy / straight ahead (heldout-worlds)']['value']:.1f}x)" in prose
    v = {n: r["value"] for n, r in last.items()}
    assert (f"({v['policy mean distance (heldout-worlds)']:.1f} m / {v['policy success rate (heldout-worlds)']:.0f} % on the "
            f"held-out worlds, {v['policy mean distance (heldout-appearance)']:.1f} m / "
            f"{v['policy success rate (heldout-appearance)']:.0f} % on the held-out appearance set), >= 0.9x the "
            f"ground-truth planner ({v['policy / ground-truth planner (heldout-worlds)']:.2f}x, "
            f"{v['policy / ground-truth planner (heldout-appearance)']:.2f}x) and >= 3x straight ahead on the held-out "
            f"appearance set ({v['policy / straight ahead (heldout-appearance)']:.1f}x)") in prose
    # "farther on the held-out worlds than any earlier row, worse on the held-out appearance set"
    worlds = [committed(n)["cpu training time"]["details"]["metrics"]["policy"] for n in CORNER_RUNS]
    assert worlds[-1]["heldout-worlds"]["mean_distance_m"] > max(w["heldout-worlds"]["mean_distance_m"] for w in worlds[:-1])
    assert worlds[-1]["heldout-appearance"]["mean_distance_m"] < min(w["heldout-appearance"]["mean_distance_m"] for w in worlds[:-1])


def _meets_item3(rows: dict, world_set: str) -> bool:
    """A bundled bench's policy meets every target of issue 15's item 3 on ``world_set``: >= 30 m, >= 50 %
    success, >= 0.9x the ground-truth planner (the file's own check) and >= 3x straight ahead."""
    policy = rows[f"policy mean distance ({world_set})"]["details"]["metrics"]["policy"]
    return (policy["mean_distance_m"] >= 30 and policy["success_rate"] >= 0.5
            and rows[f"policy / ground-truth planner ({world_set})"]["passed"]
            and rows[f"policy / straight-ahead ({world_set})"]["value"] >= 3)


def test_bundled_policy_table_is_the_committed_result() -> None:
    """The shipped policy's table (ONNX Runtime, both oracles, PPO's corners row) and the sentences around it."""
    rows = committed("flight-bundled.json")
    tour, prose = tour_text(), " ".join(tour_text().split())
    held_out = ("heldout-worlds", "heldout-appearance")
    metrics = {w: rows[f"policy mean distance ({w})"]["details"]["metrics"] for w in held_out}
    assert all(rows[f"policy mean distance ({w})"]["details"]["episodes"] >= 30 for w in held_out)
    for label, method in (("shipped policy (ONNX Runtime)", "policy"), ("ground-truth planner", "gt_oracle"),
                          ("depth oracle", "oracle"), ("straight ahead", "straight"), ("random cells", "random")):
        row = f"| {label} | {cell_text(metrics['heldout-worlds'][method])} | {cell_text(metrics['heldout-appearance'][method])} |"
        assert row in tour, row
    corners = committed(CORNER_RUNS[-1])["cpu training time"]["details"]
    ppo = corners["metrics"]["ppo"]
    assert (f"| PPO (the corners table's row: {corners['ppo']['envs']} env processes, {corners['ppo']['train_seconds'] / 60:.1f} "
            f"min, `{CORNER_RUNS[-1]}`) | {cell_text(ppo['heldout-worlds'])} | {cell_text(ppo['heldout-appearance'])} |") in tour
    # every target of issue 15 on both sets, with the ratios the sentence quotes
    assert all(_meets_item3(rows, w) for w in held_out)
    planner = [rows[f"policy / ground-truth planner ({w})"]["value"] for w in held_out]
    straight = [rows[f"policy / straight-ahead ({w})"]["value"] for w in held_out]
    assert (f"{planner[0]:.2f}x and {planner[1]:.2f}x the ground-truth planner (>= 0.9x), {straight[0]:.1f}x and "
            f"{straight[1]:.1f}x straight ahead (>= 3x)") in prose
    # the same network's torch bench (the validation-choice file of the shipped run)
    own = committed("flight-validation-choice-averaged-aux-depth-seed1.json")
    own_policy = own["chosen: policy mean distance (heldout-worlds)"]["details"]["metrics"]["policy"]
    torch_cells = [cell_text(own_policy[w]) for w in held_out]
    torch_ratio = own["chosen: policy / ground-truth planner (heldout-appearance)"]["value"]
    assert f"flew {torch_cells[0]} and {torch_cells[1]}, {torch_ratio:.2f}x the planner on the held-out appearance set" in prose
    apart = [abs(own_policy[w]["mean_distance_m"] - metrics[w]["policy"]["mean_distance_m"]) for w in held_out]
    assert f"yet their means differ by {apart[0]:.1f} and {apart[1]:.1f} m" in prose
    # 100 episodes per set: every target of item 3 on both sets
    longer = committed("flight-bundled-100.json")
    cells, planners, straights = [], [], []
    for w in held_out:
        m = longer[f"policy mean distance ({w})"]["details"]
        assert m["episodes"] == 100 and _meets_item3(longer, w), w
        cells.append(cell_text(m["metrics"]["policy"]))
        planners.append((longer[f"policy / ground-truth planner ({w})"]["value"], cell_text(m["metrics"]["gt_oracle"])))
        straights.append(longer[f"policy / straight-ahead ({w})"]["value"])
    assert (f"the shipped file flies {cells[0]} on the held-out worlds and {cells[1]} on the held-out appearance set, "
            f"{planners[0][0]:.2f}x and {planners[1][0]:.2f}x the ground-truth planner ({planners[0][1]} and {planners[1][1]}) "
            f"and {straights[0]:.1f}x and {straights[1]:.1f}x straight ahead: every target of item 3 on both sets") in prose
    for name in ("flight-shipped-trajectories.png", "flight-shipped-bars.png"):
        assert (RESULTS / name).is_file() and f"benchmarks/results/{name}" in prose, name
    assert own["chosen turn_below"]["details"]["run"] == "runs/flight/20261207-060612"
    # the validation mean's pick among every run benched by the validation rule, averaged or not
    scores = {name: best_validation_score(r) for name, r in {**every_run(), **every_run(averaged=True)}.items()}
    shipped = "flight-validation-choice-averaged-aux-depth-seed1.json"
    assert max(scores, key=scores.get) == shipped
    others = max(v for name, v in scores.items() if name != shipped)
    assert (f"(`runs/flight/20261207-060612`; {scores[shipped]:.1f} m, against at most {others:.1f} m for any other run "
            f"and {scores['flight-validation-choice-beyond-fov-seed0.json']:.1f} m for the policy shipped before it)") in prose
    # the policy it replaces, on the same seeds
    previous = committed("flight-bundled-beyond-fov.json")
    old = [cell_text(previous[f"policy mean distance ({w})"]["details"]["metrics"]["policy"]) for w in held_out]
    assert f"flew {old[0]} and {old[1]} on the same seeds" in prose
    ratios = [rows[f"policy / depth oracle ({w})"]["value"] for w in held_out]
    assert (f"{ratios[0]:.2f}x the depth oracle on the held-out worlds and {ratios[1]:.2f}x on the held-out "
            f"appearance set") in prose


def speed_value(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"


def test_speed_table_is_the_committed_result() -> None:
    """Every row of flight-speed.json is in the tour's speed table, with its target and verdict."""
    tour = tour_text()
    results = json.loads((RESULTS / "flight-speed.json").read_text())["results"]
    assert results, "flight-speed.json has no rows"
    missed = []
    for r in results:
        verdict = "" if r["passed"] is None else (" (met)" if r["passed"] else " (missed)")
        row = f"| {r['group']}: {r['name']} | {speed_value(r['value'])} {r['unit']} | {r['target'] or '-'}{verdict} |"
        assert row in tour, row
        if r["passed"] is False:
            missed.append(r)
    # the sentence after the table names each missed target with its measured value
    prose = " ".join(tour.split())
    assert "Two targets are missed" in prose and len(missed) == 2
    for r in missed:
        assert f"{speed_value(r['value'])}x" in prose, r["name"]


def test_turn_threshold_block_is_the_committed_result() -> None:
    """``--only turn_threshold``: the validation sweep, the held-out table (own and chosen threshold, the
    oracles unchanged by it) and the targets the README says are met and missed."""
    tour = " ".join(tour_text().split())
    rows = committed("flight-turn-threshold.json")
    chosen = rows["chosen turn_below"]
    thresholds = chosen["details"]["thresholds"]
    validation = {t: rows[f"validation worlds mean distance (turn_below={t:g})"] for t in thresholds}
    assert validation[chosen["value"]]["value"] == max(r["value"] for r in validation.values())
    assert min(thresholds) < chosen["value"] < max(thresholds) and chosen["passed"]  # not on an edge of the sweep
    assert all(r["details"]["seed_start"] == 2_000_000 and r["details"]["episodes"] == 30 for r in validation.values())
    sweep = " | ".join(f"{r['value']:.1f} / {100 * r['details']['success_rate']:.0f}" for r in validation.values())
    assert f"| validation worlds, m / success % | {sweep} |" in tour
    own = rows["own: policy mean distance (heldout-worlds)"]["details"]
    best = rows["chosen: policy mean distance (heldout-worlds)"]["details"]
    assert own["seeds"] == best["seeds"] and max(own["seeds"]) < 2_000_000 and len(own["seeds"]) == 30
    for method in ("gt_oracle", "oracle", "straight"):  # the oracles keep their own threshold
        assert own["metrics"][method] == best["metrics"][method], method
    for label, details in ((f"`turn_below` {own['turn_below']:g} (its own)", own),
                           (f"`turn_below` {chosen['value']:g} (chosen)", best)):
        m = details["metrics"]["policy"]
        assert f"| policy, {label} | {cell_text(m['heldout-worlds'])} | {cell_text(m['heldout-appearance'])} |" in tour
    for method, label in (("gt_oracle", "ground-truth planner"), ("oracle", "depth oracle"), ("straight", "straight ahead")):
        m = best["metrics"][method]
        assert f"| {label} | {cell_text(m['heldout-worlds'])} | {cell_text(m['heldout-appearance'])} |" in tour
    passed = {n for n, r in rows.items() if n.startswith("chosen: ") and r["passed"]}
    assert passed == {f"chosen: policy {what}" for what in (
        "mean distance (heldout-worlds)", "success rate (heldout-worlds)", "/ straight ahead (heldout-worlds)",
        "/ straight ahead (heldout-appearance)")}, passed
    v = {n: r["value"] for n, r in rows.items()}
    assert (f"({v['chosen: policy / straight ahead (heldout-worlds)']:.1f}x, "
            f"{v['chosen: policy / straight ahead (heldout-appearance)']:.1f}x). It misses >= 0.9x the ground-truth "
            f"planner ({v['chosen: policy / ground-truth planner (heldout-worlds)']:.2f}x, "
            f"{v['chosen: policy / ground-truth planner (heldout-appearance)']:.2f}x)") in tour
    from greenroom.sim.flight.actions import ActionConfig

    assert ActionConfig().turn_below == 0.5 and "the default `env.actions.turn_below` is now 0.5" in tour


def test_default_turn_threshold_follows_the_validation_sweeps() -> None:
    """The default (0.5) is the threshold with the longest validation distance averaged over the runs
    trained with 0.3; 0.3 flies least far on the validation worlds in every run; the seed-1 sentence."""
    from greenroom.sim.flight.actions import ActionConfig

    tour = " ".join(tour_text().split())
    sweeps = {}
    for name in ("flight-turn-threshold.json", "flight-turn-threshold-seed1.json", "flight-turn-threshold-trained.json",
                 "flight-turn-threshold-default-seed2.json"):
        rows = committed(name)
        thresholds = rows["chosen turn_below"]["details"]["thresholds"]
        sweeps[name] = {t: rows[f"validation worlds mean distance (turn_below={t:g})"]["value"] for t in thresholds}
        assert min(sweeps[name], key=sweeps[name].get) == 0.3, name  # "0.3 flies least far"
    trained_with_03 = [sweeps["flight-turn-threshold.json"], sweeps["flight-turn-threshold-seed1.json"]]
    mean = {t: sum(s[t] for s in trained_with_03) / 2 for t in trained_with_03[0]}
    best = max(mean, key=mean.get)
    assert best == ActionConfig().turn_below == 0.5
    assert f"it flies farthest ({mean[0.5]:.1f} m; 0.55: {mean[0.55]:.1f} m)" in tour
    seed1 = committed("flight-turn-threshold-seed1.json")
    assert seed1["own: policy mean distance (heldout-worlds)"]["details"]["turn_below"] == 0.3
    assert seed1["chosen turn_below"]["value"] == 0.5

    def cell(label: str, world_set: str) -> str:
        m = seed1[f"{label}: policy mean distance ({world_set})"]["details"]["metrics"]["policy"][world_set]
        return f"{m['mean_distance_m']:.1f} m / {100 * m['success_rate']:.0f} %"

    v = sweeps["flight-turn-threshold-seed1.json"]
    assert (f"its validation sweep picks 0.5 ({v[0.3]:.1f} m at 0.3, {v[0.5]:.1f} m at 0.5), and on the held-out sets "
            f"it flies {cell('chosen', 'heldout-worlds')} and {cell('chosen', 'heldout-appearance')} at 0.5, against "
            f"{cell('own', 'heldout-worlds')} and {cell('own', 'heldout-appearance')} at its own 0.3") in tour


def test_turn_threshold_trained_run_is_the_committed_result() -> None:
    """The run trained with the chosen threshold, through the same bench: the README's sentence."""
    tour = " ".join(tour_text().split())
    rows = committed("flight-turn-threshold-trained.json")
    chosen = rows["chosen turn_below"]
    own = rows["own: policy mean distance (heldout-worlds)"]["details"]
    best = rows["chosen: policy mean distance (heldout-worlds)"]["details"]
    first = committed("flight-turn-threshold.json")["chosen turn_below"]["value"]
    assert own["turn_below"] == first and own["seeds"] == committed("flight-turn-threshold.json")[
        "own: policy mean distance (heldout-worlds)"]["details"]["seeds"]

    def cell(m: dict) -> str:
        return f"{m['mean_distance_m']:.1f} m / {100 * m['success_rate']:.0f} %"

    assert (f"at its own {own['turn_below']:g} it flies {cell(own['metrics']['policy']['heldout-worlds'])} on the held-out "
            f"worlds and {cell(own['metrics']['policy']['heldout-appearance'])} on the held-out appearance set; its "
            f"validation sweep picks {chosen['value']:g} ({cell(best['metrics']['policy']['heldout-worlds'])}, "
            f"{cell(best['metrics']['policy']['heldout-appearance'])}), the upper edge of the sweep, and flies less far "
            f"there than at {own['turn_below']:g}") in tour
    assert chosen["value"] == max(chosen["details"]["thresholds"]) and not chosen["passed"]
    for world_set in ("heldout-worlds", "heldout-appearance"):
        assert best["metrics"]["policy"][world_set]["mean_distance_m"] < own["metrics"]["policy"][world_set]["mean_distance_m"]
    applied = committed("flight-turn-threshold.json")["chosen: policy mean distance (heldout-worlds)"]["details"]["metrics"]["policy"]
    for world_set in ("heldout-worlds", "heldout-appearance"):  # "about as far as applying it"
        assert abs(own["metrics"]["policy"][world_set]["mean_distance_m"] - applied[world_set]["mean_distance_m"]) < 2.0
    assert "Training with the higher threshold flies about as far as applying it to the run trained with 0.3" in tour


def test_run_trained_with_the_default_threshold_is_the_committed_result() -> None:
    """Seed 2 trained with the default 0.5: its own and its chosen threshold, the targets it meets on
    the held-out worlds, and why the shipped policy stays (the held-out appearance set)."""
    from greenroom.sim.flight.actions import ActionConfig

    tour = " ".join(tour_text().split())
    rows = committed("flight-turn-threshold-default-seed2.json")
    own = rows["own: policy mean distance (heldout-worlds)"]["details"]
    best = rows["chosen: policy mean distance (heldout-worlds)"]["details"]
    assert own["turn_below"] == ActionConfig().turn_below and rows["chosen turn_below"]["value"] == 0.55

    def cell(details: dict, world_set: str) -> str:
        m = details["metrics"]["policy"][world_set]
        return f"{m['mean_distance_m']:.1f} m / {100 * m['success_rate']:.0f} %"

    assert (f"at its own 0.5 it flies {cell(own, 'heldout-worlds')} on the held-out worlds and "
            f"{cell(own, 'heldout-appearance')} on the held-out appearance set") in tour
    ratio = rows["chosen: policy / ground-truth planner (heldout-worlds)"]["value"]
    assert f"at 0.55 it flies {cell(best, 'heldout-worlds')} on the held-out worlds, {ratio:.2f}x the ground-truth planner" in tour
    met = {n for n, r in rows.items() if n.startswith("chosen: ") and "(heldout-worlds)" in n and r["passed"]}
    assert met == {f"chosen: policy {what} (heldout-worlds)" for what in
                   ("mean distance", "success rate", "/ ground-truth planner", "/ straight ahead")}, met
    assert f"On the held-out appearance set it flies {cell(best, 'heldout-appearance')}" in tour
    shipped = committed("flight-bundled.json")["policy mean distance (heldout-appearance)"]["value"]
    assert best["metrics"]["policy"]["heldout-appearance"]["mean_distance_m"] < shipped
