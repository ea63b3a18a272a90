"""policies/common/export.py: single-file ONNX export, parity gate, hashes, contracts."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from onnx import numpy_helper

from greenroom.policies.common.export import (
    ExportError,
    ParityError,
    PARITY_MIN_SAMPLES,
    check_parity,
    config_sha256,
    contract_from_onnx,
    export_onnx,
    parity_gate,
    sha256_file,
)
from greenroom.policies.runtime import Contract, OnnxSession, contract_path_for, load_contract_for


class TinyImageNet(torch.nn.Module):
    """uint8 NHWC image -> (values (N, 5) float32, best index (N,) int64); preprocessing in the graph."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.conv = torch.nn.Conv2d(3, 4, 3, stride=2)
        self.head = torch.nn.Linear(4 * 7 * 7, 5)

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = image.permute(0, 3, 1, 2).float() / 255.0
        values = self.head(torch.relu(self.conv(x)).flatten(1))
        return values, values.argmax(dim=1)


def _images(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, 16, 16, 3), dtype=np.uint8)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[TinyImageNet, Path]:
    net = TinyImageNet()
    path = tmp_path_factory.mktemp("onnx") / "tiny.onnx"
    export_onnx(net, (torch.zeros(2, 16, 16, 3, dtype=torch.uint8),), path, ["image"], ["values", "best"])
    return net, path


def test_export_is_one_file_with_opset_and_dynamic_batch(exported: tuple[TinyImageNet, Path]) -> None:
    net, path = exported
    assert sorted(p.name for p in path.parent.iterdir()) == ["tiny.onnx"]  # no .onnx.data sidecar
    model = onnx.load(str(path))
    assert max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")) >= 17
    assert len(model.graph.initializer) > 0  # weights inside the file
    session = OnnxSession(path)
    for batch in (1, 7):
        out = session.run({"image": _images(batch)})
        assert out["values"].shape == (batch, 5) and out["best"].shape == (batch,)


def test_parity_passes_on_faithful_export(exported: tuple[TinyImageNet, Path]) -> None:
    net, path = exported
    worst = check_parity(net, path, [(_images(64, s),) for s in range(4)], atol=1e-5)
    assert 0.0 <= worst <= 1e-5


def _tampered(path: Path, out: Path) -> Path:
    model = onnx.load(str(path))
    biggest = max(model.graph.initializer, key=lambda t: numpy_helper.to_array(t).size)
    weights = numpy_helper.to_array(biggest).copy()
    weights.flat[0] += 0.5
    biggest.CopyFrom(numpy_helper.from_array(weights, biggest.name))
    onnx.save(model, str(out))
    return out


def test_parity_fails_on_tampered_initializer(exported: tuple[TinyImageNet, Path], tmp_path: Path) -> None:
    net, path = exported
    tampered = _tampered(path, tmp_path / "tampered.onnx")
    with pytest.raises(ParityError, match=r"differs from torch by [0-9.e-]+ \(tolerance 1e-05") as info:
        check_parity(net, tampered, _images(32))  # a mismatch is reported on any number of samples
    assert info.value.max_abs_diff > 1e-5


def test_parity_needs_the_minimum_number_of_samples(exported: tuple[TinyImageNet, Path]) -> None:
    net, path = exported
    assert PARITY_MIN_SAMPLES == 256
    with pytest.raises(ParityError, match="checked on 255 samples; at least 256"):
        check_parity(net, path, [(_images(200),), (_images(55, 1),)])
    with pytest.raises(ParityError, match="checked on 0 samples"):
        check_parity(net, path, [])
    assert check_parity(net, path, [(_images(200),), (_images(56, 1),)]) <= 1e-5


def test_failed_parity_gate_leaves_no_onnx_file(exported: tuple[TinyImageNet, Path], tmp_path: Path) -> None:
    net, path = exported
    good = tmp_path / "good.onnx"
    good.write_bytes(path.read_bytes())
    assert parity_gate(net, good, _images(256)) <= 1e-5 and good.is_file()
    for name, feeds in (("tampered", _images(256)), ("too-few", _images(8))):
        bad = _tampered(path, tmp_path / f"{name}.onnx") if name == "tampered" else tmp_path / f"{name}.onnx"
        if not bad.exists():
            bad.write_bytes(path.read_bytes())
        contract_from_onnx(bad, task="test", config=_Cfg(), spec={})
        with pytest.raises(ParityError):
            parity_gate(net, bad, feeds)
        assert not bad.exists() and not contract_path_for(bad).exists(), name


def test_legacy_exporter_also_passes_parity(tmp_path: Path) -> None:
    net = TinyImageNet()
    path = export_onnx(net, (torch.zeros(2, 16, 16, 3, dtype=torch.uint8),), tmp_path / "legacy.onnx",
                       ["image"], ["values", "best"], exporter="legacy")
    assert check_parity(net, path, _images(256)) <= 1e-5


def test_export_refuses_old_opset_and_unknown_exporter(tmp_path: Path) -> None:
    net = TinyImageNet()
    example = (torch.zeros(1, 16, 16, 3, dtype=torch.uint8),)
    with pytest.raises(ValueError, match="opset 11 is too old"):
        export_onnx(net, example, tmp_path / "a.onnx", ["image"], ["v", "b"], opset=11)
    with pytest.raises(ValueError, match="valid: auto, dynamo, legacy"):
        export_onnx(net, example, tmp_path / "a.onnx", ["image"], ["v", "b"], exporter="tf")


def test_untraceable_model_fails_or_is_caught_by_parity(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    class NumpyInside(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.from_numpy(np.sort(x.numpy(), axis=1))  # leaves the graph

    example = (torch.zeros(2, 3),)
    with pytest.raises(ExportError, match="could not export NumpyInside .*dynamo exporter"):
        export_onnx(NumpyInside(), example, tmp_path / "bad.onnx", ["x"], ["y"], exporter="dynamo")
    # "auto" falls back to the legacy tracer, which freezes the numpy result into a constant and
    # drops the input: export_onnx refuses the graph instead of shipping a constant policy.
    with pytest.raises(ExportError, match=r"legacy exporter has inputs \[\] .*expected \['x'\]"):
        export_onnx(NumpyInside(), example, tmp_path / "frozen.onnx", ["x"], ["y"], dynamic_batch=False)
    assert "falling back to the legacy exporter" in caplog.text


@dataclass(frozen=True)
class _Cfg:
    lr: float = 1e-3
    name: str = "a"


def test_hashes_are_stable_and_sensitive(tmp_path: Path) -> None:
    assert config_sha256(_Cfg()) == config_sha256(_Cfg())
    assert config_sha256(_Cfg()) != config_sha256(_Cfg(lr=2e-3))
    assert config_sha256({"b": 1, "a": 2}) == config_sha256({"a": 2, "b": 1})
    f = tmp_path / "x.bin"
    f.write_bytes(b"abc")
    assert sha256_file(f) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_contract_from_onnx_describes_the_graph(exported: tuple[TinyImageNet, Path]) -> None:
    _, path = exported
    contract_from_onnx(path, task="test", config=_Cfg(), spec={"answer": 42})
    assert contract_path_for(path).is_file()
    loaded = load_contract_for(path)
    assert isinstance(loaded, Contract)
    assert loaded.model_sha256 == sha256_file(path) and loaded.config_sha256 == config_sha256(_Cfg())
    assert [(t.name, t.shape, t.dtype) for t in loaded.inputs] == [("image", ["batch", 16, 16, 3], "uint8")]
    assert [(t.name, t.dtype) for t in loaded.outputs] == [("values", "float32"), ("best", "int64")]
    assert loaded.spec == {"answer": 42} and loaded.opset >= 17
    OnnxSession(path, loaded)  # model and contract agree
