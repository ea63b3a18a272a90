"""``make demo``: train the flight policy, evaluate it against the baselines, export it with parity.

::

    python -m greenroom.policies.flight.demo [--out runs/demo] [--preset cpu] [key=value ...]

Runs the ``cpu`` preset with a shortened budget (:data:`DEMO_OVERRIDES`, about 2.5 minutes of
training on 2 cores), then the evaluation on held-out worlds and the held-out appearance set
against straight / random / depth oracle / ground-truth planner / SB3 PPO (PPO trained with
the same wall-clock time and env processes),
then the ONNX export with its parity check. Everything lands in ``<out>/flight/<timestamp>/``
and the ``<out>/flight/latest`` link points at it (default: ``runs/demo/flight/latest/``):

- ``eval/eval.md`` (table), ``eval/eval.json``, ``eval/bars.png``, ``eval/trajectories.png``,
  ``eval/learning_curve.png``, ``eval/policy.mp4``
- ``export/policy.onnx``, ``export/policy.contract.json``, ``export/parity.json``
- ``metrics.csv``, ``tb/`` (TensorBoard), ``checkpoints/``

Total: 3.5 minutes measured on the shared 2-core machine with the first budget (1.5 min of
training); about 5-6 minutes with the current one (budget: 10).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from ... import __version__
from ..common.config import resolve_config, save_config
from ..common.rundir import RunDir

DEMO_OVERRIDES = ("stage1.states=10000", "stage1.epochs=5", "stage2.iterations=3", "stage2.time_budget_s=120",
                  "eval.episodes=8")


def _link_latest(out: Path, run: RunDir) -> Path:
    link = out / "latest"
    tmp = out / ".latest.tmp"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(run.path.name)
    os.replace(tmp, link)
    return link


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m greenroom.policies.flight.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("runs/demo"), help="output folder (default runs/demo)")
    parser.add_argument("--preset", default="cpu", choices=("smoke", "cpu", "paper"))
    parser.add_argument("overrides", nargs="*", metavar="key=value", help="config overrides (after the demo's own)")
    args = parser.parse_intermixed_args(argv)

    from .config import FlightTrainConfig
    from .evaluate import evaluate
    from .export import export_run
    from .report import markdown_table
    from .trainer import train

    started = time.perf_counter()
    own = list(DEMO_OVERRIDES) if args.preset == "cpu" else []
    config = resolve_config(FlightTrainConfig, args.preset, own + list(args.overrides))
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    run = RunDir.create("flight", root=out)
    save_config(config, run.config_path)
    run.write_meta(task="flight", preset=args.preset, overrides=own + list(args.overrides), version=__version__,
                   started_at=time.strftime("%Y-%m-%dT%H:%M:%S"), demo=True)
    print(f"[demo] 1/3 training ({args.preset} preset, shortened) into {run.path}", flush=True)
    train(config, run, resume=False)
    print("[demo] 2/3 exporting to ONNX with the parity check", flush=True)
    onnx = export_run(run)
    print("[demo] 3/3 evaluating against straight / random / depth oracle / ground-truth planner / PPO on held-out "
          "worlds", flush=True)
    summary = evaluate(run, None, args.preset, [])
    link = _link_latest(out / "flight", run)
    print()
    print(markdown_table(summary))
    print(f"[demo] done in {time.perf_counter() - started:.0f} s. Results ({link} -> {run.path.name}):")
    for name, path in summary["files"].items():
        print(f"  {name:15s} {path}")
    print(f"  {'onnx':15s} {onnx}")
    print(f"  {'contract':15s} {onnx.with_suffix('.contract.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
