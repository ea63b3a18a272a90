"""Shared domain-randomization core.

Randomization is data: every task describes its randomized quantities as *groups* of ranges
(frozen dataclasses whose fields are :class:`Uniform`, :class:`LogUniform`, :class:`IntUniform`
or :class:`UniformVec`). A group can be switched off for ablations (``enabled=False``); a
disabled group yields the nominal value of every range instead of a sample.

Sampling is explicit and reproducible: :func:`sample_groups` derives one independent
``np.random.Generator`` per group from the episode seed and the group's name, so switching
one group off never changes what the other groups draw. The returned dict is what envs put
in ``info["randomization"]``.

Example::

    @dataclass(frozen=True)
    class LightingRanges(Group):
        count: IntUniform = IntUniform(1, 4)        # lights ~ U{1..4}
        diffuse: Uniform = Uniform(0.3, 0.9)        # diffuse intensity ~ U(0.3, 0.9)

    values = sample_groups({"lighting": LightingRanges()}, seed=7)
    values["lighting"]["count"]  # -> int in [1, 4]
"""
from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, Union

import numpy as np


@dataclass(frozen=True)
class Uniform:
    """A float ~ U(low, high); ``nominal`` (default: midpoint) is used when the group is off."""

    low: float
    high: float
    nominal: float | None = None

    def __post_init__(self) -> None:
        if not self.low <= self.high:
            raise ValueError(f"Uniform range needs low <= high, got low={self.low}, high={self.high}")

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(self.low, self.high))

    def nominal_value(self) -> float:
        return float(self.nominal if self.nominal is not None else 0.5 * (self.low + self.high))


@dataclass(frozen=True)
class LogUniform:
    """A positive float whose log is uniform in [log low, log high]; nominal: geometric mean."""

    low: float
    high: float
    nominal: float | None = None

    def __post_init__(self) -> None:
        if not 0 < self.low <= self.high:
            raise ValueError(f"LogUniform range needs 0 < low <= high, got low={self.low}, high={self.high}")

    def sample(self, rng: np.random.Generator) -> float:
        return float(np.exp(rng.uniform(np.log(self.low), np.log(self.high))))

    def nominal_value(self) -> float:
        return float(self.nominal if self.nominal is not None else np.sqrt(self.low * self.high))


@dataclass(frozen=True)
class IntUniform:
    """An int ~ U{low, ..., high} (both inclusive); nominal default: low."""

    low: int
    high: int
    nominal: int | None = None

    def __post_init__(self) -> None:
        if not self.low <= self.high:
            raise ValueError(f"IntUniform range needs low <= high, got low={self.low}, high={self.high}")

    def sample(self, rng: np.random.Generator) -> int:
        return int(rng.integers(self.low, self.high + 1))

    def nominal_value(self) -> int:
        return int(self.nominal if self.nominal is not None else self.low)


@dataclass(frozen=True)
class UniformVec:
    """A vector ~ U(low_i, high_i) per component; nominal default: componentwise midpoint."""

    low: tuple[float, ...]
    high: tuple[float, ...]
    nominal: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if len(self.low) != len(self.high):
            raise ValueError(f"UniformVec low and high differ in length: {self.low} vs {self.high}")
        if any(lo > hi for lo, hi in zip(self.low, self.high)):
            raise ValueError(f"UniformVec needs low <= high componentwise, got {self.low} / {self.high}")

    def sample(self, rng: np.random.Generator) -> list[float]:
        return [float(v) for v in rng.uniform(self.low, self.high)]

    def nominal_value(self) -> list[float]:
        if self.nominal is not None:
            return [float(v) for v in self.nominal]
        return [0.5 * (lo + hi) for lo, hi in zip(self.low, self.high)]


Range = Union[Uniform, LogUniform, IntUniform, UniformVec]
RANGE_TYPES = (Uniform, LogUniform, IntUniform, UniformVec)


@dataclass(frozen=True)
class Group:
    """Base of a randomization group: subclass it and add range fields.

    Fields that are not ranges (flags, counts, paths) are passed through unchanged, so a group
    can carry the settings that shape how its samples are applied.
    """

    enabled: bool = True

    def sample(self, rng: np.random.Generator) -> dict[str, Any]:
        """Sample every range field (or take its nominal value when the group is disabled)."""
        values: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name == "enabled":
                continue
            value = getattr(self, f.name)
            if isinstance(value, RANGE_TYPES):
                values[f.name] = value.sample(rng) if self.enabled else value.nominal_value()
        return values


R = TypeVar("R", bound="Randomization")


@dataclass(frozen=True)
class Randomization:
    """Base of a task's randomization config: one field per :class:`Group`.

    Subclass it with the task's groups as fields (``lighting: Lighting = field(default_factory=Lighting)``);
    :meth:`groups` lists them in field order, which is also the key order of ``info["randomization"]``.
    """

    def groups(self) -> dict[str, Group]:
        """The groups by name, in field order."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if isinstance(getattr(self, f.name), Group)}

    def with_all(self: R, enabled: bool) -> R:
        """A copy with every group switched on or off."""
        return dataclasses.replace(self, **{n: dataclasses.replace(g, enabled=enabled) for n, g in self.groups().items()})

    def only(self: R, *names: str) -> R:
        """A copy with only the named groups on (for ablations and tests)."""
        valid = list(self.groups())
        unknown = sorted(set(names) - set(valid))
        if unknown:
            raise ValueError(f"unknown randomization group(s) {unknown}; valid: {', '.join(valid)}")
        return dataclasses.replace(self, **{n: dataclasses.replace(g, enabled=n in names) for n, g in self.groups().items()})


def group_rng(seed: int, group_name: str) -> np.random.Generator:
    """An independent generator for one group of one episode (stable across processes)."""
    name_key = int.from_bytes(hashlib.sha256(group_name.encode()).digest()[:8], "little")
    return np.random.default_rng(np.random.SeedSequence(entropy=int(seed), spawn_key=(name_key,)))


def sample_groups(groups: Mapping[str, Group], seed: int) -> dict[str, dict[str, Any]]:
    """Sample each group with its own generator derived from ``seed`` and the group name."""
    return {name: group.sample(group_rng(seed, name)) for name, group in groups.items()}


def enabled_groups(groups: Mapping[str, Group]) -> list[str]:
    return [name for name, group in groups.items() if group.enabled]


def flatten(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten nested sample dicts into ``{"lighting/count": 3, ...}`` for logs and CSVs."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        name = f"{prefix}/{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            flat.update(flatten(value, name))
        else:
            flat[name] = value
    return flat
