"""CAD2RL-style domain-randomized indoor flight in MuJoCo.

Light modules (no MuJoCo import; the ROS runtime uses them):
:mod:`.config` (:class:`FlightEnvConfig`), :mod:`.ranges` (randomization groups) and
:mod:`.grid` (:class:`DirectionGrid`). The env (:mod:`.env`, ``greenroom/Flight-v0``) and its
world builder import MuJoCo; import them explicitly.
"""
from __future__ import annotations

from .config import FlightEnvConfig
from .grid import DirectionGrid
from .ranges import FlightRandomization

__all__ = ["DirectionGrid", "FlightEnvConfig", "FlightRandomization"]
