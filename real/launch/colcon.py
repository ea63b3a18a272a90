"""Build greenroom with colcon and run its launch files with the real ``ros2 launch``.

This is the deployment route a robot uses (README "On the robot"), run on this machine for the
tests (tests/real/test_colcon*.py, test_ros2_launch*.py) and ``greenroom bench``:

* :func:`ensure_colcon` creates a separate virtual environment with colcon from the package index
  (:data:`COLCON_REQUIREMENTS`; colcon-core pins setuptools < 80, so not in the project's venv).
* :func:`build_workspace` copies the source tree into ``<cache>/<digest>/src/greenroom`` and runs
  ``colcon build --packages-select greenroom`` there. colcon runs on *this* interpreter with the
  colcon environment's packages first on ``PYTHONPATH``: on a robot colcon and rclpy share the
  system ``python3``, and colcon writes that interpreter into the node executables' ``#!`` line.
  The build is cached by a digest of the copied files (a file lock makes parallel callers wait).
* :func:`ros2_environment` is the environment after ``. install/setup.sh`` (AMENT_PREFIX_PATH and
  PYTHONPATH of the install tree in front of this venv's ROS 2 wheels).
* :class:`Ros2Launch` runs ``ros2 launch -n greenroom FILE name:=value ...`` in its own process
  group, fails when a node dies (``LaunchService`` itself keeps running and exits 0 when a node
  dies, so the output's "process has died" lines are watched), and stops with SIGINT -> wait ->
  SIGTERM -> wait -> SIGKILL of the whole group, with deadlines.
* :func:`ros2` runs one ``ros2`` CLI command (callers add ``--no-daemon``).

``ros2`` and ``launch`` come from ../shared/ros2-cli (``install.sh``; ``make test`` runs it).
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

# Versions verified with this repository; setuptools is the newest colcon-core allows.
COLCON_REQUIREMENTS = (
    "colcon-core==0.21.3", "colcon-ros==0.5.0", "colcon-python-setup-py==0.2.9", "colcon-package-selection==0.2.10",
    "colcon-parallel-executor==0.4.0", "catkin-pkg==1.1.1", "ros-ament-package==0.17.2", "setuptools==79.0.1",
)
# What `apt install python3-setuptools` gives on Ubuntu 24.04, the platform of ROS 2 Jazzy and Kilted.
UBUNTU_2404_SETUPTOOLS = "setuptools==68.1.2"
PACKAGE = "greenroom"
# Not part of a source checkout (the same list as tests/test_packaging.py, plus the colcon venv).
IGNORED = (".venv", ".venv-colcon*", ".git", "runs", "build", "install", "log", "dist", "*.egg-info", "__pycache__",
           ".pytest_cache", ".gl", ".whl", "*.mcap")
_DIED = re.compile(r"\[ERROR\] \[([^\]]+)\]: process has died \[pid (\d+), exit code (-?\d+)")


class ColconError(RuntimeError):
    """colcon could not be installed, or the build failed (the message ends with colcon's output)."""


class NodeDied(AssertionError):
    """A node of a running ``ros2 launch`` died, or the launch itself ended."""


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def colcon_site_packages(venv: Path) -> Path:
    """``site-packages`` of the colcon environment (same Python version as this interpreter)."""
    return venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"


def ensure_colcon(venv: Path, requirements: Sequence[str] = COLCON_REQUIREMENTS) -> Path:
    """Create ``venv`` with colcon unless it already holds exactly ``requirements``; its site-packages."""
    venv = Path(venv).resolve()
    stamp = venv / ".greenroom-requirements"
    wanted = "\n".join(requirements) + "\n"
    with _locked(venv.with_name(venv.name + ".lock")):
        if stamp.is_file() and stamp.read_text() == wanted:
            return colcon_site_packages(venv)
        # venv uses this interpreter's base Python: the same version runs colcon's packages below.
        steps = [[sys.executable, "-m", "venv", "--clear", str(venv)],
                 [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "install", "-q",
                  *requirements]]
        for step in steps:
            done = subprocess.run(step, capture_output=True, text=True, timeout=600,
                                  env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
            if done.returncode != 0:
                raise ColconError(f"{' '.join(step)} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
        stamp.write_text(wanted)
    return colcon_site_packages(venv)


def _source_files(root: Path) -> list[Path]:
    ignore = shutil.ignore_patterns(*IGNORED)
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        skipped = ignore(dirpath, dirnames + filenames)
        dirnames[:] = sorted(d for d in dirnames if d not in skipped)
        files += [Path(dirpath) / f for f in sorted(filenames) if f not in skipped]
    return files


def source_digest(root: Path, extra: Iterable[str] = ()) -> str:
    """SHA-256 over the relative paths and contents of the files a build copies (plus ``extra``)."""
    digest = hashlib.sha256()
    for item in extra:
        digest.update(item.encode() + b"\0")
    for path in _source_files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() if not path.is_symlink() else os.readlink(path).encode())
    return digest.hexdigest()


def colcon_env(site: Path, prepend: Sequence[Path] = ()) -> dict[str, str]:
    """Environment for running colcon on this interpreter with the colcon packages (and ``prepend``) first."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in [*prepend, site])
    env.pop("COLCON_PREFIX_PATH", None)
    return env


def build_workspace(source: Path, cache: Path, site: Path, *, prepend: Sequence[Path] = (), keep: int = 3,
                    timeout: float = 600.0) -> Path:
    """``colcon build --packages-select greenroom`` of a copy of ``source``; the install prefix's parent.

    Returns ``<workspace>/install`` (the greenroom prefix is ``install/greenroom``). ``prepend`` puts
    more package folders in front of the colcon packages (e.g. another setuptools). Builds are
    cached under ``cache`` by :func:`source_digest`; only the ``keep`` newest are kept.
    """
    source, cache = Path(source).resolve(), Path(cache).resolve()
    key = source_digest(source, [sys.executable, str(site), *map(str, prepend)])[:16]
    workspace = cache / key
    with _locked(cache / f".{key}.lock"):
        if (workspace / ".built").is_file():
            os.utime(workspace)
            return workspace / "install"
        shutil.rmtree(workspace, ignore_errors=True)
        shutil.copytree(source, workspace / "src" / PACKAGE, ignore=shutil.ignore_patterns(*IGNORED))
        command = [sys.executable, "-c", "import sys; from colcon_core.command import main; sys.exit(main())",
                   "build", "--packages-select", PACKAGE]
        done = subprocess.run(command, cwd=workspace, env=colcon_env(site, prepend), capture_output=True,
                              text=True, timeout=timeout)
        (workspace / "colcon-build.log").write_text(done.stdout + done.stderr)
        if done.returncode != 0:
            raise ColconError(f"colcon build in {workspace} failed (exit {done.returncode}):\n"
                              f"{(done.stdout + done.stderr)[-6000:]}")
        (workspace / ".built").write_text(key + "\n")
    builds = sorted((p for p in cache.iterdir() if (p / ".built").is_file()), key=lambda p: p.stat().st_mtime)
    for old in builds[:-keep]:
        with _locked(cache / f".{old.name}.lock"):
            shutil.rmtree(old, ignore_errors=True)
    return workspace / "install"


def ros2_environment(install: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment after ``. install/setup.sh`` in ``base`` (default: os.environ with
    AMENT_PREFIX_PATH defaulting to this venv, where the ROS 2 wheels' message packages are)."""
    env = dict(os.environ if base is None else base)
    env.setdefault("AMENT_PREFIX_PATH", sys.prefix)
    done = subprocess.run(["sh", "-c", '. "$1/setup.sh" && env -0', "sh", str(install)], env=env,
                          capture_output=True, timeout=60, check=True)
    return dict(item.split("=", 1) for item in done.stdout.decode().split("\0") if "=" in item)


def ros2_executable() -> str:
    """``ros2`` beside this interpreter (installed by ../shared/ros2-cli/install.sh)."""
    path = Path(sys.executable).parent / "ros2"
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: install the ROS 2 CLI with "
                                f"../shared/ros2-cli/install.sh {sys.executable} (make test does)")
    return str(path)


def ros2(*args: str, env: Mapping[str, str], timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Run ``ros2 ARGS`` (output captured as text); never raises on a non-zero exit."""
    return subprocess.run([ros2_executable(), *args], env=dict(env), capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def _default_sigint() -> None:
    """In the child between fork and exec: SIGINT back to its default action."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Ros2Launch:
    """``ros2 launch -n PACKAGE FILE ARGS`` as a process group, its output in ``log``.

    ``check()`` raises :class:`NodeDied` once a node died or the launch ended; ``stop()`` ends the
    whole group (SIGINT to ``ros2 launch``, as Ctrl-C, then SIGTERM, then SIGKILL to the group).
    """

    def __init__(self, launch_file: str, args: Sequence[str], env: Mapping[str, str], log: Path,
                 package: str | None = PACKAGE, cwd: Path | None = None) -> None:
        # package None: launch_file is a path (ros2 launch FILE)
        self.command = [ros2_executable(), "launch", "-n", *([package] if package else []), launch_file, *args]
        self.log_path = Path(log)
        self._log: IO[bytes] = self.log_path.open("wb")
        # cwd: by default the log's folder, not a source checkout whose greenroom/ would shadow the install
        # A parent started in the background of a non-interactive shell (``make test &``, ``nohup ... &``)
        # ignores SIGINT, and an ignored signal stays ignored across exec: ``ros2 launch`` would then
        # sleep through stop()'s SIGINT (Ctrl-C) and only die of the SIGTERM, unclean. Give it the default.
        sigint_ignored = signal.getsignal(signal.SIGINT) == signal.SIG_IGN
        self.process = subprocess.Popen(self.command, env=dict(env, PYTHONUNBUFFERED="1"), stdin=subprocess.DEVNULL,
                                        stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
                                        cwd=cwd or self.log_path.parent,
                                        preexec_fn=_default_sigint if sigint_ignored else None)
        self.pgid = self.process.pid

    def output(self, tail: int = 6000) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")[-tail:]

    def died(self) -> list[tuple[str, int, int]]:
        """``(process label, pid, exit code)`` of every node that died so far."""
        return [(m.group(1), int(m.group(2)), int(m.group(3))) for m in _DIED.finditer(self.output(tail=10**7))]

    def check(self) -> None:
        dead = self.died()
        if dead:
            raise NodeDied(f"node(s) died under ros2 launch: {dead}\n{self.output()}")
        if self.process.poll() is not None:
            raise NodeDied(f"ros2 launch exited with {self.process.returncode}\n{self.output()}")

    def wait_until(self, condition: Callable[[], bool], timeout: float, what: str,
                   step: Callable[[], None] | None = None) -> None:
        """Poll ``condition`` (calling ``step`` between polls, e.g. spinning a probe) until true;
        :class:`NodeDied` when a node dies, TimeoutError after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while not condition():
            self.check()
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {what} within {timeout} s under ros2 launch:\n{self.output()}")
            if step is not None:
                step()
            else:
                time.sleep(0.05)

    def group_alive(self) -> bool:
        try:
            os.killpg(self.pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # pragma: no cover - a reused group id of another user
            return False
        return True

    def stop(self, sigint_s: float = 20.0, sigterm_s: float = 10.0) -> int:
        """End the launch and every process it started; the launch's exit status.

        Raises :class:`NodeDied` when a process of the group survives even SIGKILL."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=sigint_s)
            except subprocess.TimeoutExpired:
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(timeout=sigterm_s)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(timeout=10)
        deadline = time.monotonic() + sigterm_s
        while self.group_alive() and time.monotonic() < deadline:  # nodes still stopping after launch exited
            time.sleep(0.05)
        if self.group_alive():
            os.killpg(self.pgid, signal.SIGKILL)
            deadline = time.monotonic() + 10.0
            while self.group_alive() and time.monotonic() < deadline:
                time.sleep(0.05)
        if not self._log.closed:
            self._log.close()
        if self.group_alive():
            raise NodeDied(f"processes of ros2 launch (group {self.pgid}) survived SIGKILL")
        return int(self.process.returncode)

    def __enter__(self) -> Ros2Launch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
