"""The plug-in interface every task implements, and the registry the CLI dispatches through.

A task module ``greenroom.policies.<name>.task`` defines ``TASK``, an instance of a
:class:`Task` subclass. Task modules are imported lazily, so ``greenroom bench finray`` never
imports pybullet and ``greenroom --help`` imports nothing heavy.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from .bench import BenchResult
from .config import ConfigError
from .rundir import RunDir

TASK_MODULES = {
    "flight": "greenroom.policies.flight.task",
    "pushgrasp": "greenroom.policies.pushgrasp.task",
    "finray": "greenroom.policies.finray.task",
}

BenchFn = Callable[[bool], list[BenchResult]]
"""A benchmark: called with ``quick`` (True for a short smoke version), returns its figures."""


class Task:
    """What ``greenroom train/evaluate/export/play/bench`` need from a task.

    By default each verb delegates, lazily, to a module of the task's package (the package that
    defines the subclass), so a task module only names itself and its config class:

    ============  =====================================================
    config_cls    ``<package>.config.<config_name>``
    validate      nothing (override: check user files named by the config)
    train         ``<package>.trainer.train(config, run, resume=...)``
    evaluate      ``<package>.evaluate.evaluate(run, onnx, preset, overrides) -> dict``
    export        ``<package>.export.export_run(run, out_dir[, overrides]) -> Path``
    play          ``<package>.play.play(preset, overrides, out_dir, policy) -> list[Path]``
    benchmarks    ``<package>.bench.BENCHMARKS``
    ============  =====================================================
    """

    name: str
    config_name: str

    def _module(self, name: str) -> ModuleType:
        """``<package>.<name>``; NotImplementedError when the task has no such module."""
        full = f"{type(self).__module__.rsplit('.', 1)[0]}.{name}"
        try:
            return importlib.import_module(full)
        except ModuleNotFoundError as exc:
            if exc.name == full:
                raise NotImplementedError(f"task {self.name!r} has no {name} ({full} does not exist)") from None
            raise

    @property
    def config_cls(self) -> type:
        return getattr(self._module("config"), self.config_name)

    def validate(self, config: Any) -> None:
        """Check what a resolved config points at (user files) before a run directory is created.

        Raises a ValueError subclass naming the key or file; the default checks nothing.
        """

    def train(self, config: Any, run: RunDir, resume: bool) -> None:
        """Train into ``run`` (``resume``: continue from its latest checkpoint)."""
        self._module("trainer").train(config, run, resume=resume)

    def evaluate(self, run: RunDir | None, onnx: Path | None, preset: str, overrides: list[str]) -> dict[str, Any]:
        return self._module("evaluate").evaluate(run, onnx, preset, overrides)

    def export(self, run: RunDir, out_dir: Path | None, overrides: list[str] | None = None) -> Path:
        """``overrides``: deployment settings the task's export module allows (its ``EXPORT_OVERRIDES``
        key prefix, e.g. flight's action set); a task without one takes none."""
        module = self._module("export")
        if not overrides:
            return module.export_run(run, out_dir)
        if not getattr(module, "EXPORT_OVERRIDES", ""):
            raise ConfigError(f"greenroom export {self.name}: takes no overrides (got {' '.join(overrides)}); "
                              f"everything is what the run was trained with")
        return module.export_run(run, out_dir, overrides)

    def play(self, preset: str, overrides: list[str], out_dir: Path, policy: Path | None) -> list[Path]:
        return self._module("play").play(preset, overrides, out_dir, policy)

    def benchmarks(self) -> dict[str, BenchFn]:
        return dict(self._module("bench").BENCHMARKS)


def task_names() -> list[str]:
    return sorted(TASK_MODULES)


def load_task(name: str) -> Task:
    if name not in TASK_MODULES:
        raise ValueError(f"unknown task {name!r}; valid tasks: {', '.join(task_names())}")
    try:
        module = importlib.import_module(TASK_MODULES[name])
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("greenroom"):
            raise ValueError(f"task {name!r} is not available in this installation ({exc})") from None
        raise ModuleNotFoundError(
            f"task {name!r} needs the package {exc.name!r}: install greenroom[train] (or `make demo`)"
        ) from exc
    return module.TASK
