"""Test fixtures shared by all tiers.

Every DDS participant a test starts stays on loopback with a random domain, and every local
Ray instance binds to 127.0.0.1 (no dashboard): no test talks to any address but loopback.
"""
from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path

import pytest

# Set before anything imports rclpy/mujoco, also when pytest is run without make.
os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
os.environ.setdefault("ROS_DOMAIN_ID", str(random.randint(1, 100)))
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


@pytest.fixture()
def runs_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated ``runs/`` root for one test."""
    root = tmp_path / "runs"
    monkeypatch.setenv("GREENROOM_RUNS", str(root))
    return root


@pytest.fixture()
def ros_domain(monkeypatch: pytest.MonkeyPatch) -> int:
    """A fresh random ROS domain for one test (loopback discovery only)."""
    domain = random.randint(1, 100)
    monkeypatch.setenv("ROS_DOMAIN_ID", str(domain))
    monkeypatch.setenv("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    return domain


@pytest.fixture()
def vpg_shared() -> Path:
    """VPG's test cases and meshes from ../shared/vpg (skips when absent)."""
    if not (SHARED_VPG / "test-cases").is_dir():
        pytest.skip("../shared/vpg is not present")
    return SHARED_VPG
