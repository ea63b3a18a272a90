"""``greenroom play flight``: a real rollout written as an mp4 video and a top-down map PNG."""
from __future__ import annotations

import json
from pathlib import Path

import imageio.v2 as imageio
import numpy as np
import pytest

from greenroom.cli import main
from greenroom.policies.flight.play import play


def test_play_with_the_oracle_writes_video_map_and_summary(tmp_path: Path):
    paths = play("smoke", ["env.image_size=32", "env.max_steps=20"], tmp_path, None)
    video, map_png, summary = paths
    assert all(p.exists() and p.parent == tmp_path for p in paths)
    frames = imageio.mimread(video)
    meta = json.loads(summary.read_text())
    assert len(frames) == meta["steps"] + 1 and meta["steps"] >= 1 and meta["who"] == "oracle"
    assert frames[0].shape[0] >= 256 and frames[0].dtype == np.uint8
    image = imageio.imread(map_png)
    assert image.ndim == 3 and image.shape[0] > 200
    assert meta["distance_m"] > 0


def test_cli_play_and_its_errors(tmp_path: Path, capsys: pytest.CaptureFixture):
    assert main(["play", "flight", "env.max_steps=5", "--preset", "smoke", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out.split()
    assert any(p.endswith(".mp4") for p in printed) and any(p.endswith("_map.png") for p in printed)
    assert main(["play", "flight", "env.imge_size=5", "--preset", "smoke", "--out", str(tmp_path)]) == 2
    assert "env.imge_size" in capsys.readouterr().err
    missing = tmp_path / "missing.onnx"
    assert main(["play", "flight", "--preset", "smoke", "--out", str(tmp_path), "--policy", str(missing)]) == 2
    assert "missing" in capsys.readouterr().err


@pytest.mark.slow   # ONNX export (dynamo) takes 5-15 s on 2 shared cores
def test_play_with_an_exported_onnx_policy(tmp_path: Path):
    torch = pytest.importorskip("torch")
    from greenroom.policies.flight.config import FlightTrainConfig
    from greenroom.policies.flight.export import export_policy
    from greenroom.policies.flight.network import build_network

    config = FlightTrainConfig.smoke()
    torch.manual_seed(0)
    net = build_network(config).eval()
    size = config.env.image_size
    frames = np.random.default_rng(0).integers(0, 256, (256, size, size, 3), dtype=np.uint8)
    model = export_policy(net, config, tmp_path / "export", frames)
    video, map_png, summary = play("smoke", ["env.max_steps=8"], tmp_path / "out", model)
    meta = json.loads(summary.read_text())
    assert meta["who"] == "policy" and meta["policy"] == str(model)
    assert video.stat().st_size > 0 and map_png.stat().st_size > 0
    with pytest.raises(ValueError, match="env.image_size="):
        play("smoke", [f"env.image_size={size + 16}"], tmp_path / "out", model)


@pytest.mark.slow   # spawns two benchmark processes (~20 s on 2 shared cores)
def test_env_benchmark_runs_and_reports_every_figure():
    from greenroom.policies.flight.bench_env import ENV_BENCHMARKS

    results = ENV_BENCHMARKS["env"](quick=True)
    names = [r.name for r in results]
    assert any("1 process" in n for n in names) and any("bare mujoco.Renderer" in n for n in names)
    assert any("2-process speed-up" in n for n in names) and any("amortized" in n for n in names)
    assert all(r.value > 0 for r in results)                       # figures only, no timing asserts
    assert all(r.passed is None or isinstance(r.passed, bool) for r in results)
