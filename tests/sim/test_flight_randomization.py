"""Each randomization group changes the image and is recorded; switched off, it stops changing."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from greenroom.sim.flight.config import FlightEnvConfig
from greenroom.sim.flight.env import FlightEnv
from greenroom.sim.flight.ranges import GROUP_NAMES
from greenroom.sim.flight.textures import FAMILIES, TextureError, make_bank, procedural

BASE = replace(FlightEnvConfig.smoke(), regenerate_every=1)
GEOMETRY_ONLY = {"furniture_rotation": "furniture", "doors": "doors"}   # group -> the layout draws it changes
FLIGHT = [np.array([1.0, 0.2, 0.1, 0.5], np.float32)] * 4    # dynamics show only once moving


def _episode(env: FlightEnv, seed: int) -> tuple[np.ndarray, dict]:
    obs, info = env.reset(seed=seed)
    frames = [obs]
    for action in FLIGHT:
        obs, _, terminated, truncated, info = env.step(action)
        frames.append(obs)
        if terminated or truncated:
            break
    return np.stack(frames), info["randomization"]


@pytest.mark.parametrize("group", GROUP_NAMES)
def test_each_group_changes_the_image_and_is_recorded(group: str):
    env = FlightEnv(replace(BASE, randomization=BASE.randomization.only(group)))
    try:
        frames_a, rand_a = _episode(env, 1)
        frames_b, rand_b = _episode(env, 2)
        assert rand_a[group] != rand_b[group], f"{group} samples did not change"
        if group in GEOMETRY_ONLY:   # what they move (rooms' doors, furniture) is seldom in the first frames
            key = GEOMETRY_ONLY[group]
            assert rand_a["layout"][key] and rand_a["layout"][key] != rand_b["layout"][key], f"{group}: same {key}"
        else:
            assert not np.array_equal(frames_a, frames_b), f"{group} did not change the images"
        groups = BASE.randomization.groups()
        for other in GROUP_NAMES:            # the others' samples stay at their nominal values
            if other != group:
                sampled = groups[other].sample(np.random.default_rng(0))   # the range fields
                assert {k: rand_a[other][k] for k in sampled} == {k: rand_b[other][k] for k in sampled}, other
    finally:
        env.close()


def test_everything_off_gives_identical_episodes_for_any_seed():
    env = FlightEnv(BASE.without_randomization())
    try:
        frames_a, rand_a = _episode(env, 1)
        frames_b, rand_b = _episode(env, 2)
        np.testing.assert_array_equal(frames_a, frames_b)
        assert rand_a == rand_b
        assert rand_a["camera"]["fov_delta_deg"] == 0.0 and rand_a["image"]["noise_std"] == 0.0
    finally:
        env.close()


def test_recorded_values_fall_inside_their_ranges():
    env = FlightEnv(BASE)
    try:
        cfg = BASE.randomization
        for seed in range(3):
            _, info = env.reset(seed=seed)
            r = info["randomization"]
            assert cfg.lights.count.low <= r["lights"]["count"] <= cfg.lights.count.high
            assert len(r["lights"]["positions"]) == r["lights"]["count"]
            assert cfg.dynamics.tau.low <= r["dynamics"]["tau"] <= cfg.dynamics.tau.high
            assert cfg.layout.hallway_width.low <= r["layout"]["hallway_width"] <= cfg.layout.hallway_width.high
            assert len(r["textures"]["bank"]) == BASE.texture_bank
            assert env.model.light_active.sum() == r["lights"]["count"]
            assert env.model.cam_fovy[0] == pytest.approx(BASE.hfov_deg + r["camera"]["fov_delta_deg"])
    finally:
        env.close()


def test_procedural_families_make_varied_textures():
    rng = np.random.default_rng(0)
    for family in FAMILIES:
        image = procedural(family, rng, 32)
        assert image.shape == (32, 32, 3) and image.dtype == np.uint8
        assert image.std() > 0.5, family
    images, names = make_bank(rng, 8, 16, [], photo_fraction=1.0)
    assert sorted(names) == sorted(FAMILIES)          # no photos given: all procedural, all families
    with pytest.raises(ValueError, match="unknown texture family 'marble'"):
        procedural("marble", rng, 8)


def test_user_photos_end_up_in_the_texture_bank(tmp_path: Path):
    for k in range(2):
        Image.fromarray(np.full((40, 60, 3), 80 * k + 40, np.uint8)).save(tmp_path / f"photo{k}.png")
    (tmp_path / "notes.txt").write_text("ignored: not an image")
    cfg = replace(BASE, textures_dir=str(tmp_path), randomization=BASE.randomization.only("textures"))
    env = FlightEnv(cfg)
    try:
        banks = [env.reset(seed=s)[1]["randomization"]["textures"]["bank"] for s in range(4)]
        assert any(name.startswith("photo:") for bank in banks for name in bank)
    finally:
        env.close()
    with pytest.raises(TextureError, match=str(tmp_path / "missing")):
        FlightEnv(replace(BASE, textures_dir=str(tmp_path / "missing")))
    (tmp_path / "zz_broken.jpg").write_bytes(b"\xff\xd8 truncated jpeg")
    with pytest.raises(TextureError, match="zz_broken.jpg cannot be read"):
        FlightEnv(cfg)


def test_per_slot_and_per_light_draws_come_from_config_ranges_and_are_recorded():
    from greenroom.sim.core.randomization import Uniform
    from greenroom.sim.flight.ranges import SlotTextureDraws
    from greenroom.sim.flight.world import SLOTS

    env = FlightEnv(BASE)
    try:
        r = env.reset(seed=5)[1]["randomization"]
        per_slot = BASE.randomization.colors.per_slot
        assert len(r["textures"]["slot_texrepeat"]) == len(r["colors"]["slot_rgba"]) == len(SLOTS)
        for k, scale in enumerate(r["textures"]["slot_texrepeat"]):
            assert env.model.mat_texrepeat[k][0] == pytest.approx(scale)
            assert 0.7 * r["textures"]["texrepeat"] - 1e-9 <= scale <= 1.4 * r["textures"]["texrepeat"] + 1e-9
        for k, specular in enumerate(r["colors"]["slot_specular"]):
            assert env.model.mat_specular[k] == pytest.approx(specular)
            assert specular <= per_slot.specular_scale.high * r["colors"]["specular"] + 1e-6
        assert len(r["lights"]["directions"]) == len(r["lights"]["diffuse_rgb"]) == r["lights"]["count"]
        np.testing.assert_allclose(env.model.light_dir[0], r["lights"]["directions"][0], atol=1e-6)
    finally:
        env.close()
    fixed = replace(BASE.randomization, textures=replace(BASE.randomization.textures,
                                                         per_slot=SlotTextureDraws(scale=Uniform(1.0, 1.0))))
    env = FlightEnv(replace(BASE, randomization=fixed))
    try:
        r = env.reset(seed=5)[1]["randomization"]["textures"]
        assert r["slot_texrepeat"] == pytest.approx((r["texrepeat"],) * len(r["slot_texrepeat"]))
    finally:
        env.close()
