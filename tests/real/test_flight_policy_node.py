"""``flight_policy`` as a real process over Fast DDS: start-up errors, enable/e-stop, clamps,
parameters, watchdog, debug outputs, and a fuzz of malformed images.

Each test starts the console script with ``--ros-args`` and talks to it from a probe node in
its own rclpy.Context; every wait is a condition with a deadline.
"""
from __future__ import annotations

import hashlib
import json
import math
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import Twist, TwistStamped
from rcl_interfaces.msg import Parameter as ParameterMsg
from rcl_interfaces.msg import ParameterType, ParameterValue
from rcl_interfaces.srv import SetParameters
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import Image
from std_msgs.msg import Bool
from std_srvs.srv import SetBool

from greenroom.real.common.procs import Probe
from greenroom.real.flight.sil import start_policy

pytestmark = [pytest.mark.ros]

DISCOVERY_S = 15.0
LIMITS = {"max_forward_speed": 0.4, "max_vertical_speed": 0.2, "max_yaw_rate": 0.3}


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory, flight_export) -> Path:
    """An exported smoke-preset policy (32 px, 3x3 grid), untrained weights."""
    return flight_export(tmp_path_factory.mktemp("flight-model"), "smoke")


def _image(probe: Probe, height: int = 48, width: int = 64, encoding: str = "bgr8", stamp_offset_s: float = 0.0,
           seed: int = 0) -> Image:
    channels = {"bgr8": 3, "rgb8": 3, "mono8": 1}[encoding]
    msg = Image(height=height, width=width, encoding=encoding, step=width * channels)
    stamp = probe.node.get_clock().now().nanoseconds + int(stamp_offset_s * 1e9)
    msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(stamp, 1_000_000_000)
    msg.data = np.random.default_rng(seed).integers(0, 256, height * width * channels, dtype=np.uint8).tobytes()
    return msg


def _twist(msg: Twist | TwistStamped) -> np.ndarray:
    t = msg.twist if isinstance(msg, TwistStamped) else msg
    return np.array([t.linear.x, t.linear.y, t.linear.z, t.angular.z])


def _is_safe(twist: np.ndarray, limits: dict[str, float]) -> bool:
    return bool(np.all(np.isfinite(twist))
                and math.hypot(twist[0], twist[1]) <= limits["max_forward_speed"] + 1e-6
                and abs(twist[2]) <= limits["max_vertical_speed"] + 1e-6
                and abs(twist[3]) <= limits["max_yaw_rate"] + 1e-6)


def _connect(probe: Probe, proc, stamped: bool = False):
    probe.subscribe(TwistStamped if stamped else Twist, "cmd_vel")
    image_pub = probe.publisher(Image, "image", qos_profile_sensor_data)
    probe.spin_until(lambda: image_pub.get_subscription_count() > 0
                     and probe.node.count_publishers("cmd_vel") > 0, DISCOVERY_S, "policy node", alive=[proc])
    return image_pub


def _feed_until(probe: Probe, pub, condition, timeout: float, proc, **image_kwargs) -> None:
    """Publish camera frames at ~50 Hz until ``condition()``."""
    deadline = time.monotonic() + timeout
    i = 0
    while not condition():
        assert proc.poll() is None, proc.output()
        assert time.monotonic() < deadline, "timed out feeding images"
        pub.publish(_image(probe, seed=i, **image_kwargs))
        probe.spin_for(0.02)
        i += 1


# ---------------------------------------------------------------------------------- start-up
def _corrupt_cases(model: Path, tmp: Path, other: Path) -> dict[str, tuple[dict, str]]:
    """name -> (node parameters, expected error text)."""
    contract = json.loads(model.with_suffix(".contract.json").read_text())
    cases: dict[str, tuple[dict, str]] = {}
    cases["missing model"] = ({"model_path": str(tmp / "nope.onnx")}, "does not exist")
    garbage = tmp / "garbage.onnx"
    garbage.write_bytes(b"this is not onnx")
    corrupt_contract = dict(contract, model_sha256=hashlib.sha256(b"this is not onnx").hexdigest())
    (tmp / "garbage.contract.json").write_text(json.dumps(corrupt_contract))
    cases["corrupt model"] = ({"model_path": str(garbage)}, "not a valid ONNX model")
    edited = tmp / "edited.onnx"
    edited.write_bytes(model.read_bytes() + b"\0")
    shutil.copy(model.with_suffix(".contract.json"), tmp / "edited.contract.json")
    cases["model changed after export"] = ({"model_path": str(edited)}, "sha256")
    bad_json = tmp / "bad.contract.json"
    bad_json.write_text("{ not json")
    cases["corrupt contract"] = ({"model_path": str(model), "contract_path": str(bad_json)}, "not readable JSON")
    cases["missing contract"] = ({"model_path": str(model), "contract_path": str(tmp / "none.json")},
                                 "does not exist")
    cases["contract of another model"] = ({"model_path": str(model),
                                           "contract_path": str(other.with_suffix(".contract.json"))}, "sha256")
    wrong_size = dict(contract, spec=dict(contract["spec"], image_height=48, image_width=48))
    (tmp / "size.contract.json").write_text(json.dumps(wrong_size))
    cases["contract with wrong image size"] = ({"model_path": str(model),
                                                "contract_path": str(tmp / "size.contract.json")}, "wrong image size")
    wrong_task = dict(contract, task="pushgrasp")
    (tmp / "task.contract.json").write_text(json.dumps(wrong_task))
    cases["contract for another task"] = ({"model_path": str(model), "contract_path": str(tmp / "task.contract.json")},
                                          "not 'flight'")
    cases["negative rate"] = ({"model_path": str(model), "control_rate_hz": -1.0}, "control_rate_hz")
    cases["yaw limit out of range"] = ({"model_path": str(model), "max_yaw_rate": 100.0}, "max_yaw_rate")
    cases["empty model path"] = ({"model_path": ""}, "model_path must not be empty")
    cases["string for a float"] = ({"model_path": str(model), "watchdog_timeout_s": "soon"}, "watchdog_timeout_s")
    return cases


@pytest.mark.slow
def test_bad_model_contract_or_parameter_exits_nonzero_and_publishes_nothing(
        model: Path, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, ros_domain: int, flight_export) -> None:
    other = flight_export(tmp_path_factory.mktemp("other-model"), "smoke", ["env.image_size=48"], seed=1)
    cases = _corrupt_cases(model, tmp_path, other)
    with Probe() as probe:
        for topic, kind in (("cmd_vel", Twist), ("/diagnostics", DiagnosticArray), ("flight_policy/values", Image)):
            probe.subscribe(kind, topic)
        procs = {name: start_policy(params.pop("model_path"), log_dir=tmp_path / "logs", enable_on_start=True,
                                    **params) for name, (params, _) in cases.items()}
        publishers_seen = []

        def all_exited() -> bool:
            publishers_seen.append(probe.node.count_publishers("cmd_vel"))
            return all(p.poll() is not None for p in procs.values())

        try:
            probe.spin_until(all_exited, 60, "every misconfigured node to exit")
        except TimeoutError:  # name the cases still running, with their logs
            alive = {name: p.output()[-1500:] for name, p in procs.items() if p.poll() is None}
            raise TimeoutError(f"still running after 60 s: {list(alive)}\n"
                               + "\n".join(f"--- {name}\n{out}" for name, out in alive.items())) from None
        finally:
            for p in procs.values():
                p.stop()
        for name, proc in procs.items():
            out = proc.output()
            assert proc.process.returncode == 1, f"{name}: exit {proc.process.returncode}\n{out}"
            assert "flight_policy: error:" in out and cases[name][1] in out, f"{name}: unclear error\n{out}"
            assert "Traceback" not in out, f"{name}: crashed instead of a clear error\n{out}"
        assert max(publishers_seen) == 0 and all(not msgs for msgs in probe.recv.values())


def test_policy_node_imports_no_torch_or_simulator(model: Path, ros_domain: int) -> None:
    """A fresh interpreter builds the node, runs the policy once, and has loaded no torch/simulator."""
    code = (
        "import sys, numpy as np, rclpy\n"
        "from greenroom.real.flight.policy_node import FlightPolicyNode\n"
        f"rclpy.init(args=['flight_policy', '--ros-args', '-p', 'model_path:={model}'])\n"
        "node = FlightPolicyNode()\n"
        "node.policy.act(np.zeros(node.policy.image_shape, np.uint8))\n"
        "bad = [m for m in ('torch', 'mujoco', 'pybullet') if m in sys.modules]\n"
        "node.destroy_node(); rclpy.shutdown()\n"
        "assert not bad, f'the policy node imported {bad}'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def _startup_log(model: Path, *params: str) -> str:
    """stderr of building the node in a fresh interpreter with ``model_path`` and ``params``."""
    args = ["flight_policy", "--ros-args", "-p", f"model_path:={model}", *(x for p in params for x in ("-p", p))]
    code = ("import rclpy\nfrom greenroom.real.flight.policy_node import FlightPolicyNode\n"
            f"rclpy.init(args={args!r})\nnode = FlightPolicyNode()\nnode.destroy_node(); rclpy.shutdown()\n")
    return subprocess.run([sys.executable, "-c", code], check=True, timeout=60, capture_output=True, text=True).stderr


def test_limits_that_clamp_the_policys_action_set_are_warned_at_start(model: Path, ros_domain: int) -> None:
    """A clearance policy (up to 1.5 m/s, yaw rates up to 1.5 rad/s) under tighter node limits is
    told at start-up; limits that cover it are not. The shipped policy (clearance) under the node's
    conservative default of 1 m/s is told about the speed alone."""
    from greenroom.real.common.share import shipped_policy

    tight = _startup_log(model, "max_forward_speed:=1.0", "max_yaw_rate:=1.0")
    assert "action set (clearance) commands more than the node's limits allow" in tight, tight
    assert "speed 1.50 > max_forward_speed 1.00" in tight and "|yaw rate| 1.50 > max_yaw_rate 1.00" in tight, tight
    assert "commands more than" not in _startup_log(model, "max_forward_speed:=1.5", "max_vertical_speed:=1.5")
    shipped = _startup_log(shipped_policy("flight"))
    assert "speed 1.50 > max_forward_speed 1.00" in shipped and "yaw rate" not in shipped.split("clamped")[0], shipped
    assert "commands more than" not in _startup_log(shipped_policy("flight"), "max_forward_speed:=1.5")


# ---------------------------------------------------------------------------------- behaviour
@pytest.mark.slow
def test_enable_estop_clamps_and_parameters(model: Path, tmp_path: Path, ros_domain: int) -> None:
    proc = start_policy(model, log_dir=tmp_path, control_rate_hz=20.0, **LIMITS)
    try:
        with Probe() as probe:
            pub = _connect(probe, proc)
            estop = probe.publisher(Bool, "estop")
            enable = probe.node.create_client(SetBool, "flight_policy/enable")
            set_params = probe.node.create_client(SetParameters, "flight_policy/set_parameters")
            cmds = probe.recv["cmd_vel"]

            # Disabled at start: images give only zero commands.
            _feed_until(probe, pub, lambda: len(cmds) >= 5, 10, proc)
            assert all(not _twist(m).any() for _, m in cmds)

            def call(client, request):
                assert client.wait_for_service(timeout_sec=DISCOVERY_S)
                future = client.call_async(request)
                probe.spin_until(future.done, 10, "service reply", alive=[proc])
                return future.result()

            assert call(enable, SetBool.Request(data=True)).success
            start = len(cmds)
            _feed_until(probe, pub, lambda: any(_twist(m).any() for _, m in cmds[start:]), 10, proc)
            assert all(_is_safe(_twist(m), LIMITS) for _, m in cmds)
            # The untrained policy's Twists exceed these limits: the node must clamp them.
            assert max(math.hypot(*_twist(m)[:2]) for _, m in cmds) == pytest.approx(LIMITS["max_forward_speed"],
                                                                                     abs=1e-5)

            # E-stop: zero at once, enable refused until released.
            estop.publish(Bool(data=True))
            probe.spin_until(lambda: not _twist(cmds[-1][1]).any(), 5, "zero after e-stop", alive=[proc])
            mark = len(cmds)
            _feed_until(probe, pub, lambda: len(cmds) >= mark + 5, 10, proc)
            assert all(not _twist(m).any() for _, m in cmds[mark:])
            reply = call(enable, SetBool.Request(data=True))
            assert not reply.success and "e-stop" in reply.message
            estop.publish(Bool(data=False))
            probe.spin_until(lambda: call(enable, SetBool.Request(data=True)).success, 10, "enable after release")

            # Runtime parameters: a bad value is refused with a reason, a good one applies at once.
            def param(name: str, value: float) -> ParameterMsg:
                return ParameterMsg(name=name, value=ParameterValue(type=ParameterType.PARAMETER_DOUBLE,
                                                                    double_value=value))

            result = call(set_params, SetParameters.Request(parameters=[param("max_forward_speed", -1.0)])).results[0]
            assert not result.successful and "max_forward_speed" in result.reason
            result = call(set_params, SetParameters.Request(parameters=[param("max_forward_speed", 0.1)])).results[0]
            assert result.successful
            mark = len(cmds)
            _feed_until(probe, pub, lambda: sum(_twist(m).any() for _, m in cmds[mark:]) >= 3, 10, proc)
            moving = [_twist(m) for _, m in cmds[mark:] if _twist(m).any()]
            assert max(math.hypot(t[0], t[1]) for t in moving) == pytest.approx(0.1, abs=1e-5)
    finally:
        assert proc.stop() == 0, proc.output()


@pytest.mark.slow
def test_watchdog_zero_within_two_control_periods(model: Path, tmp_path: Path, ros_domain: int) -> None:
    """Camera stops -> a zero Twist within two control periods, then one every period; resumes.

    Timed with TwistStamped: the node stamps its zero commands with its clock at publication,
    the probe stamps the images with the same host clock.
    """
    rate = 10.0
    proc = start_policy(model, log_dir=tmp_path, control_rate_hz=rate, watchdog_timeout_s=1.0 / rate,
                        enable_on_start=True, use_stamped=True)

    def stamp_ns(msg: Image | TwistStamped) -> int:
        return msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec

    try:
        with Probe() as probe:
            pub = _connect(probe, proc, stamped=True)
            cmds = probe.recv["cmd_vel"]
            _feed_until(probe, pub, lambda: len(cmds) >= 10 and _twist(cmds[-1][1]).any(), 10, proc)
            last = _image(probe, seed=99)  # the last frame before the camera stops
            pub.publish(last)
            probe.spin_until(lambda: stamp_ns(cmds[-1][1]) == stamp_ns(last), 5, "answer to the last frame",
                             alive=[proc])
            probe.spin_until(lambda: not _twist(cmds[-1][1]).any(), 5, "zero velocity", alive=[proc])
            zeros = [stamp_ns(m) for _, m in cmds if stamp_ns(m) > stamp_ns(last) and not _twist(m).any()]
            assert (zeros[0] - stamp_ns(last)) / 1e9 <= 2.0 / rate
            probe.spin_until(lambda: len([m for _, m in cmds if stamp_ns(m) > stamp_ns(last)]) >= 6, 5,
                             "zero commands every period", alive=[proc])
            after = [m for _, m in cmds if stamp_ns(m) > stamp_ns(last)]
            assert not any(_twist(m).any() for m in after)
            periods = np.diff([stamp_ns(m) for m in after]) / 1e9
            assert np.median(periods) == pytest.approx(1.0 / rate, abs=0.02)
            _feed_until(probe, pub, lambda: _twist(cmds[-1][1]).any(), 5, proc)
    finally:
        assert proc.stop() == 0, proc.output()


@pytest.mark.slow
def test_stamped_output_values_image_and_diagnostics(model: Path, tmp_path: Path, ros_domain: int) -> None:
    proc = start_policy(model, log_dir=tmp_path, use_stamped=True, frame_id="fc_body", enable_on_start=True)
    sha = json.loads(model.with_suffix(".contract.json").read_text())["model_sha256"]
    try:
        with Probe() as probe:
            probe.subscribe(Image, "flight_policy/values")
            probe.subscribe(DiagnosticArray, "/diagnostics")
            pub = _connect(probe, proc, stamped=True)
            probe.spin_until(lambda: probe.node.count_publishers("flight_policy/values") > 0, DISCOVERY_S,
                             "values topic")
            stamps: set[tuple[int, int]] = set()

            def feed_and_record() -> bool:
                return bool(probe.recv["flight_policy/values"]) and any(
                    (m.header.stamp.sec, m.header.stamp.nanosec) in stamps for _, m in probe.recv["cmd_vel"])

            deadline = time.monotonic() + 15
            while not feed_and_record() or not probe.recv["/diagnostics"]:
                assert time.monotonic() < deadline and proc.poll() is None, proc.output()
                image = _image(probe, encoding="mono8", height=20, width=30)
                stamps.add((image.header.stamp.sec, image.header.stamp.nanosec))
                pub.publish(image)
                probe.spin_for(0.03)
            moving = [m for _, m in probe.recv["cmd_vel"] if (m.header.stamp.sec, m.header.stamp.nanosec) in stamps]
            assert all(m.header.frame_id == "fc_body" for m in moving)
            values = probe.recv["flight_policy/values"][-1][1]
            assert (values.encoding, values.height, values.width) == ("rgb8", 3 * 24, 3 * 24)
            status = probe.recv["/diagnostics"][-1][1].status[0]
            kv = {v.key: v.value for v in status.values}
            assert kv["model_sha256"] == sha and kv["state"] in ("active", "stale")
            assert {"image_rate_hz", "inference_median_ms", "stamp_to_cmd_p99_ms", "cmd_rate_hz"} <= set(kv)
    finally:
        assert proc.stop() == 0, proc.output()


# ---------------------------------------------------------------------------------- fuzz
def _malformed(probe: Probe, i: int, rng: np.random.Generator) -> Image:
    kind = i % 7
    if kind == 0:  # wrong encoding (incl. 16-bit, Bayer, alpha, odd case)
        enc = ["rgba8", "16UC1", "bayer_rggb8", "RGB8", "yuv422", "", "8UC3"][rng.integers(7)]
        msg = Image(height=8, width=8, encoding=enc, step=8 * 3)
        msg.data = rng.integers(0, 256, 8 * 8 * 3, dtype=np.uint8).tobytes()
    elif kind == 1:  # NaN float images
        msg = Image(height=8, width=8, encoding=["32FC1", "32FC3", "64FC1"][rng.integers(3)], step=8 * 12)
        msg.data = np.full(8 * 8 * 3, np.nan, np.float32).tobytes()
    elif kind == 2:  # step shorter than a row
        w = int(rng.integers(1, 40))
        msg = Image(height=4, width=w, encoding="rgb8", step=int(rng.integers(0, 3 * w)))
        msg.data = bytes(4 * msg.step)
    elif kind == 3:  # truncated data
        w, h = int(rng.integers(1, 64)), int(rng.integers(1, 64))
        msg = Image(height=h, width=w, encoding="bgr8", step=3 * w)
        msg.data = bytes(int(rng.integers(0, 3 * w * h)))
    elif kind == 4:  # zero size
        msg = Image(height=int(rng.integers(0, 2)) * 0, width=int(rng.integers(0, 10)), encoding="mono8", step=0)
    elif kind == 5:  # absurd header with tiny data
        msg = Image(height=2**31, width=2**31, encoding="rgb8", step=3 * 2**31)
        msg.data = bytes(16)
    else:  # valid pixels, stamp older than the previous frame (out of order)
        msg = _image(probe, height=8, width=8, encoding="rgb8", stamp_offset_s=-5.0)
        return msg
    stamp = probe.node.get_clock().now().nanoseconds
    msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(stamp, 1_000_000_000)
    return msg


@pytest.mark.slow
def test_fuzz_malformed_images_only_safe_commands(model: Path, tmp_path: Path, ros_domain: int) -> None:
    """1,050 malformed images interleaved with valid ones: the node stays up, every command is safe."""
    proc = start_policy(model, log_dir=tmp_path, enable_on_start=True, control_rate_hz=1.0,
                        watchdog_timeout_s=2.0, **LIMITS)
    rng = np.random.default_rng(0)
    try:
        with Probe() as probe:
            probe.subscribe(DiagnosticArray, "/diagnostics")
            pub = _connect(probe, proc)
            cmds = probe.recv["cmd_vel"]

            def publish_until_answered(msg: Image) -> None:
                """Best-effort transport: re-send a frame the node did not answer within 1 s."""
                for _ in range(5):
                    count = len(cmds)
                    pub.publish(msg)
                    try:
                        probe.spin_until(lambda: len(cmds) > count, 1.0, "a command", alive=[proc])
                        return
                    except TimeoutError:
                        continue
                raise TimeoutError("the node answered none of 5 copies of a frame")

            for i in range(1050):
                if i % 7 == 6 or i % 50 == 0:  # a valid frame: the next out-of-order frame is older
                    publish_until_answered(_image(probe, seed=i))
                publish_until_answered(_malformed(probe, i, rng))
            assert proc.poll() is None
            assert all(_is_safe(_twist(m), LIMITS) for _, m in cmds)
            assert any(_twist(m).any() for _, m in cmds)  # valid frames still fly
            probe.recv["/diagnostics"].clear()
            probe.spin_until(lambda: bool(probe.recv["/diagnostics"]), 5, "diagnostics", alive=[proc])
            kv = {v.key: v.value for v in probe.recv["/diagnostics"][-1][1].status[0].values}
            assert int(kv["images_rejected"]) >= 1000, kv
    finally:
        assert proc.stop() == 0, proc.output()
    log = proc.output()
    assert "Traceback" not in log
    assert log.count("dropped image") < 50  # warnings are throttled


# ---------------------------------------------------------------------------------- robot launch
@pytest.mark.slow
def test_robot_launch_file_with_mavros_remaps(model: Path, tmp_path: Path, ros_domain: int) -> None:
    """launch/flight.launch.yaml through ``greenroom launch`` with the README's MAVROS remaps:
    camera in on /camera/image_raw, clamped Twists out on MAVROS's unstamped setpoint topic
    (an integer launch value for a float limit is accepted)."""
    repo = Path(__file__).resolve().parents[2]
    mavros = "/mavros/setpoint_velocity/cmd_vel_unstamped"
    log = (tmp_path / "launch.log").open("wb")
    launch = subprocess.Popen(
        [sys.executable, "-m", "greenroom.cli", "launch", str(repo / "launch" / "flight.launch.yaml"),
         f"model:={model}", "image_topic:=/camera/image_raw", f"cmd_vel_topic:={mavros}",
         "enable_on_start:=true", "max_forward_speed:=0.3", "max_yaw_rate:=1"],
        stdout=log, stderr=subprocess.STDOUT, cwd=repo)
    try:
        with Probe() as probe:
            probe.subscribe(Twist, mavros)
            pub = probe.publisher(Image, "/camera/image_raw", qos_profile_sensor_data)
            deadline = time.monotonic() + DISCOVERY_S + 10
            i = 0
            while not any(_twist(m).any() for _, m in probe.recv[mavros]):
                assert launch.poll() is None, (tmp_path / "launch.log").read_text()[-3000:]
                assert time.monotonic() < deadline, "no command on the MAVROS topic"
                pub.publish(_image(probe, seed=i))
                probe.spin_for(0.05)
                i += 1
            limits = {"max_forward_speed": 0.3, "max_vertical_speed": 0.5, "max_yaw_rate": 1.0}
            assert all(_is_safe(_twist(m), limits) for _, m in probe.recv[mavros])
    finally:
        launch.send_signal(signal.SIGINT)
        code = launch.wait(timeout=30)
        log.close()
    assert code == 0, (tmp_path / "launch.log").read_text()[-3000:]
