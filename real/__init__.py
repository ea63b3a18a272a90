"""greenroom.real: rclpy nodes, simulator bridges and the launch runner.

Policy nodes import only :mod:`greenroom.policies.runtime` (no torch, mujoco or pybullet) and
the pure rotation math of :mod:`greenroom.sim.core.rotations` (numpy/scipy); only the
``*sim_bridge`` modules import the simulators of :mod:`greenroom.sim`. No module here imports
training code, even lazily: benchmarks and SIL runs use the shipped policies in
``assets/policies/`` (``tests/real/test_imports.py`` checks all of this).
"""
