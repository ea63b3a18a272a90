"""``topic_recorder``: record chosen ROS 2 topics to an MCAP file (the rosbag2 ``mcap`` layout).

Node ``topic_recorder`` (rename with ``-r __node:=...``).

Parameters (read-only, set at start):
  * ``topics`` (string[], required): topic names; relative names resolve against the node's
    namespace and remappings (``-r image:=/camera/image_raw``), like any subscription.
  * ``output`` (string, default ``recording.mcap``): the MCAP file; parent folders are created.
  * ``overwrite`` (bool, default false): replace an existing ``output`` instead of refusing.
  * ``discovery_timeout_s`` (double, s, default 10.0): every topic must appear in the graph
    (``get_topic_names_and_types``) with a publisher within this time, or the node exits with
    status 1 naming the missing topics. Each topic is subscribed as soon as it has a publisher;
    the type recorded is the publishers' type.
  * ``diagnostics_period_s`` (double, s, default 1.0): period of the status published on
    ``/diagnostics`` (diagnostic_msgs/DiagnosticArray: output path, per-topic message counts).

Recording: subscriptions take the serialized CDR bytes (``raw=True``) and write them unchanged
to MCAP, profile ``ros2``, schema encoding ``ros2msg``, message encoding ``cdr``; the schema of
each type is its ``.msg`` text from ``share/<pkg>/msg/`` followed by every nested type's text in
the ros2msg concatenation format (``===...`` separator, ``MSG: pkg/Type``), as rosbag2 writes
it. Files read back with ``mcap_ros2.reader`` (and Foxglove, ``ros2 bag``). We use the ``mcap``
writer with raw bytes rather than ``mcap_ros2.writer.Writer``, which re-encodes Python message
objects in pure Python and rejects the numpy arrays rclpy uses for fixed-size fields (e.g. the
covariance of nav_msgs/Odometry). ``log_time`` and ``publish_time`` are the receive time (ns,
UNIX epoch). QoS, chosen from the publishers present at subscription time (as rosbag2 does):
keep-last 100, best-effort if any of them is best-effort (a reliable subscription would get
nothing from it), else reliable; volatile.

SIGINT/SIGTERM finish the file (summary and index written) and exit 0.
"""
from __future__ import annotations

import importlib
import os
import sys
import time
from pathlib import Path
from typing import Any

SEPARATOR = "=" * 80


def message_class(type_name: str) -> type:
    """``"geometry_msgs/msg/Twist"`` -> the generated Python class."""
    package, _, name = type_name.rpartition("/")
    try:
        return getattr(importlib.import_module(package.replace("/", ".")), name)
    except (ImportError, AttributeError) as exc:
        raise LookupError(f"message type {type_name} is not installed (pip install ros-"
                          f"{package.split('/')[0].replace('_', '-')})") from exc


def _msg_text(package: str, name: str) -> str:
    os.environ.setdefault("AMENT_PREFIX_PATH", sys.prefix)
    from ament_index_python.packages import PackageNotFoundError, get_package_share_directory

    try:
        path = Path(get_package_share_directory(package)) / "msg" / f"{name}.msg"
    except PackageNotFoundError as exc:
        raise LookupError(f"no share/{package} on AMENT_PREFIX_PATH={os.environ['AMENT_PREFIX_PATH']}") from exc
    if not path.is_file():
        raise LookupError(f"{path} does not exist: no .msg definition for {package}/msg/{name}")
    return path.read_text()


def _nested_types(cls: type) -> list[tuple[str, str]]:
    """(package, name) of every message type used by a field of ``cls`` (arrays included)."""
    from rosidl_parser.definition import AbstractNestedType, NamespacedType

    found = []
    for slot in cls.SLOT_TYPES:
        while isinstance(slot, AbstractNestedType):
            slot = slot.value_type
        if isinstance(slot, NamespacedType):
            found.append((slot.namespaces[0], slot.name))
    return found


def message_definition(type_name: str) -> str:
    """The ros2msg schema text of ``type_name`` (``pkg/msg/Type``) with its dependencies appended."""
    package, _, name = type_name.partition("/msg/")
    if not name:
        raise LookupError(f"{type_name} is not a message type (expected pkg/msg/Type)")
    parts = [_msg_text(package, name)]
    seen = {(package, name)}
    pending = _nested_types(message_class(type_name))
    while pending:
        dep_package, dep_name = pending.pop(0)
        if (dep_package, dep_name) in seen:
            continue
        seen.add((dep_package, dep_name))
        parts.append(f"{SEPARATOR}\nMSG: {dep_package}/{dep_name}\n{_msg_text(dep_package, dep_name)}")
        pending += _nested_types(message_class(f"{dep_package}/msg/{dep_name}"))
    return "\n".join(part.rstrip("\n") for part in parts) + "\n"


def _make_node(rclpy_node_base: type) -> type:
    """Build the node class lazily so importing this module needs no rclpy (packaging checks)."""
    from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
    from mcap.writer import Writer
    from rclpy.qos import QoSProfile, ReliabilityPolicy

    from .common.params import Param, ParamError, declare_params

    params = (  # all read at start-up (read-only)
        Param("topics", [""], "topics to record (relative names follow the node's namespace and remappings)",
              read_only=True, check=lambda v: None if any(t.strip() for t in v) else
              "parameter 'topics' is empty: give the topics to record, e.g. -p topics:=[image,cmd_vel]"),
        Param("output", "recording.mcap", "MCAP file to write (parent folders are created)", read_only=True,
              check=lambda v: None if v.strip() else "output must not be empty"),
        Param("overwrite", False, "replace an existing output file", read_only=True),
        Param("discovery_timeout_s", 10.0, "seconds to wait for every topic to appear in the graph", 0.001, 3600.0,
              read_only=True),
        Param("diagnostics_period_s", 1.0, "period of the /diagnostics status (s)", 0.01, 3600.0, read_only=True),
    )

    class TopicRecorder(rclpy_node_base):  # type: ignore[misc, valid-type]
        """Subscribes to ``topics`` once they appear and writes every message to ``output``."""

        def __init__(self) -> None:
            super().__init__("topic_recorder")
            self.failure: str | None = None  # run_node stops with this message and exit status 1
            self.stream: Any = None
            p = declare_params(self, params)  # ParamError (a StartupError): one clear line, exit 1
            topics = [t for t in p["topics"] if t.strip()]
            self.wanted = {self.resolve_topic_name(t): t for t in topics}
            self.output = Path(p["output"]).expanduser().resolve()
            if self.output.exists() and not p["overwrite"]:
                raise ParamError(f"output {self.output} already exists; choose another 'output' or "
                                 "set overwrite:=true")
            timeout, period = float(p["discovery_timeout_s"]), float(p["diagnostics_period_s"])
            self.output.parent.mkdir(parents=True, exist_ok=True)
            self.stream = self.output.open("wb")
            self.writer = Writer(self.stream)
            self.writer.start(profile="ros2", library="greenroom topic_recorder")
            self.channels: dict[str, int] = {}
            self.counts: dict[str, int] = {}
            self.subscriptions_by_topic: dict[str, Any] = {}
            self.deadline = time.monotonic() + timeout
            self.discovery_timer = self.create_timer(0.1, self.discover)
            self.diagnostics = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
            self.create_timer(period, self.publish_status)
            self.get_logger().info(f"recording {', '.join(self.wanted)} to {self.output}")
            self.discover()

        def discover(self) -> None:
            """Subscribe to each wanted topic once it has a publisher (its type and QoS come from it)."""
            graph = dict(self.get_topic_names_and_types())
            for topic in self.wanted:
                if topic in self.channels or topic not in graph:
                    continue
                publishers = self.get_publishers_info_by_topic(topic)
                if not publishers:  # only subscribers so far: the QoS to match is not known yet
                    continue
                types = sorted({p.topic_type for p in publishers})
                if len(types) > 1:
                    self.get_logger().warning(f"{topic} is published with several types {types}; recording {types[0]}")
                self.subscribe(topic, types[0], publishers)
            missing = sorted(set(self.wanted) - set(self.channels))
            if not missing:
                self.discovery_timer.cancel()
            elif time.monotonic() > self.deadline and self.failure is None:
                self.failure = (f"topic(s) {', '.join(missing)} did not appear (with a publisher) within "
                                f"{self.get_parameter('discovery_timeout_s').value} s; "
                                f"topics in the graph: {', '.join(sorted(graph)) or 'none'}")

        def subscribe(self, topic: str, type_name: str, publishers: list[Any]) -> None:
            try:
                cls = message_class(type_name)
                schema = message_definition(type_name)
            except LookupError as exc:
                self.failure = f"cannot record {topic}: {exc}"
                return
            schema_id = self.writer.register_schema(name=type_name, encoding="ros2msg", data=schema.encode())
            self.channels[topic] = self.writer.register_channel(topic=topic, message_encoding="cdr",
                                                                schema_id=schema_id)
            self.counts[topic] = 0
            best_effort = any(p.qos_profile.reliability == ReliabilityPolicy.BEST_EFFORT for p in publishers)
            qos = QoSProfile(depth=100, reliability=ReliabilityPolicy.BEST_EFFORT if best_effort
                             else ReliabilityPolicy.RELIABLE)
            self.subscriptions_by_topic[topic] = self.create_subscription(
                cls, topic, lambda data, t=topic: self.write(t, data), qos, raw=True)
            self.get_logger().info(f"recording {topic} [{type_name}], "
                                   f"{'best-effort' if best_effort else 'reliable'}")

        def write(self, topic: str, data: bytes) -> None:
            stamp = time.time_ns()
            self.writer.add_message(channel_id=self.channels[topic], log_time=stamp, publish_time=stamp,
                                    data=data, sequence=self.counts[topic])
            self.counts[topic] += 1

        def publish_status(self) -> None:
            missing = sorted(set(self.wanted) - set(self.channels))
            status = DiagnosticStatus(
                level=DiagnosticStatus.WARN if missing else DiagnosticStatus.OK,
                name=f"{self.get_fully_qualified_name()}: recording",
                message=f"waiting for {', '.join(missing)}" if missing else "recording",
                hardware_id=str(self.output),
                values=[KeyValue(key="output", value=str(self.output))]
                + [KeyValue(key=topic, value=str(count)) for topic, count in self.counts.items()])
            array = DiagnosticArray(status=[status])
            array.header.stamp = self.get_clock().now().to_msg()
            self.diagnostics.publish(array)

        def destroy_node(self) -> None:
            self.close()
            super().destroy_node()

        def close(self) -> None:
            """Finish the MCAP file (summary + index); safe to call twice."""
            if self.stream is not None and not self.stream.closed:
                self.writer.finish()
                self.stream.close()
                counts = ", ".join(f"{t}: {n}" for t, n in self.counts.items()) or "nothing"
                if self.context.ok():
                    self.get_logger().info(f"wrote {self.output} ({counts})")
                else:  # after SIGINT/SIGTERM the context is down and /rosout cannot take the log
                    print(f"[{self.get_fully_qualified_name()}] wrote {self.output} ({counts})", flush=True)

    return TopicRecorder


def main(args: list[str] | None = None) -> int:
    """Console script ``topic_recorder``: spin until SIGINT/SIGTERM (exit 0, file finished); exit
    status 1 on bad parameters or topics that never appear (the shared ``run_node`` loop)."""
    from rclpy.node import Node

    from .common.spin import run_node

    return run_node(_make_node(Node), args, "topic_recorder")


if __name__ == "__main__":
    sys.exit(main())
