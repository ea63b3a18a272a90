"""``greenroom bench flight --only appearance_breakdown``: which unseen appearances the policy fails on.

The held-out appearance set (:mod:`.appearance`) dresses every surface in a mix of 11 images
training never sees. This bench takes them one at a time: for each image, the run's policy
(``$GREENROOM_BENCH_FLIGHT_RUN``, else a ``cpu`` run trained now, as the corners bench) flies
:data:`EPISODES` held-out worlds with that image on every surface, then the same worlds with
the training appearance and with the whole held-out set. The action set is the run's own unless
``$GREENROOM_BENCH_TURN_BELOW`` sets the threshold (e.g. the one its ``turn_threshold`` bench
chose). One image on every surface is harder than the mix (floor, walls and furniture look
alike), so the rows rank images, they are not the held-out set's figure.

``--quick``: the smoke preset, 2 images, 2 episodes.
"""
from __future__ import annotations

import os
import shutil
from typing import Any

from ..common.bench import BenchResult

EPISODES = 10
TURN_ENV = "GREENROOM_BENCH_TURN_BELOW"


def _policy_metrics(run: Any, preset: str, episodes: int, textures: str, turn_below: float) -> dict[str, Any]:
    from .bench_turn import evaluate_at

    return evaluate_at(run, preset, turn_below, episodes, "", extra=(f"eval.appearance_textures={textures}",)
                       )["metrics"]["policy"]


def bench_appearance_breakdown(quick: bool) -> list[BenchResult]:
    from ..common.config import load_config
    from .appearance import write_heldout_textures
    from .bench_policy import bench_inference_overrides, bench_run
    from .config import FlightTrainConfig

    preset = "smoke" if quick else "cpu"
    run = bench_run(preset, "flight-corners")
    own = load_config(FlightTrainConfig, run.config_path).env.actions.turn_below
    turn_below = float(os.environ[TURN_ENV]) if os.environ.get(TURN_ENV) else own
    episodes = 2 if quick else EPISODES
    scratch = run.path / "bench-appearance"
    images = sorted(write_heldout_textures(scratch / "heldout").glob("*.png"))[: 2 if quick else None]
    whole = _policy_metrics(run, preset, episodes, "heldout", turn_below)
    details = {"run": str(run.path), "turn_below": turn_below, "own_turn_below": own, "episodes": episodes,
               "inference": bench_inference_overrides()}
    results = [BenchResult("appearance", "training appearance mean distance", whole["heldout-worlds"]["mean_distance_m"],
                           "m", "", None, {**details, **whole["heldout-worlds"]}),
               BenchResult("appearance", "held-out appearance set mean distance",
                           whole["heldout-appearance"]["mean_distance_m"], "m", "", None,
                           {**details, **whole["heldout-appearance"]})]
    for image in images:
        folder = scratch / "one" / image.stem
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(image, folder / image.name)
        metrics = _policy_metrics(run, preset, episodes, str(folder), turn_below)["heldout-appearance"]
        results.append(BenchResult("appearance", f"{image.stem} on every surface: mean distance",
                                   metrics["mean_distance_m"], "m", "", None, {**details, **metrics}))
    shutil.rmtree(scratch / "one", ignore_errors=True)
    return results
