"""Fixtures for the ROS 2 tests (DDS environment: see tests/conftest.py)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED_ROS2_CLI = REPO.parent / "shared" / "ros2-cli"


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


@pytest.fixture(scope="session")
def colcon_install() -> Path:
    """``colcon build --packages-select greenroom`` of this source tree (greenroom.real.launch.colcon:
    colcon from the package index in .venv-colcon; cached in build/colcon): the workspace's install/."""
    from greenroom.real.launch.colcon import build_workspace, ensure_colcon

    return build_workspace(REPO, REPO / "build" / "colcon", ensure_colcon(REPO / ".venv-colcon"))


@pytest.fixture()
def ros2_env(colcon_install: Path, ros_domain: int, tmp_path: Path) -> dict[str, str]:
    """Environment for the real ``ros2 launch``/``ros2`` CLI on the colcon install tree (skips when
    ../shared/ros2-cli is absent): ``. install/setup.sh`` over this venv's ROS 2 wheels, DDS on
    loopback in a fresh random domain, Fast DDS, ROS_LOG_DIR in the test's temp dir."""
    if not SHARED_ROS2_CLI.is_dir():
        pytest.skip("../shared/ros2-cli is not present")
    from greenroom.real.launch.colcon import ros2_environment, ros2_executable

    ros2_executable()  # a clear error when ../shared/ros2-cli is there but not installed (make test does)
    base = dict(os.environ, AMENT_PREFIX_PATH=sys.prefix, ROS_LOG_DIR=str(tmp_path / "ros-log"),
                ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST", RMW_IMPLEMENTATION="rmw_fastrtps_cpp")
    return ros2_environment(colcon_install, base)
