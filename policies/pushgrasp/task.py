"""The push-grasp task as the CLI sees it (each verb delegates lazily to its module: see ``Task``)."""
from __future__ import annotations

from ..common.task import Task


class PushGraspTask(Task):
    name = "pushgrasp"
    config_name = "PushGraspTrainConfig"


TASK = PushGraspTask()
