"""The flight task as the CLI sees it (each verb delegates lazily to its module: see ``Task``)."""
from __future__ import annotations

from typing import Any

from ..common.task import BenchFn, Task


class FlightTask(Task):
    name = "flight"
    config_name = "FlightTrainConfig"

    def validate(self, config: Any) -> None:
        """Read ``env.textures_dir`` and ``env.photo_set`` here, before a run exists (workers would
        fail later, one each)."""
        from ...sim.flight.textures import load_photo_set, load_photos

        if config.env.textures_dir:
            load_photos(config.env.textures_dir, config.env.texture_size)
        load_photo_set(config.env.photo_set, config.env.texture_size)

    def benchmarks(self) -> dict[str, BenchFn]:
        """Simulator benchmarks (bench_env) and policy benchmarks (bench_policy)."""
        from .bench_env import ENV_BENCHMARKS
        from .bench_policy import POLICY_BENCHMARKS

        return {**ENV_BENCHMARKS, **POLICY_BENCHMARKS}


TASK = FlightTask()
