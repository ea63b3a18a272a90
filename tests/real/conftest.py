"""Fixtures for the ROS 2 tests (DDS environment: see tests/conftest.py)."""
from __future__ import annotations

import pytest


@pytest.fixture()
def ros_node(ros_domain):
    """A test node in its own rclpy context (random domain, loopback), with an executor to spin it."""
    import rclpy
    from rclpy.executors import SingleThreadedExecutor

    context = rclpy.Context()
    rclpy.init(context=context)
    node = rclpy.create_node("greenroom_test", context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    yield node, executor
    executor.shutdown()
    node.destroy_node()
    rclpy.shutdown(context=context)
