"""The two evaluation protocols ``greenroom bench pushgrasp`` reports, as config transforms.

``vpg`` -- VPG's own protocol, the paper comparison (Zeng et al. 2018 Sec. V; VPG main.py with
``--is_testing``; shared/docs/papers.md 1.1-1.3):

- the torch policy of a training run's checkpoint;
- test-time learning: one SGD step (the training label, Huber loss, momentum) on every executed
  action at ``evaluate.test_lr`` -- VPG's code keeps its optimizer's 1e-4 when testing (the
  paper's text says 1e-5; ``evaluate.test_lr=1e-5`` runs that), greedy (no exploration), no
  replay; the weights are restored after each run (VPG reloads the snapshot per run);
- no failure mask (the ROS node's repeat-avoidance is ours, not VPG's);
- 30 runs per case: Table I = 30 runs of 30 random blocks (training uses 10), Table II = each
  of VPG's 11 hard cases 30 times;
- a run ends when its successful grasps reach its objects, after 10 consecutive no-change
  actions, or when nothing is left; no per-object action cap (the paper has none). The env's
  ``max_actions`` is only a safety net (:data:`SAFETY_ACTIONS`); runs that hit it are counted
  (``runs_hitting_action_cap``) and are incomplete.

``deployment`` -- how the shipped policy runs on the robot: the exported ONNX graph (ONNX
Runtime), the failure mask on, no learning; the same runs and end rule as ``vpg``.

``quick`` (tests, ``--quick``): one run per case, 2 hard cases, 6 clutter blocks and a 15-action
cap, so a bench checks its plumbing in minutes; its figures are not comparable to the paper.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .config import PushGraspTrainConfig

SAFETY_ACTIONS = 500  # per run; VPG's 30-block runs take ~50 actions at its 60 % efficiency
RUNS_PER_CASE = 30    # VPG: "each test run n = 30 times"


@dataclass(frozen=True)
class Protocol:
    name: str
    label: str
    learning: bool       # VPG's test-time learning (needs the torch checkpoint)
    failure_mask: bool   # greenroom.policies.runtime.failure_memory
    onnx: bool           # evaluate the exported graph with ONNX Runtime


PROTOCOLS = {
    "vpg": Protocol("vpg", "VPG protocol (paper comparison): torch policy, test-time learning at evaluate.test_lr, "
                    "no failure mask, VPG's 30 runs per case (fewer when runs_per_case says so), ends after 10 consecutive "
                    "no-change actions, no action cap",
                    learning=True, failure_mask=False, onnx=False),
    "deployment": Protocol("deployment", "deployment protocol (not the paper's): exported ONNX policy, failure mask, "
                           "no learning; same runs and end rule as the VPG protocol",
                           learning=False, failure_mask=True, onnx=True),
}


def protocol_config(config: PushGraspTrainConfig, name: str, quick: bool = False,
                    runs: int | None = None) -> PushGraspTrainConfig:
    """``config`` with the evaluation settings of protocol ``name`` (see module docstring).

    ``runs``: runs per case instead of VPG's 30 (a smaller run than the paper's; benches record it).
    """
    if name not in PROTOCOLS:
        raise ValueError(f"unknown protocol {name!r}; valid: {', '.join(PROTOCOLS)}")
    if runs is not None and runs < 1:
        raise ValueError(f"runs per case must be >= 1; got {runs}")
    protocol = PROTOCOLS[name]
    runs = 1 if quick else (runs or RUNS_PER_CASE)
    evaluate = dataclasses.replace(
        config.evaluate, runs=runs, runs_per_case=runs, clutter_objects=6 if quick else 30, max_actions_per_object=0,
        test_time_learning=protocol.learning, avoid_repeats=protocol.failure_mask)
    env = dataclasses.replace(config.env, max_no_change=10, max_actions=15 if quick else SAFETY_ACTIONS)
    return dataclasses.replace(config, evaluate=evaluate, env=env)
