"""Test fixtures shared by all tiers.

Every DDS participant a test starts stays on loopback with a random domain, and every local
Ray instance binds to 127.0.0.1 (no dashboard): no test talks to any address but loopback.

``make test`` runs the suite on two pytest-xdist workers (``--dist loadgroup``). Every test that
starts DDS participants or a local Ray instance (everything under ``tests/real`` and the tests
marked ``ros`` or ``ray``) goes to one worker, in file order, so two of them never run at once:
they keep the whole DDS domain and Ray's ports to themselves as in a serial run. The other
worker takes the simulator, training and CLI tests meanwhile. Each worker draws its domains from
its own slice of 1-100 (fixtures ``ros_domain`` and ``new_ros_domain``), so no two share one.
"""
from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path

import pytest

# Set before anything imports rclpy/mujoco, also when pytest is run without make.
os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")   # gw0, gw1, ... under xdist
_COUNT = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
_SLICE = 100 // _COUNT
_DOMAINS = (1 + int(_WORKER[2:] or 0) * _SLICE, (1 + int(_WORKER[2:] or 0)) * _SLICE)
"""ROS domains this process draws from: 1-100 serially, a disjoint slice per xdist worker."""
if _WORKER or "ROS_DOMAIN_ID" not in os.environ:
    os.environ["ROS_DOMAIN_ID"] = str(random.randint(*_DOMAINS))
os.environ.setdefault("RMW_IMPLEMENTATION", "rmw_fastrtps_cpp")
os.environ.setdefault("ROS_LOG_DIR", tempfile.mkdtemp(prefix="greenroom-roslog-"))
os.environ.pop("ROS_LOCALHOST_ONLY", None)
os.environ.setdefault("MUJOCO_GL", "egl")
os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
os.environ.setdefault("LP_NUM_THREADS", "0")
# Ray replaces 127.0.0.1 with the machine's routable address unless this is 0 (read when ray is
# first imported; see greenroom.policies.common.ray_local): keeps every local Ray on loopback.
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_VPG = REPO_ROOT.parent / "shared" / "vpg"


DDS_OR_RAY_GROUP = "dds-and-ray"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Put every test that starts DDS participants or Ray on one xdist worker (see the docstring)."""
    real = REPO_ROOT / "tests" / "real"
    for item in items:
        if item.path.is_relative_to(real) or item.get_closest_marker("ros") or item.get_closest_marker("ray"):
            item.add_marker(pytest.mark.xdist_group(DDS_OR_RAY_GROUP))


@pytest.fixture()
def runs_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated ``runs/`` root for one test."""
    root = tmp_path / "runs"
    monkeypatch.setenv("GREENROOM_RUNS", str(root))
    return root


@pytest.fixture()
def new_ros_domain(monkeypatch: pytest.MonkeyPatch):
    """Switch this test to a fresh random ROS domain of this worker's range (loopback discovery
    only); call it again for another one. Returns the domain."""
    def switch() -> int:
        domain = random.randint(*_DOMAINS)
        monkeypatch.setenv("ROS_DOMAIN_ID", str(domain))
        monkeypatch.setenv("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
        return domain
    return switch


@pytest.fixture()
def ros_domain(new_ros_domain) -> int:
    """A fresh random ROS domain for one test (loopback discovery only)."""
    return new_ros_domain()


@pytest.fixture()
def vpg_shared() -> Path:
    """VPG's test cases and meshes from ../shared/vpg (skips when absent)."""
    if not (SHARED_VPG / "test-cases").is_dir():
        pytest.skip("../shared/vpg is not present")
    return SHARED_VPG
