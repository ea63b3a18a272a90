"""Node processes and an in-process probe for sim-in-the-loop tests and ROS benchmarks.

:class:`NodeProcess` starts one greenroom console script (``flight_policy``, ...) as its own
process with ``--ros-args`` (exactly how ``ros2 run``/a launch file starts it), keeps its output
in a log file, and stops it with SIGTERM -> wait -> SIGKILL (shared/docs/ros2.md, "Signals").

:class:`Probe` is an rclpy node in its own :class:`rclpy.Context` that the calling thread spins
with :meth:`Probe.spin_until` (a condition and a deadline, never a fixed sleep); subscriptions
record ``(receive time ns, message)`` pairs.

:func:`cpu_seconds` reads a process's user+system CPU time from ``/proc/<pid>/stat`` (Linux).
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.qos import QoSProfile

from .spin import make_executor


def _ros_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_ros_value(v) for v in value) + "]"
    if isinstance(value, float):
        return repr(value)
    text = str(value)
    return text if text else "''"  # an empty value must be quoted for rcl's parser


class NodeProcess:
    """One node started from its console script, e.g. ``NodeProcess("flight_policy", {"model_path": p})``.

    Args:
        script: console script name (resolved beside this interpreter, else ``python -m module``).
        params: ``{name: value}`` passed as ``-p name:=value``.
        remaps: ``{from: to}`` passed as ``-r from:=to``.
        module: fallback module run with ``python -m`` when the script is not installed.
        log_dir: folder of the output log (default: a temp dir).
        env: extra environment variables (e.g. what a launch file's ``set_env`` gives the node).
    """

    def __init__(self, script: str, params: dict[str, Any] | None = None, remaps: dict[str, str] | None = None,
                 module: str | None = None, log_dir: Path | None = None, name: str | None = None,
                 env: dict[str, str] | None = None) -> None:
        exe = Path(sys.executable).parent / script
        if exe.exists():
            command = [sys.executable, str(exe)]
        elif shutil.which(script):
            command = [shutil.which(script)]  # type: ignore[list-item]
        elif module:
            command = [sys.executable, "-m", module]
        else:
            raise FileNotFoundError(f"console script {script} is not installed (pip install -e .)")
        command.append("--ros-args")
        for key, value in (params or {}).items():
            command += ["-p", f"{key}:={_ros_value(value)}"]
        for src, dst in (remaps or {}).items():
            command += ["-r", f"{src}:={dst}"]
        if name:
            command += ["-r", f"__node:={name}"]
        self.command = command
        folder = Path(log_dir or tempfile.mkdtemp(prefix="greenroom-node-"))
        folder.mkdir(parents=True, exist_ok=True)
        fd, log_path = tempfile.mkstemp(prefix=f"{name or script}-", suffix=".log", dir=folder)
        self.log_path = Path(log_path)
        self._log = os.fdopen(fd, "wb")
        self.process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT,
                                        env=dict(os.environ, PYTHONUNBUFFERED="1", **(env or {})))
        self.pid = self.process.pid

    def poll(self) -> int | None:
        return self.process.poll()

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout=timeout)

    def output(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, wait up to ``timeout`` s, then SIGKILL; returns the exit status."""
        stop_process(self.process, timeout)
        self._log.close()
        return int(self.process.returncode)

    def __enter__(self) -> NodeProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def stop_process(process: subprocess.Popen, timeout: float = 10.0, first: int = signal.SIGTERM) -> int:
    """Send ``first`` (SIGTERM) if ``process`` still runs, wait up to ``timeout`` s, then SIGKILL; its exit status."""
    if process.poll() is None:
        process.send_signal(first)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)
    return int(process.returncode)


class Probe:
    """An rclpy node for tests/benchmarks, in its own context, spun by the caller.

    ``recv[topic]`` is a list of ``(time.time_ns() in the callback, msg)``. ``fast``: spin on the
    nodes' executor (:func:`.spin.make_executor`), for latency benchmarks where the probe's own
    dispatch time would count.
    """

    def __init__(self, name: str = "probe", args: Sequence[str] | None = None, fast: bool = False) -> None:
        self.context = rclpy.Context()
        rclpy.init(args=list(args) if args else None, context=self.context)
        self.node = Node(name, context=self.context)
        self.executor = make_executor(self.context) if fast else SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        self.recv: dict[str, list[tuple[int, Any]]] = {}

    def subscribe(self, msg_type: type, topic: str, qos: QoSProfile | int = 10,
                  callback: Callable[[Any], None] | None = None) -> None:
        self.recv.setdefault(topic, [])

        def on_msg(msg: Any) -> None:
            self.recv[topic].append((time.time_ns(), msg))
            if callback is not None:
                callback(msg)

        self.node.create_subscription(msg_type, topic, on_msg, qos)

    def publisher(self, msg_type: type, topic: str, qos: QoSProfile | int = 10) -> Any:
        return self.node.create_publisher(msg_type, topic, qos)

    def spin_until(self, condition: Callable[[], bool], timeout: float, what: str = "condition",
                   alive: Sequence[NodeProcess] = ()) -> None:
        """Spin until ``condition()`` is true; TimeoutError after ``timeout`` s or if a process dies."""
        deadline = time.monotonic() + timeout
        while not condition():
            for proc in alive:
                if proc.poll() is not None:
                    raise RuntimeError(f"{proc.command[1]} exited with {proc.poll()} while waiting for {what}:\n"
                                       f"{proc.output()[-3000:]}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {what} within {timeout} s")
            self.executor.spin_once(timeout_sec=0.01)

    def spin_for(self, seconds: float) -> None:
        """Process callbacks for ``seconds`` (a measurement window, not a synchronisation wait)."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.executor.spin_once(timeout_sec=min(0.01, max(0.0, end - time.monotonic())))

    def close(self) -> None:
        self.executor.shutdown()
        self.node.destroy_node()
        rclpy.try_shutdown(context=self.context)

    def __enter__(self) -> Probe:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by process ``pid`` (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime (fields 14, 15 of stat)
