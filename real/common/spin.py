"""The standard ``main()`` of a greenroom node (see shared/docs/ros2.md, "Shutdown").

``rclpy.init(args)``, build the node, spin; SIGINT and SIGTERM (both raised as
``ExternalShutdownException``) end it cleanly with exit status 0. A start-up error that the
node raises as :class:`StartupError` (or a parameter/contract error) is printed as one clear
line and exits with status 1 before anything is published. The process ends with ``os._exit``
once the node and ROS are shut down (see :func:`run_node`).
"""
from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence

import rclpy
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.node import Node


class StartupError(RuntimeError):
    """The node cannot start (bad parameter, missing model, ...): message says why and how to fix it."""


def run_node(factory: Callable[[], Node], args: Sequence[str] | None, prog: str,
             startup_errors: tuple[type[BaseException], ...] = ()) -> int:
    """Spin the node ``factory()`` until shutdown, then end the process with its exit status
    (only a failed ``rclpy.init`` returns, with 1)."""
    try:
        rclpy.init(args=list(args) if args is not None else None)
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
            executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except RuntimeError:
        # SIGINT/SIGTERM shut the context down while a callback was taking or publishing a
        # message (rcl/pybind errors): a clean stop. The signal handler may still be finishing
        # the shutdown, so give it a moment before calling the error a bug.
        deadline = time.monotonic() + 1.0
        while rclpy.ok() and time.monotonic() < deadline:
            time.sleep(0.01)
        if rclpy.ok():
            raise
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

