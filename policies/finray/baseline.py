"""The fin-ray open-loop baseline: best gait of every family, searched on the evaluation episodes.

:func:`search_baseline` runs :mod:`greenroom.sim.finray.gait_search` on the randomized
evaluation episodes (seeds ``EVAL_SEED_BASE + i``) for the thrust objective (every family, the
same budget of candidates each), evaluates each family's best gait on the out-of-range episodes
(every structural/actuator quantity beyond its training range, same seeds offset by
``OOD_SEED_BASE``), and searches the most efficient gait whose mean thrust reaches the thrust of
the best sinusoid of the nominal fin (the *thrust floor*). The record is cached as JSON keyed by
:func:`baseline_key`, a hash of everything the search depends on (env config, episodes, budget,
grid, family bounds, search version); a stale cache is never used.

:func:`compare_learned` puts a policy next to the cached baseline on the same episodes and
returns the per-episode table.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ...sim.finray.config import OUT_OF_RANGE, FinRayEnvConfig
from ...sim.finray.env import FinRayEnv
from ...sim.finray.gait_search import (SINUSOID_GRID, Episode, GaitEvaluator, Objective, episode_set,
                                       nominal_best_sinusoid, run_episode, search_all, summarize)
from ...sim.finray.gaits import FAMILIES, Gait
from ..common.rundir import atomic_write_json

SEARCH_VERSION = 1  # bump when the search code changes what it finds
EVAL_SEED_BASE = 900_000
OOD_SEED_BASE = 950_000
EPISODES = 20
BUDGET = 200  # candidate gaits per family, each on every episode
EFFICIENCY_FAMILIES = ("sinusoid", "fourier")
CACHE = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "finray-baseline.json"
Act = Callable[[np.ndarray, dict[str, Any]], np.ndarray]


def baseline_key(config: FinRayEnvConfig, episodes: int = EPISODES, budget: int = BUDGET,
                 grid: dict | None = None) -> str:
    """sha256 of everything the baseline search depends on; any change gives a new key."""
    spec = {
        "version": SEARCH_VERSION, "env": dataclasses.asdict(config), "episodes": episodes, "budget": budget,
        "seeds": [EVAL_SEED_BASE, OOD_SEED_BASE], "out_of_range": {f"{g}/{n}": v for (g, n), v in OUT_OF_RANGE.items()},
        "grid": grid or SINUSOID_GRID, "families": {k: dataclasses.asdict(f) for k, f in FAMILIES.items()},
        "efficiency_families": EFFICIENCY_FAMILIES,
    }
    return hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()


def _episode_rows(rows: list[dict[str, Any]], episodes: list[Episode]) -> list[dict[str, Any]]:
    return [{"seed": e.seed, "thrust": r["thrust"], "power": r["power"], "efficiency": r["efficiency"],
             "randomization": r["randomization"]} for e, r in zip(episodes, rows)]


def search_baseline(config: FinRayEnvConfig, episodes: int = EPISODES, budget: int = BUDGET, workers: int = 2,
                    grid: dict | None = None, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Search every gait family on the randomized evaluation episodes; the JSON-ready record."""
    start = time.perf_counter()
    eval_eps = episode_set("randomized", episodes, EVAL_SEED_BASE)
    ood_eps = episode_set("out_of_range", episodes, OOD_SEED_BASE)
    record: dict[str, Any] = {"key": baseline_key(config, episodes, budget, grid), "episodes": episodes,
                              "budget": budget,
                              "seeds": [e.seed for e in eval_eps], "ood_seeds": [e.seed for e in ood_eps],
                              "grid": grid or SINUSOID_GRID}
    with GaitEvaluator(config, eval_eps, workers) as ev:
        thrust = search_all(ev, Objective("thrust"), budget, grid=grid)
        log(f"thrust search done in {time.perf_counter() - start:.0f} s: "
            + ", ".join(f"{k} {r.summary['thrust']:.4f} N" for k, r in thrust.items()))
        floor_gait = nominal_best_sinusoid(config)
        floor = summarize(ev.per_episode([floor_gait])[0])["thrust"]
        efficiency = search_all(ev, Objective("efficiency", floor), budget, EFFICIENCY_FAMILIES, grid=grid)
        log(f"efficiency search done in {time.perf_counter() - start:.0f} s")
        families = {}
        for name, result in thrust.items():
            families[name] = {**result.to_json(), "per_episode": _episode_rows(ev.cache[result.best], eval_eps)}
    with GaitEvaluator(config, ood_eps, workers) as ev:
        gaits = [r.best for r in thrust.values()]
        for name, rows in zip(thrust, ev.per_episode(gaits)):
            families[name]["out_of_range"] = {**summarize(rows), "per_episode": _episode_rows(rows, ood_eps)}
    best = max(families, key=lambda k: families[k]["summary"]["thrust"])
    record.update(families=families, best_family=best, thrust_floor={"gait": floor_gait.to_json(), "thrust": floor},
                  efficiency={k: r.to_json() for k, r in efficiency.items()},
                  wall_s=time.perf_counter() - start)
    return record


def load_cached(config: FinRayEnvConfig, path: Path = CACHE, episodes: int = EPISODES,
                budget: int = BUDGET) -> dict[str, Any] | None:
    """The cached record at ``path`` if its key matches ``config`` (else None: stale or absent)."""
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"baseline cache {path} is not readable JSON ({e}); delete it to search again") from None
    return record if record.get("key") == baseline_key(config, episodes, budget) else None


def cached_or_search(config: FinRayEnvConfig, path: Path = CACHE, workers: int = 2, **kwargs: Any) -> dict[str, Any]:
    record = load_cached(config, path)
    if record is None:
        record = search_baseline(config, workers=workers, **kwargs)
        atomic_write_json(path, record)
    return record


def _policy_rows(config: FinRayEnvConfig, act: Act, episodes: list[Episode]) -> list[dict[str, Any]]:
    env = FinRayEnv(config)
    return _episode_rows([run_episode(env, act, e) for e in episodes], episodes)


def _gain(a: float, b: float) -> float:
    return 100.0 * (a - b) / max(abs(b), 1e-12)


def compare_learned(config: FinRayEnvConfig, act: Act, record: dict[str, Any]) -> dict[str, Any]:
    """A policy vs every family's best gait of ``record``, on the randomized and out-of-range episodes."""
    n = record["episodes"]
    sets = {"randomized": episode_set("randomized", n, EVAL_SEED_BASE),
            "out_of_range": episode_set("out_of_range", n, OOD_SEED_BASE)}
    out: dict[str, Any] = {}
    for name, eps in sets.items():
        rows = _policy_rows(config, act, eps)
        learned = summarize(rows)
        fams = {k: (f["summary"] if name == "randomized" else {x: f["out_of_range"][x] for x in learned})
                for k, f in record["families"].items()}
        per_fam = {k: f["per_episode"] if name == "randomized" else f["out_of_range"]["per_episode"]
                   for k, f in record["families"].items()}
        best = max(fams, key=lambda k: fams[k]["thrust"])
        table = []
        for i, row in enumerate(rows):
            r = row["randomization"]
            base = per_fam[best][i]["thrust"]
            table.append({"seed": row["seed"], "stiffness": r["rays"]["stiffness_scale"],
                          "damping": r["rays"]["damping_scale"], "kp": r["actuators"]["kp_scale"],
                          "torque": r["actuators"]["torque_scale"], "latency": r["latency"]["action_delay"],
                          "viscosity": r["fluid"]["viscosity"], "learned": row["thrust"], "baseline": base,
                          "gain_pct": _gain(row["thrust"], base)})
        out[name] = {"learned": learned, "families": fams, "best_family": best,
                     "gain_pct": _gain(learned["thrust"], fams[best]["thrust"]),
                     "gain_pct_per_family": {k: _gain(learned["thrust"], v["thrust"]) for k, v in fams.items()},
                     "per_episode": table}
    learned = out["randomized"]["learned"]
    floor = record["thrust_floor"]["thrust"]
    eff = record["efficiency"]
    feasible = {k: v for k, v in eff.items() if v["summary"]["thrust"] >= floor}
    best_eff = max(feasible, key=lambda k: feasible[k]["summary"]["efficiency"]) if feasible else None
    out["efficiency"] = {
        "thrust_floor": floor, "learned": learned, "learned_meets_floor": learned["thrust"] >= floor,
        "baseline": {k: v["summary"] for k, v in eff.items()}, "best_family": best_eff,
        "gain_pct": _gain(learned["efficiency"], feasible[best_eff]["summary"]["efficiency"]) if best_eff else None,
    }
    return out


def gait_of(record: dict[str, Any], family: str | None = None) -> Gait:
    """The best gait of ``family`` (default: the best family overall) of a baseline record."""
    return Gait.from_json(record["families"][family or record["best_family"]]["best"])
