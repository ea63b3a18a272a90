"""An ONNX Runtime session checked against its contract (no torch, no simulators).

``OnnxSession(model, contract)`` refuses to start when the file is missing or unreadable, its
SHA-256 differs from the contract's (the model was re-exported or edited without its
contract), or the graph's input/output names, ranks, fixed dimensions or dtypes differ from
the contract's tensor specs. ``run(feeds)`` checks each feed's dtype and shape first, so a bad
camera frame fails with a message naming the tensor rather than deep inside ONNX Runtime.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from .contract import Contract, ContractError, TensorSpec

_ORT_DTYPES = {
    "tensor(float)": "float32", "tensor(double)": "float64", "tensor(float16)": "float16",
    "tensor(uint8)": "uint8", "tensor(int8)": "int8", "tensor(int16)": "int16", "tensor(uint16)": "uint16",
    "tensor(int32)": "int32", "tensor(int64)": "int64", "tensor(bool)": "bool",
}


class InputError(ValueError):
    """A feed given to :meth:`OnnxSession.run` has the wrong name, dtype or shape."""


def ort_dtype_to_numpy(ort_type: str) -> str:
    """``"tensor(float)"`` -> ``"float32"`` (numpy dtype name)."""
    if ort_type not in _ORT_DTYPES:
        raise ContractError(f"unsupported ONNX tensor type {ort_type}")
    return _ORT_DTYPES[ort_type]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _spec_of(node: Any) -> TensorSpec:
    shape = [d if isinstance(d, int) else (str(d) if d is not None else "?") for d in node.shape]
    return TensorSpec(node.name, shape, ort_dtype_to_numpy(node.type))


class OnnxSession:
    """ONNX Runtime CPU inference for one exported model, validated against its contract.

    Args:
        model_path: the ``.onnx`` file (weights inside).
        contract: its :class:`Contract`; None skips the hash and tensor checks (tools only).
        threads: intra-op threads (1 = deterministic latency on a shared robot computer).
    """

    def __init__(self, model_path: Path | str, contract: Contract | None = None, threads: int = 1) -> None:
        try:
            import onnxruntime as ort
        except ImportError as exc:  # core dependency, but say what to install
            raise ImportError("greenroom's runtime needs onnxruntime: pip install onnxruntime") from exc
        self.model_path = Path(model_path)
        if self.model_path.is_dir():
            raise ContractError(f"model file {self.model_path} is a folder; give the .onnx file inside it")
        if not self.model_path.is_file():
            raise ContractError(f"model file {self.model_path} does not exist")
        self.contract = contract
        if contract is not None:
            try:
                actual = _sha256(self.model_path)
            except OSError as exc:
                raise ContractError(f"model file {self.model_path} is not readable: {exc}") from None
            if actual != contract.model_sha256:
                raise ContractError(
                    f"model file {self.model_path} has sha256 {actual}, its contract expects "
                    f"{contract.model_sha256}: the model was changed after export; re-export it "
                    f"(greenroom export RUN) so model and contract match")
        options = ort.SessionOptions()
        options.intra_op_num_threads = int(threads)
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(str(self.model_path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # ORT raises its own exception types for corrupt graphs
            raise ContractError(f"model file {self.model_path} is not a valid ONNX model: {exc}") from None
        self.inputs = [_spec_of(i) for i in self._session.get_inputs()]
        self.outputs = [_spec_of(o) for o in self._session.get_outputs()]
        self._output_names = [o.name for o in self.outputs]
        if contract is not None:
            self._check_against(contract)

    def _check_against(self, contract: Contract) -> None:
        for kind, graph, declared in (("input", self.inputs, contract.inputs), ("output", self.outputs, contract.outputs)):
            names = [t.name for t in graph]
            wanted = [t.name for t in declared]
            if names != wanted:
                raise ContractError(f"model {self.model_path} has {kind}s {names}, its contract declares {wanted}")
            for have, want in zip(graph, declared):
                if have.dtype != want.dtype:
                    raise ContractError(f"model {self.model_path} {kind} {have.name!r} is {have.dtype}, "
                                        f"its contract declares {want.dtype}")
                if not want.matches_shape(have.shape):
                    raise ContractError(f"model {self.model_path} {kind} {have.name!r} has shape {have.shape}, "
                                        f"its contract declares {want.shape}")

    def input_spec(self, name: str) -> TensorSpec:
        for spec in self.inputs:
            if spec.name == name:
                return spec
        raise InputError(f"model has no input {name!r}; inputs: {[t.name for t in self.inputs]}")

    def run(self, feeds: dict[str, np.ndarray], check: bool = True) -> dict[str, np.ndarray]:
        """Run the graph; ``feeds`` maps every input name to an array of its dtype and shape.

        ``check=False`` skips the feed checks (for callers that validated the input already).
        """
        if not check:
            return dict(zip(self._output_names, self._session.run(self._output_names, feeds)))
        missing = [t.name for t in self.inputs if t.name not in feeds]
        extra = [k for k in feeds if k not in {t.name for t in self.inputs}]
        if missing or extra:
            raise InputError(f"feeds must be exactly {[t.name for t in self.inputs]}; missing {missing}, unknown {extra}")
        for spec in self.inputs:
            value = feeds[spec.name]
            if not isinstance(value, np.ndarray):
                raise InputError(f"input {spec.name!r} must be a numpy array, got {type(value).__name__}")
            if value.dtype.name != spec.dtype:
                raise InputError(f"input {spec.name!r} must be {spec.dtype}, got {value.dtype.name}")
            if not spec.matches_shape(value.shape):
                raise InputError(f"input {spec.name!r} must have shape {spec.shape}, got {list(value.shape)}")
        return dict(zip(self._output_names, self._session.run(self._output_names, feeds)))
