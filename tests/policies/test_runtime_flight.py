"""FlightRuntimePolicy: exported flight graph + contract, validation of mismatches, parity tamper."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from onnx import numpy_helper

from greenroom.policies.common.export import ParityError, check_parity
from greenroom.policies.flight.config import FlightTrainConfig
from greenroom.policies.flight.export import export_policy
from greenroom.policies.flight.network import PolicyGraph, build_network
from greenroom.policies.runtime import ContractError, InputError, contract_path_for
from greenroom.policies.runtime.flight import FlightRuntimePolicy
from greenroom.sim.flight.actions import ActionSet
from greenroom.sim.flight.grid import DirectionGrid


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[FlightTrainConfig, torch.nn.Module, Path]:
    config = FlightTrainConfig.smoke()
    torch.manual_seed(0)
    net = build_network(config).eval()
    size = config.env.image_size
    frames = np.random.default_rng(0).integers(0, 256, (256, size, size, 3), dtype=np.uint8)
    path = export_policy(net, config, tmp_path_factory.mktemp("export"), frames)
    return config, net, path


def _copy(path: Path, tmp_path: Path) -> Path:
    for p in (path, contract_path_for(path)):
        shutil.copy(p, tmp_path / p.name)
    return tmp_path / path.name


def _edit_contract(model: Path, edit) -> None:  # type: ignore[no-untyped-def]
    cpath = contract_path_for(model)
    payload = json.loads(cpath.read_text())
    edit(payload["spec"])
    cpath.write_text(json.dumps(payload))


def test_act_matches_torch_and_grid(exported: tuple[FlightTrainConfig, torch.nn.Module, Path]) -> None:
    config, net, path = exported
    policy = FlightRuntimePolicy(path)
    grid = DirectionGrid.from_config(config.env)
    assert policy.grid == grid
    assert policy.contract.image_height == policy.contract.image_width == config.env.image_size
    assert policy.contract.encoding == "rgb8" and policy.contract.control_hz == config.env.control_hz
    assert (path.parent / "parity.json").is_file()
    image = np.random.default_rng(1).integers(0, 256, (config.env.image_size,) * 2 + (3,), dtype=np.uint8)
    values, twist = policy.act(image)
    assert values.shape == (grid.rows, grid.cols) and values.dtype == np.float32
    with torch.no_grad():
        expected = net(torch.from_numpy(image)[None])[0].numpy()
    np.testing.assert_allclose(values, expected, atol=1e-5)
    np.testing.assert_allclose(twist, policy.actions.act(values)[1], atol=1e-6)
    assert policy.actions.config == config.env.actions


def test_wrong_input_image_is_refused(exported: tuple[FlightTrainConfig, torch.nn.Module, Path]) -> None:
    config, _, path = exported
    policy = FlightRuntimePolicy(path)
    with pytest.raises(InputError, match=r"needs a uint8 RGB image of shape \(32, 32, 3\).*got uint8 \(64, 64, 3\)"):
        policy.act(np.zeros((64, 64, 3), np.uint8))
    with pytest.raises(InputError, match="got float32"):
        policy.act(np.zeros((32, 32, 3), np.float32))


def test_contract_with_wrong_image_size_is_refused(exported, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    model = _copy(exported[2], tmp_path)
    _edit_contract(model, lambda spec: spec.update(image_height=64, image_width=64))
    with pytest.raises(ContractError, match=r"wrong image size: model .* takes uint8 images of shape \[32, 32, 3\] "
                                            r"but contract file .* says 64x64x3"):
        FlightRuntimePolicy(model)


def test_contract_with_wrong_grid_is_refused(exported, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    model = _copy(exported[2], tmp_path)

    def five_columns(spec: dict) -> None:
        spec["grid"]["cols"] = 5
        spec["twists"] = DirectionGrid.from_dict(spec["grid"]).twists().tolist()

    _edit_contract(model, five_columns)
    with pytest.raises(ContractError, match="wrong grid: model .* outputs a 3x3 value grid but contract file .* "
                                            "describes a 3x5 DirectionGrid"):
        FlightRuntimePolicy(model)


def test_contract_twist_table_must_match_graph(exported, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    model = _copy(exported[2], tmp_path)

    def faster(spec: dict) -> None:
        spec["grid"]["forward_speed"] *= 2
        spec["twists"] = DirectionGrid.from_dict(spec["grid"]).twists().tolist()

    _edit_contract(model, faster)
    with pytest.raises(ContractError, match="maps its values to cell .* action set"):
        FlightRuntimePolicy(model)


def test_contract_action_set_must_match_graph(exported, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A contract without ``actions`` means cad2rl (older exports); a clearance graph under it,
    or an unknown actions key, is refused with what differs."""
    model = _copy(exported[2], tmp_path)
    _edit_contract(model, lambda spec: spec.pop("actions"))
    with pytest.raises(ContractError, match=r"action set \(cad2rl\) says cell"):
        FlightRuntimePolicy(model)
    (tmp_path / "b").mkdir()
    model = _copy(exported[2], tmp_path / "b")
    _edit_contract(model, lambda spec: spec["actions"].update(top_speed=3.0))
    with pytest.raises(ContractError, match=r"bad spec field 'actions' .*unknown keys \['top_speed'\]; valid: mode, "):
        FlightRuntimePolicy(model)


def test_other_task_and_missing_contract(exported, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    model = _copy(exported[2], tmp_path)
    cpath = contract_path_for(model)
    payload = json.loads(cpath.read_text())
    payload["task"] = "pushgrasp"
    cpath.write_text(json.dumps(payload))
    with pytest.raises(ContractError, match="is for task 'pushgrasp', not 'flight'"):
        FlightRuntimePolicy(model)
    cpath.unlink()
    with pytest.raises(ContractError, match="contract file .* does not exist"):
        FlightRuntimePolicy(model)


def test_tampered_graph_fails_parity_and_hash(exported, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config, net, path = exported
    model = onnx.load(str(path))
    weights = [t for t in model.graph.initializer if numpy_helper.to_array(t).ndim == 4]
    first_conv = weights[0]
    array = numpy_helper.to_array(first_conv).copy()
    array *= 1.01  # a 1 % change of one layer
    first_conv.CopyFrom(numpy_helper.from_array(array, first_conv.name))
    tampered = _copy(path, tmp_path)
    onnx.save(model, str(tampered))
    frames = np.random.default_rng(2).integers(0, 256, (256, 32, 32, 3), dtype=np.uint8)
    graph = PolicyGraph(net, ActionSet.from_config(config.env))
    with pytest.raises(ParityError, match=r"differs from torch by [0-9.e-]+ \(tolerance 1e-05, [0-9.e+]+x over\) on 256 samples"):
        check_parity(graph, tampered, [(frames,)])
    with pytest.raises(ContractError, match="the model was changed after export"):
        FlightRuntimePolicy(tampered)
