"""The standard ``main()`` of a greenroom node (see shared/docs/ros2.md, "Shutdown").

``rclpy.init(args)``, build the node, spin; SIGINT and SIGTERM end it cleanly with exit status
0. The signals are caught in Python (rclpy's own handlers are off): the handler only records the
signal, and the main thread leaves its ``spin_once`` loop (``SPIN_PERIOD_S``) and shuts the
executor, node and context down in order. rclpy's handlers instead shut the context down from
the signal's own context while the executor may be inside ``rcl_wait`` or a callback, a race
that crashed a node now and then (exit -11 while stopping; upstream: ros2/rclpy#215, #253,
#327).

Start-up failures: a :class:`StartupError` (parameters: :class:`~.params.ParamError` is one) or
one of the node's ``startup_errors`` (e.g. a bad contract) is printed as one clear line; any
other exception raised while building the node (a missing dependency, a bug) is printed with its
traceback. Either way the *original* error is what the user sees (a half-built node is then
destroyed without letting its own clean-up hide it) and the process exits with status 1 before
anything is published. Shutdown is bounded: a node still running ``SHUTDOWN_BUDGET_S`` after it
began to stop prints every thread's stack (the step that blocked) and exits with status 1. The process ends with ``os._exit`` once the node and ROS are shut down
(see :func:`run_node`).

Executor: rclpy's ``EventsExecutor`` where this rclpy has it (Kilted and later), else the
``SingleThreadedExecutor``. It dispatches callbacks from C++ instead of rebuilding a wait set in
Python at every ``spin_once``: measured side by side on the flight policy node
(``greenroom bench flight --only ros``), it halves the node's CPU at 30 Hz and cuts the image ->
cmd_vel latency. ``GREENROOM_EXECUTOR=single`` selects the classic executor (e.g. to rule the
experimental one out when debugging).

Memory: before ROS starts, :func:`~.allocator.keep_freed_memory` stops glibc from returning
each freed camera-frame buffer to the kernel (every frame page-faulted its ~1 MB again: +2 ms
from stamp to callback at 640x480 when it did; see that module).
"""
from __future__ import annotations

import faulthandler
import os
import signal
import sys
import traceback
from collections.abc import Callable, Sequence

import rclpy
from rclpy.executors import Executor, ExternalShutdownException, SingleThreadedExecutor
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions

from .allocator import keep_freed_memory

SPIN_PERIOD_S = 0.05  # longest wait in one spin_once: how late a SIGINT/SIGTERM is acted on
# From the first stop signal (or the start of shutdown), a node has this long to exit; past it the
# interpreter's C-level watchdog (faulthandler) prints every thread's stack, so the log names the
# step that blocked, and exits with status 1. Below launch's escalation (SIGINT, 5 s, SIGTERM, 5 s,
# SIGKILL), which would kill the node without a word.
SHUTDOWN_BUDGET_S = 8.0


EXECUTOR_ENV = "GREENROOM_EXECUTOR"


def make_executor(context: rclpy.Context | None = None) -> Executor:
    """The executor greenroom nodes spin on: ``EventsExecutor`` if available (see module docstring)."""
    choice = os.environ.get(EXECUTOR_ENV, "events")
    if choice not in ("events", "single"):
        raise ValueError(f"{EXECUTOR_ENV}={choice!r}: expected 'events' or 'single'")
    if choice == "events":
        try:
            from rclpy.experimental import EventsExecutor
        except ImportError:  # rclpy before Kilted (Humble, Jazzy on a robot)
            pass
        else:
            return EventsExecutor(context=context)
    return SingleThreadedExecutor(context=context)


class StartupError(RuntimeError):
    """The node cannot start (bad parameter, missing model, ...): message says why and how to fix it."""


def run_node(factory: Callable[[], Node], args: Sequence[str] | None, prog: str,
             startup_errors: tuple[type[BaseException], ...] = ()) -> int:
    """Spin the node ``factory()`` until shutdown, then end the process with its exit status
    (only a failed ``rclpy.init`` returns, with 1).

    A node that sets a ``failure`` attribute (a message) at run time stops the loop; the message
    is printed and the exit status is 1 (the recorder does this when a topic never appears).
    """
    stop_signals: list[int] = []

    def on_stop_signal(received: int, _frame: object) -> None:
        if not stop_signals:
            _arm_shutdown_watchdog()
        stop_signals.append(received)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_stop_signal)
    keep_freed_memory()
    try:
        rclpy.init(args=list(args) if args is not None else None, signal_handler_options=SignalHandlerOptions.NO)
    except RuntimeError as exc:  # RCLError: e.g. a malformed --ros-args rule
        print(f"{prog}: error: cannot initialise ROS (check the --ros-args): {exc}", file=sys.stderr, flush=True)
        return 1
    node: Node | None = None
    executor = make_executor()
    status = 0
    try:
        try:
            node = factory()
        except (StartupError, *startup_errors) as exc:
            _report(f"{prog}: error: {exc}")
            status = 1
        except Exception:  # noqa: BLE001 - any start-up failure: report the original error, exit 1
            _report(f"{prog}: error: the node failed to start:\n{traceback.format_exc().rstrip()}")
            status = 1
        if node is not None:
            executor.add_node(node)
            while not stop_signals and rclpy.ok() and getattr(node, "failure", None) is None:
                executor.spin_once(timeout_sec=SPIN_PERIOD_S)
            if getattr(node, "failure", None) is not None:  # the node gave up at run time
                _report(f"{prog}: error: {node.failure}")
                status = 1
    except ExternalShutdownException:  # the context was shut down from elsewhere
        pass
    except Exception:  # noqa: BLE001 - a callback raised: report it, exit non-zero
        _report(f"{prog}: error: a callback raised:\n{traceback.format_exc().rstrip()}")
        status = 1
    finally:
        if not stop_signals:  # stopping for another reason (a start-up error, a failure, ROS shut down)
            _arm_shutdown_watchdog()
        _quietly(prog, executor.shutdown)
        if node is not None:
            _quietly(prog, node.destroy_node)
        # A node whose constructor raised is still tracked by the context, which destroys it
        # here; its destroy_node may fail on attributes it never set: that must not replace
        # the error already reported (nor skip the exit status).
        _quietly(prog, rclpy.try_shutdown)
    # Everything is shut down. Skip interpreter finalization: native destructors (DDS, ONNX
    # Runtime) run there in no fixed order and occasionally crash a node that stopped cleanly
    # (exit -11 on SIGINT, also seen upstream: ros-controls/ros2_controllers#1933).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def _arm_shutdown_watchdog() -> None:
    """Exit with status 1 and every thread's stack if the node is still running in SHUTDOWN_BUDGET_S.

    faulthandler's watchdog is a C thread: it fires even while the main thread is blocked inside a
    native call that holds the GIL (DDS, a simulator), where neither a Python thread nor a second
    signal's Python handler would ever run."""
    faulthandler.dump_traceback_later(SHUTDOWN_BUDGET_S, exit=True)


def _report(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _quietly(prog: str, step: Callable[[], object]) -> None:
    """Run one shutdown step; an error there is printed (once, short) but never raised."""
    try:
        step()
    except Exception as exc:  # noqa: BLE001 - shutdown must go on
        print(f"{prog}: warning: during shutdown: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
