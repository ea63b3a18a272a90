"""The flight trainer's phases and checkpoint state, as types (no phase-name parsing).

A run is the list :func:`plan_phases` returns: one :attr:`PhaseKind.STAGE1_DATA` phase,
``stage1.epochs`` :attr:`PhaseKind.STAGE1_EPOCH` phases, ``stage2.iterations``
:attr:`PhaseKind.STAGE2_ROUND` phases. A checkpoint is written after each; its ``state`` is a
:class:`TrainState` as a plain dict (``torch.load(weights_only=True)`` reads it back).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from enum import Enum
from typing import Any

from .config import FlightTrainConfig


class PhaseKind(Enum):
    STAGE1_DATA = "stage1-data"      # free-space labelled states from exploratory flights
    STAGE1_EPOCH = "stage1-epoch"    # one pass of regression over the stored states
    STAGE2_ROUND = "stage2-round"    # one Monte Carlo policy-evaluation round


@dataclass(frozen=True)
class Phase:
    """Phase ``index`` (0-based position in the run) of ``kind``, ``number`` (1-based within its kind)."""

    index: int
    kind: PhaseKind
    number: int

    @property
    def name(self) -> str:
        """Display and log name: ``stage1-data``, ``stage1-epoch3``, ``stage2-round2``."""
        return self.kind.value if self.kind is PhaseKind.STAGE1_DATA else f"{self.kind.value}{self.number}"


def plan_phases(config: FlightTrainConfig) -> list[Phase]:
    """Every phase of a run of ``config``, in order."""
    kinds = ([(PhaseKind.STAGE1_DATA, 1)] + [(PhaseKind.STAGE1_EPOCH, e + 1) for e in range(config.stage1.epochs)]
             + [(PhaseKind.STAGE2_ROUND, i + 1) for i in range(config.stage2.iterations)])
    return [Phase(i, kind, number) for i, (kind, number) in enumerate(kinds)]


def validates_after(phase: Phase, phases: list[Phase]) -> bool:
    """Greedy validation flights (the learning curve) follow the last stage-1 phase and every round."""
    if phase.kind is PhaseKind.STAGE2_ROUND:
        return True
    stage1 = [p for p in phases if p.kind is not PhaseKind.STAGE2_ROUND]
    return phase == stage1[-1]


@dataclass
class TrainState:
    """Progress of a run, saved in every checkpoint.

    phases_done: phases completed; shards: stored data shards (oldest first); global_step:
    gradient steps; elapsed_s: wall-clock seconds (summed over resumes); stage2_s: seconds
    spent in stage 2 (its time budget); next_task: id of the next rollout task (task ids seed
    the rollouts, so a resumed run draws new states).
    """

    phases_done: int = 0
    shards: list[str] = field(default_factory=list)
    global_step: int = 0
    elapsed_s: float = 0.0
    stage2_s: float = 0.0
    next_task: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str) -> "TrainState":
        """From a checkpoint's ``state``; ValueError naming ``where`` and the keys on a mismatch.
        Checkpoints written before this type stored the phases done as ``phase``."""
        d = dict(d)
        if "phase" in d and "phases_done" not in d:
            d["phases_done"] = d.pop("phase")
        names = [f.name for f in fields(cls)]
        missing, unknown = [k for k in names if k not in d], [k for k in d if k not in names]
        if missing or unknown:
            raise ValueError(f"{where}: training state has missing keys {missing}, unknown keys {unknown}; "
                             f"expected {', '.join(names)}")
        return cls(int(d["phases_done"]), [str(s) for s in d["shards"]], int(d["global_step"]), float(d["elapsed_s"]),
                   float(d["stage2_s"]), int(d["next_task"]))
