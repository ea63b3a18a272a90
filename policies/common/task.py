"""The plug-in interface every task implements, and the registry the CLI dispatches through.

A task module ``greenroom.policies.<name>.task`` defines ``TASK``, an instance of a
:class:`Task` subclass. Task modules are imported lazily, so ``greenroom bench finray`` never
imports pybullet and ``greenroom --help`` imports nothing heavy.
"""
from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .bench import BenchResult
from .rundir import RunDir

TASK_MODULES = {
    "flight": "greenroom.policies.flight.task",
    "pushgrasp": "greenroom.policies.pushgrasp.task",
    "finray": "greenroom.policies.finray.task",
}

BenchFn = Callable[[bool], list[BenchResult]]
"""A benchmark: called with ``quick`` (True for a short smoke version), returns its figures."""


class Task(ABC):
    """What ``greenroom train/evaluate/export/play/bench`` need from a task."""

    name: str
    config_cls: type

    @abstractmethod
    def train(self, config: Any, run: RunDir, resume: bool) -> None:
        """Train into ``run`` (``resume``: continue from its latest checkpoint)."""

    def evaluate(self, run: RunDir | None, onnx: Path | None, preset: str, overrides: list[str]) -> dict[str, Any]:
        raise NotImplementedError(f"task {self.name!r} has no evaluation yet")

    def export(self, run: RunDir, out_dir: Path | None) -> Path:
        raise NotImplementedError(f"task {self.name!r} has no export yet")

    def play(self, preset: str, overrides: list[str], out_dir: Path, policy: Path | None) -> list[Path]:
        raise NotImplementedError(f"task {self.name!r} has no play yet")

    def benchmarks(self) -> dict[str, BenchFn]:
        return {}


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
