"""The contract file that travels beside every exported ONNX policy (no torch, no simulators).

``policy.onnx`` + ``policy.contract.json``: what the model takes and returns (tensor names,
shapes, dtypes), the SHA-256 of the exact model bytes and of the training config, the opset,
the greenroom version, and a task-specific ``spec`` (for flight: image size and encoding,
field of view, direction grid, Twist limits, control rate). Runtimes refuse a model whose
hash, tensors or spec disagree with its contract (:class:`ContractError`, naming the file and
the problem), so a robot never runs a policy with the wrong camera or action mapping.

Shapes are lists of ints (fixed) or strings (symbolic, e.g. ``"batch"``).

Integrity: format-2 contracts carry ``contract_sha256``, the SHA-256 of every other field
(canonical JSON: sorted keys, no whitespace), so a contract edited after export (a rate, a
limit, an image size) is refused by the runtimes after their field-by-field checks. It guards
against accidental or careless edits, not against someone who rewrites the hash too: a contract
is as trustworthy as where it came from. Format-1 contracts (no hash) still load. To seal a
deliberately edited or format-1 contract::

    python -m greenroom.policies.runtime.rehash policy.contract.json

Every number in ``spec`` must be finite (JSON's NaN/Infinity are refused at load); the task
runtimes range-check the fields they use (see :func:`check_number`).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CONTRACT_SUFFIX = ".contract.json"
CONTRACT_FORMAT = 2
READABLE_FORMATS = (1, 2)
MAX_CONTRACT_BYTES = 16 * 1024 * 1024
_REQUIRED = ("task", "greenroom_version", "created", "model_file", "model_sha256", "config_sha256",
             "opset", "inputs", "outputs", "spec")
_HEX = set("0123456789abcdef")


class ContractError(ValueError):
    """A model or contract file is missing, corrupt, or they disagree (message says which and why)."""


def contract_sha256(payload: dict[str, Any]) -> str:
    """SHA-256 of a contract's fields (all but ``contract_sha256`` itself) as canonical JSON."""
    body = {k: v for k, v in payload.items() if k != "contract_sha256"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _first_non_finite(value: Any, key: str) -> str | None:
    if isinstance(value, float) and not math.isfinite(value):
        return key
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for k, v in items:
        found = _first_non_finite(v, f"{key}.{k}" if isinstance(value, dict) else f"{key}[{k}]")
        if found:
            return found
    return None


def check_number(spec: dict[str, Any], key: str, where: str, low: float, high: float, *, integer: bool = False,
                 low_open: bool = False) -> float:
    """``spec[key]`` as a finite number in [low, high] (``(low, high]`` with ``low_open``); ContractError naming it.

    The task runtimes call this for every spec field they use, so a contract asking for a
    1e9 Hz control loop, a zero rate or a negative limit is refused at load, naming the file and field.
    """
    value = spec.get(key) if isinstance(spec, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not float(value).is_integer()):
        kind = "an integer" if integer else "a number"
        raise ContractError(f"{where}: spec field {key!r} must be {kind} in {'(' if low_open else '['}{low:g}, "
                            f"{high:g}], got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number > high or number < low or (low_open and number <= low):
        raise ContractError(f"{where}: spec field {key!r} is {value!r}; it must be in {'(' if low_open else '['}"
                            f"{low:g}, {high:g}]")
    return int(number) if integer else number


@dataclass(frozen=True)
class TensorSpec:
    """One graph input or output: name, shape (ints fixed, strings symbolic), numpy dtype name."""

    name: str
    shape: list[int | str]
    dtype: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "shape": list(self.shape), "dtype": self.dtype}

    @classmethod
    def from_dict(cls, d: Any, where: str) -> TensorSpec:
        if not isinstance(d, dict) or not {"name", "shape", "dtype"} <= set(d):
            raise ContractError(f"{where}: a tensor spec needs name, shape and dtype, got {d!r}")
        if not isinstance(d["shape"], list) or not all(isinstance(x, (int, str)) for x in d["shape"]):
            raise ContractError(f"{where}: tensor {d['name']!r} shape must be a list of ints/strings, got {d['shape']!r}")
        return cls(str(d["name"]), list(d["shape"]), str(d["dtype"]))

    def matches_shape(self, shape: list[int | str] | tuple[int, ...]) -> bool:
        """Same rank, and every dimension fixed in both is equal (symbolic ones match anything)."""
        if len(shape) != len(self.shape):
            return False
        return all(not (isinstance(a, int) and isinstance(b, int)) or a == b for a, b in zip(self.shape, shape))


@dataclass
class Contract:
    """Everything a runtime must know about an exported model (see module docstring)."""

    task: str
    greenroom_version: str
    created: str
    model_file: str
    model_sha256: str
    config_sha256: str
    opset: int
    inputs: list[TensorSpec]
    outputs: list[TensorSpec]
    spec: dict[str, Any] = field(default_factory=dict)
    seal_error: str | None = field(default=None, compare=False, repr=False)
    """Set by :meth:`from_dict` when ``contract_sha256`` does not match the fields (see :meth:`verify_seal`)."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON payload (format 2, with ``contract_sha256`` over all other fields)."""
        d = dataclasses.asdict(self)
        d.pop("seal_error")
        d["inputs"] = [t.to_dict() for t in self.inputs]
        d["outputs"] = [t.to_dict() for t in self.outputs]
        d["format"] = CONTRACT_FORMAT
        d = json.loads(json.dumps(d, allow_nan=False))  # canonical JSON types (tuples -> lists): hash = file
        d["contract_sha256"] = contract_sha256(d)
        return d

    def verify_seal(self, where: str = "contract") -> None:
        """ContractError when the file was edited after export (its ``contract_sha256`` does not match).

        Task runtimes call this after their field-by-field checks (those name the field that is wrong).
        """
        if self.seal_error:
            raise ContractError(f"{where}: {self.seal_error}")

    @classmethod
    def from_dict(cls, d: Any, where: str = "contract") -> Contract:
        if not isinstance(d, dict):
            raise ContractError(f"{where}: expected a JSON object, got {type(d).__name__}")
        missing = [k for k in _REQUIRED if k not in d]
        if missing:
            raise ContractError(f"{where}: missing field(s) {', '.join(missing)}")
        if d.get("format", 1) not in READABLE_FORMATS:
            raise ContractError(f"{where}: contract format {d.get('format')!r} is not supported (this greenroom reads "
                                f"{', '.join(map(str, READABLE_FORMATS))})")
        if not isinstance(d["task"], str) or not d["task"]:
            raise ContractError(f"{where}: 'task' must be a task name, got {d['task']!r}")
        for key in ("inputs", "outputs"):
            if not isinstance(d[key], list) or not d[key]:
                raise ContractError(f"{where}: {key!r} must be a non-empty list of tensor specs")
        if not isinstance(d["spec"], dict):
            raise ContractError(f"{where}: 'spec' must be an object, got {type(d['spec']).__name__}")
        if not isinstance(d["model_sha256"], str) or len(d["model_sha256"]) != 64 or not set(d["model_sha256"]) <= _HEX:
            raise ContractError(f"{where}: model_sha256 must be 64 hex digits, got {d['model_sha256']!r}")
        if not isinstance(d["opset"], int) or isinstance(d["opset"], bool) or not 1 <= d["opset"] <= 100:
            raise ContractError(f"{where}: opset must be an integer in [1, 100], got {d['opset']!r}")
        opset = d["opset"]
        bad = next((found for key, value in d.items() if (found := _first_non_finite(value, key))), None)
        if bad:
            raise ContractError(f"{where}: field {bad} must be a finite number (NaN/Infinity are not allowed)")
        seal_error = None
        if "contract_sha256" in d:
            actual = contract_sha256(d)
            if d["contract_sha256"] != actual:
                seal_error = (f"the contract was edited after export: its fields hash to {actual}, its "
                              f"contract_sha256 says {d['contract_sha256']!r}; re-export the model, or seal a "
                              f"deliberate edit with: python -m greenroom.policies.runtime.rehash FILE")
        elif d.get("format", 1) != 1:
            raise ContractError(f"{where}: format {d['format']} contracts must carry contract_sha256")
        return cls(
            task=str(d["task"]), greenroom_version=str(d["greenroom_version"]), created=str(d["created"]),
            model_file=str(d["model_file"]), model_sha256=d["model_sha256"], config_sha256=str(d["config_sha256"]),
            opset=opset,
            inputs=[TensorSpec.from_dict(t, where) for t in d["inputs"]],
            outputs=[TensorSpec.from_dict(t, where) for t in d["outputs"]],
            spec=dict(d["spec"]), seal_error=seal_error,
        )

    def save(self, path: Path | str) -> Path:
        """Write atomically as indented JSON."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w") as handle:
                json.dump(self.to_dict(), handle, indent=2, sort_keys=True)
                handle.write("\n")
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    @classmethod
    def load(cls, path: Path | str) -> Contract:
        """Read and validate a contract file; :class:`ContractError` names the file and the problem."""
        return cls.from_dict(_read_json(path), where=f"contract file {path}")

    def input(self, name: str) -> TensorSpec:
        for spec in self.inputs:
            if spec.name == name:
                return spec
        raise ContractError(f"contract has no input {name!r}; inputs: {[t.name for t in self.inputs]}")

    def output(self, name: str) -> TensorSpec:
        for spec in self.outputs:
            if spec.name == name:
                return spec
        raise ContractError(f"contract has no output {name!r}; outputs: {[t.name for t in self.outputs]}")


def _read_json(path: Path | str) -> Any:
    path = Path(path)
    if path.is_dir():
        raise ContractError(f"contract file {path} is a folder, not a .contract.json file")
    if not path.is_file():
        raise ContractError(f"contract file {path} does not exist (export writes it beside the .onnx model)")
    try:
        if path.stat().st_size > MAX_CONTRACT_BYTES:
            raise ContractError(f"contract file {path} is over {MAX_CONTRACT_BYTES // 2**20} MiB; not a contract")
        return json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ContractError(f"contract file {path} is not readable JSON: {exc}") from None


def rehash_contract(path: Path | str) -> Path:
    """Re-seal a contract file in place: validate it, write it as format 2 with a fresh ``contract_sha256``.

    For contracts written before format 2 and for deliberate hand edits; the model hash is not
    touched (the runtimes still refuse a model that differs from ``model_sha256``).
    """
    path = Path(path)
    return Contract.from_dict(_read_json(path), where=f"contract file {path}").save(path)


def contract_path_for(onnx_path: Path | str) -> Path:
    """``policy.onnx`` -> ``policy.contract.json`` (same folder)."""
    return Path(onnx_path).with_suffix(CONTRACT_SUFFIX)


def load_contract_for(onnx_path: Path | str) -> Contract:
    """The contract beside an ONNX model (ContractError when the model or contract is missing)."""
    onnx_path = Path(onnx_path)
    if onnx_path.is_dir():
        raise ContractError(f"model file {onnx_path} is a folder; give the .onnx file inside it")
    if not onnx_path.is_file():
        raise ContractError(f"model file {onnx_path} does not exist")
    return Contract.load(contract_path_for(onnx_path))

