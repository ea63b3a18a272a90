"""The flight task as the CLI sees it (each verb delegates lazily to its module: see ``Task``)."""
from __future__ import annotations

from ..common.task import BenchFn, Task


class FlightTask(Task):
    name = "flight"
    config_name = "FlightTrainConfig"

    def benchmarks(self) -> dict[str, BenchFn]:
        """Simulator benchmarks (bench_env) and policy benchmarks (bench_policy)."""
        from .bench_env import ENV_BENCHMARKS
        from .bench_policy import POLICY_BENCHMARKS

        return {**ENV_BENCHMARKS, **POLICY_BENCHMARKS}


TASK = FlightTask()
