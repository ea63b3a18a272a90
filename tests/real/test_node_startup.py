"""Start-up failures of the nodes: the original error, one clear message, exit status 1 (issue 12).

- flight_sim_bridge whose env cannot be built (a missing dependency: ``mujoco`` that fails to
  import, put first on PYTHONPATH) reports that ImportError, not an AttributeError from its
  clean-up, and exits 1.
- flight_policy with a contract whose ``control_hz`` is 0 or 1e9 exits 1 naming ``control_hz``
  before publishing anything (never spins nor divides by zero).
- Every node reports a bad parameter the same way: ``<prog>: error: node /<name>: parameter ...``
  with the valid range, exit 1, no traceback.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from greenroom.real.common.procs import NodeProcess
from greenroom.real.common.share import shipped_policy

pytestmark = [pytest.mark.ros]


def _wait(proc: NodeProcess, timeout: float = 60.0) -> tuple[int, str]:
    try:
        code = proc.wait(timeout=timeout)
    finally:
        proc.stop()
    return code, proc.output()


def test_sim_bridge_env_failure_reports_the_original_error(tmp_path: Path, ros_domain: int) -> None:
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "mujoco.py").write_text("raise ImportError('mujoco is not installed (test stand-in)')\n")
    proc = NodeProcess("flight_sim_bridge", {"preset": "smoke"}, module="greenroom.real.flight.sim_bridge",
                       log_dir=tmp_path, env={"PYTHONPATH": str(fake)})
    code, out = _wait(proc)
    assert code == 1, out
    assert "mujoco is not installed (test stand-in)" in out and "flight_sim_bridge: error:" in out, out
    assert "AttributeError" not in out, out


@pytest.mark.parametrize("rate", [0.0, 1e9])
def test_flight_policy_refuses_an_absurd_contract_control_rate(tmp_path: Path, ros_domain: int, rate: float) -> None:
    shipped = shipped_policy("flight")
    model = tmp_path / "policy.onnx"
    shutil.copy(shipped, model)
    contract = json.loads(shipped.with_suffix(".contract.json").read_text())
    contract["spec"]["control_hz"] = rate
    model.with_suffix(".contract.json").write_text(json.dumps(contract))
    proc = NodeProcess("flight_policy", {"model_path": str(model), "enable_on_start": True},
                       module="greenroom.real.flight.policy_node", log_dir=tmp_path)
    code, out = _wait(proc)
    assert code == 1, out
    assert "flight_policy: error:" in out and "control_hz" in out, out
    assert "Traceback" not in out and "ZeroDivisionError" not in out, out


@pytest.mark.parametrize("script,module,params,expected", [
    ("flight_policy", "greenroom.real.flight.policy_node", {"max_yaw_rate": 99.0}, "max_yaw_rate"),
    ("arm_executor", "greenroom.real.arm.executor_node", {"max_joint_speed": 9.0}, "max_joint_speed"),
    ("arm_policy", "greenroom.real.arm.policy_node", {"sync_slop": 5.0}, "sync_slop"),
    ("arm_policy", "greenroom.real.arm.policy_node", {"camera_pose": [0.0, 0.0, 1.0]}, "camera_pose needs 7"),
    ("topic_recorder", "greenroom.real.recorder", {"topics": ["x"], "discovery_timeout_s": -1.0},
     "discovery_timeout_s"),
], ids=["flight", "executor", "arm-range", "arm-length", "recorder"])
def test_bad_parameter_is_one_clear_error_for_every_node(tmp_path: Path, ros_domain: int, script: str, module: str,
                                                         params: dict, expected: str) -> None:
    if script == "flight_policy":
        params = {"model_path": str(shipped_policy("flight")), **params}
    if script == "arm_policy":
        params = {"model_path": str(shipped_policy("pushgrasp")), **params}
    proc = NodeProcess(script, params, module=module, log_dir=tmp_path)
    code, out = _wait(proc)
    assert code == 1, out
    assert f"{script}: error: node /" in out and expected in out, out
    if "needs" not in expected:
        assert "range" in out, out
    assert "Traceback" not in out, out
