"""The flight action set: from a value grid over :class:`DirectionGrid` cells to one Twist.

Defined once here (pure numpy) and shared by the trainer, the evaluation, the depth and
ground-truth oracles, the ONNX graph (a torch transcription in
``greenroom.policies.flight.network.ActionHead``, parity-tested) and the node's contract
(``spec["actions"]``: :meth:`ActionConfig.to_dict`; a contract without it is ``cad2rl``).

Input: ``values`` (rows, cols) float in [0, 1], the predicted normalised discounted
collision-free return of flying toward each cell at the grid's reference speed
(``DirectionGrid.forward_speed``; see ``greenroom.policies.flight.labels``): 1 = free for the
whole label horizon, 0 = collision on the first step. Output: the chosen cell ``index``
(``r * cols + c``, always the argmax) and a Twist ``[vx, vy, vz, yaw_rate]`` (m/s, rad/s,
REP-103 body frame: x forward, y left, z up).

Modes:

- ``cad2rl`` (Sadeghi & Levine 2017): fly the argmax cell's direction at the fixed reference
  speed: ``grid.twist(index)``. This is the action set of policies exported before action sets
  existed.
- ``clearance`` (default): speed from the predicted clearance of the chosen direction, and
  turn-in-place when nothing ahead is free. With ``v`` = the chosen cell's value:

  * ``v < turn_below``: hover and yaw left (counter-clockwise) at ``turn_rate`` rad/s, Twist
    ``[0, 0, 0, turn_rate]`` (:meth:`ActionSet.turn_sign` says why always left).
  * else: the cell's direction at speed ``s = min_speed + (max_speed - min_speed) *
    clip((v - speed_from) / (1 - speed_from), 0, 1)`` m/s: the grid Twist with its linear part
    scaled by ``s / forward_speed`` (vz clipped to the grid's ``max_vertical_speed``; yaw rate
    unchanged). ``speed_from`` (default 0.3) was ``turn_below`` itself before the two were
    separate settings; contracts without it mean 0.3, the ``turn_below`` they were made with.
    ``turn_below`` defaults to 0.5 (it was 0.3): a value grid learned from one image errs, and the
    drone crashed where it flew on toward cells valued just above 0.3. On the validation worlds of
    ``greenroom bench flight --only turn_threshold`` both runs trained with 0.3 flew farthest at
    0.5-0.55 (README "When to turn in place"). Contracts and configs record it, so exports made
    with 0.3 keep it.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .grid import DirectionGrid

MODES = ("clearance", "cad2rl")


@dataclass(frozen=True)
class ActionConfig:
    """How a value grid becomes a Twist (see the module docstring).

    mode: "clearance" or "cad2rl"; min_speed, max_speed: horizontal speed (m/s) at value
    ``speed_from`` (and below) and at value 1 (clearance mode); turn_below: below this
    chosen-cell value the drone turns in place; turn_rate: yaw rate of a turn in place (rad/s).
    """

    mode: str = "clearance"
    min_speed: float = 0.4
    max_speed: float = 1.5
    turn_below: float = 0.5
    turn_rate: float = 1.2
    speed_from: float = 0.3

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"actions.mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        if not 0 < self.min_speed <= self.max_speed:
            raise ValueError(f"actions needs 0 < min_speed <= max_speed (m/s), got {self.min_speed}, {self.max_speed}")
        if not 0 <= self.turn_below < 1:
            raise ValueError(f"actions.turn_below must be in [0, 1), got {self.turn_below}")
        if not 0 <= self.speed_from < 1:
            raise ValueError(f"actions.speed_from must be in [0, 1), got {self.speed_from}")
        if self.turn_rate <= 0:
            raise ValueError(f"actions.turn_rate must be > 0 rad/s, got {self.turn_rate}")

    @classmethod
    def cad2rl(cls) -> "ActionConfig":
        """CAD2RL's fixed-speed action set (the default of contracts without ``actions``)."""
        return cls(mode="cad2rl")

    def to_dict(self) -> dict[str, Any]:
        """JSON-able description (the contract's ``spec["actions"]``)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> "ActionConfig":
        """Inverse of :meth:`to_dict`; None (an old contract) is ``cad2rl``; unknown keys are a
        ValueError naming the valid ones."""
        if d is None:
            return cls.cad2rl()
        if not isinstance(d, dict):
            raise ValueError(f"actions must be a mapping, got {type(d).__name__}")
        valid = tuple(asdict(cls()))
        unknown = [k for k in d if k not in valid]
        if unknown:
            raise ValueError(f"actions: unknown keys {unknown}; valid: {', '.join(valid)}")
        return cls(**{k: (str(v) if k == "mode" else float(v)) for k, v in d.items()})


class ActionSet:
    """A :class:`DirectionGrid` plus an :class:`ActionConfig`: value grid -> (index, Twist)."""

    def __init__(self, grid: DirectionGrid, config: ActionConfig) -> None:
        self.grid, self.config = grid, config
        self.unit = grid.twists().astype(np.float64)                      # twists at the reference speed

    @classmethod
    def from_config(cls, env_config: Any) -> "ActionSet":
        """From a :class:`~greenroom.sim.flight.config.FlightEnvConfig`."""
        return cls(DirectionGrid.from_config(env_config), env_config.actions)

    def for_oracles(self) -> "ActionSet":
        """The same actions, turning in place only below ``speed_from``: ``turn_below`` above it is a
        margin for a learned value grid's errors, which the oracles (exact free distances) do not
        make; with the defaults (equal) this is the same action set."""
        from dataclasses import replace

        if self.config.mode != "clearance" or self.config.turn_below <= self.config.speed_from:
            return self
        return ActionSet(self.grid, replace(self.config, turn_below=self.config.speed_from))

    def speed(self, value: float) -> float:
        """Horizontal speed (m/s) of a chosen cell of this value in clearance mode."""
        c = self.config
        span = 1.0 - c.speed_from
        return float(c.min_speed + (c.max_speed - c.min_speed) * np.clip((value - c.speed_from) / span, 0.0, 1.0))

    def turn_sign(self, values: np.ndarray, index: int) -> float:
        """+1: a turn in place from a value grid always goes left (counter-clockwise). A side
        chosen from the image flips between frames as the view turns (measured: the depth
        oracle hovered in place, yawing back and forth, until the step limit); one fixed
        direction sweeps the whole circle and finds the way out of any corner."""
        return 1.0

    def act(self, values: np.ndarray) -> tuple[int, np.ndarray]:
        """(rows, cols) (or flat) values -> (argmax index, (4,) float32 Twist)."""
        flat = np.asarray(values, dtype=np.float64).reshape(-1)
        if flat.shape != (self.grid.size,) or not np.all(np.isfinite(flat)):
            raise ValueError(f"values must be {self.grid.size} finite numbers ({self.grid.rows}x{self.grid.cols} grid), "
                             f"got shape {np.shape(values)}")
        index = int(np.argmax(flat))
        return index, self.twist_for(flat, index)

    def twist_for(self, values: np.ndarray, index: int) -> np.ndarray:
        """(4,) float32 Twist of choosing cell ``index`` given the (flat) value grid."""
        value = float(np.asarray(values).reshape(-1)[index])
        if self.config.mode == "clearance" and value < self.config.turn_below:
            return self.turn(self.turn_sign(values, index))
        return self.fly(index, value)

    def fly(self, index: int, value: float) -> np.ndarray:
        """(4,) float32 Twist flying toward cell ``index`` at the speed its value gives (the
        reference speed in ``cad2rl`` mode, where ``value`` is ignored)."""
        if self.config.mode == "cad2rl":
            return self.unit[index].astype(np.float32)
        scale = self.speed(value) / self.grid.forward_speed
        twist = self.unit[index].copy()
        twist[:2] *= scale
        twist[2] = np.clip(twist[2] * scale, -self.grid.max_vertical_speed, self.grid.max_vertical_speed)
        return twist.astype(np.float32)

    def turn(self, sign: float) -> np.ndarray:
        """(4,) float32 turn in place: hover, yaw at ``turn_rate`` toward ``sign`` (+ left, - right).
        ValueError in ``cad2rl`` mode, which has no such action."""
        if self.config.mode != "clearance":
            raise ValueError("the cad2rl action set has no turn-in-place action")
        return np.array([0.0, 0.0, 0.0, (1.0 if sign >= 0 else -1.0) * self.config.turn_rate], np.float32)

    def max_speed(self) -> float:
        """Fastest horizontal speed (m/s) any action commands."""
        return self.grid.forward_speed if self.config.mode == "cad2rl" else self.config.max_speed

    def limits_needed(self) -> tuple[float, float, float, float]:
        """|vx|, |vy|, |vz| (m/s), |yaw_rate| (rad/s) the actions can command (limits must cover them)."""
        s = self.max_speed() / self.grid.forward_speed
        lin = np.abs(self.unit[:, :3]) * np.array([s, s, s])
        lin[:, 2] = np.minimum(lin[:, 2], self.grid.max_vertical_speed)
        yaw = max(float(np.abs(self.unit[:, 3]).max()), self.config.turn_rate if self.config.mode == "clearance" else 0.0)
        return (float(lin[:, 0].max()), float(lin[:, 1].max()), float(lin[:, 2].max()), yaw)

    def __repr__(self) -> str:
        return f"ActionSet({self.grid!r}, {self.config})"


def steps_to_cover(distance: float, speed: float, control_dt: float) -> int:
    """Control steps needed to fly ``distance`` m at ``speed`` m/s (no acceleration phase)."""
    return int(math.ceil(distance / (speed * control_dt)))
