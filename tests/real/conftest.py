"""Fixtures for the ROS 2 tests (DDS environment: see tests/conftest.py)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
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


@pytest.fixture(scope="session")
def pushgrasp_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An untrained smoke-preset push-grasp policy exported by the pushgrasp exporter (parity-checked)."""
    torch = pytest.importorskip("torch")
    from greenroom.policies.pushgrasp.config import PushGraspTrainConfig
    from greenroom.policies.pushgrasp.export import export_learner
    from greenroom.policies.pushgrasp.learner import Learner

    torch.manual_seed(0)
    config = PushGraspTrainConfig.smoke()
    size = config.env.heightmap_size
    rng = np.random.default_rng(0)
    feeds = [(rng.integers(0, 255, (1, size, size, 3), dtype=np.uint8),
              rng.uniform(0, 0.05, (1, size, size)).astype(np.float32))]
    return export_learner(Learner(config, "cpu"), config, tmp_path_factory.mktemp("arm-model"), feeds)
