"""The push-grasp task as the CLI sees it: each verb delegates to its own module (imported lazily)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..common.rundir import RunDir
from ..common.task import BenchFn, Task


class PushGraspTask(Task):
    name = "pushgrasp"

    @property
    def config_cls(self) -> type:  # type: ignore[override]
        from .config import PushGraspTrainConfig

        return PushGraspTrainConfig

    def train(self, config: Any, run: RunDir, resume: bool) -> None:
        from .trainer import train

        train(config, run, resume=resume)

    def evaluate(self, run: RunDir | None, onnx: Path | None, preset: str, overrides: list[str]) -> dict[str, Any]:
        from .evaluate import evaluate

        return evaluate(run, onnx, preset, overrides)

    def export(self, run: RunDir, out_dir: Path | None) -> Path:
        from .export import export_run

        return export_run(run, out_dir)

    def play(self, preset: str, overrides: list[str], out_dir: Path, policy: Path | None) -> list[Path]:
        from .play import play

        return play(preset, overrides, out_dir, policy)

    def benchmarks(self) -> dict[str, BenchFn]:
        from .bench import BENCHMARKS

        return dict(BENCHMARKS)


TASK = PushGraspTask()
