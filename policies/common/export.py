"""ONNX export shared by every task: one self-contained file, a parity gate, and hashes.

::

    path = export_onnx(net, (example,), out / "policy.onnx", ["image"], ["values", "twist"])
    worst = check_parity(net, path, recorded_batches)          # raises ParityError above 1e-5
    contract = contract_from_onnx(path, task="flight", config=cfg, spec={...})
    contract.save(contract_path_for(path))

Exporter: torch 2.x's default *dynamo* exporter (``torch.export`` + onnxscript) writes the
graph with weights inside (``external_data=False``) and a symbolic batch dimension from
``torch.export.Dim``. Some models (data-dependent control flow, unsupported ops) fail to trace
under ``torch.export``; then the legacy TorchScript exporter (``dynamo=False``, ``dynamic_axes``)
is used instead and the fallback is logged with the reason. Both produce identical graphs for
plain CNNs (max |ORT - torch| <= 2e-8, shared/docs/rendering.md section 5). Pass
``exporter="dynamo"`` or ``"legacy"`` to force one.

Parity: the module and ONNX Runtime (CPU, one thread) are run on the same recorded inputs; the
largest absolute difference over all outputs is returned, and :class:`ParityError` says by how
much it exceeded the tolerance. A pass needs at least ``min_samples`` (default
:data:`PARITY_MIN_SAMPLES` = 256) samples for every task: fewer raise :class:`ParityError` even
when they agree (a mismatch is reported as such whatever the count). :func:`parity_gate` runs the
check on a freshly exported file and deletes the file (and its contract) when it fails, so a
failed export leaves no ONNX file behind.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import json
import logging
import re
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..runtime.contract import Contract, TensorSpec, contract_path_for

log = logging.getLogger(__name__)

EXPORTERS = ("auto", "dynamo", "legacy")
PARITY_MIN_SAMPLES = 256


class ExportError(ValueError):
    """The model could not be exported to a valid single-file ONNX graph (or failed parity).

    A ValueError so that ``greenroom export`` reports it as a one-line error, not a traceback.
    """


class ParityError(ExportError):
    """ONNX Runtime's outputs differ from torch's by more than the tolerance."""

    def __init__(self, message: str, max_abs_diff: float, atol: float) -> None:
        super().__init__(message)
        self.max_abs_diff = max_abs_diff
        self.atol = atol


# -- hashing -----------------------------------------------------------------------------
def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path | str) -> str:
    """Hex SHA-256 of a file's bytes (streamed)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def config_sha256(config: Any) -> str:
    """Hex SHA-256 of a config's canonical JSON (dataclass or mapping; keys sorted)."""
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        payload: Any = dataclasses.asdict(config)
    elif isinstance(config, Mapping):
        payload = dict(config)
    else:
        raise TypeError(f"config_sha256 takes a dataclass instance or a mapping, got {type(config).__name__}")
    text = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return sha256_bytes(text.encode())


# -- export ------------------------------------------------------------------------------
@contextlib.contextmanager
def _quiet():
    """Silence the dynamo exporter's progress prints and known warnings (they are not errors)."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        onnx_loggers = [logging.getLogger(n) for n in ("torch.onnx", "onnxscript", "torch.export")]
        levels = [lg.level for lg in onnx_loggers]
        for lg in onnx_loggers:
            lg.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for lg, level in zip(onnx_loggers, levels):
                lg.setLevel(level)


def _export_dynamo(module: torch.nn.Module, example_inputs: tuple[torch.Tensor, ...], path: Path,
                   input_names: Sequence[str], output_names: Sequence[str], opset: int,
                   dynamic_batch: bool) -> None:
    dynamic_shapes = None
    if dynamic_batch:
        batch = torch.export.Dim("batch", min=1, max=4096)
        dynamic_shapes = tuple({0: batch} for _ in example_inputs)
    with _quiet():
        torch.onnx.export(module, example_inputs, str(path), input_names=list(input_names),
                          output_names=list(output_names), opset_version=opset, dynamo=True,
                          external_data=False, dynamic_shapes=dynamic_shapes, verbose=False,
                          optimize=True)


def _export_legacy(module: torch.nn.Module, example_inputs: tuple[torch.Tensor, ...], path: Path,
                   input_names: Sequence[str], output_names: Sequence[str], opset: int,
                   dynamic_batch: bool) -> None:
    dynamic_axes = None
    if dynamic_batch:
        dynamic_axes = {name: {0: "batch"} for name in [*input_names, *output_names]}
    with _quiet():
        torch.onnx.export(module, example_inputs, str(path), input_names=list(input_names),
                          output_names=list(output_names), opset_version=opset, dynamo=False,
                          dynamic_axes=dynamic_axes)


def export_onnx(module: torch.nn.Module, example_inputs: tuple[torch.Tensor, ...], path: Path | str,
                input_names: Sequence[str], output_names: Sequence[str], opset: int = 18,
                dynamic_batch: bool = True, exporter: str = "auto") -> Path:
    """Export ``module`` (in eval mode, on CPU) to one ONNX file at ``path`` with weights inside.

    ``example_inputs``: one tensor per graph input, batch first. ``dynamic_batch`` makes dim 0
    of every input and output symbolic ("batch"). ``exporter``: "auto" tries dynamo, then
    legacy (logged); "dynamo"/"legacy" force one. The result is checked with
    ``onnx.checker`` and must not reference external data. Returns ``path``.
    """
    import onnx

    if opset < 17:
        raise ValueError(f"opset {opset} is too old; greenroom exports opset >= 17")
    if exporter not in EXPORTERS:
        raise ValueError(f"exporter {exporter!r} unknown; valid: {', '.join(EXPORTERS)}")
    if len(input_names) != len(example_inputs):
        raise ValueError(f"{len(input_names)} input names for {len(example_inputs)} example inputs")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    was_training = module.training
    module = module.eval().cpu()
    example_inputs = tuple(t.detach().cpu() for t in example_inputs)
    errors: list[str] = []
    chosen = None
    try:
        for name, fn in (("dynamo", _export_dynamo), ("legacy", _export_legacy)):
            if exporter not in ("auto", name):
                continue
            try:
                fn(module, example_inputs, path, input_names, output_names, opset, dynamic_batch)
                chosen = name
                break
            except Exception as exc:  # exporter failures come in many types
                first_line = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip().splitlines()[:1]
                errors.append(f"{name} exporter: {type(exc).__name__}: {first_line[0] if first_line else ''}")
                if exporter == "auto" and name == "dynamo":
                    log.warning("dynamo ONNX export failed (%s); falling back to the legacy exporter", errors[-1])
    finally:
        module.train(was_training)
    if chosen is None:
        raise ExportError(f"could not export {type(module).__name__} to {path}: " + "; ".join(errors))
    sidecar = path.with_name(path.name + ".data")
    if sidecar.exists():
        raise ExportError(f"export of {path} wrote external weights ({sidecar}); expected a single file")
    try:
        onnx.checker.check_model(str(path), full_check=True)
    except Exception as exc:
        raise ExportError(f"{path} exported with the {chosen} exporter fails onnx.checker: {exc}") from exc
    graph_inputs, graph_outputs = tensor_specs(path)
    if [t.name for t in graph_inputs] != list(input_names) or [t.name for t in graph_outputs] != list(output_names):
        raise ExportError(
            f"{path} exported with the {chosen} exporter has inputs {[t.name for t in graph_inputs]} and outputs "
            f"{[t.name for t in graph_outputs]}, expected {list(input_names)} and {list(output_names)} (an input the "
            f"graph does not depend on was dropped: the tracer froze a computation outside torch)")
    log.info("exported %s with the %s exporter (opset %d)", path, chosen, opset)
    return path


# -- parity ------------------------------------------------------------------------------
def _as_batches(inputs: Sequence[tuple[np.ndarray, ...]] | np.ndarray | tuple[np.ndarray, ...]) -> list[tuple[np.ndarray, ...]]:
    if isinstance(inputs, np.ndarray):
        return [(inputs,)]
    batches = list(inputs)
    if batches and isinstance(batches[0], np.ndarray):  # a single tuple of arrays
        return [tuple(batches)]  # type: ignore[arg-type]
    return [tuple(b) for b in batches]


def _torch_outputs(module: torch.nn.Module, arrays: tuple[np.ndarray, ...]) -> list[np.ndarray]:
    with torch.no_grad():
        out = module(*(torch.from_numpy(np.ascontiguousarray(a)) for a in arrays))
    if isinstance(out, torch.Tensor):
        out = (out,)
    return [o.detach().cpu().numpy() for o in out]


def _sample_count(batches: list[tuple[np.ndarray, ...]]) -> int:
    return sum(len(arrays[0]) if arrays and np.ndim(arrays[0]) else 1 for arrays in batches)


def check_parity(module: torch.nn.Module, onnx_path: Path | str,
                 inputs: Sequence[tuple[np.ndarray, ...]] | np.ndarray, atol: float = 1e-5,
                 min_samples: int = PARITY_MIN_SAMPLES) -> float:
    """Max |torch - ONNX Runtime| over all outputs and all given inputs.

    ``inputs``: a list of feeds, each a tuple with one array per graph input (batched), or one
    array for a single-input graph. Integer outputs are compared as numbers too. Raises
    :class:`ParityError` naming the output and the excess when the difference exceeds ``atol``,
    and when fewer than ``min_samples`` samples (batch rows over all feeds) were compared: a
    pass on a handful of inputs is no evidence (a mismatch on any count is still reported).
    """
    if min_samples < 1:
        raise ValueError(f"min_samples must be >= 1; got {min_samples}")
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
    input_names = [i.name for i in session.get_inputs()]
    output_names = [o.name for o in session.get_outputs()]
    was_training = module.training
    module.eval()
    worst, worst_output, count = 0.0, "", 0
    batches = _as_batches(inputs)
    try:
        for arrays in batches:
            if len(arrays) != len(input_names):
                raise ValueError(f"{onnx_path} takes {len(input_names)} inputs {input_names}, got {len(arrays)}")
            expected = _torch_outputs(module, arrays)
            got = session.run(None, dict(zip(input_names, arrays)))
            if len(expected) != len(got):
                raise ParityError(f"{onnx_path} has {len(got)} outputs, the torch module {len(expected)}",
                                  float("inf"), atol)
            for name, want, have in zip(output_names, expected, got):
                if want.shape != have.shape:
                    raise ParityError(f"output {name!r} of {onnx_path}: ONNX shape {have.shape} "
                                      f"!= torch shape {want.shape}", float("inf"), atol)
                diff = float(np.max(np.abs(want.astype(np.float64) - have.astype(np.float64)), initial=0.0))
                if not np.isfinite(diff):
                    diff = float("inf")
                if diff > worst:
                    worst, worst_output = diff, name
            count += _sample_count([arrays])
    finally:
        module.train(was_training)
    if worst > atol:
        raise ParityError(
            f"ONNX parity failed for {onnx_path}: output {worst_output!r} differs from torch by "
            f"{worst:.3g} (tolerance {atol:.0e}, {worst / atol:.3g}x over) on {count} samples",
            worst, atol)
    if count < min_samples:
        raise ParityError(f"ONNX parity of {onnx_path} checked on {count} samples; at least {min_samples} recorded "
                          f"inputs are required (max |diff| {worst:.3g} on those)", worst, atol)
    return worst


def parity_gate(module: torch.nn.Module, onnx_path: Path | str,
                inputs: Sequence[tuple[np.ndarray, ...]] | np.ndarray, atol: float = 1e-5,
                min_samples: int = PARITY_MIN_SAMPLES) -> float:
    """:func:`check_parity` on a file just exported; on any failure the file and its contract are deleted.

    Returns the max |diff|; re-raises the failure (so a failed export leaves no ONNX file behind).
    """
    try:
        return check_parity(module, onnx_path, inputs, atol=atol, min_samples=min_samples)
    except BaseException:
        Path(onnx_path).unlink(missing_ok=True)
        contract_path_for(Path(onnx_path)).unlink(missing_ok=True)
        raise


# -- contract ----------------------------------------------------------------------------
def _dims(value_info: Any) -> list[int | str]:
    dims: list[int | str] = []
    for d in value_info.type.tensor_type.shape.dim:
        dims.append(int(d.dim_value) if d.HasField("dim_value") else (d.dim_param or "?"))
    return dims


def tensor_specs(onnx_path: Path | str) -> tuple[list[TensorSpec], list[TensorSpec]]:
    """Input and output :class:`TensorSpec` s read from an ONNX file's graph."""
    import onnx
    from onnx import helper

    model = onnx.load(str(onnx_path), load_external_data=False)
    initializers = {i.name for i in model.graph.initializer}

    def spec(v: Any) -> TensorSpec:
        dtype = np.dtype(helper.tensor_dtype_to_np_dtype(v.type.tensor_type.elem_type)).name
        return TensorSpec(v.name, _dims(v), dtype)

    inputs = [spec(v) for v in model.graph.input if v.name not in initializers]
    return inputs, [spec(v) for v in model.graph.output]


def opset_of(onnx_path: Path | str) -> int:
    import onnx

    model = onnx.load(str(onnx_path), load_external_data=False)
    return max(int(o.version) for o in model.opset_import if o.domain in ("", "ai.onnx"))


def contract_from_onnx(onnx_path: Path | str, task: str, config: Any, spec: Mapping[str, Any],
                       save: bool = True) -> Contract:
    """Build (and by default save beside the model) the contract of an exported ONNX file."""
    from ... import __version__

    onnx_path = Path(onnx_path)
    inputs, outputs = tensor_specs(onnx_path)
    contract = Contract(
        task=task, greenroom_version=__version__, created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        model_file=onnx_path.name, model_sha256=sha256_file(onnx_path), config_sha256=config_sha256(config),
        opset=opset_of(onnx_path), inputs=inputs, outputs=outputs, spec=dict(spec),
    )
    if save:
        contract.save(contract_path_for(onnx_path))
    return contract
