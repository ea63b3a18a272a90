"""Run a ROS 2 YAML launch file without ``ros2 launch``: ``greenroom launch FILE [name:=value ...]``.

The supported subset is documented in :mod:`greenroom.real.launch.description`. Each ``node``
becomes one process, started the way ``ros2 run`` starts it, with the ROS arguments launch_ros
would pass::

    python -c "from <module> import <fn>; import sys; sys.exit(<fn>())" \\
        --ros-args -r __node:=NAME -r __ns:=/NS --params-file F1 ... -r from:=to ...

* ``exec`` of package ``greenroom`` resolves through the installed ``console_scripts`` entry
  points (importlib.metadata), run with this interpreter; other packages resolve to
  ``<prefix>/lib/<pkg>/<exec>`` on ``AMENT_PREFIX_PATH``. Everything is resolved before any
  process starts, so a typo starts nothing.
* Name/value parameters go to a temporary YAML file keyed by the node's fully qualified name
  (``/**`` for an unnamed node), as launch_ros does; temporary files are removed at exit.
* Children inherit the environment unchanged (``LD_LIBRARY_PATH`` set by the ROS wheels'
  bootstrapper, ``ROS_DOMAIN_ID``, ``ROS_AUTOMATIC_DISCOVERY_RANGE`` ...), plus
  ``PYTHONUNBUFFERED=1`` so their output arrives line by line. Each child runs in its own
  session (a terminal Ctrl-C reaches it once, through the runner) and gets SIGTERM if the
  runner itself dies (Linux ``PR_SET_PDEATHSIG``).
* Output (stdout and stderr merged) is prefixed ``[label]`` (the node name) on stdout; ``output:
  log`` writes it to ``$ROS_LOG_DIR/greenroom_launch_<time>/<label>.log`` instead, ``both`` to
  both. Without ``output`` it goes to the screen (``ros2 launch`` defaults to ``log``, which
  still shows stderr, where ROS logging goes): launch files should say ``output: screen``.
* SIGINT/SIGTERM to the runner, or a node exiting with a non-zero status, stops every node:
  SIGINT, then SIGTERM after ``sigint_timeout_s``, then SIGKILL after ``sigterm_timeout_s``
  (a second signal escalates at once).

Exit status: 0 when every node ended cleanly (status 0, or stopped by the runner's signal),
1 when a node failed or had to be killed, 2 for a bad launch file (raised as ``ValueError``).
"""
from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import IO, Iterable, Sequence

import yaml

from .description import load_launch_file
from .specs import LaunchFileError, NodeSpec, ParamFile

_PR_SET_PDEATHSIG = 1


@dataclass
class _Child:
    label: str
    spec: NodeSpec
    command: list[str]
    process: subprocess.Popen[bytes] | None = None
    reader: threading.Thread | None = None
    returncode: int | None = None
    signalled: bool = False  # the runner sent it a stop signal


def run_launch_file(path: str | os.PathLike[str], args: Sequence[str] = (), *,
                    sigint_timeout_s: float = 5.0, sigterm_timeout_s: float = 5.0) -> int:
    """Run every node of a YAML launch file until they end or a signal arrives; return the exit status.

    Raises :class:`~greenroom.real.launch.description.LaunchFileError` (a ``ValueError``) or
    ``FileNotFoundError`` before starting anything when the file or an argument is bad.
    """
    description = load_launch_file(path, args)
    if not description.nodes:
        raise LaunchFileError(f"{description.path}: no 'node' entities to launch")
    with tempfile.TemporaryDirectory(prefix="greenroom-launch-") as scratch:
        children = _plan(description.nodes, Path(scratch))
        return _Supervisor(children, sigint_timeout_s, sigterm_timeout_s).run()


def node_command(spec: NodeSpec, param_files: Sequence[str]) -> list[str]:
    """The command line (without parameter-file writing) that starts ``spec``."""
    command = _executable(spec.package, spec.executable) + ["--ros-args"]
    if spec.name is not None:
        command += ["-r", f"__node:={spec.name}"]
    if spec.namespace != "/":
        command += ["-r", f"__ns:={spec.namespace}"]
    for path in param_files:
        command += ["--params-file", path]
    for source, target in spec.remappings:
        command += ["-r", f"{source}:={target}"]
    return command


def greenroom_console_scripts() -> dict[str, metadata.EntryPoint]:
    """Console scripts installed by the greenroom distribution: {name: entry point}."""
    scripts = {}
    for entry in metadata.entry_points(group="console_scripts"):
        dist = getattr(entry, "dist", None)
        if dist is not None and dist.metadata["Name"] == "greenroom":
            scripts[entry.name] = entry
    return scripts


def _executable(package: str, executable: str) -> list[str]:
    if package == "greenroom":
        scripts = greenroom_console_scripts()
        if executable not in scripts:
            raise LaunchFileError(f"greenroom has no executable {executable!r}; installed console scripts: "
                                  f"{', '.join(sorted(scripts)) or 'none (is greenroom installed?)'}")
        entry = scripts[executable]
        module, _, attr = entry.value.partition(":")
        attr = attr.strip() or "main"
        head = attr.split(".")[0]
        code = f"import sys; from {module.strip()} import {head}; sys.exit({attr}())"
        return [sys.executable, "-c", code]
    prefixes = [p for p in os.environ.get("AMENT_PREFIX_PATH", sys.prefix).split(os.pathsep) if p]
    for prefix in prefixes:
        candidate = Path(prefix) / "lib" / package / executable
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return [str(candidate)]
    raise LaunchFileError(f"cannot find executable {executable!r} of package {package!r}: greenroom launch "
                          f"runs greenroom's console scripts and <prefix>/lib/{package}/{executable} on "
                          f"AMENT_PREFIX_PATH ({os.pathsep.join(prefixes)})")


def _plan(nodes: Sequence[NodeSpec], scratch: Path) -> list[_Child]:
    """Resolve executables and write the parameter files for every node (nothing starts yet)."""
    children: list[_Child] = []
    labels: dict[str, int] = {}
    for index, spec in enumerate(nodes):
        base = spec.name or spec.executable
        labels[base] = labels.get(base, 0) + 1
        label = base if labels[base] == 1 else f"{base}-{labels[base]}"
        files = []
        for entry in spec.parameters:
            if isinstance(entry, ParamFile):
                if not Path(entry.path).is_file():
                    raise LaunchFileError(f"node {label}: parameter file {entry.path} does not exist")
                files.append(entry.path)
            else:
                key = spec.fully_qualified_name or "/**"
                path = scratch / f"{index:02d}_{label}.params.yaml"
                path.write_text(yaml.safe_dump({key: {"ros__parameters": entry}}, sort_keys=False))
                files.append(str(path))
        children.append(_Child(label, spec, node_command(spec, files)))
    return children


def _prepare_child() -> None:  # runs in the child between fork and exec
    # A runner started with `cmd &` from a script inherits SIGINT as ignored, and exec keeps
    # ignored signals ignored: give the node the default dispositions back.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: children outlive a killed runner
        pass


class _Supervisor:
    """Starts the children, pumps their output, and stops them all on a signal or a failure."""

    def __init__(self, children: list[_Child], sigint_timeout_s: float, sigterm_timeout_s: float) -> None:
        self.children = children
        self.timeouts = (sigint_timeout_s, sigterm_timeout_s)
        self.signals: list[int] = []
        self.lock = threading.Lock()
        self.log_dir: Path | None = None

    def say(self, message: str) -> None:
        with self.lock:
            print(f"[greenroom launch] {message}", file=sys.stderr, flush=True)

    def run(self) -> int:
        handlers = self._install_signal_handlers()
        try:
            self._start()
            failed = self._watch()
            forced = self._stop_all()
            return 1 if failed or forced else 0
        finally:
            self._stop_all()
            for child in self.children:
                if child.reader is not None:
                    child.reader.join(timeout=2.0)
            for sig, handler in handlers.items():
                signal.signal(sig, handler)

    def _install_signal_handlers(self) -> dict[int, object]:
        if threading.current_thread() is not threading.main_thread():
            return {}  # signal handlers can only be set from the main thread (e.g. in-process use)
        previous = {}
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, lambda signum, _frame: self.signals.append(signum))
        return previous

    def _start(self) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        for child in self.children:
            if self.signals:
                return
            child.process = subprocess.Popen(
                child.command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=_prepare_child)
            self.say(f"started {child.label} [pid {child.process.pid}]: {child.spec.package} {child.spec.executable}")
        # Reader threads only after every fork (preexec_fn and threads do not mix).
        for child in self.children:
            if child.process is not None:
                child.reader = threading.Thread(target=self._pump, args=(child,), daemon=True,
                                                name=f"launch-output-{child.label}")
                child.reader.start()

    def _pump(self, child: _Child) -> None:
        assert child.process is not None and child.process.stdout is not None
        sinks: list[IO[str]] = []
        log_file = None
        if child.spec.output in ("log", "both"):
            log_file = self._log_path(child.label).open("a", encoding="utf-8")
            sinks.append(log_file)
        to_screen = child.spec.output in ("screen", "both")
        try:
            for raw in iter(child.process.stdout.readline, b""):
                line = f"[{child.label}] {raw.decode('utf-8', errors='replace').rstrip()}\n"
                with self.lock:
                    if to_screen:
                        sys.stdout.write(line)
                        sys.stdout.flush()
                    for sink in sinks:
                        sink.write(line)
                        sink.flush()
        finally:
            if log_file is not None:
                log_file.close()

    def _log_path(self, label: str) -> Path:
        with self.lock:
            if self.log_dir is None:
                root = Path(os.environ.get("ROS_LOG_DIR") or Path.home() / ".ros" / "log")
                self.log_dir = root / f"greenroom_launch_{time.strftime('%Y-%m-%d-%H-%M-%S')}_{os.getpid()}"
                self.log_dir.mkdir(parents=True, exist_ok=True)
        path = self.log_dir / f"{label}.log"
        self.say(f"{label}: output goes to {path}")
        return path

    def _running(self) -> list[_Child]:
        alive = []
        for child in self.children:
            if child.process is not None and child.returncode is None:
                code = child.process.poll()
                if code is None:
                    alive.append(child)
                else:
                    child.returncode = code
        return alive

    def _watch(self) -> bool:
        """Wait until all nodes end, a signal arrives or a node fails; True when a node failed."""
        reported: set[str] = set()
        while True:
            alive = self._running()
            for child in self.children:
                if child.returncode is not None and child.label not in reported:
                    reported.add(child.label)
                    if child.returncode != 0:
                        self.say(f"{child.label} died with exit status {child.returncode}; stopping the other nodes")
                        return True
                    self.say(f"{child.label} finished (exit status 0)")
            if self.signals:
                self.say(f"received {signal.Signals(self.signals[0]).name}; stopping {len(alive)} node(s)")
                return False
            if not alive:
                return False
            time.sleep(0.05)

    def _stop_all(self) -> bool:
        """SIGINT, then SIGTERM, then SIGKILL every running node; True when one needed SIGKILL."""
        forced = False
        steps = ((signal.SIGINT, self.timeouts[0]), (signal.SIGTERM, self.timeouts[1]), (signal.SIGKILL, 5.0))
        for sig, timeout in steps:
            alive = self._running()
            if not alive:
                break
            if sig == signal.SIGKILL:
                forced = True
                self.say(f"killing {', '.join(c.label for c in alive)} (did not stop on SIGINT/SIGTERM)")
            signals_seen = len(self.signals)
            for child in alive:
                child.signalled = True
                try:
                    os.killpg(child.process.pid, sig)  # type: ignore[union-attr]
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + timeout
            while self._running() and time.monotonic() < deadline:
                if len(self.signals) > max(signals_seen, 1):  # a second Ctrl-C: escalate now
                    break
                time.sleep(0.05)
        for child in self.children:
            if child.returncode is not None and child.signalled and child.returncode not in (0, -2, -15):
                self.say(f"{child.label} exited with status {child.returncode} while stopping")
                forced = True
        return forced


def main(argv: Iterable[str] | None = None) -> int:
    """``python -m greenroom.real.launch.runner FILE [name:=value ...]`` (same as ``greenroom launch``)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print("usage: python -m greenroom.real.launch.runner FILE [name:=value ...]", file=sys.stderr)
        return 2
    try:
        return run_launch_file(args[0], args[1:])
    except (ValueError, FileNotFoundError) as exc:
        print(f"greenroom launch: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
