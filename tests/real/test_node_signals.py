"""Every greenroom node stops cleanly on SIGINT and on SIGTERM (run_node's Python signal handling)."""
from __future__ import annotations

import signal
import time

import pytest

pytestmark = pytest.mark.ros

DISCOVERY_S = 20.0


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_node_exits_zero_on_signal_while_spinning(ros_domain: int, signum: int) -> None:
    from greenroom.real.common.procs import NodeProcess, Probe

    with Probe("signal_probe") as probe:
        proc = NodeProcess("arm_executor", {"home_on_start": False}, module="greenroom.real.arm.executor_node")
        try:
            # up and spinning: its publishers are discovered
            probe.spin_until(lambda: probe.node.count_publishers("/motion_done") > 0, DISCOVERY_S, "arm_executor up",
                             alive=[proc])
            start = time.monotonic()
            proc.process.send_signal(signum)
            code = proc.wait(timeout=10)
            stopped_s = time.monotonic() - start
        finally:
            proc.stop()
    out = proc.output()
    assert code == 0, out[-3000:]
    assert "Traceback" not in out, out[-3000:]
    assert stopped_s < 5.0, f"took {stopped_s:.1f} s to stop"


STUCK_NODE = '''
import sys, time
from rclpy.node import Node
from greenroom.real.common.spin import run_node

class StuckInShutdown(Node):
    def __init__(self):
        super().__init__("stuck_in_shutdown")
        print("spinning", flush=True)

    def destroy_node(self):
        time.sleep(600)  # a shutdown step that never returns

run_node(StuckInShutdown, None, "stuck_in_shutdown")
'''


def test_a_node_stuck_in_shutdown_exits_with_the_blocking_step(ros_domain: int, tmp_path) -> None:
    import subprocess
    import sys

    from greenroom.real.common.spin import SHUTDOWN_BUDGET_S

    script = tmp_path / "stuck.py"
    script.write_text(STUCK_NODE)
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "spinning", proc.stderr.read()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=SHUTDOWN_BUDGET_S + 20)
    finally:
        proc.kill()
    # stopped by the watchdog (not left for launch's SIGKILL), with the stack of the step that blocked
    assert proc.returncode == 1, err[-3000:]
    assert "in destroy_node" in err and "stuck.py" in err, err[-3000:]
