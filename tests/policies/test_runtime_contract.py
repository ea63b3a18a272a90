"""policies/runtime: contracts and checked ONNX sessions (built with the onnx helper, no torch)."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from greenroom.policies.runtime import (
    Contract,
    ContractError,
    InputError,
    OnnxSession,
    TensorSpec,
    contract_path_for,
    load_contract_for,
)


def _scale_model(path: Path, scale: float = 2.0, input_name: str = "x") -> Path:
    """y = x * scale, x float32 (batch, 4)."""
    graph = helper.make_graph(
        [helper.make_node("Mul", [input_name, "scale"], ["y"])], "scale",
        [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])],
        [numpy_helper.from_array(np.array(scale, dtype=np.float32), "scale")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    onnx.save(model, str(path))
    return path


def _contract(path: Path, **changes: object) -> Contract:
    fields = dict(
        task="test", greenroom_version="0.1.0", created="2026-01-01T00:00:00Z", model_file=path.name,
        model_sha256=hashlib.sha256(path.read_bytes()).hexdigest(), config_sha256="0" * 64, opset=18,
        inputs=[TensorSpec("x", ["batch", 4], "float32")], outputs=[TensorSpec("y", ["batch", 4], "float32")],
        spec={"k": 1},
    )
    fields.update(changes)
    return Contract(**fields)  # type: ignore[arg-type]


def test_contract_round_trip_and_path(tmp_path: Path) -> None:
    model = _scale_model(tmp_path / "policy.onnx")
    contract = _contract(model)
    saved = contract.save(contract_path_for(model))
    assert saved.name == "policy.contract.json"
    assert load_contract_for(model) == contract


def test_session_runs_and_validates_feeds(tmp_path: Path) -> None:
    model = _scale_model(tmp_path / "policy.onnx", scale=3.0)
    session = OnnxSession(model, _contract(model))
    out = session.run({"x": np.ones((2, 4), np.float32)})
    np.testing.assert_allclose(out["y"], 3.0)
    with pytest.raises(InputError, match="input 'x' must be float32, got float64"):
        session.run({"x": np.ones((2, 4))})
    with pytest.raises(InputError, match=r"input 'x' must have shape \['batch', 4\], got \[2, 5\]"):
        session.run({"x": np.ones((2, 5), np.float32)})
    with pytest.raises(InputError, match="missing \\['x'\\], unknown \\['z'\\]"):
        session.run({"z": np.ones((2, 4), np.float32)})


def test_modified_model_is_refused_by_hash(tmp_path: Path) -> None:
    model = _scale_model(tmp_path / "policy.onnx")
    contract = _contract(model)
    _scale_model(model, scale=2.5)  # re-written after the contract was made
    with pytest.raises(ContractError, match="the model was changed after export"):
        OnnxSession(model, contract)


def test_graph_contract_mismatch_is_refused(tmp_path: Path) -> None:
    model = _scale_model(tmp_path / "policy.onnx", input_name="image")
    with pytest.raises(ContractError, match=r"has inputs \['image'\], its contract declares \['x'\]"):
        OnnxSession(model, _contract(model))
    model = _scale_model(tmp_path / "policy.onnx")
    bad = _contract(model, inputs=[TensorSpec("x", ["batch", 8], "float32")])
    with pytest.raises(ContractError, match=r"input 'x' has shape \['batch', 4\], its contract declares \['batch', 8\]"):
        OnnxSession(model, bad)
    bad = _contract(model, outputs=[TensorSpec("y", ["batch", 4], "uint8")])
    with pytest.raises(ContractError, match="output 'y' is float32, its contract declares uint8"):
        OnnxSession(model, bad)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not readable JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"task": "x"}', "missing field\\(s\\) greenroom_version"),
    ],
)
def test_corrupt_contracts_name_the_file(tmp_path: Path, content: str, message: str) -> None:
    model = _scale_model(tmp_path / "policy.onnx")
    contract_path_for(model).write_text(content)
    with pytest.raises(ContractError, match=message) as info:
        load_contract_for(model)
    assert "policy.contract.json" in str(info.value)


def test_missing_files_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match="model file .*nope.onnx does not exist"):
        load_contract_for(tmp_path / "nope.onnx")
    model = _scale_model(tmp_path / "policy.onnx")
    with pytest.raises(ContractError, match="contract file .*policy.contract.json does not exist"):
        load_contract_for(model)
    (tmp_path / "junk.onnx").write_bytes(b"not a model")
    junk = tmp_path / "junk.onnx"
    with pytest.raises(ContractError, match="is not a valid ONNX model"):
        OnnxSession(junk, _contract(junk))


def test_bad_field_values_are_refused(tmp_path: Path) -> None:
    model = _scale_model(tmp_path / "policy.onnx")
    payload = _contract(model).to_dict()
    payload["model_sha256"] = "abc"
    contract_path_for(model).write_text(json.dumps(payload))
    with pytest.raises(ContractError, match="model_sha256 must be 64 hex digits"):
        load_contract_for(model)


HEAVY = ("torch", "mujoco", "pybullet")


@pytest.mark.parametrize("module", ["greenroom.policies.runtime", "greenroom.policies.runtime.flight"])
def test_runtime_imports_no_torch_or_simulator(module: str) -> None:
    code = (
        f"import sys, importlib; importlib.import_module({module!r}); "
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"importing {module} loaded {result.stdout.strip()}"


# -- integrity, ranges, legacy format (issue 16) -------------------------------------------------
def test_saved_contract_is_sealed_and_an_edit_is_detected(tmp_path: Path) -> None:
    model = _scale_model(tmp_path / "policy.onnx")
    path = _contract(model).save(contract_path_for(model))
    payload = json.loads(path.read_text())
    assert payload["format"] == 2 and len(payload["contract_sha256"]) == 64
    assert load_contract_for(model).seal_error is None
    payload["spec"]["k"] = 2  # an in-range hand edit that no field check can catch
    path.write_text(json.dumps(payload))
    edited = load_contract_for(model)
    with pytest.raises(ContractError, match="edited after export") as info:
        edited.verify_seal(f"contract file {path}")
    assert str(path) in str(info.value) and "rehash" in str(info.value)


def test_rehash_seals_a_legacy_or_edited_contract(tmp_path: Path) -> None:
    from greenroom.policies.runtime.contract import rehash_contract
    from greenroom.policies.runtime.rehash import main as rehash_main

    model = _scale_model(tmp_path / "policy.onnx")
    payload = _contract(model).to_dict()
    legacy = {k: v for k, v in payload.items() if k != "contract_sha256"} | {"format": 1}
    path = contract_path_for(model)
    path.write_text(json.dumps(legacy))
    assert load_contract_for(model).seal_error is None  # format 1 (no hash) still loads
    legacy["spec"]["k"] = 5
    path.write_text(json.dumps(legacy))
    assert rehash_main([str(path)]) == 0
    resealed = json.loads(path.read_text())
    assert resealed["format"] == 2 and resealed["spec"]["k"] == 5
    load_contract_for(model).verify_seal()
    rehash_contract(path)  # idempotent
    assert json.loads(path.read_text()) == resealed
    del resealed["contract_sha256"]
    path.write_text(json.dumps(resealed))
    with pytest.raises(ContractError, match="must carry contract_sha256"):
        load_contract_for(model)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_spec_numbers_are_refused(tmp_path: Path, literal: str) -> None:
    model = _scale_model(tmp_path / "policy.onnx")
    text = json.dumps(_contract(model).to_dict()).replace('"k": 1', f'"k": {literal}')
    contract_path_for(model).write_text(text)
    with pytest.raises(ContractError, match=r"field spec\.k must be a finite number") as info:
        load_contract_for(model)
    assert "policy.contract.json" in str(info.value)


def test_check_number_names_file_and_field() -> None:
    from greenroom.policies.runtime.contract import check_number

    spec = {"control_hz": 1e9, "zero": 0, "neg": -1.0, "text": "10", "flag": True, "n": 2.5}
    with pytest.raises(ContractError, match=r"f\.json: spec field 'control_hz' is 1000000000.0; it must be in \(0, 200\]"):
        check_number(spec, "control_hz", "f.json", 0, 200, low_open=True)
    with pytest.raises(ContractError, match="'zero' is 0"):
        check_number(spec, "zero", "f.json", 0, 200, low_open=True)
    for key in ("neg", "text", "flag", "missing"):
        with pytest.raises(ContractError, match=f"'{key}'"):
            check_number(spec, key, "f.json", 0, 200, low_open=True)
    with pytest.raises(ContractError, match="must be an integer"):
        check_number(spec, "n", "f.json", 0, 10, integer=True)
    assert check_number({"n": 3.0}, "n", "f.json", 0, 10, integer=True) == 3


def test_changed_model_error_prints_both_full_hashes(tmp_path: Path) -> None:
    model = _scale_model(tmp_path / "policy.onnx")
    contract = _contract(model)
    _scale_model(model, scale=2.5)
    with pytest.raises(ContractError) as info:
        OnnxSession(model, contract)
    actual = hashlib.sha256(model.read_bytes()).hexdigest()
    assert actual in str(info.value) and contract.model_sha256 in str(info.value)


def test_folder_given_as_model_is_named_as_a_folder(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match="is a folder"):
        load_contract_for(tmp_path)
    with pytest.raises(ContractError, match="is a folder"):
        OnnxSession(tmp_path, None)
