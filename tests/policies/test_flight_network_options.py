"""The flight value net's input normalization and mirror averaging: what they promise, in torch and
through the exported ONNX graph, and the override rules that let a trained run switch mirroring on."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from greenroom.policies.common.config import ConfigError, apply_overrides
from greenroom.policies.flight.config import FlightTrainConfig
from greenroom.policies.flight.export import deployment_config, export_policy, with_inference_settings
from greenroom.policies.flight.network import build_network
from greenroom.policies.runtime.flight import FlightRuntimePolicy


def _frames(config: FlightTrainConfig, count: int, seed: int = 0) -> np.ndarray:
    size = config.env.image_size
    return np.random.default_rng(seed).integers(0, 256, (count, size, size, 3), dtype=np.uint8)


def test_instance_norm_ignores_a_per_channel_gain_and_offset() -> None:
    """``input_norm=instance``: an image whose channels are scaled and shifted (a tinted, darker copy)
    gets the same values; without it the values change."""
    config = apply_overrides(FlightTrainConfig.smoke(), ["network.input_norm=instance"])
    torch.manual_seed(0)
    net = build_network(config).eval()
    plain = build_network(FlightTrainConfig.smoke()).eval()
    plain.load_state_dict(net.state_dict())
    image = (_frames(config, 1)[0] // 2) * 2                     # even values: the tint below is exact in uint8
    tinted = image // 2 + np.array([60, 20, 0], dtype=np.uint8)  # half the contrast, a different offset per channel
    a, b = (torch.from_numpy(x)[None] for x in (image, tinted))
    with torch.no_grad():
        normalized = np.abs(net.logits(a).numpy() - net.logits(b).numpy()).max()
        unnormalized = np.abs(plain.logits(a).numpy() - plain.logits(b).numpy()).max()
    assert normalized < 1e-4 and unnormalized > 1e-3   # (the std floor keeps it from exact)
    with torch.no_grad():
        flat = torch.full_like(a, 128)
        assert torch.isfinite(net(flat)).all()   # a flat image: the floor, no division by zero


def test_mirror_average_is_left_right_symmetric() -> None:
    """``mirror_average``: the mirrored image gets the mirrored value grid, exactly."""
    config = apply_overrides(FlightTrainConfig.smoke(), ["network.mirror_average=true"])
    torch.manual_seed(0)
    net = build_network(config).eval()
    images = torch.from_numpy(_frames(config, 4))
    with torch.no_grad():
        values, mirrored = net(images), net(images.flip(2))
    np.testing.assert_allclose(mirrored.numpy(), values.flip(2).numpy(), atol=1e-6)
    net.mirror_average = False
    with torch.no_grad():
        assert not np.allclose(net(images.flip(2)).numpy(), net(images).flip(2).numpy(), atol=1e-4)


def test_both_options_export_with_parity(tmp_path: Path) -> None:
    """Both options live in the ONNX graph: ONNX Runtime gives the torch values."""
    config = apply_overrides(FlightTrainConfig.smoke(), ["network.input_norm=instance", "network.mirror_average=true"])
    torch.manual_seed(0)
    net = build_network(config).eval()
    path = export_policy(net, config, tmp_path, _frames(config, 256))
    policy = FlightRuntimePolicy(path)
    image = _frames(config, 1, seed=3)[0]
    values, _ = policy.act(image)
    with torch.no_grad():
        np.testing.assert_allclose(values, net(torch.from_numpy(image)[None])[0].numpy(), atol=1e-5)


def test_only_weight_free_settings_change_at_export() -> None:
    """A trained run may switch ``network.mirror_average`` at export (and evaluation); a setting with
    weights, or the input normalization it was trained with, may not; bad values are named."""
    config = FlightTrainConfig.smoke()
    changed = deployment_config(config, ["network.mirror_average=true", "env.actions.turn_below=0.5"])
    assert changed.network.mirror_average and changed.env.actions.turn_below == 0.5
    net = with_inference_settings(build_network(config), changed)
    assert net.mirror_average
    for bad in ("network.input_norm=instance", "network.hidden=8"):
        with pytest.raises(ConfigError, match="network.mirror_average"):
            deployment_config(config, [bad])
    with pytest.raises(ConfigError, match="input_norm must be one of none, instance"):
        apply_overrides(config, ["network.input_norm=batch"])


def test_bench_inference_overrides_take_weight_free_settings_only(monkeypatch) -> None:
    """``$GREENROOM_BENCH_FLIGHT_INFERENCE``: the policy benches' weight-free settings; others are named."""
    from greenroom.policies.flight.bench_policy import bench_inference_overrides

    monkeypatch.delenv("GREENROOM_BENCH_FLIGHT_INFERENCE", raising=False)
    assert bench_inference_overrides() == []
    monkeypatch.setenv("GREENROOM_BENCH_FLIGHT_INFERENCE", " network.mirror_average=true ")
    assert bench_inference_overrides() == ["network.mirror_average=true"]
    for bad in ("network.hidden=8", "network.mirror_average"):
        monkeypatch.setenv("GREENROOM_BENCH_FLIGHT_INFERENCE", bad)
        with pytest.raises(ValueError, match="keys from network.mirror_average"):
            bench_inference_overrides()
