"""greenroom.real: rclpy nodes, simulator bridges and the launch runner.

Policy nodes import only :mod:`greenroom.policies.runtime` (no torch, mujoco or pybullet);
only the ``*sim_bridge`` modules import :mod:`greenroom.sim`.
"""
