"""Benchmark results: one row per measured figure, printed as a table and written as JSON.

Each task exposes named benchmark functions (``Task.benchmarks()``); each returns a list of
:class:`BenchResult`. Timings are compared as ratios measured side by side in the same run
(e.g. env step vs a bare render of the same scene), never asserted in tests.
"""
from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .rundir import atomic_write_json


@dataclass
class BenchResult:
    """One figure: ``value`` in ``unit``; ``target`` is the human-readable goal (e.g. '>= 500')."""

    group: str
    name: str
    value: float
    unit: str
    target: str = ""
    passed: bool | None = None
    details: dict[str, Any] = field(default_factory=dict)


def check(value: float, op: str, bound: float) -> bool:
    """Evaluate a target like ``value >= bound`` (op one of >=, <=, >, <)."""
    return {">=": value >= bound, "<=": value <= bound, ">": value > bound, "<": value < bound}[op]


def median_time(fn: Callable[[], Any], repeats: int = 5, number: int = 1) -> float:
    """Median wall time in seconds of ``number`` calls of ``fn`` over ``repeats`` repetitions."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    samples.sort()
    return samples[len(samples) // 2]


def machine_info() -> dict[str, Any]:
    import os

    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "cpus": os.cpu_count(),
        "mujoco_gl": os.environ.get("MUJOCO_GL"),
        "lp_num_threads": os.environ.get("LP_NUM_THREADS"),
    }


def print_table(results: Iterable[BenchResult], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in ("group", "benchmark", "value", "unit", "target", "ok"):
        table.add_column(column)
    for r in results:
        ok = "" if r.passed is None else ("yes" if r.passed else "NO")
        table.add_row(r.group, r.name, f"{r.value:.4g}", r.unit, r.target, ok)
    Console().print(table)


def write_json(results: list[BenchResult], path: Path, task: str) -> None:
    payload = {
        "task": task,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "machine": machine_info(),
        "results": [asdict(r) for r in results],
    }
    atomic_write_json(path, payload)


def load_json(path: Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text())
