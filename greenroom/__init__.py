"""greenroom: train robot vision policies in domain-randomized simulation, deploy with ROS 2.

Subpackages (mapped from the repository's top-level folders):

- :mod:`greenroom.sim`: simulators, Gymnasium envs, randomization (imports nothing else of greenroom)
- :mod:`greenroom.policies`: networks, trainers, evaluation, export, ONNX runtime
- :mod:`greenroom.real`: rclpy nodes, sim bridges, launch runner
"""
from __future__ import annotations

__version__ = "0.1.0"

from .sim.core.headless import configure_headless_gl as _configure_headless_gl

_configure_headless_gl()
