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


def export_untrained_flight(out_dir: Path, preset: str = "cpu", overrides: list[str] | None = None,
                            seed: int = 0) -> Path:
    """An untrained flight network of ``preset`` exported through the shipped export path
    (parity-checked on 256 random images); returns ``policy.onnx`` (its contract beside it).

    Training code (torch) lives here, in the tests, not in greenroom.real."""
    torch = pytest.importorskip("torch")
    from greenroom.policies.common.config import resolve_config
    from greenroom.policies.flight.config import FlightTrainConfig
    from greenroom.policies.flight.export import export_policy
    from greenroom.policies.flight.network import build_network

    config = resolve_config(FlightTrainConfig, preset, list(overrides or []))
    torch.manual_seed(seed)
    net = build_network(config)
    size = config.env.image_size
    images = np.random.default_rng(seed).integers(0, 256, (256, size, size, 3), dtype=np.uint8)
    return export_policy(net, config, Path(out_dir), images)


@pytest.fixture(scope="session")
def flight_export():
    """``flight_export(out_dir, preset, overrides, seed)``: see :func:`export_untrained_flight`."""
    return export_untrained_flight
