"""Each randomization group changes the image and is recorded; switched off, it stops changing."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import mujoco
import numpy as np
import pytest
from PIL import Image

from greenroom.sim.flight.config import FlightEnvConfig
from greenroom.sim.flight.env import FlightEnv
from greenroom.sim.flight.ranges import GROUP_NAMES
from greenroom.policies.common.config import ConfigError, resolve_config
from greenroom.policies.flight.config import FlightTrainConfig
from greenroom.sim.flight.textures import (FAMILIES, LEGACY_FAMILIES, PHOTO_SETS, TextureError, load_photo_set,
                                          make_bank, procedural)

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
    assert sorted(names) == sorted(LEGACY_FAMILIES)   # no photos given: all procedural, the default families
    images, names = make_bank(rng, len(FAMILIES), 16, [], photo_fraction=0.0, families=tuple(FAMILIES))
    assert sorted(names) == sorted(FAMILIES)
    with pytest.raises(ValueError, match="unknown texture family 'marble'"):
        procedural("marble", rng, 8)


def _power_slope(gray: np.ndarray) -> float:
    """Slope of log radially averaged power vs log frequency (natural images: about -2)."""
    power = np.abs(np.fft.fft2(gray - gray.mean())) ** 2
    fy, fx = np.meshgrid(np.fft.fftfreq(gray.shape[0]), np.fft.fftfreq(gray.shape[1]), indexing="ij")
    radius = np.hypot(fx, fy)
    bins = np.linspace(2 / gray.shape[0], 0.5, 12)
    centres, means = [], []
    for lo, hi in zip(bins[:-1], bins[1:]):
        ring = (radius >= lo) & (radius < hi)
        centres.append(np.sqrt(lo * hi))
        means.append(power[ring].mean())
    return float(np.polyfit(np.log(centres), np.log(means), 1)[0])


@pytest.mark.parametrize("family", ["dead_leaves", "spectral"])
def test_natural_statistics_families_are_many_coloured_tileable_and_fall_as_one_over_f(family: str):
    slopes = []
    for seed in range(6):
        image = procedural(family, np.random.default_rng(seed), 128).astype(np.float64)
        assert len(np.unique(image.reshape(-1, 3), axis=0)) >= 3, "two-colour texture"
        gray = image.mean(axis=2)
        inner = np.abs(np.diff(gray, axis=1)).mean()
        seam = np.abs(gray[:, 0] - gray[:, -1]).mean()   # the wrap-around neighbours of a tiled texture
        assert seam < 3 * inner + 1.0, f"seam {seam:.1f} vs inner {inner:.1f}: not tileable"
        slopes.append(_power_slope(gray))
    assert -3.5 < float(np.median(slopes)) < -1.2, slopes


def test_texture_families_are_a_config_setting_and_unknown_ones_are_named(tmp_path: Path):
    cfg = replace(BASE, randomization=replace(BASE.randomization.only("textures"),
                                              textures=replace(BASE.randomization.textures, families=("spectral",))))
    env = FlightEnv(cfg)
    try:
        _, info = env.reset(seed=3)
        assert set(info["randomization"]["textures"]["bank"]) == {"spectral"}
    finally:
        env.close()
    config = resolve_config(FlightTrainConfig, "smoke", ["env.randomization.textures.families=[dead_leaves,flat]"])
    assert config.env.randomization.textures.families == ("dead_leaves", "flat")
    with pytest.raises(ConfigError, match=r"dead_leaves, spectral; got \['marble'\]"):
        resolve_config(FlightTrainConfig, "smoke", ["env.randomization.textures.families=[marble]"])


def _with_same_texture(probability: float) -> FlightEnvConfig:
    textures = BASE.randomization.textures
    return replace(BASE, randomization=replace(BASE.randomization.only("textures"), textures=replace(
        textures, per_slot=replace(textures.per_slot, same_texture=probability))))


def test_same_texture_dresses_every_surface_alike_and_keeps_the_other_draws():
    records = {}
    for probability in (0.0, 1.0):
        env = FlightEnv(_with_same_texture(probability))
        try:
            _, info = env.reset(seed=5)
            records[probability] = info["randomization"]["textures"]
            texids = env.model.mat_texid[:, int(mujoco.mjtTextureRole.mjTEXROLE_RGB)].copy()
        finally:
            env.close()
        if probability == 1.0:
            assert len(set(texids[: len(records[1.0]["slot_textures"])].tolist())) == 1
    assert records[1.0]["same_texture"] and not records[0.0]["same_texture"]
    assert len(set(records[1.0]["slot_textures"])) == 1 and len(set(records[0.0]["slot_textures"])) > 1
    assert records[1.0]["slot_textures"][0] == records[0.0]["slot_textures"][0]
    assert records[1.0]["slot_texrepeat"] == records[0.0]["slot_texrepeat"]   # drawn before: unchanged
    with pytest.raises(ValueError, match="same_texture must be a probability in \\[0, 1\\], got 1.5"):
        _with_same_texture(1.5)


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


def test_builtin_photo_set_joins_the_bank_and_bad_names_are_refused(tmp_path: Path):
    pytest.importorskip("skimage")
    photos = load_photo_set("skimage", 32)
    assert len(photos) == len(PHOTO_SETS["skimage"]) >= 15
    assert all(p.shape == (32, 32, 3) and p.dtype == np.uint8 for p in photos)
    assert len({p.tobytes() for p in photos}) == len(photos)          # 18 different images
    assert load_photo_set("none", 32) == []
    with pytest.raises(TextureError, match="photo_set must be one of none, skimage; got 'imagenet'"):
        load_photo_set("imagenet", 32)
    with pytest.raises(ValueError, match="photo_set must be one of none, skimage; got 'imagenet'"):
        replace(BASE, photo_set="imagenet")
    # a user's folder and the built-in set both feed the bank: indices past the folder's are the set's
    Image.fromarray(np.full((40, 60, 3), 90, np.uint8)).save(tmp_path / "mine.png")
    cfg = replace(BASE, textures_dir=str(tmp_path), photo_set="skimage", texture_bank=8,
                  randomization=BASE.randomization.only("textures"))
    env = FlightEnv(cfg)
    try:
        names = {name for s in range(6) for name in env.reset(seed=s)[1]["randomization"]["textures"]["bank"]}
    finally:
        env.close()
    indices = {int(n.split(":")[1]) for n in names if n.startswith("photo:")}
    assert indices and max(indices) <= len(photos) and any(i >= 1 for i in indices)


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


def test_restyled_view_changes_only_appearance_and_restores_the_episode():
    """render_restyled: the same pose under another appearance draw; the episode is untouched."""
    from greenroom.sim.flight.randomize import APPEARANCE_GROUPS

    env = FlightEnv(BASE)
    try:
        env.reset(seed=3)
        env.step(FLIGHT[0])
        state, fields = env.get_state(), {n: getattr(env.model, n).copy() for n in ("mat_texid", "mat_rgba", "light_pos")}
        flown = env.render_now().copy()
        views = [env.render_restyled(seed) for seed in (11, 12)]
        assert not np.array_equal(views[0], views[1]) and not np.array_equal(views[0], flown)
        np.testing.assert_array_equal(env.render_restyled(11), views[0])   # a seed names one appearance
        assert all(np.array_equal(v, getattr(env.model, n)) for n, v in fields.items())
        env.set_state(state)                   # same noise stream: the flown view comes back exactly
        np.testing.assert_array_equal(env.render_now(), flown)
        # with the appearance groups off, a restyled view is the flown one minus nothing but nominal draws
        plain = FlightEnv(replace(BASE, randomization=BASE.randomization.only("layout")))
        try:
            plain.reset(seed=3)
            np.testing.assert_array_equal(plain.render_restyled(11), plain.render_now())
        finally:
            plain.close()
        assert set(APPEARANCE_GROUPS) <= set(GROUP_NAMES)
    finally:
        env.close()
