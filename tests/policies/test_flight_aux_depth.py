"""The training-only auxiliary depth head (``aux_depth``): targets, data flow, learning, export."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import mujoco
import numpy as np
import onnx
import pytest
import torch

from greenroom.policies.common.config import resolve_config
from greenroom.policies.flight.config import FlightTrainConfig
from greenroom.policies.flight.dataset import Batch, ShardStore
from greenroom.policies.flight.network import build_network, depth_targets
from greenroom.policies.flight.rollout import FREE_SPACE, POLICY_FREE_SPACE, RolloutTask, Worker
from greenroom.policies.flight.trainer import Regressor, cpu_weights
from greenroom.policies.runtime.flight import OUTPUTS
from greenroom.sim.flight.config import FlightEnvConfig
from greenroom.sim.flight.env import FlightEnv


def test_depth_targets_are_block_means_of_log_depth() -> None:
    depth = np.full((2, 8, 8), 3.0, np.float32)
    depth[1, :4, :4] = 50.0                                   # beyond max_range: capped at 10 m
    encoded = depth_targets(depth, 2, 10.0)
    assert encoded.shape == (2, 2, 2) and encoded.dtype == np.float16
    np.testing.assert_allclose(encoded[0], np.log1p(3.0) / np.log1p(10.0), rtol=1e-3)
    np.testing.assert_allclose(encoded[1, 0, 0], 1.0, rtol=1e-3)
    assert encoded[1, 0, 0] > encoded[1, 1, 1]
    mixed = np.full((1, 4, 4), 1.0, np.float32)
    mixed[0, 0, 0] = 0.0
    np.testing.assert_allclose(encoded_corner := depth_targets(mixed, 1, 10.0)[0, 0, 0],
                               15 / 16 * np.log1p(1.0) / np.log1p(10.0), rtol=1e-3)
    assert 0 < encoded_corner < 1
    with pytest.raises(ValueError, match="not a whole number of 3x3 blocks"):
        depth_targets(depth, 3, 10.0)


def test_aux_depth_config_is_checked() -> None:
    with pytest.raises(ValueError, match="aux_depth must be a loss weight >= 0"):
        resolve_config(FlightTrainConfig, "smoke", ["aux_depth=-1"])
    with pytest.raises(ValueError, match="multiple of the depth map.s side 12 px"):
        resolve_config(FlightTrainConfig, "smoke", ["aux_depth=1", "env.image_size=20"])
    assert build_network(FlightTrainConfig.smoke()).depth_head is None


def test_camera_depth_is_the_ray_cast_depth_of_every_pixel() -> None:
    """Each pixel's depth is the distance to the first visible surface along that pixel's ray,
    projected on the optical axis (cast with ``mj_ray`` over the rendered geom groups)."""
    env = FlightEnv(FlightEnvConfig.smoke())
    try:
        env.reset(seed=3)
        size, cap = env.config.image_size, env.config.max_range
        model, data, cam = env.model, env.data, env.camera_id
        half = np.tan(np.radians(model.cam_fovy[cam]) / 2)
        pixels = np.random.default_rng(0).integers(0, size, (40, 2))
        groups = np.asarray(env.scene_option.geomgroup, np.uint8)
        agree = total = 0
        for _ in range(20):
            depth = env.camera_depth()
            assert depth.shape == (size, size) and depth.dtype == np.float32
            assert depth.min() > 0 and depth.max() <= cap
            xmat = data.cam_xmat[cam].reshape(3, 3)
            for row, col in pixels:
                u, v = (col + 0.5) / size * 2 - 1, (row + 0.5) / size * 2 - 1     # row 0 = top of the image
                ray = np.array([u * half, -v * half, -1.0])                   # MuJoCo camera frame
                geom = np.zeros(1, np.int32)
                hit = mujoco.mj_ray(model, data, data.cam_xpos[cam].copy(), xmat @ ray, groups, 1,
                                    int(model.cam_bodyid[cam]), geom)     # ray length 1 along the axis
                expected = cap if hit < 0 else min(hit, cap)
                agree += abs(depth[row, col] - expected) < 0.02 * expected
                total += 1
            _, _, terminated, truncated, _ = env.step(env.depth_oracle_twist())
            if terminated or truncated:
                env.reset()
        assert agree >= 0.95 * total, f"{agree} of {total} pixels agree"     # a pixel on an edge may not
    finally:
        env.close()


def test_workers_record_one_depth_target_per_state_shared_by_its_views() -> None:
    config = resolve_config(FlightTrainConfig, "smoke", ["aux_depth=1", "appearance_views=2"])
    worker = Worker(config)
    try:
        result = worker.run(RolloutTask(FREE_SPACE, 0, 4, 123))
        side = worker.net.depth_side
        assert result.depth is not None and result.depth.shape == (8, side, side)
        np.testing.assert_array_equal(result.depth[0::2], result.depth[1::2])     # views of one state
        assert not np.array_equal(result.depth[0], result.depth[2])
        assert 0.0 <= result.depth.min() and result.depth.max() <= 1.0
        on_policy = worker.run(RolloutTask(POLICY_FREE_SPACE, 1, 3, 7, cpu_weights(worker.net)))
        assert on_policy.depth is not None and len(on_policy.depth) == len(on_policy.images) == 6
    finally:
        worker.env.close()
    plain = Worker(FlightTrainConfig.smoke())
    try:
        assert plain.run(RolloutTask(FREE_SPACE, 0, 4, 123)).depth is None
    finally:
        plain.env.close()


def test_shards_keep_depth_targets_and_batches_slice_them(tmp_path: Path) -> None:
    store = ShardStore(tmp_path / "data")
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (6, 8, 8, 3), dtype=np.uint8)
    targets, mask = rng.random((6, 9), dtype=np.float32), np.ones((6, 9), bool)
    depth = rng.random((6, 4, 4)).astype(np.float16)
    store.write("a", images[:3], targets[:3], mask[:3], depth[:3])
    store.write("b", images[3:], targets[3:], mask[3:], depth[3:])
    store.write("plain", images[:2], targets[:2], mask[:2])
    loaded = store.load(["a", "b"], capacity=4)
    np.testing.assert_array_equal(loaded.depth, depth[2:])
    np.testing.assert_array_equal(loaded.images, images[2:])
    assert store.read("plain").depth is None
    assert store.load(["a", "plain"], capacity=10).depth is None    # depth only when every shard has it
    assert len(Batch.concat([loaded, loaded]).take(slice(1, 3))) == 2


def test_depth_head_learns_and_is_not_part_of_the_acting_network() -> None:
    config = dataclasses.replace(resolve_config(FlightTrainConfig, "smoke", ["aux_depth=1"]), batch_size=16)
    worker = Worker(config)
    try:
        result = worker.run(RolloutTask(FREE_SPACE, 0, 32, 5))
    finally:
        worker.env.close()
    torch.manual_seed(0)
    net = build_network(config)
    regressor = Regressor(net, config, torch.device("cpu"))
    data = Batch(result.images, result.targets, result.mask, result.depth)
    first = regressor.updates(data, 5)
    for _ in range(8):
        last = regressor.updates(data, 25)
    assert set(first) == {"losses/value", "losses/depth"}
    assert last["losses/depth"] < 0.5 * first["losses/depth"], (first, last)
    # the acting output is the value head alone: a net without the depth head gives the same values
    plain = build_network(FlightTrainConfig.smoke()).eval()
    missing = plain.load_state_dict(net.state_dict(), strict=False)
    assert not missing.missing_keys and all(k.startswith("depth_head.") for k in missing.unexpected_keys)
    images = torch.from_numpy(result.images[:4])
    with torch.no_grad():
        torch.testing.assert_close(net.eval()(images), plain(images))
    # a run without depth targets cannot train the head
    with pytest.raises(RuntimeError, match="hold no depth targets"):
        regressor.updates(Batch(result.images, result.targets, result.mask), 1)


def test_smoke_training_with_aux_depth_logs_the_loss_and_exports_the_value_graph(runs_dir: Path) -> None:
    from greenroom.policies.common.config import save_config
    from greenroom.policies.common.rundir import RunDir, read_metrics
    from greenroom.policies.flight.export import export_run
    from greenroom.policies.flight.trainer import train

    config = resolve_config(FlightTrainConfig, "smoke", ["aux_depth=0.5"])
    run = RunDir.create("flight-aux-depth", root=runs_dir)
    save_config(config, run.config_path)
    train(config, run)
    rows = read_metrics(run.path / "metrics.csv")
    depth_losses = [r["losses/depth"] for r in rows if "losses/depth" in r]
    assert len(depth_losses) >= 3 and np.isfinite(depth_losses).all()    # stage 1 epochs and stage 2 rounds
    with np.load(run.path / "data" / "stage1.npz") as shard:
        assert shard["depth"].shape == (len(shard["images"]), 16, 16)
    path = export_run(run)
    assert [o.name for o in onnx.load(str(path)).graph.output] == list(OUTPUTS)
    assert json.loads((path.parent / "parity.json").read_text())["max_abs_diff"] <= 1e-5
