"""Typed trainer phases and checkpoint state (no phase-name parsing)."""
from __future__ import annotations

import pytest

from greenroom.policies.flight.config import FlightTrainConfig
from greenroom.policies.flight.phases import PhaseKind, TrainState, plan_phases, validates_after
from greenroom.policies.flight.trainer import phase_names


def test_plan_orders_kinds_and_numbers() -> None:
    config = FlightTrainConfig.smoke()          # 2 epochs, 2 rounds
    phases = plan_phases(config)
    assert [p.kind for p in phases] == [PhaseKind.STAGE1_DATA, PhaseKind.STAGE1_EPOCH, PhaseKind.STAGE1_EPOCH,
                                        PhaseKind.STAGE2_ROUND, PhaseKind.STAGE2_ROUND]
    assert [p.index for p in phases] == list(range(5))
    assert phase_names(config) == ["stage1-data", "stage1-epoch1", "stage1-epoch2", "stage2-round1", "stage2-round2"]
    assert [validates_after(p, phases) for p in phases] == [False, False, True, True, True]


def test_train_state_round_trip_and_errors() -> None:
    state = TrainState(3, ["stage1", "stage2-0003"], 40, 12.5, 3.0, 7)
    assert TrainState.from_dict(state.to_dict(), "here") == state
    old = {"phase": 3, "shards": ["stage1"], "global_step": 1, "elapsed_s": 1.0, "stage2_s": 0.0, "next_task": 2}
    assert TrainState.from_dict(old, "old").phases_done == 3          # checkpoints written before the type
    with pytest.raises(ValueError, match=r"ckpt-1.pt: training state has missing keys \['next_task'\], "
                                         r"unknown keys \['extra'\]"):
        TrainState.from_dict({**{k: v for k, v in state.to_dict().items() if k != "next_task"}, "extra": 1}, "ckpt-1.pt")
