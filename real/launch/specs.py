"""What a parsed launch file holds (:mod:`.description` fills them): declared arguments, nodes with
every substitution resolved, parameter files, and the error a file greenroom cannot run raises."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class LaunchFileError(ValueError):
    """A launch file or launch argument that greenroom cannot run (message says why and where)."""


@dataclass(frozen=True)
class LaunchArgument:
    """A declared ``arg``: ``default`` None means required on the command line (the default as
    resolved when it was used, else as written)."""

    name: str
    default: str | None
    description: str = ""


@dataclass(frozen=True)
class ParamFile:
    """A ``param: {from: PATH}`` entry (passed as ``--params-file PATH``)."""

    path: str


@dataclass(frozen=True)
class NodeSpec:
    """One ``node`` entity with every substitution resolved.

    ``namespace`` is absolute ("/" for the root); ``parameters`` holds, in command-line order,
    :class:`ParamFile` entries and at most one dict of name/value parameters (nested dicts for
    nested ``param`` lists); ``remappings`` are (from, to) pairs passed as ``-r from:=to``.
    """

    package: str
    executable: str
    name: str | None
    namespace: str
    output: str = "screen"
    parameters: tuple[ParamFile | dict[str, Any], ...] = ()
    remappings: tuple[tuple[str, str], ...] = ()

    @property
    def fully_qualified_name(self) -> str | None:
        """``/ns/name`` (``/name`` in the root namespace), or None when the node is not renamed."""
        if self.name is None:
            return None
        return f"{self.namespace.rstrip('/')}/{self.name}"


@dataclass
class LaunchDescription:
    """A parsed launch file: its declared arguments, resolved values and nodes (in file order)."""

    path: Path
    arguments: dict[str, LaunchArgument] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)
    nodes: list[NodeSpec] = field(default_factory=list)
