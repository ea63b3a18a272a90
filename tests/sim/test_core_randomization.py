"""The shared randomization core: reproducible, per-group independent, switchable, recorded."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pytest

from greenroom.sim.core.randomization import (
    Group,
    IntUniform,
    Randomization,
    LogUniform,
    Uniform,
    UniformVec,
    enabled_groups,
    flatten,
    group_rng,
    sample_groups,
)


@dataclass(frozen=True)
class Lighting(Group):
    count: IntUniform = IntUniform(1, 4)
    diffuse: Uniform = Uniform(0.3, 0.9)
    label: str = "not a range"  # passed through, not sampled


@dataclass(frozen=True)
class Dynamics(Group):
    drag: LogUniform = LogUniform(0.01, 1.0)
    offset: UniformVec = UniformVec((-1.0, -2.0), (1.0, 2.0))


GROUPS = {"lighting": Lighting(), "dynamics": Dynamics()}


def test_same_seed_same_samples_and_different_seed_differs() -> None:
    assert sample_groups(GROUPS, seed=3) == sample_groups(GROUPS, seed=3)
    draws = {str(sample_groups(GROUPS, seed=s)) for s in range(20)}
    assert len(draws) == 20


def test_samples_stay_in_their_ranges() -> None:
    for seed in range(200):
        values = sample_groups(GROUPS, seed)
        assert 1 <= values["lighting"]["count"] <= 4
        assert isinstance(values["lighting"]["count"], int)
        assert 0.3 <= values["lighting"]["diffuse"] <= 0.9
        assert 0.01 <= values["dynamics"]["drag"] <= 1.0
        x, y = values["dynamics"]["offset"]
        assert -1 <= x <= 1 and -2 <= y <= 2
        assert "label" not in values["lighting"]


def test_disabling_one_group_leaves_the_others_unchanged() -> None:
    ablated = {"lighting": replace(GROUPS["lighting"], enabled=False), "dynamics": GROUPS["dynamics"]}
    full, partial = sample_groups(GROUPS, 11), sample_groups(ablated, 11)
    assert partial["dynamics"] == full["dynamics"]
    assert partial["lighting"] == {"count": 1, "diffuse": pytest.approx(0.6)}
    assert enabled_groups(ablated) == ["dynamics"]


def test_disabled_group_gives_nominal_values_every_time() -> None:
    off = {"dynamics": Dynamics(enabled=False)}
    assert sample_groups(off, 1) == sample_groups(off, 2)
    assert sample_groups(off, 1)["dynamics"]["drag"] == pytest.approx(0.1)
    assert sample_groups(off, 1)["dynamics"]["offset"] == [0.0, 0.0]


def test_group_generators_are_independent_of_each_other() -> None:
    a, b = group_rng(5, "lighting").random(4), group_rng(5, "dynamics").random(4)
    assert not np.allclose(a, b)


@pytest.mark.parametrize(
    "make",
    [lambda: Uniform(2.0, 1.0), lambda: LogUniform(0.0, 1.0), lambda: IntUniform(3, 2),
     lambda: UniformVec((0.0,), (1.0, 2.0)), lambda: UniformVec((1.0,), (0.0,))],
)
def test_invalid_ranges_are_refused_with_the_values(make) -> None:
    with pytest.raises(ValueError, match="low"):
        make()


def test_flatten_names_nested_values() -> None:
    flat = flatten(sample_groups(GROUPS, 0))
    assert set(flat) == {"lighting/count", "lighting/diffuse", "dynamics/drag", "dynamics/offset"}


@dataclass(frozen=True)
class TaskRandomization(Randomization):
    lighting: Lighting = field(default_factory=Lighting)
    dynamics: Dynamics = field(default_factory=Dynamics)


def test_randomization_lists_switches_and_ablates_its_groups() -> None:
    config = TaskRandomization()
    assert list(config.groups()) == ["lighting", "dynamics"]
    assert not any(g.enabled for g in config.with_all(False).groups().values())
    only = config.only("dynamics")
    assert (only.lighting.enabled, only.dynamics.enabled) == (False, True)
    with pytest.raises(ValueError, match="valid: lighting, dynamics"):
        config.only("weather")
