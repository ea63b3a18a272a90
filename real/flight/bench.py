"""ROS benchmarks of the flight policy node (``greenroom bench flight --only ros``).

One sim-in-the-loop run over real Fast DDS on this machine: ``flight_sim_bridge`` (real time,
camera at 30 Hz: ``control_hz=30``) and ``flight_policy`` (enabled, TwistStamped whose stamp is
the image's) as separate processes, and a probe node in the benchmark process that subscribes
to the camera and to ``cmd_vel``.

- ``image->cmd_vel latency`` (ms): the wall time at which the probe's callback receives each
  command minus the ``header.stamp`` of the image it answers (set by the bridge right after
  rendering the frame; same host clock). It spans DDS to the node, conversion, ONNX inference,
  clamping, DDS back and the probe's own scheduling. Median and p99; target p99 <= 5 ms.
  ``details["node_diagnostics"]`` has the node's own view (inference, stamp -> publish).
- ``policy node CPU at 30 Hz`` (% of one core): user+system CPU seconds of the node process
  (``/proc/<pid>/stat``) over the measurement window, divided by its wall time. Target <= 15 %.

The model is the newest ``greenroom export`` under ``runs/flight`` when there is one, else an
untrained network of the ``cpu`` preset exported through the same export path (latency and
CPU do not depend on the weights); ``details`` says which.
"""
from __future__ import annotations

import os
import random
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from ...policies.common.bench import BenchResult, check

CAMERA_HZ = 30.0
LATENCY_P99_MS = 5.0
CPU_PERCENT = 15.0


def bench_ros(quick: bool) -> list[BenchResult]:
    """Latency and CPU of the policy node in the SIL loop (``quick``: a 4 s window, else 30 s)."""
    from diagnostic_msgs.msg import DiagnosticArray
    from geometry_msgs.msg import TwistStamped
    from rclpy.qos import qos_profile_sensor_data
    from sensor_msgs.msg import Image

    from ..common.procs import Probe, cpu_seconds
    from .sil import latest_export, start_bridge, start_policy, untrained_policy

    # This benchmark's DDS stays on loopback, in its own domain unless one was chosen.
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    os.environ.setdefault("ROS_DOMAIN_ID", str(random.randint(1, 100)))
    window_s = 4.0 if quick else 30.0
    work = Path(tempfile.mkdtemp(prefix="greenroom-bench-ros-"))
    model = latest_export()
    source = f"exported run {model.parent.parent}" if model else "untrained cpu-preset network (no export found)"
    if model is None:
        model = untrained_policy(work / "model", "cpu")
    procs = [
        start_bridge(work, overrides=[f"control_hz={CAMERA_HZ}", "physics_hz=240"], seed=0),
        start_policy(model, work, use_stamped=True, enable_on_start=True, control_rate_hz=CAMERA_HZ,
                     watchdog_timeout_s=0.5),
    ]
    bridge, policy = procs
    try:
        with Probe("bench_probe") as probe:
            probe.subscribe(Image, "image", qos_profile_sensor_data)
            probe.subscribe(TwistStamped, "cmd_vel")
            probe.subscribe(DiagnosticArray, "/diagnostics")
            probe.spin_until(lambda: len(probe.recv["cmd_vel"]) >= 10 and len(probe.recv["image"]) >= 10, 60,
                             "commands from the SIL loop", alive=procs)
            for samples in probe.recv.values():
                samples.clear()
            cpu0, wall0 = cpu_seconds(policy.pid), time.monotonic()
            probe.spin_for(window_s)
            cpu1, wall1 = cpu_seconds(policy.pid), time.monotonic()
            image_stamps = {_ns(m.header.stamp) for _, m in probe.recv["image"]}
            latencies = np.array([(t - _ns(m.header.stamp)) / 1e6 for t, m in probe.recv["cmd_vel"]
                                  if _ns(m.header.stamp) in image_stamps])
            image_hz = len(probe.recv["image"]) / window_s
            alive = all(p.poll() is None for p in procs)
            node_view = {}
            if probe.recv["/diagnostics"]:  # the node's own view: inference and stamp -> publish (ms)
                values = {kv.key: kv.value for kv in probe.recv["/diagnostics"][-1][1].status[0].values}
                node_view = {k: float(values[k]) for k in ("inference_median_ms", "inference_p99_ms",
                                                          "stamp_to_cmd_median_ms", "stamp_to_cmd_p99_ms")}
    finally:
        codes = [p.stop() for p in procs]
    if latencies.size == 0:
        raise RuntimeError(f"no command matched an image stamp in {window_s} s (bridge log {bridge.log_path}, "
                           f"policy log {policy.log_path})")
    shutil.rmtree(work, ignore_errors=True)  # kept (logs, model) only when the run failed
    cpu_pct = 100.0 * (cpu1 - cpu0) / (wall1 - wall0)
    details = {"model": source, "window_s": window_s, "camera_hz_measured": round(image_hz, 2),
               "commands_matched": int(latencies.size), "images": len(image_stamps),
               "max_ms": float(latencies.max()), "nodes_alive_until_stop": alive, "exit_codes": codes,
               "node_diagnostics": node_view}
    median, p99 = float(np.median(latencies)), float(np.percentile(latencies, 99))
    return [
        BenchResult("ros", "image->cmd_vel latency median (SIL)", median, "ms", "", None, details),
        BenchResult("ros", "image->cmd_vel latency p99 (SIL)", p99, "ms", f"<= {LATENCY_P99_MS}",
                    check(p99, "<=", LATENCY_P99_MS), details),
        BenchResult("ros", f"policy node CPU at {CAMERA_HZ:g} Hz", cpu_pct, "% core", f"<= {CPU_PERCENT}",
                    check(cpu_pct, "<=", CPU_PERCENT), details),
    ]


def _ns(stamp: object) -> int:
    return int(stamp.sec) * 1_000_000_000 + int(stamp.nanosec)  # type: ignore[attr-defined]


BENCHMARKS = {"ros": bench_ros}
