"""``greenroom evaluate``: the learned fin-ray policy next to the best sinusoid of a grid search.

Both are run on the same episodes (same seeds, hence the same randomization draws) of the
run's env config; the figure of merit per objective is mean thrust (N), thrust per actuator
power (N/W), or minus the mean lateral-force tracking error (N)
(:func:`greenroom.sim.finray.sinusoid.score`). Results go to ``RUN/eval/summary.json``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ...sim.finray.sinusoid import SinusoidGrid, evaluate_policy, grid_search, score
from ..common.config import load_config, resolve_config
from ..common.rundir import RunDir, atomic_write_json
from .config import FinRayTrainConfig
from .runtime import ENV_SPEC_KEYS, FinRayRuntimePolicy

EVAL_SEED_BASE = 900_000


def compare(config: FinRayTrainConfig, policy: FinRayRuntimePolicy, episodes: int,
            grid: SinusoidGrid | None = None) -> dict[str, Any]:
    """Learned policy vs the grid-searched best sinusoid on ``episodes`` shared seeds."""
    env_cfg = config.env
    seeds = [EVAL_SEED_BASE + i for i in range(episodes)]
    learned = evaluate_policy(env_cfg, lambda: (lambda obs, info: policy.act(obs)), seeds)
    search = grid_search(env_cfg, grid, seeds)
    best = search["best"]
    learned_score, sin_score = score(learned, env_cfg.objective), best["score"]
    return {
        "objective": env_cfg.objective, "episodes": episodes, "seeds": seeds,
        "learned": {**learned, "score": learned_score},
        "best_sinusoid": best,
        "improvement": (learned_score - sin_score) / max(abs(sin_score), 1e-12),
        "grid_size": len(search["table"]),
    }


def _differs(trained: object, configured: object) -> bool:
    if isinstance(trained, (int, float)) and isinstance(configured, (int, float)):
        return abs(float(trained) - float(configured)) > 1e-9 * max(1.0, abs(float(configured)))
    return trained != configured


def evaluate(run: RunDir | None, onnx: Path | None, preset: str, overrides: list[str]) -> dict[str, Any]:
    if run is not None:
        config = load_config(FinRayTrainConfig, run.config_path)
        if overrides:
            raise ValueError("evaluating a RUN uses its saved config; overrides apply only with --onnx")
        if onnx is None:
            onnx = run.path / "export" / "policy.onnx"  # not run.export_dir: that creates the folder
            if not onnx.is_file():
                from .export import export_run

                onnx = export_run(run)
    else:
        config = resolve_config(FinRayTrainConfig, preset, overrides)
    assert onnx is not None
    policy = FinRayRuntimePolicy(onnx)
    env_dim = config.env.obs_dim
    if policy.obs_dim != env_dim:
        spec = policy.contract.spec
        trained = f"env.history_steps={spec.get('history_steps', 0)} env.history_frame={spec.get('history_frame', 'full')}"
        raise ValueError(f"{onnx} takes {policy.obs_dim} observation values, the env config gives {env_dim}; "
                         f"it was trained with {trained}: pass those overrides")
    if policy.contract.spec.get("objective") != config.env.objective:
        raise ValueError(f"{onnx} was trained for objective {policy.contract.spec.get('objective')!r}, the config "
                         f"asks for {config.env.objective!r}; pass env.objective=... to match")
    differ = [f"env.{key}={policy.spec[key]}" for key in ENV_SPEC_KEYS
              if key in policy.contract.spec and _differs(policy.spec[key], getattr(config.env, key))]
    if differ:
        raise ValueError(f"{onnx}'s contract was trained with {' '.join(differ)}, the env config differs "
                         f"(contract fields {', '.join(d.split('=')[0][4:] for d in differ)}): pass those overrides")
    summary = compare(config, policy, config.eval_episodes)
    if run is not None:
        atomic_write_json(run.eval_dir / "summary.json", summary)
    return summary

