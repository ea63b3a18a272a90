"""greenroom.sim: simulators, Gymnasium envs and domain randomization.

Importing this package registers the Gymnasium ids (lazy entry points, nothing heavy is
imported until ``gymnasium.make``):

- ``greenroom/Flight-v0``: CAD2RL indoor flight (MuJoCo)
- ``greenroom/PushGrasp-v0``: VPG push-grasp (pybullet)
- ``greenroom/FinRay-v0``: fin-ray actuation in a fluid (MuJoCo)

sim/ imports neither greenroom.policies nor greenroom.real.
"""
from __future__ import annotations

ENV_IDS = {
    "greenroom/Flight-v0": "greenroom.sim.flight.env:FlightEnv",
    "greenroom/PushGrasp-v0": "greenroom.sim.pushgrasp.env:PushGraspEnv",
    "greenroom/FinRay-v0": "greenroom.sim.finray.env:FinRayEnv",
}


def register_envs() -> None:
    """Register greenroom's envs with Gymnasium (no-op where Gymnasium is not installed)."""
    try:
        from gymnasium.envs.registration import register, registry
    except ImportError:  # a robot running only exported policies has no Gymnasium
        return
    for env_id, entry_point in ENV_IDS.items():
        if env_id not in registry:
            register(id=env_id, entry_point=entry_point)


register_envs()
