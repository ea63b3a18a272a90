"""The fin-ray task as the CLI sees it: each verb delegates to its own module (imported lazily)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..common.rundir import RunDir
from ..common.task import BenchFn, Task


class FinRayTask(Task):
    name = "finray"

    @property
    def config_cls(self) -> type:  # type: ignore[override]
        from .config import FinRayTrainConfig

        return FinRayTrainConfig

    def train(self, config: Any, run: RunDir, resume: bool) -> None:
        if config.algo == "sync":
            from .sync_trainer import train_sync as train
        else:
            from .async_trainer import train_async as train
        summary = train(config, run, resume=resume)
        print(" ".join(f"{k}={v}" for k, v in summary.items()), flush=True)

    def evaluate(self, run: RunDir | None, onnx: Path | None, preset: str, overrides: list[str]) -> dict[str, Any]:
        from .evaluate import evaluate

        return evaluate(run, onnx, preset, overrides)

    def export(self, run: RunDir, out_dir: Path | None) -> Path:
        from .export import export_run

        return export_run(run, out_dir)

    def benchmarks(self) -> dict[str, BenchFn]:
        from .bench import BENCHMARKS

        return dict(BENCHMARKS)


TASK = FinRayTask()
