"""The contract file that travels beside every exported ONNX policy (no torch, no simulators).

``policy.onnx`` + ``policy.contract.json``: what the model takes and returns (tensor names,
shapes, dtypes), the SHA-256 of the exact model bytes and of the training config, the opset,
the greenroom version, and a task-specific ``spec`` (for flight: image size and encoding,
field of view, direction grid, Twist limits, control rate). Runtimes refuse a model whose
hash, tensors or spec disagree with its contract (:class:`ContractError`, naming the file and
the problem), so a robot never runs a policy with the wrong camera or action mapping.

Shapes are lists of ints (fixed) or strings (symbolic, e.g. ``"batch"``).
"""
from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CONTRACT_SUFFIX = ".contract.json"
CONTRACT_FORMAT = 1
_REQUIRED = ("task", "greenroom_version", "created", "model_file", "model_sha256", "config_sha256",
             "opset", "inputs", "outputs", "spec")


class ContractError(ValueError):
    """A model or contract file is missing, corrupt, or they disagree (message says which and why)."""


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

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["inputs"] = [t.to_dict() for t in self.inputs]
        d["outputs"] = [t.to_dict() for t in self.outputs]
        d["format"] = CONTRACT_FORMAT
        return d

    @classmethod
    def from_dict(cls, d: Any, where: str = "contract") -> Contract:
        if not isinstance(d, dict):
            raise ContractError(f"{where}: expected a JSON object, got {type(d).__name__}")
        missing = [k for k in _REQUIRED if k not in d]
        if missing:
            raise ContractError(f"{where}: missing field(s) {', '.join(missing)}")
        if d.get("format", CONTRACT_FORMAT) != CONTRACT_FORMAT:
            raise ContractError(f"{where}: contract format {d.get('format')} is not supported (this greenroom reads {CONTRACT_FORMAT})")
        for key in ("inputs", "outputs"):
            if not isinstance(d[key], list) or not d[key]:
                raise ContractError(f"{where}: {key!r} must be a non-empty list of tensor specs")
        if not isinstance(d["spec"], dict):
            raise ContractError(f"{where}: 'spec' must be an object, got {type(d['spec']).__name__}")
        if not isinstance(d["model_sha256"], str) or len(d["model_sha256"]) != 64:
            raise ContractError(f"{where}: model_sha256 must be 64 hex digits, got {d['model_sha256']!r}")
        try:
            opset = int(d["opset"])
        except (TypeError, ValueError):
            raise ContractError(f"{where}: opset must be an integer, got {d['opset']!r}") from None
        return cls(
            task=str(d["task"]), greenroom_version=str(d["greenroom_version"]), created=str(d["created"]),
            model_file=str(d["model_file"]), model_sha256=d["model_sha256"], config_sha256=str(d["config_sha256"]),
            opset=opset,
            inputs=[TensorSpec.from_dict(t, where) for t in d["inputs"]],
            outputs=[TensorSpec.from_dict(t, where) for t in d["outputs"]],
            spec=dict(d["spec"]),
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
        path = Path(path)
        if not path.is_file():
            raise ContractError(f"contract file {path} does not exist (export writes it beside the .onnx model)")
        try:
            payload = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ContractError(f"contract file {path} is not readable JSON: {exc}") from None
        return cls.from_dict(payload, where=f"contract file {path}")

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


def contract_path_for(onnx_path: Path | str) -> Path:
    """``policy.onnx`` -> ``policy.contract.json`` (same folder)."""
    return Path(onnx_path).with_suffix(CONTRACT_SUFFIX)


def load_contract_for(onnx_path: Path | str) -> Contract:
    """The contract beside an ONNX model (ContractError when the model or contract is missing)."""
    onnx_path = Path(onnx_path)
    if not onnx_path.is_file():
        raise ContractError(f"model file {onnx_path} does not exist")
    return Contract.load(contract_path_for(onnx_path))
