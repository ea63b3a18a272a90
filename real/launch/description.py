"""Parse ROS 2 YAML-frontend launch files (greenroom's supported subset) into node specs.

The files are ordinary ``launch_yaml`` files: ``ros2 launch greenroom flight.launch.yaml`` runs
them on a robot with ROS 2 installed. Where ``launch``/``launch_ros`` are not installed (pip
wheels), :mod:`greenroom.real.launch.runner` runs the same files through this parser. Only this
subset is understood; everything else is refused with an error naming the tag or attribute and
the supported ones, so a file that works here means the same thing under ``ros2 launch``::

    launch:                                   # root: a list of single-key entities
    - arg: {name: rate, default: "30.0", description: "control rate (Hz)"}
    - arg: {name: model}                      # no default: required (`model:=...`)
    - node:
        pkg: greenroom                        # node executables: console scripts of greenroom,
        exec: topic_recorder                  #   or <prefix>/lib/<pkg>/<exec> on AMENT_PREFIX_PATH
        name: recorder                        # optional: -r __node:=recorder
        namespace: sensors                    # optional; relative to pushed namespaces
        output: screen                        # screen (default) | log | both
        param:
        - {from: "$(var params_file)"}        # --params-file, in order
        - {name: rate, value: "$(var rate)"}  # name/value pairs (nested `param:` lists allowed)
        remap:
        - {from: image, to: /camera/image_raw}
    - group:                                  # a list of children, or a dict with `children`
        scoped: true                          #   (and optional `scoped`, default true)
        if: "$(var with_drone1)"              # `if`/`unless` on group and node: true/false/1/0
        children:
        - push-ros-namespace: {namespace: drone1}   # also spelled push_ros_namespace
        - node: {...}

Substitutions, also inside longer strings: ``$(var NAME)``, ``$(env NAME [DEFAULT])`` and
``$(find-pkg-share PKG)``; nesting is not supported. Parameter values follow launch_ros: YAML
scalars and strings without a substitution keep their type ("30" stays a string); a string with
a substitution is typed by YAML after substituting, so ``"$(var rate)"`` with ``rate:=30`` gives
the integer 30 (``rate:="'30'"`` the string); list items are each treated so and must end up of
one type (``[1, 2.5]`` is refused, as ``ros2 launch`` refuses it).
All name/value parameters of a node are merged into one dict written *after* the ``from`` files
(as launch_ros does), keyed by the node's fully qualified name, so they take precedence.

Arguments: ``name:=value`` on the command line overrides an ``arg`` default; an ``arg`` without
a default that is not given is an error naming it; ``$(var x)`` needs ``x`` declared earlier (or
given). Stricter than ``ros2 launch`` (which ignores them): a command-line argument the file
does not declare is an error listing the declared ones, so a typo cannot go unnoticed. Namespaces
are pushed only with ``push-ros-namespace`` (``group`` has no ``namespace`` attribute in ROS 2);
absolute namespaces replace, relative ones append, and a scoped group pops them at its end.
"""
from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import yaml

from .specs import LaunchArgument, LaunchDescription, LaunchFileError, NodeSpec, ParamFile

SUPPORTED_TAGS = ("arg", "node", "group", "push-ros-namespace", "push_ros_namespace")
SUPPORTED_SUBSTITUTIONS = ("var", "env", "find-pkg-share")
OUTPUT_MODES = ("screen", "log", "both")
_ATTRIBUTES = {
    "arg": ("name", "default", "description"),
    "node": ("pkg", "exec", "name", "namespace", "output", "param", "remap", "if", "unless"),
    "group": ("scoped", "children", "if", "unless"),
    "push-ros-namespace": ("namespace",),
    "param": ("name", "value", "from", "param"),
    "remap": ("from", "to"),
}
_SUBSTITUTION = re.compile(r"\$\(\s*([A-Za-z_-]+)((?:\s+[^\s()$]+)*)\s*\)")
_NAME_TOKEN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def parse_launch_arguments(items: Iterable[str]) -> dict[str, str]:
    """``["name:=value", ...]`` -> ``{name: value}``; anything else is a :class:`LaunchFileError`."""
    values: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition(":=")
        if not sep or not _NAME_TOKEN.match(name):
            raise LaunchFileError(f"launch argument {item!r} is not of the form name:=value")
        values[name] = value
    return values


def load_launch_file(path: str | os.PathLike[str], arguments: Iterable[str] | Mapping[str, str] = ()
                     ) -> LaunchDescription:
    """Read and resolve a YAML launch file with command-line ``name:=value`` arguments.

    Raises :class:`LaunchFileError` naming the file and the problem: unreadable YAML, an
    unsupported tag, attribute or substitution, a missing required argument, or a command-line
    argument the file does not declare.
    """
    path = Path(path)
    if path.is_dir():
        raise LaunchFileError(f"launch file {path} is a folder, not a YAML launch file")
    if not path.is_file():
        raise FileNotFoundError(f"launch file {path} does not exist")
    given = dict(arguments) if isinstance(arguments, Mapping) else parse_launch_arguments(arguments)
    try:
        document = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise LaunchFileError(f"{path}: not valid YAML: {exc}") from exc
    except (UnicodeDecodeError, OSError) as exc:  # e.g. a binary file
        raise LaunchFileError(f"launch file {path} is not readable UTF-8 text (YAML): {exc}") from None
    if not isinstance(document, dict) or set(document) != {"launch"} or not isinstance(document["launch"], list):
        raise LaunchFileError(f"{path}: a YAML launch file is a mapping with one key, 'launch:', "
                              "holding a list of entities")
    description = LaunchDescription(path=path)
    _Resolver(description, given).entities(document["launch"], scope=_Scope(dict(given), ""), where="launch")
    unknown = sorted(set(given) - set(description.arguments))
    if unknown:
        declared = ", ".join(description.arguments) or "none"
        raise LaunchFileError(f"{path}: unknown launch argument(s) {', '.join(unknown)}; "
                              f"this file declares: {declared}")
    return description


@dataclass
class _Scope:
    values: dict[str, str]
    namespace: str  # "" (root) or "/a/b"


class _Resolver:
    """Walks the entity tree in order, like launch does, resolving substitutions as it goes."""

    def __init__(self, description: LaunchDescription, given: Mapping[str, str]) -> None:
        self.description = description
        self.given = given

    def error(self, where: str, message: str) -> LaunchFileError:
        return LaunchFileError(f"{self.description.path}: {where}: {message}")

    def entities(self, items: Any, scope: _Scope, where: str) -> None:
        if not isinstance(items, list):
            raise self.error(where, f"expected a list of entities, got {type(items).__name__}")
        for index, item in enumerate(items):
            if not isinstance(item, dict) or len(item) != 1:
                raise self.error(where, f"entity #{index + 1} must be a mapping with exactly one key "
                                        f"(the tag), got {item!r}")
            tag, body = next(iter(item.items()))
            here = f"{where} > {tag} #{index + 1}"
            if tag == "arg":
                self.arg(self.attributes(tag, body, here), scope, here)
            elif tag == "node":
                self.node(self.attributes(tag, body, here), scope, here)
            elif tag == "group":
                self.group(body, scope, here)
            elif tag in ("push-ros-namespace", "push_ros_namespace"):
                attrs = self.attributes("push-ros-namespace", body, here, required=("namespace",))
                scope.namespace = _join_namespace(scope.namespace, self.text(attrs["namespace"], scope, here))
                self.check_namespace(scope.namespace, here)
            else:
                raise self.error(where, f"unsupported tag {tag!r}; greenroom launch supports: "
                                        f"{', '.join(SUPPORTED_TAGS)} (see greenroom.real.launch)")

    def attributes(self, tag: str, body: Any, where: str, required: Sequence[str] = ()) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise self.error(where, f"'{tag}' needs a mapping of attributes, got {body!r}")
        unknown = sorted(set(body) - set(_ATTRIBUTES[tag]))
        if unknown:
            raise self.error(where, f"unsupported attribute(s) {', '.join(unknown)} of '{tag}'; "
                                    f"supported: {', '.join(_ATTRIBUTES[tag])}")
        missing = [name for name in required if name not in body]
        if missing:
            raise self.error(where, f"'{tag}' needs the attribute(s) {', '.join(missing)}")
        return body

    def arg(self, attrs: dict[str, Any], scope: _Scope, where: str) -> None:
        if "name" not in attrs:
            raise self.error(where, "'arg' needs a 'name'")
        name = str(attrs["name"])
        description = str(attrs.get("description", ""))
        given = name in scope.values
        # as launch's DeclareLaunchArgument: the default's substitutions run only when it is used
        # (a $(find-pkg-share ...) default needs no installed share when the value is given)
        default = None if "default" not in attrs else (str(attrs["default"]) if given
                                                        else self.text(attrs["default"], scope, where))
        self.description.arguments.setdefault(name, LaunchArgument(name, default, description))
        if given:
            value = scope.values[name]
        elif default is not None:
            value = default
        else:
            hint = f" ({description})" if description else ""
            raise self.error(where, f"missing required launch argument '{name}'{hint}; "
                                    f"pass it as {name}:=VALUE")
        scope.values[name] = value
        self.description.values.setdefault(name, value)

    def condition(self, attrs: dict[str, Any], scope: _Scope, where: str) -> bool:
        """launch's IfCondition/UnlessCondition: 'true'/'false'/'1'/'0' (any case), else an error."""
        enabled = True
        for key, wanted in (("if", True), ("unless", False)):
            if key in attrs:
                text = self.text(attrs[key], scope, where).strip().lower()
                if text not in ("true", "false", "1", "0"):
                    raise self.error(where, f"'{key}' must evaluate to true/false/1/0, got {text!r}")
                enabled = enabled and (text in ("true", "1")) == wanted
        return enabled

    def group(self, body: Any, scope: _Scope, where: str) -> None:
        scoped = True
        if isinstance(body, dict):
            attrs = self.attributes("group", body, where, required=("children",))
            if not self.condition(attrs, scope, where):
                return
            scoped = attrs.get("scoped", True)
            if not isinstance(scoped, bool):
                raise self.error(where, f"'scoped' must be true or false, got {scoped!r}")
            children = attrs["children"]
        else:
            children = body
        inner = _Scope(dict(scope.values), scope.namespace) if scoped else scope
        self.entities(children, inner, where)

    def node(self, attrs: dict[str, Any], scope: _Scope, where: str) -> None:
        missing = [key for key in ("pkg", "exec") if key not in attrs]
        if missing:
            raise self.error(where, f"'node' needs the attribute(s) {', '.join(missing)}")
        if not self.condition(attrs, scope, where):
            return
        name = self.text(attrs["name"], scope, where) if "name" in attrs else None
        if name is not None and not _NAME_TOKEN.match(name):
            raise self.error(where, f"invalid node name {name!r} (letters, digits and _; no leading digit)")
        namespace = scope.namespace
        if "namespace" in attrs:
            namespace = _join_namespace(namespace, self.text(attrs["namespace"], scope, where))
        self.check_namespace(namespace, where)
        output = self.text(attrs.get("output", "screen"), scope, where)
        if output not in OUTPUT_MODES:
            raise self.error(where, f"output {output!r} is not one of {', '.join(OUTPUT_MODES)}")
        self.description.nodes.append(NodeSpec(
            package=self.text(attrs["pkg"], scope, where),
            executable=self.text(attrs["exec"], scope, where),
            name=name,
            namespace=namespace or "/",
            output=output,
            parameters=self.parameters(attrs.get("param", []), scope, where),
            remappings=self.remappings(attrs.get("remap", []), scope, where),
        ))

    def parameters(self, entries: Any, scope: _Scope, where: str) -> tuple[ParamFile | dict[str, Any], ...]:
        files: list[ParamFile] = []
        values = self.parameter_dict(entries, scope, f"{where} > param", files)
        return (*files, values) if values else tuple(files)

    def parameter_dict(self, entries: Any, scope: _Scope, where: str, files: list[ParamFile] | None
                       ) -> dict[str, Any]:
        if not isinstance(entries, list):
            raise self.error(where, f"'param' must be a list of {{name, value}} or {{from}} entries, got {entries!r}")
        values: dict[str, Any] = {}
        for entry in entries:
            attrs = self.attributes("param", entry, where)
            if "from" in attrs:
                if files is None or len(attrs) != 1:
                    raise self.error(where, "'from' (a parameter file) stands alone, and only at the top "
                                            "level of a node's 'param' list")
                files.append(ParamFile(self.text(attrs["from"], scope, where)))
                continue
            if "name" not in attrs or ("value" in attrs) == ("param" in attrs):
                raise self.error(where, f"a parameter needs 'name' and either 'value' or a nested "
                                        f"'param' list, got {entry!r}")
            name = self.text(attrs["name"], scope, where)
            if "param" in attrs:
                values[name] = self.parameter_dict(attrs["param"], scope, f"{where} > {name}", None)
            else:
                values[name] = self.parameter_value(attrs["value"], scope, f"{where} > {name}")
        return values

    def parameter_value(self, value: Any, scope: _Scope, where: str) -> Any:
        """launch's typed substitution (``perform_typed_substitution`` with no declared type):
        YAML scalars and strings without a substitution are kept as they are ("on" and "1" stay
        strings); a string with a substitution is typed by YAML after substituting ("" stays
        ""); in a list each item is treated so, and the items must end up of one type."""
        if isinstance(value, list):
            items = [self.parameter_value(item, scope, where) for item in value]
            if not _uniform(items):
                raise self.error(where, f"the list {value!r} gives items of different types {items!r}; "
                                        "ros2 launch refuses it (the output list is not uniform)")
            return items
        if isinstance(value, bool | int | float):
            return value
        if not isinstance(value, str):
            raise self.error(where, f"unsupported parameter value {value!r} (scalars and lists only)")
        if "$(" not in value:
            return value
        text = self.text(value, scope, where)
        if not text:
            return text
        try:
            typed = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise self.error(where, f"{value!r} gives {text!r}, which is not valid YAML ({exc}); "
                                    "ros2 launch refuses it") from exc
        if isinstance(typed, bool | int | float | str) or (isinstance(typed, list) and _uniform(typed)
                                                           and all(isinstance(i, bool | int | float | str) for i in typed)):
            return typed
        raise self.error(where, f"{value!r} gives {text!r}, YAML {type(typed).__name__} {typed!r}: a parameter is a "
                                "bool, int, float, string or a list of one of them (quote it to keep a string: "
                                "\"'...'\")")

    def remappings(self, entries: Any, scope: _Scope, where: str) -> tuple[tuple[str, str], ...]:
        if not isinstance(entries, list):
            raise self.error(where, f"'remap' must be a list of {{from, to}} entries, got {entries!r}")
        pairs = []
        for entry in entries:
            attrs = self.attributes("remap", entry, f"{where} > remap", required=("from", "to"))
            pairs.append((self.text(attrs["from"], scope, where), self.text(attrs["to"], scope, where)))
        return tuple(pairs)

    def check_namespace(self, namespace: str, where: str) -> None:
        tokens = [token for token in namespace.split("/") if token]
        if any(not _NAME_TOKEN.match(token) for token in tokens) or "//" in namespace.rstrip("/"):
            raise self.error(where, f"invalid namespace {namespace!r}")

    def text(self, value: Any, scope: _Scope, where: str) -> str:
        """Resolve the substitutions in a scalar attribute value."""
        if isinstance(value, bool):
            return "true" if value else "false"
        if not isinstance(value, (str, int, float)):
            raise self.error(where, f"expected a string, got {value!r}")
        text = str(value)

        def replace(match: re.Match[str]) -> str:
            verb, args = match.group(1), match.group(2).split()
            return self.substitute(verb, args, scope, where)

        if "$(" in _SUBSTITUTION.sub("", text):
            raise self.error(where, f"cannot parse the substitution in {text!r}; supported: "
                                    + ", ".join(f"$({verb} ...)" for verb in SUPPORTED_SUBSTITUTIONS)
                                    + " (not nested)")
        return _SUBSTITUTION.sub(replace, text)

    def substitute(self, verb: str, args: list[str], scope: _Scope, where: str) -> str:
        if verb == "var" and len(args) == 1:
            if args[0] not in scope.values:
                known = ", ".join(scope.values) or "none"
                raise self.error(where, f"$(var {args[0]}): launch argument '{args[0]}' is not declared "
                                        f"before this point (declared so far: {known})")
            return scope.values[args[0]]
        if verb == "env" and len(args) in (1, 2):
            if args[0] in os.environ:
                return os.environ[args[0]]
            if len(args) == 2:
                return args[1]
            raise self.error(where, f"$(env {args[0]}): environment variable not set and no default given")
        if verb == "find-pkg-share" and len(args) == 1:
            return str(find_package_share(args[0]))
        raise self.error(where, f"unsupported substitution $({verb} {' '.join(args)}); supported: "
                                "$(var NAME), $(env NAME [DEFAULT]), $(find-pkg-share PKG)")


def _uniform(items: list[Any]) -> bool:
    """launch's rule for lists: every item of the first item's exact type (no int/float mixing)."""
    return all(type(item) is type(items[0]) for item in items)


def _join_namespace(current: str, namespace: str) -> str:
    """launch_ros semantics: an absolute namespace replaces, a relative one is appended."""
    namespace = namespace.strip()
    if namespace.startswith("/"):
        joined = namespace
    elif not namespace:
        joined = current
    else:
        joined = f"{current.rstrip('/')}/{namespace}"
    return joined.rstrip("/") if joined != "/" else ""


def find_package_share(package: str) -> Path:
    """``<prefix>/share/<package>`` via ament_index (AMENT_PREFIX_PATH defaults to this venv)."""
    os.environ.setdefault("AMENT_PREFIX_PATH", sys.prefix)
    try:
        from ament_index_python.packages import PackageNotFoundError, get_package_share_directory
    except ImportError as exc:  # pragma: no cover - ament_index_python ships with the ros extra
        raise LaunchFileError("$(find-pkg-share ...) needs ament_index_python (pip install 'greenroom[ros]')") from exc
    try:
        return Path(get_package_share_directory(package))
    except PackageNotFoundError as exc:
        raise LaunchFileError(f"$(find-pkg-share {package}): package not found on AMENT_PREFIX_PATH="
                              f"{os.environ['AMENT_PREFIX_PATH']} (editable installs have no share files; "
                              "pip install . or colcon build)") from exc
