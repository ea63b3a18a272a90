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

The model is the newest ``greenroom export`` under ``runs/flight`` when there is one, else the
shipped ``assets/policies/flight/policy.onnx`` (latency and CPU do not depend on the weights);
``details`` says which.

``camera`` rows: camera-size frames (640x480 and 1280x720; rgb8 / bgr8) from a separate publisher
process (:mod:`..common.camera_publisher`) at 30 Hz, best effort (``qos_profile_sensor_data``, as
most camera drivers) and reliable (as image_transport), to ``flight_policy`` (``image_qos`` auto,
TwistStamped answering each frame with its stamp). Per case: % of frames acted on (a command
carries the frame's stamp) and image -> cmd_vel latency (the probe's receive time of that
command minus the stamp) median/p99. ``configured`` cases run the publisher with
``launch/fastdds_large_images.xml`` (what the README tells a camera driver to use); the
``unconfigured`` ones leave the publisher at Fast DDS defaults, i.e. only our side is
configured. The p99 target (<= 5 ms) applies to 640x480.

``allocator`` rows: why every node keeps freed memory (:mod:`..common.allocator`): the
640x480 rgb8 best-effort configured case against ``flight_policy`` started with glibc's default
allocator and with the tuned one, alternately, a fresh node per round (glibc's default behaviour
is decided per process). Per mode: the median and p99 over all rounds' frames (a fresh node's
first frames included), each round's figures in ``details``; ratio = default / tuned median.
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
from ..common.camera_publisher import collect_report
from ..launch import bench as launch_bench  # the same latency under ros2 launch / greenroom launch

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
    from .sil import default_model, start_bridge, start_policy

    # This benchmark's DDS stays on loopback, in its own domain unless one was chosen.
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    os.environ.setdefault("ROS_DOMAIN_ID", str(random.randint(1, 100)))
    window_s = 4.0 if quick else 30.0
    work = Path(tempfile.mkdtemp(prefix="greenroom-bench-ros-"))
    model, source = default_model()
    procs = [
        start_bridge(work, overrides=[f"control_hz={CAMERA_HZ}", "physics_hz=240"], seed=0),
        start_policy(model, work, use_stamped=True, enable_on_start=True, control_rate_hz=CAMERA_HZ,
                     watchdog_timeout_s=0.5),
    ]
    bridge, policy = procs
    try:
        with Probe("bench_probe", fast=True) as probe:
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


CAMERA_CASES = (  # (width, height, encoding, publisher QoS, publisher configured with the XML profile)
    (640, 480, "rgb8", "best_effort", True), (640, 480, "bgr8", "reliable", True),
    (1280, 720, "bgr8", "best_effort", True), (1280, 720, "rgb8", "reliable", True),
    (640, 480, "rgb8", "best_effort", False), (640, 480, "rgb8", "reliable", False),
    (1280, 720, "rgb8", "best_effort", False), (1280, 720, "rgb8", "reliable", False),
)
ACTED_PERCENT = 95.0


def large_images_profile() -> Path:
    from ..common.share import share_file

    return share_file("launch/fastdds_large_images.xml")


def camera_case(probe: object, width: int, height: int, encoding: str, qos: str, configured: bool,
                frames: int = 90, alive: tuple = ()) -> dict:
    """Publish ``frames`` camera frames from a separate process to a running ``flight_policy``
    (``use_stamped``) and match its commands (``probe.recv["cmd_vel"]``) to them by stamp."""
    import subprocess
    import sys

    env = dict(os.environ)
    env.pop("FASTDDS_DEFAULT_PROFILES_FILE", None)
    if configured:
        env["FASTDDS_DEFAULT_PROFILES_FILE"] = str(large_images_profile())
    command = [sys.executable, "-m", "greenroom.real.common.camera_publisher", "--width", str(width),
               "--height", str(height), "--encoding", encoding, "--qos", qos, "--frames", str(frames),
               "--rate", str(CAMERA_HZ)] + (["--wait-reliable"] if qos == "reliable" else [])
    probe.recv["cmd_vel"].clear()  # type: ignore[attr-defined]
    publisher = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        probe.spin_until(lambda: publisher.poll() is not None, 60.0, "the camera publisher to finish",  # type: ignore[attr-defined]
                         alive=alive)
    finally:
        if publisher.poll() is None:
            publisher.kill()
    report = collect_report(publisher, f"camera publisher {width}x{height} {qos}")
    stamps = set(report["stamps"])
    answers = {}
    for received, msg in probe.recv["cmd_vel"]:  # type: ignore[attr-defined]
        stamp = _ns(msg.header.stamp)
        if stamp in stamps and stamp not in answers:
            answers[stamp] = (received - stamp) / 1e6
    latencies = np.array(sorted(answers.values())) if answers else np.array([np.nan])
    return {"load_average_1min": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
            "size": f"{width}x{height}", "encoding": encoding, "publisher_qos": qos,
            "publisher": "configured" if configured else "unconfigured", "frames": len(stamps),
            "acted": len(answers), "acted_percent": 100.0 * len(answers) / max(1, len(stamps)),
            "median_ms": float(np.median(latencies)), "p99_ms": float(np.percentile(latencies, 99)),
            "max_ms": float(np.max(latencies)), "publish_ms": report["publish_ms"],
            "latencies_ms": latencies.tolist()}


def start_camera_node(work: Path, model: Path, env: dict[str, str] | None = None) -> object:
    """``flight_policy`` as the camera benches run it (TwistStamped answers, enabled, 30 Hz);
    ``env``: extra environment of the node process."""
    from .sil import start_policy

    return start_policy(model, work, env=env, use_stamped=True, enable_on_start=True, control_rate_hz=CAMERA_HZ,
                        watchdog_timeout_s=0.5, image_qos="auto")


def conversion_rows(target_hw: tuple[int, int], repeats: int) -> list[BenchResult]:
    """Frame -> contract image (``to_rgb_contract``: whole-factor block average, then INTER_AREA)
    against one ``cv2.resize(INTER_AREA)`` step, side by side, median ms per frame."""
    import cv2

    from ...policies.common.bench import median_time
    from ...policies.runtime.image import to_rgb_contract

    rows = []
    rng = np.random.default_rng(0)
    for width, height in ((640, 480), (1280, 720), (1920, 1080)):
        frame = cv2.GaussianBlur(rng.integers(0, 256, (height, width, 3), dtype=np.uint8), (0, 0), 3)
        data = frame.tobytes()
        ours = median_time(lambda: to_rgb_contract(data, "rgb8", width, height, width * 3, target_hw), repeats) * 1e3
        one = median_time(lambda: cv2.resize(frame, target_hw[::-1], interpolation=cv2.INTER_AREA), repeats) * 1e3
        diff = np.abs(to_rgb_contract(data, "rgb8", width, height, width * 3, target_hw).astype(int)
                      - cv2.resize(frame, target_hw[::-1], interpolation=cv2.INTER_AREA).astype(int))
        details = {"size": f"{width}x{height}", "target": f"{target_hw[1]}x{target_hw[0]}", "repeats": repeats,
                   "one_step_ms": one, "max_abs_diff_vs_one_step": int(diff.max()),
                   "load_average_1min": round(os.getloadavg()[0], 2)}
        rows.append(BenchResult("camera", f"convert {width}x{height} rgb8 -> contract image", ours, "ms", "", None,
                                details))
        rows.append(BenchResult("camera", f"convert {width}x{height}: one INTER_AREA / ours", one / ours, "x", "",
                                None, details))
    return rows


def bench_camera(quick: bool) -> list[BenchResult]:
    """Camera-size frames to the policy node: % acted on and image -> cmd_vel latency per case."""
    from geometry_msgs.msg import TwistStamped

    from ..common.procs import Probe
    from .sil import default_model

    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    os.environ.setdefault("ROS_DOMAIN_ID", str(random.randint(1, 100)))
    work = Path(tempfile.mkdtemp(prefix="greenroom-bench-camera-"))
    model, source = default_model()
    from ...policies.runtime.contract import load_contract_for

    spec = load_contract_for(model).spec
    results = conversion_rows((int(spec["image_height"]), int(spec["image_width"])), 50 if quick else 200)
    node = start_camera_node(work, model)
    try:
        with Probe("camera_bench", fast=True) as probe:
            probe.subscribe(TwistStamped, "cmd_vel", 100)
            probe.spin_until(lambda: probe.node.count_publishers("cmd_vel") > 0, 30, "flight_policy", alive=[node])
            for width, height, encoding, qos, configured in CAMERA_CASES:
                case = camera_case(probe, width, height, encoding, qos, configured, 90 if quick else 300, (node,))
                case["model"] = source
                del case["latencies_ms"]
                label = f"{case['size']} {encoding} {qos} pub ({case['publisher']})"
                acted_target = f">= {ACTED_PERCENT:g}" if configured or qos == "reliable" else ""
                results.append(BenchResult("camera", f"{label}: frames acted on", case["acted_percent"], "%",
                                           acted_target, check(case["acted_percent"], ">=", ACTED_PERCENT)
                                           if acted_target else None, case))
                p99_target = f"<= {LATENCY_P99_MS}" if configured and width == 640 else ""
                results.append(BenchResult("camera", f"{label}: image->cmd_vel median", case["median_ms"], "ms",
                                           "", None, case))
                results.append(BenchResult("camera", f"{label}: image->cmd_vel p99", case["p99_ms"], "ms", p99_target,
                                           check(case["p99_ms"], "<=", LATENCY_P99_MS) if p99_target else None, case))
    finally:
        code = node.stop()
    for r in results:
        r.details["node_exit_code"] = code
    shutil.rmtree(work, ignore_errors=True)
    return results


UDP_ONLY_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<dds xmlns="http://www.eprosima.com"><profiles>
  <transport_descriptors><transport_descriptor><transport_id>udp_big</transport_id><type>UDPv4</type>
    <sendBufferSize>4194304</sendBufferSize><receiveBufferSize>4194304</receiveBufferSize>
  </transport_descriptor></transport_descriptors>
  <participant profile_name="udp_only" is_default_profile="true"><rtps>
    <userTransports><transport_id>udp_big</transport_id></userTransports>
    <useBuiltinTransports>false</useBuiltinTransports></rtps></participant>
</profiles></dds>
"""


def bench_transport(quick: bool) -> list[BenchResult]:
    """Why best-effort camera frames are lost: 640x480 rgb8 at 30 Hz between two plain processes
    (no policy node), each with its own Fast DDS configuration; % of frames a keep-last-1
    subscriber receives. Subscriber-side settings tried: defaults, the large-segment profile,
    UDP only with 4 MB socket buffers, ``LARGE_DATA`` builtin transports with 2 MB messages;
    publisher side: defaults or the large-segment profile."""
    import json
    import subprocess
    import sys

    work = Path(tempfile.mkdtemp(prefix="greenroom-bench-transport-"))
    udp = work / "udp_only.xml"
    udp.write_text(UDP_ONLY_PROFILE)
    profile = str(large_images_profile())
    configs = {"defaults": {}, "large-segment profile": {"FASTDDS_DEFAULT_PROFILES_FILE": profile},
               "UDP only, 4 MB buffers": {"FASTDDS_DEFAULT_PROFILES_FILE": str(udp)},
               "LARGE_DATA 2 MB": {"FASTDDS_BUILTIN_TRANSPORTS": "LARGE_DATA?max_msg_size=2MB&sockets_size=4MB"}}
    cases = [(pub_qos, "best_effort", "defaults", sub_cfg) for pub_qos in ("best_effort", "reliable")
             for sub_cfg in configs]
    cases += [("reliable", "reliable", "defaults", "defaults"),
              ("best_effort", "best_effort", "large-segment profile", "defaults"),
              ("reliable", "best_effort", "large-segment profile", "defaults")]
    frames = 90
    base = {k: v for k, v in os.environ.items() if k not in ("FASTDDS_DEFAULT_PROFILES_FILE", "FASTDDS_BUILTIN_TRANSPORTS")}
    results = []
    for pub_qos, sub_qos, pub_cfg, sub_cfg in cases:
        module = [sys.executable, "-m", "greenroom.real.common.camera_publisher", "--width", "640", "--height", "480",
                  "--frames", str(frames)]
        listener = subprocess.Popen(module + ["--qos", sub_qos, "--listen", "40"], stdout=subprocess.PIPE, text=True,
                                    stderr=subprocess.DEVNULL, env={**base, **configs[sub_cfg]})
        assert listener.stdout is not None
        listener.stdout.readline()  # {"listening": true}: subscribed
        publisher = subprocess.run(module + ["--qos", pub_qos], capture_output=True, text=True, timeout=120,
                                   env={**base, **configs[pub_cfg]})
        out, _ = listener.communicate(timeout=60)
        got = json.loads([line for line in out.splitlines() if line.startswith("{")][-1])
        sent = len(json.loads(publisher.stdout.strip().splitlines()[-1]).get("stamps", [])) if publisher.stdout else 0
        details = {"publisher_qos": pub_qos, "subscriber_qos": sub_qos, "publisher_dds": pub_cfg,
                   "subscriber_dds": sub_cfg, "sent": sent, **got, "load_average_1min": round(os.getloadavg()[0], 2)}
        pct = 100.0 * got["received"] / max(1, sent)
        results.append(BenchResult("transport", f"640x480 {pub_qos} pub [{pub_cfg}] -> {sub_qos} sub [{sub_cfg}]",
                                   pct, "% received", "", None, details))
    shutil.rmtree(work, ignore_errors=True)
    return results


def bench_allocator(quick: bool) -> list[BenchResult]:
    """640x480 image -> cmd_vel with glibc's default allocator vs the nodes' tuned one."""
    from geometry_msgs.msg import TwistStamped

    from ..common.allocator import ALLOCATOR_ENV
    from ..common.procs import Probe
    from .sil import default_model

    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    os.environ.setdefault("ROS_DOMAIN_ID", str(random.randint(1, 100)))
    work = Path(tempfile.mkdtemp(prefix="greenroom-bench-allocator-"))
    model, source = default_model()
    rounds, frames = (1, 90) if quick else (4, 150)
    runs: dict[str, list[dict]] = {"default": [], "tuned": []}
    with Probe("allocator_bench", fast=True) as probe:
        probe.subscribe(TwistStamped, "cmd_vel", 100)
        for _ in range(rounds):
            for mode, mode_runs in runs.items():
                node = start_camera_node(work, model, env={ALLOCATOR_ENV: mode})
                try:
                    probe.spin_until(lambda: probe.node.count_publishers("cmd_vel") > 0, 30, "flight_policy",
                                     alive=[node])
                    case = camera_case(probe, 640, 480, "rgb8", "best_effort", True, frames, (node,))
                finally:
                    exit_code = node.stop()
                probe.spin_until(lambda: probe.node.count_publishers("cmd_vel") == 0, 10, "the node to leave")
                mode_runs.append({**case, "node_exit_code": exit_code})
    results, medians = [], {}
    for mode, mode_runs in runs.items():
        latencies = np.concatenate([case.pop("latencies_ms") for case in mode_runs])
        medians[mode] = float(np.median(latencies))
        details = {"model": source, "rounds": rounds, "frames_per_round": frames, "runs": mode_runs,
                   "acted_percent": float(np.mean([case["acted_percent"] for case in mode_runs]))}
        for stat, value in (("median", medians[mode]), ("p99", float(np.percentile(latencies, 99)))):
            results.append(BenchResult("allocator", f"640x480 rgb8 best_effort, glibc {mode}: image->cmd_vel {stat}",
                                       value, "ms", "", None, details))
    results.append(BenchResult("allocator", "640x480 image->cmd_vel median: default / tuned allocator",
                               medians["default"] / medians["tuned"], "x", "", None, {"median_ms": medians}))
    shutil.rmtree(work, ignore_errors=True)
    return results


def _ns(stamp: object) -> int:
    return int(stamp.sec) * 1_000_000_000 + int(stamp.nanosec)  # type: ignore[attr-defined]


BENCHMARKS = {"ros": bench_ros, "camera": bench_camera, "allocator": bench_allocator, "transport": bench_transport,
              "launch": launch_bench.bench_flight_launch}
