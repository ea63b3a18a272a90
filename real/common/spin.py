"""The standard ``main()`` of a greenroom node (see shared/docs/ros2.md, "Shutdown").

``rclpy.init(args)``, build the node, spin; SIGINT and SIGTERM end it cleanly with exit status
0. The signals are caught in Python (rclpy's own handlers are off): the handler only records the
signal, and the main thread leaves its ``spin_once`` loop (``SPIN_PERIOD_S``) and shuts the
executor, node and context down in order. rclpy's handlers instead shut the context down from
the signal's own context while the executor may be inside ``rcl_wait`` or a callback, a race
that crashed a node now and then (exit -11 while stopping; upstream: ros2/rclpy#215, #253,
#327). A start-up error that the node raises as :class:`StartupError` (or a parameter/contract
error) is printed as one clear line and exits with status 1 before anything is published. The
process ends with ``os._exit`` once the node and ROS are shut down (see :func:`run_node`).
"""
from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Sequence

import rclpy
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions

SPIN_PERIOD_S = 0.05  # longest wait in one spin_once: how late a SIGINT/SIGTERM is acted on


class StartupError(RuntimeError):
    """The node cannot start (bad parameter, missing model, ...): message says why and how to fix it."""


def run_node(factory: Callable[[], Node], args: Sequence[str] | None, prog: str,
             startup_errors: tuple[type[BaseException], ...] = ()) -> int:
    """Spin the node ``factory()`` until shutdown, then end the process with its exit status
    (only a failed ``rclpy.init`` returns, with 1)."""
    stop_signals: list[int] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda received, _frame: stop_signals.append(received))
    try:
        rclpy.init(args=list(args) if args is not None else None, signal_handler_options=SignalHandlerOptions.NO)
    except RuntimeError as exc:  # RCLError: e.g. a malformed --ros-args rule
        print(f"{prog}: error: cannot initialise ROS (check the --ros-args): {exc}", file=sys.stderr, flush=True)
        return 1
    node: Node | None = None
    executor = SingleThreadedExecutor()
    status = 0
    try:
        try:
            node = factory()
        except (StartupError, *startup_errors) as exc:
            print(f"{prog}: error: {exc}", file=sys.stderr, flush=True)
            status = 1
        if node is not None:
            executor.add_node(node)
            while not stop_signals and rclpy.ok():
                executor.spin_once(timeout_sec=SPIN_PERIOD_S)
    except ExternalShutdownException:  # the context was shut down from elsewhere
        pass
    finally:
        executor.shutdown()
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()
    # Everything is shut down. Skip interpreter finalization: native destructors (DDS, ONNX
    # Runtime) run there in no fixed order and occasionally crash a node that stopped cleanly
    # (exit -11 on SIGINT, also seen upstream: ros-controls/ros2_controllers#1933).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)

