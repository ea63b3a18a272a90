"""The ``greenroom`` command line.

::

    greenroom train TASK [--preset smoke|cpu|paper] [key=value ...] [--resume RUN]
    greenroom evaluate [RUN] [--onnx FILE] [--task TASK] [--preset P] [key=value ...]
    greenroom export RUN [--out DIR]
    greenroom play TASK [--preset P] [--out DIR] [--policy FILE] [key=value ...]
    greenroom bench TASK [--only NAME,...] [--quick] [--json FILE]
    greenroom launch FILE [name:=value ...]

Configs are typed dataclasses (see ``greenroom.policies.common.config``); ``key=value``
overrides are checked against them and a bad key or value is refused with the valid choices.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from . import __version__

TASKS = ("finray", "flight", "pushgrasp")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="greenroom", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"greenroom {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def task_arg(p: argparse.ArgumentParser) -> None:
        p.add_argument("task", choices=TASKS, metavar="TASK", help=f"one of: {', '.join(TASKS)}")

    def preset_arg(p: argparse.ArgumentParser) -> None:
        p.add_argument("--preset", default="cpu", choices=("smoke", "cpu", "paper"),
                       help="smoke: seconds (tests); cpu: a 2-core laptop (default); paper: the paper's sizes (GPU)")

    def overrides_arg(p: argparse.ArgumentParser) -> None:
        p.add_argument("overrides", nargs="*", metavar="key=value", help="config overrides, e.g. env.image_size=96")

    p = sub.add_parser("train", help="train a policy; prints the run directory")
    task_arg(p), preset_arg(p), overrides_arg(p)
    p.add_argument("--resume", type=Path, metavar="RUN", help="continue a killed run from its latest checkpoint")

    p = sub.add_parser("evaluate", help="evaluate a run (or an exported ONNX policy) against the baselines")
    p.add_argument("run", type=Path, nargs="?", metavar="RUN")
    p.add_argument("--onnx", type=Path, metavar="FILE", help="evaluate an exported ONNX model (contract beside it)")
    p.add_argument("--task", choices=TASKS, help="task (inferred from RUN or the contract when omitted)")
    preset_arg(p), overrides_arg(p)

    p = sub.add_parser("export", help="export a run's policy to ONNX + contract, with a parity check")
    p.add_argument("run", type=Path, metavar="RUN")
    p.add_argument("--out", type=Path, metavar="DIR", help="output folder (default RUN/export)")

    p = sub.add_parser("play", help="roll out a policy (or a scripted one) and write a video and plots")
    task_arg(p), preset_arg(p), overrides_arg(p)
    p.add_argument("--out", type=Path, default=Path("runs/play"), metavar="DIR")
    p.add_argument("--policy", type=Path, metavar="FILE", help="an exported ONNX policy (default: a scripted one)")

    p = sub.add_parser("bench", help="run a task's benchmarks; prints a table and writes JSON")
    task_arg(p)
    p.add_argument("--only", default="", metavar="NAME,...", help="comma-separated benchmark names")
    p.add_argument("--quick", action="store_true", help="short version of each benchmark (for tests)")
    p.add_argument("--json", type=Path, metavar="FILE", help="where to write the results (default runs/bench/...)")

    p = sub.add_parser("launch", help="run a ROS 2 YAML launch file without ros2 launch")
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("launch_args", nargs="*", metavar="name:=value")
    return parser


def _task_of_run(run: Path) -> str:
    from .policies.common.rundir import RunDir

    meta = RunDir.open(run).read_meta()
    if "task" not in meta:
        raise ValueError(f"{run}/run.json names no task; pass --task")
    return str(meta["task"])


def _task_of_contract(onnx: Path) -> str:
    from .policies.runtime.contract import load_contract_for

    return load_contract_for(onnx).task


def _cmd_train(args: argparse.Namespace) -> int:
    from .policies.common.config import load_config, resolve_config, save_config
    from .policies.common.rundir import RunDir
    from .policies.common.task import load_task

    task = load_task(args.task)
    if args.resume is not None:
        run = RunDir.open(args.resume)
        if args.overrides:
            raise ValueError("--resume continues a run with its saved config; overrides are not allowed")
        config = load_config(task.config_cls, run.config_path)
        run.write_meta(resumed_at=time.strftime("%Y-%m-%dT%H:%M:%S"))
    else:
        config = resolve_config(task.config_cls, args.preset, args.overrides)
        run = RunDir.create(args.task)
        save_config(config, run.config_path)
        run.write_meta(task=args.task, preset=args.preset, overrides=args.overrides,
                       version=__version__, started_at=time.strftime("%Y-%m-%dT%H:%M:%S"))
    print(run.path, flush=True)
    task.train(config, run, resume=args.resume is not None)
    print(run.path, flush=True)
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from .policies.common.rundir import RunDir
    from .policies.common.task import load_task

    if args.run is None and args.onnx is None:
        raise ValueError("evaluate needs a RUN directory or --onnx FILE")
    name = args.task or (_task_of_run(args.run) if args.run else _task_of_contract(args.onnx))
    run = RunDir.open(args.run) if args.run else None
    summary = load_task(name).evaluate(run, args.onnx, args.preset, args.overrides)
    print(json.dumps(summary, indent=2, default=str))
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from .policies.common.rundir import RunDir
    from .policies.common.task import load_task

    path = load_task(_task_of_run(args.run)).export(RunDir.open(args.run), args.out)
    print(path)
    return 0


def _cmd_play(args: argparse.Namespace) -> int:
    from .policies.common.task import load_task

    for path in load_task(args.task).play(args.preset, args.overrides, args.out, args.policy):
        print(path)
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from .policies.common.bench import print_table, write_json
    from .policies.common.task import load_task

    available = {**load_task(args.task).benchmarks(), **_real_benchmarks(args.task)}
    wanted = [n for n in args.only.split(",") if n] or list(available)
    unknown = [n for n in wanted if n not in available]
    if unknown:
        raise ValueError(f"unknown benchmark(s) {', '.join(unknown)} for {args.task}; valid: {', '.join(available)}")
    results = []
    for name in wanted:
        results += available[name](args.quick)
    print_table(results, title=f"greenroom bench {args.task}")
    out = args.json or Path("runs/bench") / f"{args.task}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    write_json(results, out, args.task)
    print(f"wrote {out}")
    return 0


REAL_BENCH_MODULES = {"flight": "greenroom.real.flight.bench", "pushgrasp": "greenroom.real.arm.bench"}


def _real_benchmarks(task: str) -> dict:
    """Benchmarks that need ROS 2 live in greenroom.real (policies/ never imports real/)."""
    import importlib

    if task not in REAL_BENCH_MODULES:
        return {}
    try:
        module = importlib.import_module(REAL_BENCH_MODULES[task])
    except ImportError:
        return {}
    return dict(getattr(module, "BENCHMARKS", {}))


def _cmd_launch(args: argparse.Namespace) -> int:
    from .real.launch.runner import run_launch_file

    return run_launch_file(args.file, args.launch_args)


COMMANDS = {
    "train": _cmd_train, "evaluate": _cmd_evaluate, "export": _cmd_export,
    "play": _cmd_play, "bench": _cmd_bench, "launch": _cmd_launch,
}


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    # `key=value` overrides may follow options (`train flight --preset smoke lr=0.1`): argparse
    # leaves those to parse_known_args' extras, which are overrides for commands that take them.
    args, extras = parser.parse_known_args(argv)
    stray = [e for e in extras if e.startswith("-") or "=" not in e or not hasattr(args, "overrides")]
    if stray:
        parser.error(f"unrecognized arguments: {' '.join(stray)}")
    if extras:
        args.overrides = list(args.overrides) + extras
    if getattr(args, "run", None) is not None and "=" in str(args.run) and not Path(args.run).exists():
        # `evaluate --onnx FILE key=value`: the optional RUN positional swallowed the first override
        args.overrides = [str(args.run), *args.overrides]
        args.run = None
    from .policies.common.config import ConfigError

    try:
        return COMMANDS[args.command](args)
    except (ConfigError, ValueError, FileNotFoundError, NotImplementedError) as exc:
        if os.environ.get("GREENROOM_DEBUG"):
            raise
        print(f"greenroom {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"greenroom {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
