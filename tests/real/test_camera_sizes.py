"""Camera-sized frames reach ``flight_policy`` as a robot sends them (issue 12, part 8).

One ``flight_policy`` process (started like ``ros2 run``/launch start it: console script,
``--ros-args``; ``image_qos`` auto, TwistStamped answers carrying the frame's stamp) and, per
case, a separate camera publisher process (:mod:`greenroom.real.common.camera_publisher`,
30 Hz, 90 frames). Commands are matched to frames by stamp in this process.

Acceptance (set by the issue): with the publisher configured as the README says for a camera
driver (``launch/fastdds_large_images.xml``), the node acts on >= 95 % of the frames for 640x480
and 1280x720, rgb8 and bgr8, best-effort and reliable publishers. The image -> cmd_vel latency
(target p99 <= 5 ms at 640x480) is measured by the bench, not asserted here. While other processes keep the load average above the CPU count, no frame may be
lost in transport (the node's ``image_lost``), but the share acted on (a CPU-starved node skips
frames that went stale behind it) is not judged: figures from an oversubscribed
machine say nothing about the node. With an unconfigured
publisher (only our side configured): a reliable one still
delivers every frame (the node follows it with a reliable subscription), and a best-effort one
loses most frames in Fast DDS, which the node reports as a warning naming the fix.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = [pytest.mark.ros, pytest.mark.slow]

CASES = [  # width, height, encoding, publisher QoS
    (640, 480, "rgb8", "best_effort"), (640, 480, "bgr8", "reliable"),
    (1280, 720, "bgr8", "best_effort"), (1280, 720, "rgb8", "reliable"),
]


@pytest.fixture(scope="module")
def camera_node(tmp_path_factory: pytest.TempPathFactory):
    """flight_policy (shipped model) and a probe recording its TwistStamped commands."""
    from diagnostic_msgs.msg import DiagnosticArray
    from geometry_msgs.msg import TwistStamped

    from greenroom.real.common.procs import Probe
    from greenroom.real.common.share import shipped_policy
    from greenroom.real.flight.bench import start_camera_node

    node = start_camera_node(tmp_path_factory.mktemp("camera-node"), shipped_policy("flight"))
    try:
        with Probe("camera_probe") as probe:
            probe.subscribe(TwistStamped, "cmd_vel", 100)
            probe.subscribe(DiagnosticArray, "/diagnostics", 10)
            probe.spin_until(lambda: probe.node.count_publishers("cmd_vel") > 0, 30, "flight_policy", alive=[node])
            yield node, probe
    finally:
        node.stop()


def _run(camera_node, width: int, height: int, encoding: str, qos: str, configured: bool) -> dict:
    from greenroom.real.flight.bench import camera_case

    node, probe = camera_node
    return camera_case(probe, width, height, encoding, qos, configured, frames=90, alive=(node,))


def _lost_in_transport(camera_node) -> int:
    """The node's own count of frames Fast DDS lost (``image_lost`` of its next /diagnostics)."""
    import time

    node, probe = camera_node
    after = time.time_ns()

    def latest() -> dict | None:
        for received, msg in reversed(probe.recv["/diagnostics"]):
            if received > after and msg.status and "flight policy" in msg.status[0].name:
                return {kv.key: kv.value for kv in msg.status[0].values}
        return None

    probe.spin_until(lambda: latest() is not None, 10.0, "flight_policy diagnostics", alive=[node])
    return int(latest()["image_lost"])


ATTEMPTS = 3  # runs of a throughput case before a shortfall with nothing lost in transport fails


def _oversubscribed(load_before: float) -> bool:
    return min(load_before, os.getloadavg()[0]) > (os.cpu_count() or 1)


def _case_nothing_lost(camera_node, width: int, height: int, encoding: str, qos: str,
                       configured: bool) -> tuple[dict, float]:
    """One camera case, asserting the node survived it and lost no frame in transport (its own
    ``image_lost``); returns the case and the 1-minute load average before it."""
    load_before, lost_before = os.getloadavg()[0], _lost_in_transport(camera_node)
    case = _run(camera_node, width, height, encoding, qos, configured)
    lost = _lost_in_transport(camera_node) - lost_before
    assert camera_node[0].poll() is None, camera_node[0].output()[-3000:]
    assert lost == 0, f"{lost} frames ({qos} publisher) lost in transport: {case}"
    return case, load_before


@pytest.mark.parametrize("width,height,encoding,qos", CASES, ids=[f"{w}x{h}-{e}-{q}" for w, h, e, q in CASES])
def test_configured_camera_frames_are_acted_on(camera_node, width: int, height: int, encoding: str,
                                               qos: str, record_property) -> None:
    case, load_before = _case_nothing_lost(camera_node, width, height, encoding, qos, configured=True)
    # none lost in transport: a starved node skipped stale frames
    if _oversubscribed(load_before) and case["acted_percent"] < 95.0:
        pytest.skip(f"{case['acted_percent']:.1f} % acted on, no frame lost in transport: not judged at load "
                    f"average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs from other processes")
    assert case["acted_percent"] >= 95.0, case
    # Latency is a benchmark figure (`greenroom bench flight --only camera`, target p99 <= 5 ms at
    # 640x480), not a test assertion: timings are never asserted in tests. Reported here:
    record_property("image_to_cmd_vel_ms", {"median": case["median_ms"], "p99": case["p99_ms"]})


def test_unconfigured_reliable_publisher_still_delivers(camera_node) -> None:
    """Only our side configured: the node subscribes reliably to a reliable camera (auto QoS).

    Transport is judged on every attempt: no frame may be lost. The share acted on also depends on
    the CPU (the node acts on the newest frame, so one starved for 33 ms skips the older one): a
    case below 95 % with nothing lost is run again, up to ``ATTEMPTS`` times in all, and only a
    machine oversubscribed by other processes excuses the last."""
    cases = []
    for _ in range(ATTEMPTS):
        case, load_before = _case_nothing_lost(camera_node, 640, 480, "rgb8", "reliable", configured=False)
        cases.append(case)
        if case["acted_percent"] >= 95.0:
            return
    summary = [(c["acted_percent"], c["load_average_1min"]) for c in cases]
    if _oversubscribed(load_before):
        pytest.skip(f"acted on {summary} (%, load) with no frame lost in transport: not judged on an "
                    f"oversubscribed machine ({os.cpu_count()} CPUs)")
    pytest.fail(f"a reliable publisher's frames acted on in {ATTEMPTS} attempts (%, load): {summary}; last: {cases[-1]}")


def test_unconfigured_best_effort_loss_is_reported(camera_node) -> None:
    """Only our side configured, best-effort camera: frames are lost in Fast DDS and the node says so."""
    node, probe = camera_node
    case = _run(camera_node, 640, 480, "rgb8", "best_effort", configured=False)
    if case["acted_percent"] >= 95.0:  # a Fast DDS that no longer loses these frames: nothing to report
        pytest.skip(f"Fast DDS delivered {case['acted_percent']:.0f} % of best-effort 640x480 frames unconfigured")
    probe.spin_until(lambda: "lost in transport" in node.output(), 5.0, "the node's lost-frames warning",
                     alive=[node])
    assert "fastdds_large_images.xml" in node.output(), node.output()[-3000:]


def test_profile_is_shipped_in_share() -> None:
    from greenroom.real.flight.bench import large_images_profile

    text = Path(large_images_profile()).read_text()
    assert "<segment_size>" in text and "is_default_profile=\"true\"" in text


RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results"


def _section() -> str:
    text = (RESULTS.parents[1] / "README.md").read_text()
    start = text.index("### Camera-sized images")
    return text[start:text.index("\n## ", start)] if "\n## " in text[start:] else text[start:]


def test_readme_quotes_the_committed_camera_benchmarks() -> None:
    """Every row of the README tables is the committed bench result, rounded as printed."""
    import json

    section = _section()
    flight = json.loads((RESULTS / "flight-camera.json").read_text())["results"]
    cases = {(r["details"]["size"], r["details"]["encoding"], r["details"]["publisher_qos"],
              r["details"]["publisher"]): r["details"] for r in flight
             if r["group"] == "camera" and not r["name"].startswith("convert")}
    conversion = {r["name"]: r["value"] for r in flight if r["name"].startswith("convert")}
    target = next(r["details"]["target"] for r in flight if r["name"].startswith("convert"))
    sizes = ("640x480", "1280x720", "1920x1080")
    quoted = (f"640x480 -> {target}: {conversion['convert 640x480 rgb8 -> contract image']:.2f} ms, "
              f"1280x720: {conversion['convert 1280x720 rgb8 -> contract image']:.2f} ms, "
              f"1920x1080: {conversion['convert 1920x1080 rgb8 -> contract image']:.2f} ms;\n  one `INTER_AREA` step is "
              + ", ".join(f"{conversion[f'convert {s}: one INTER_AREA / ours']:.1f}x" for s in sizes[:2])
              + f" and {conversion['convert 1920x1080: one INTER_AREA / ours']:.1f}x slower")
    assert quoted in section, f"README lacks the conversion figures {quoted!r}"
    assert len(cases) == 8
    for (size, encoding, qos, publisher), d in cases.items():
        latency = "-" if d["acted"] == 0 else f"{d['median_ms']:.1f} / {d['p99_ms']:.1f} ms"  # no frame: no latency
        row = f"| {size} {encoding} | {qos.replace('_', ' ')} | {publisher} | {d['acted_percent']:.1f} % | {latency} |"
        assert row in section, f"README lacks the row {row}"
    value = {r["name"]: r["value"] for r in flight}
    met = " ".join(f"""{value['640x480 rgb8 best_effort pub (configured): image->cmd_vel p99']:.1f} ms best effort,
{value['640x480 bgr8 reliable pub (configured): image->cmd_vel p99']:.1f} ms reliable""".split())
    assert value["640x480 rgb8 best_effort pub (configured): image->cmd_vel p99"] <= 5.0
    assert value["640x480 bgr8 reliable pub (configured): image->cmd_vel p99"] <= 5.0
    assert f"it is met: {met}" in " ".join(section.split()), "README's 640x480 p99 sentence"
    allocator = (f"median {value['640x480 rgb8 best_effort, glibc default: image->cmd_vel median']:.2f} ms with glibc's "
                 f"defaults, {value['640x480 rgb8 best_effort, glibc tuned: image->cmd_vel median']:.2f} ms tuned "
                 f"({value['640x480 image->cmd_vel median: default / tuned allocator']:.2f}x)")
    assert allocator in " ".join(section.split()), f"README lacks the allocator figures {allocator!r}"
    transport = [r["details"] for r in json.loads((RESULTS / "flight-transport.json").read_text())["results"]]
    assert len(transport) == 11
    for d in transport:
        med = "-" if d["received"] == 0 else f"{d['median_ms']:.1f} ms"
        row = (f"| {d['publisher_qos'].replace('_', ' ')} | {d['subscriber_qos'].replace('_', ' ')} | "
               f"{d['publisher_dds']} | {d['subscriber_dds']} | {d['received']}/{d['sent']} | {med} |")
        assert row in section, f"README lacks the row {row}"
    arm = [r["details"] for r in json.loads((RESULTS / "pushgrasp-arm-camera.json").read_text())["results"]
           if r["group"] == "arm_camera"]
    assert len({(d["publisher_qos"], d["publisher"]) for d in arm}) == 4
    for d in arm:
        row = (f"| 640x480 RGB-D | {d['publisher_qos'].replace('_', ' ')} | {d['publisher']} | "
               f"{d['synced_percent']:.1f} % | {d['median_ms']:.0f} / {d['p99_ms']:.0f} ms ({d['decisions']} decisions) |")
        assert row in section, f"README lacks the row {row}"
