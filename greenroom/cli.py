"""The ``greenroom`` command line.

::

    greenroom train TASK [--preset smoke|cpu|paper] [key=value ...] [--resume RUN]
    greenroom evaluate [RUN] [--onnx FILE] [--task TASK] [--preset P] [key=value ...]
    greenroom export RUN [--out DIR] [key=value ...]      (flight: env.actions.* only)
    greenroom play TASK [--preset P] [--out DIR] [--policy FILE] [key=value ...]
    greenroom bench TASK [--only NAME,...] [--quick] [--json FILE]
    greenroom launch FILE [name:=value ...]

Configs are typed dataclasses (see ``greenroom.policies.common.config``); ``key=value``
overrides are checked against them and a bad key or value is refused with the valid choices.

Errors: every failure caused by what the user gave (a key, a value, a file) ends with exit code
2 and one line on stderr, ``greenroom COMMAND: error: ...``, naming the key, file or field and
what would be valid; an unexpected failure ends with exit code 1 and one line. ``--debug`` (or
``GREENROOM_DEBUG=1``) shows the traceback instead. ``train`` validates the config and the files
it names before creating the run directory, and removes the directory again when the run fails
before its first checkpoint (a run with checkpoints is marked ``failed`` in run.json and can be
resumed). A finished run is not resumed.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

from . import __version__

TASKS = ("finray", "flight", "pushgrasp")


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit 2): ``greenroom train: error: ... (see greenroom train --help)``."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {_one_line(message)} (see {self.prog} --help)\n")


def _one_line(text: Any) -> str:
    return " ".join(str(text).split())


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="greenroom", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"greenroom {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks (also GREENROOM_DEBUG=1)")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the traceback of an error (also GREENROOM_DEBUG=1)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    _add_parser = sub.add_parser
    sub.add_parser = lambda name, **kw: _add_parser(name, parents=[common], **kw)  # type: ignore[method-assign]

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
    p.add_argument("overrides", nargs="*", metavar="key=value",
                   help="deployment settings (flight: the action set, e.g. env.actions.turn_below=0.55, "
                        "network.mirror_average=true and network.average_checkpoints=3)")

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
    if meta["task"] not in TASKS:
        raise ValueError(f"{run}/run.json names task {meta['task']!r}; valid tasks: {', '.join(TASKS)}")
    return str(meta["task"])


def _task_of_contract(onnx: Path) -> str:
    from .policies.runtime.contract import load_contract_for

    return load_contract_for(onnx).task


RUNTIMES = {
    "flight": ("greenroom.policies.runtime.flight", "FlightRuntimePolicy"),
    "finray": ("greenroom.policies.finray.runtime", "FinRayRuntimePolicy"),
    "pushgrasp": ("greenroom.policies.runtime.pushgrasp", "PushGraspRuntimePolicy"),
}
"""The torch-free runtime that checks an exported model of each task against its contract."""


def _check_model(onnx: Path, task: str | None = None) -> None:
    """The model and its contract load and agree, field by field (the task's runtime checks
    everything a robot would), before any work or output; ContractError otherwise."""
    import importlib

    from .policies.runtime.contract import ContractError, load_contract_for

    contract = load_contract_for(onnx)
    if contract.task not in RUNTIMES:
        raise ContractError(f"contract of {onnx} is for task {contract.task!r}; valid tasks: {', '.join(RUNTIMES)}")
    if task is not None and task != contract.task:
        raise ContractError(f"{onnx} is a {contract.task!r} policy (its contract says so), not a {task!r} one")
    module, name = RUNTIMES[contract.task]
    getattr(importlib.import_module(module), name)(onnx)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S")


def _cmd_train(args: argparse.Namespace) -> int:
    from .policies.common.config import load_config, resolve_config, save_config
    from .policies.common.rundir import RunDir, RunStateError, runs_root
    from .policies.common.task import load_task

    task = load_task(args.task)
    made: list[Path] = []
    if args.resume is not None:
        run = RunDir.open(args.resume)
        if args.overrides:
            raise ValueError("--resume continues a run with its saved config; overrides are not allowed")
        meta = run.read_meta()
        if meta.get("task", args.task) != args.task:
            raise RunStateError(f"{run.path} is a {meta['task']!r} run; resume it with greenroom train "
                                f"{meta['task']} --resume {run.path}")
        if meta.get("finished_at") or meta.get("finished") or "result" in meta:
            when = f" at {meta['finished_at']}" if meta.get("finished_at") else ""
            raise RunStateError(f"{run.path} finished training{when} (see {run.path}/run.json); nothing to resume: "
                                f"start a new run with greenroom train {args.task}")
        config = load_config(task.config_cls, run.config_path)
        task.validate(config)
        before = (run.path / "run.json").read_bytes() if (run.path / "run.json").is_file() else None
        checkpoint = run.latest_checkpoint()
        run.write_meta(resumed_at=_now())
    else:
        config = resolve_config(task.config_cls, args.preset, args.overrides)
        task.validate(config)  # user files named by the config, before anything is created
        root = runs_root()
        made = [p for p in (root / args.task, root) if not p.exists()]  # removed again if the run fails
        run = RunDir.create(args.task)
        before, checkpoint = None, None
    try:
        if args.resume is None:
            save_config(config, run.config_path)
            run.write_meta(task=args.task, preset=args.preset, overrides=args.overrides,
                           version=__version__, started_at=_now())
        print(run.path, flush=True)
        task.train(config, run, resume=args.resume is not None)
    except Exception as exc:
        _after_failed_train(run, exc, new=args.resume is None, before=before, checkpoint=checkpoint,
                            keep=_debug(args), made=made)
        raise
    from .policies.common.rundir import atomic_write_json

    meta = run.read_meta()
    meta.pop("failed", None)  # an earlier failure this resume got past
    atomic_write_json(run.path / "run.json", {**meta, "finished_at": _now()})
    print(run.path, flush=True)
    return 0


def _after_failed_train(run: Any, exc: Exception, new: bool, before: bytes | None, checkpoint: Path | None,
                        keep: bool, made: list[Path]) -> None:
    """Leave nothing half-made: a new run without a checkpoint is removed (with the runs/TASK folders
    it created); a resumed run that wrote no new checkpoint gets its run.json back; otherwise
    run.json records the failure (and the run can be resumed)."""
    from .policies.common.rundir import atomic_write_bytes

    latest = run.latest_checkpoint()
    if new and latest is None and not keep:
        shutil.rmtree(run.path, ignore_errors=True)
        for folder in made:
            try:
                folder.rmdir()
            except OSError:  # not empty (another run appeared meanwhile) or already gone
                pass
    elif not new and latest == checkpoint and before is not None:
        atomic_write_bytes(run.path / "run.json", before)
    else:
        run.write_meta(failed={"at": _now(), "error": _one_line(exc)})


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from .policies.common.rundir import RunDir
    from .policies.common.task import load_task

    if args.run is None and args.onnx is None:
        raise ValueError("evaluate needs a RUN directory or --onnx FILE")
    if args.onnx is not None:
        _check_model(args.onnx, args.task)
    name = args.task or (_task_of_run(args.run) if args.run else _task_of_contract(args.onnx))
    run = RunDir.open(args.run) if args.run else None
    summary = load_task(name).evaluate(run, args.onnx, args.preset, args.overrides)
    print(json.dumps(summary, indent=2, default=str))
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from .policies.common.rundir import RunDir
    from .policies.common.task import load_task

    path = load_task(_task_of_run(args.run)).export(RunDir.open(args.run), args.out, args.overrides)
    print(path)
    return 0


def _cmd_play(args: argparse.Namespace) -> int:
    from .policies.common.task import load_task

    if args.policy is not None:
        _check_model(args.policy, args.task)
    for path in load_task(args.task).play(args.preset, args.overrides, args.out, args.policy):
        print(path)
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from .policies.common.bench import print_table, write_json
    from .policies.common.task import load_task

    if args.json is not None and args.json.is_dir():
        raise ValueError(f"--json {args.json} is a folder; give the results file to write, e.g. {args.json}/bench.json")
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


USER_ERRORS = (ValueError, OSError, NotImplementedError, ImportError)
"""What bad input raises (ConfigError, ContractError, CheckpointError, TextureError and
LaunchFileError are ValueErrors; missing or unreadable files OSErrors): exit code 2, one line."""


def _debug(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "debug", False) or os.environ.get("GREENROOM_DEBUG"))


def _parse(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    # `key=value` overrides may follow options (`train flight --preset smoke lr=0.1`): argparse
    # leaves those to parse_known_args' extras, which are overrides for commands that take them.
    args, extras = parser.parse_known_args(argv)
    stray = [e for e in extras if e.startswith("-") or "=" not in e or not hasattr(args, "overrides")]
    if stray:
        parser.exit(2, f"greenroom {args.command}: error: unrecognized arguments: {' '.join(map(repr, stray))} "
                       f"(see greenroom {args.command} --help)\n")
    if extras:
        args.overrides = list(args.overrides) + extras
    if getattr(args, "run", None) is not None and "=" in str(args.run) and not Path(args.run).exists():
        # `evaluate --onnx FILE key=value`: the optional RUN positional swallowed the first override
        args.overrides = [str(args.run), *args.overrides]
        args.run = None
    return args


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    try:
        args = _parse(parser, argv)
    except SystemExit as stop:  # --help, --version, or a usage error (already printed, one line)
        return stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 2)
    try:
        return COMMANDS[args.command](args)
    except USER_ERRORS as exc:
        if _debug(args):
            raise
        print(f"greenroom {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"greenroom {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not bad input: still one line, the traceback with --debug
        if _debug(args):
            raise
        print(f"greenroom {args.command}: internal error: {type(exc).__name__}: {_one_line(exc)} "
              f"(rerun with --debug for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
