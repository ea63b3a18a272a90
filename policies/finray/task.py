"""The fin-ray task as the CLI sees it: ``train`` picks the sync (SB3) or async trainer by ``algo``;
the other verbs delegate lazily to their modules (see ``Task``)."""
from __future__ import annotations

from typing import Any

from ..common.rundir import RunDir
from ..common.task import Task


class FinRayTask(Task):
    name = "finray"
    config_name = "FinRayTrainConfig"

    def train(self, config: Any, run: RunDir, resume: bool) -> None:
        if config.algo == "sync":
            from .sync_trainer import train_sync as train
        else:
            from .async_trainer import train_async as train
        summary = train(config, run, resume=resume)
        print(" ".join(f"{k}={v}" for k, v in summary.items()), flush=True)


TASK = FinRayTask()
