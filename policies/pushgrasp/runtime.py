"""The exported push-grasp policy's runtime lives in :mod:`greenroom.policies.runtime.pushgrasp`
(torch-free, shared with the ROS ``arm_policy`` node); this module re-exports it for the
training-side callers (evaluate, play, export)."""
from __future__ import annotations

from ..runtime.pushgrasp import INPUTS, OUTPUTS, TASK, Decision, PushGraspRuntimePolicy

__all__ = ["INPUTS", "OUTPUTS", "TASK", "Decision", "PushGraspRuntimePolicy"]
