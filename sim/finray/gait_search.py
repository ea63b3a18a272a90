"""Search of the open-loop gait families (:mod:`.gaits`) on a fixed set of episodes.

Every family gets the same budget of candidate gaits, each evaluated on every episode of the
set (the evaluation episodes themselves: picking the best on them favours the baseline).

* ``sinusoid``: a coarse grid (:data:`SINUSOID_GRID`, amplitudes up to 4x ``max_angle``) then
  coordinate refinement around the best point (frequency in 0.1 Hz then 0.05 Hz steps,
  amplitude in 10 % then 5 % steps, lag in 0.05 then 0.025 rad steps) until the budget is spent.
* ``per_ray``, ``fourier``, ``trapezoid``: CMA-ES (the ``cma`` package) in the family's bounds,
  normalized to [0, 1], started from the family member closest to the best sinusoid.

Objectives: ``thrust`` maximizes the mean thrust (N); ``efficiency`` maximizes the mean of the
per-episode thrust/power (N/W) among gaits whose mean thrust reaches ``thrust_floor`` (N);
gaits below the floor rank below every feasible one, by their thrust.
"""
from __future__ import annotations

import itertools
import multiprocessing as mp
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .config import FinRayEnvConfig, out_of_range_values
from .env import FinRayEnv
from .gaits import FAMILIES, Gait, families
from .sinusoid import Policy, episode_metrics

SINUSOID_GRID = {  # 160 points
    "amplitude": (0.3, 0.6, 0.9, 1.5, 2.4),  # rad (max_angle 0.6: above it the stroke is overdriven)
    "frequency": (1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0),  # Hz
    "phase_lag": (-0.6, 0.0, 0.4, 0.8),  # rad per ray
}
REFINE_STEPS = {"frequency": (0.1, 0.05), "amplitude": (0.1, 0.05), "phase_lag": (0.05, 0.025)}


@dataclass(frozen=True)
class Episode:
    """One evaluation episode: the reset seed and optional randomization overrides (out-of-range set)."""

    seed: int
    overrides: dict[str, dict[str, float]] | None = None


def episode_set(kind: str, count: int, seed_base: int) -> list[Episode]:
    """``randomized``: seeds ``seed_base + i`` with the config's randomization; ``out_of_range``: the
    same seeds with :func:`~.config.out_of_range_values` overrides (every listed quantity beyond
    its training range)."""
    if kind == "randomized":
        return [Episode(seed_base + i) for i in range(count)]
    if kind == "out_of_range":
        return [Episode(seed_base + i, out_of_range_values(seed_base + i)) for i in range(count)]
    raise ValueError(f"unknown episode set {kind!r}; valid: randomized, out_of_range")


def run_episode(env: FinRayEnv, policy: Policy, episode: Episode) -> dict[str, Any]:
    """Roll one episode; its :func:`~.sinusoid.episode_metrics` plus the randomization it used."""
    options = {"randomization": episode.overrides} if episode.overrides else None
    obs, info = env.reset(seed=episode.seed, options=options)
    infos, done = [], False
    while not done:
        obs, reward, terminated, truncated, info = env.step(policy(obs, info))
        info["reward"] = reward
        infos.append(info)
        done = terminated or truncated
    return {**episode_metrics(infos), "randomization": infos[-1]["randomization"]}


_WORKER: dict[str, Any] = {}


def _init_worker(config: FinRayEnvConfig) -> None:
    _WORKER["config"], _WORKER["env"] = config, FinRayEnv(config)


def _evaluate_in_worker(gait: Gait, episodes: Sequence[Episode]) -> list[dict[str, Any]]:
    env, config = _WORKER["env"], _WORKER["config"]
    return [run_episode(env, gait.policy(config), e) for e in episodes]


class GaitEvaluator:
    """Evaluates gaits on a fixed episode set, in ``workers`` processes (1: in this process).

    Results are memoized by gait, so a search never pays twice for the same candidate; ``calls``
    counts distinct candidates (the budget).
    """

    def __init__(self, config: FinRayEnvConfig, episodes: Sequence[Episode], workers: int = 1) -> None:
        self.config, self.episodes = config, list(episodes)
        self.cache: dict[Gait, list[dict[str, Any]]] = {}
        self._pool = (ProcessPoolExecutor(workers, mp.get_context("spawn"), _init_worker, (config,))
                      if workers > 1 else None)
        self._workers = workers
        if self._pool is None:
            _init_worker(config)

    def per_episode(self, gaits: Sequence[Gait]) -> list[list[dict[str, Any]]]:
        todo = list(dict.fromkeys(g for g in gaits if g not in self.cache))
        if self._pool is None:
            results = [_evaluate_in_worker(g, self.episodes) for g in todo]
        else:  # one candidate (all its episodes) per task
            results = list(self._pool.map(_evaluate_in_worker, todo, [self.episodes] * len(todo)))
        self.cache.update(zip(todo, results))
        return [self.cache[g] for g in gaits]

    @property
    def calls(self) -> int:
        return len(self.cache)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()

    def __enter__(self) -> GaitEvaluator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def summarize(rows: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Mean thrust (N), power (W) and per-episode efficiency (N/W) over an episode set."""
    return {key: float(np.mean([r[key] for r in rows])) for key in ("thrust", "power", "efficiency")}


@dataclass(frozen=True)
class Objective:
    """What a search maximizes: ``thrust``, or ``efficiency`` subject to mean thrust >= ``thrust_floor`` (N)."""

    name: str = "thrust"
    thrust_floor: float = 0.0

    def __post_init__(self) -> None:
        if self.name not in ("thrust", "efficiency"):
            raise ValueError(f"search objective must be thrust or efficiency, got {self.name!r}")

    def score(self, summary: dict[str, float]) -> float:
        if self.name == "thrust":
            return summary["thrust"]
        if summary["thrust"] >= self.thrust_floor:
            return summary["efficiency"]
        return -1.0 + summary["thrust"] / max(self.thrust_floor, 1e-9)  # infeasible: below every feasible gait

    def feasible(self, summary: dict[str, float]) -> bool:
        return self.name == "thrust" or summary["thrust"] >= self.thrust_floor


@dataclass
class SearchResult:
    """Best gait of one family, the search it came from, and where its optimum sits in the bounds."""

    family: str
    best: Gait
    summary: dict[str, float]
    score: float
    evaluations: int
    method: str
    bounds: dict[str, tuple[float, float]]
    on_edge: list[str] = field(default_factory=list)
    history: list[float] = field(default_factory=list)  # best score after each batch

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["best"] = self.best.to_json()
        return data


NATURAL_LIMITS = {("fourier", "a2"): "low", ("fourier", "a3"): "low", ("trapezoid", "amplitude"): "high"}
"""Bounds that are physical limits, not truncations of the search: a harmonic amplitude of 0 (no
harmonic; its phase is free, so negative amplitudes add nothing) and a trapezoid level of
``max_angle`` (targets beyond it are clipped by the actuator)."""


def _edge(gait: Gait, n_rays: int, tol: float = 0.02) -> list[str]:
    """Parameters within ``tol`` of their range's width from a search bound (harmonic phases are
    periodic and :data:`NATURAL_LIMITS` are physical limits: neither counts)."""
    fam = families(n_rays)[gait.family]
    out = []
    for name, (lo, hi), v in zip(fam.params, fam.bounds, gait.values):
        if name.startswith("psi"):
            continue
        limit = NATURAL_LIMITS.get((gait.family, name))
        if (v - lo <= tol * (hi - lo) and limit != "low") or (hi - v <= tol * (hi - lo) and limit != "high"):
            out.append(name)
    return out


def _best(evaluator: GaitEvaluator, candidates: set[Gait], objective: Objective) -> tuple[float, Gait]:
    return max(((objective.score(summarize(evaluator.cache[g])), g) for g in candidates), key=lambda t: t[0])


def _result(evaluator: GaitEvaluator, family: str, candidates: set[Gait], objective: Objective, method: str,
            history: list[float]) -> SearchResult:
    """The best of the candidates this search asked for (the evaluator's memo may hold more, from
    other searches: they neither count toward this search's budget nor compete for its best)."""
    n = evaluator.config.n_rays
    score, best = _best(evaluator, candidates, objective)
    fam = families(n)[family]
    return SearchResult(family, best, summarize(evaluator.cache[best]), score, len(candidates), method,
                        dict(zip(fam.params, fam.bounds)), _edge(best, n), history)


def search_sinusoid(evaluator: GaitEvaluator, objective: Objective, budget: int,
                    grid: dict[str, Sequence[float]] | None = None) -> SearchResult:
    """Coarse ``grid`` (default :data:`SINUSOID_GRID`), then coordinate refinement around the best
    point until ``budget`` candidates."""
    grid = [Gait("sinusoid", p) for p in itertools.product(*(grid or SINUSOID_GRID).values())]
    if len(grid) > budget:
        raise ValueError(f"sinusoid grid has {len(grid)} points, more than the budget {budget}")
    evaluator.per_episode(grid)
    mine = set(grid)

    def best() -> tuple[float, Gait]:
        return _best(evaluator, mine, objective)

    history = [best()[0]]
    bounds = dict(zip(FAMILIES["sinusoid"].params, FAMILIES["sinusoid"].bounds))
    for level in (0, 1, 1, 1, 1, 1):
        improved = False
        for k, name in enumerate(("frequency", "amplitude", "phase_lag")):
            score0, g0 = best()
            step = REFINE_STEPS[name][level]
            span = (-3, -2, -1, 1, 2, 3) if level == 0 else (-1, 1)
            cands = []
            for s in span:
                v = list(g0.values)
                v[k] = v[k] * (1 + s * step) if name == "amplitude" else v[k] + s * step
                lo, hi = bounds[name]
                cands.append(Gait("sinusoid", tuple(round(float(np.clip(x, lo, hi) if i == k else x), 6)
                                                    for i, x in enumerate(v))))
            cands = list(dict.fromkeys(c for c in cands if c not in mine))[:max(budget - len(mine), 0)]
            if not cands:
                continue
            evaluator.per_episode(cands)
            mine.update(cands)
            improved |= best()[0] > score0
            history.append(best()[0])
        if level > 0 and not improved:
            break
    return _result(evaluator, "sinusoid", mine, objective, "grid + coordinate refinement", history)


def search_cma(evaluator: GaitEvaluator, family: str, start: Gait, objective: Objective, budget: int,
               seed: int = 0, sigma: float = 0.15) -> SearchResult:
    """CMA-ES over ``family``'s parameters (normalized to [0, 1] in its bounds) from ``start``."""
    import cma

    fam = families(evaluator.config.n_rays)[family]
    lo, hi = np.array([b[0] for b in fam.bounds]), np.array([b[1] for b in fam.bounds])
    x0 = np.clip((np.array(start.values) - lo) / (hi - lo), 0.0, 1.0)
    es = cma.CMAEvolutionStrategy(x0, sigma, {"bounds": [0.0, 1.0], "seed": seed + 1, "verbose": -9,
                                              "maxfevals": budget, "tolfun": 1e-6})
    evaluator.per_episode([start])
    mine, history = {start}, []
    used = 1
    while not es.stop() and used < budget:
        xs = es.ask()
        xs = xs[:budget - used] if len(xs) > budget - used else xs
        gaits = [Gait(family, tuple(round(float(v), 6) for v in lo + np.asarray(x) * (hi - lo))) for x in xs]
        rows = evaluator.per_episode(gaits)
        mine.update(gaits)
        used += len(gaits)
        scores = [objective.score(summarize(r)) for r in rows]
        if len(xs) < es.popsize:
            break  # the budget ends inside a generation: its candidates are evaluated, CMA is not told
        es.tell(xs, [-s for s in scores])
        history.append(_best(evaluator, mine, objective)[0])
    return _result(evaluator, family, mine, objective, f"CMA-ES (cma {cma.__version__}, popsize {es.popsize}, "
                                                 f"sigma0 {sigma} of each range)", history)


def search_all(evaluator: GaitEvaluator, objective: Objective, budget: int,
               families_: Sequence[str] = ("sinusoid", "per_ray", "fourier", "trapezoid"),
               seed: int = 0, grid: dict[str, Sequence[float]] | None = None) -> dict[str, SearchResult]:
    """Search every family with ``budget`` candidates each; the CMA families start at the best sinusoid."""
    results = {"sinusoid": search_sinusoid(evaluator, objective, budget, grid)}
    a, f, lag = results["sinusoid"].best.values
    for family in families_:
        if family == "sinusoid":
            continue
        start = Gait.from_sinusoid(family, a, f, lag, evaluator.config.n_rays, evaluator.config.max_angle)
        results[family] = search_cma(evaluator, family, start, objective, budget, seed)
    return results


def nominal_best_sinusoid(config: FinRayEnvConfig) -> Gait:
    """Best thrust sinusoid of :data:`SINUSOID_GRID` on the nominal fin (randomization off, one episode)."""
    import dataclasses

    from .config import RandomizationConfig

    nominal = dataclasses.replace(config, randomization=RandomizationConfig.off())
    with GaitEvaluator(nominal, [Episode(0)]) as ev:
        return search_sinusoid(ev, Objective("thrust"), len(list(itertools.product(*SINUSOID_GRID.values())))).best

