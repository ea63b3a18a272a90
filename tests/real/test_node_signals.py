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
