"""FlightEnvConfig presets, validation and key=value overrides; texture folder errors."""
from __future__ import annotations

from pathlib import Path

import pytest

from greenroom.policies.common.config import ConfigError, resolve_config
from greenroom.sim.flight.config import FlightEnvConfig
from greenroom.sim.flight.ranges import GROUP_NAMES
from greenroom.sim.flight.textures import TextureError, load_photos


def test_presets_are_valid_and_sized():
    assert FlightEnvConfig.cpu().image_size == 64
    assert FlightEnvConfig.smoke().image_size <= 64
    paper = FlightEnvConfig.paper()
    assert paper.image_size == 224 and (paper.grid_rows, paper.grid_cols) == (9, 9)
    assert FlightEnvConfig.cpu().substeps == 20
    assert set(FlightEnvConfig().randomization.groups()) == set(GROUP_NAMES)


@pytest.mark.parametrize("override, message", [
    ("image_size=-3", "image_size must be in \\[16, 224\\] px, got -3"),
    ("image_size=300", "image_size must be in"),
    ("grid_rows=0", "grid_rows and grid_cols must be >= 1"),
    ("physics_hz=100", "physics_hz must be >= 200"),
    ("physics_hz=205", "integer multiple of control_hz"),
    ("collision_radius=-0.1", "collision_radius must be > 0"),
    ("texture_bank=0", "texture_bank must be >= 1"),
    ("regenerate_every=0", "regenerate_every must be >= 1"),
    ("randomization.lights.count.high=9", "lights.count must lie in \\[1, 4\\]"),
    ("randomization.layout.hallway_width.low=0.5", "hallway_width must be >= 1.2 m"),
    ("randomization.dynamics.tau.low=0", "tau > 0 s"),
])
def test_bad_values_are_refused_with_the_value(override, message):
    with pytest.raises(ConfigError, match=message):
        resolve_config(FlightEnvConfig, "cpu", [override])


def test_unknown_keys_name_the_valid_ones():
    with pytest.raises(ConfigError, match="unknown config key 'imge_size'.*image_size"):
        resolve_config(FlightEnvConfig, "cpu", ["imge_size=64"])
    with pytest.raises(ConfigError, match="randomization.lights.cont.*count"):
        resolve_config(FlightEnvConfig, "cpu", ["randomization.lights.cont=3"])
    with pytest.raises(ConfigError, match="bad value for 'image_size'"):
        resolve_config(FlightEnvConfig, "cpu", ["image_size=big"])


def test_overrides_reach_nested_groups():
    cfg = resolve_config(FlightEnvConfig, "smoke", ["randomization.lights.enabled=false",
                                                    "randomization.dynamics.tau.low=0.3", "depth=true"])
    assert not cfg.randomization.lights.enabled and cfg.depth
    assert cfg.randomization.dynamics.tau.low == 0.3
    assert cfg.randomization.camera.position.low == (-0.03, -0.03, -0.03)   # tuples stay tuples
    with pytest.raises(ConfigError, match="low <= high"):
        resolve_config(FlightEnvConfig, "cpu", ["randomization.dynamics.tau.low=5"])


def test_texture_folder_errors_name_the_path(tmp_path: Path):
    missing = tmp_path / "nope"
    with pytest.raises(TextureError, match=str(missing)):
        load_photos(missing, 32)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(TextureError, match=f"{empty} contains no images"):
        load_photos(empty, 32)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "broken.png").write_bytes(b"not a png at all")
    with pytest.raises(TextureError, match=f"{bad / 'broken.png'} cannot be read"):
        load_photos(bad, 32)
    with pytest.raises(ValueError, match="textures_dir must be a folder path or None"):
        FlightEnvConfig(textures_dir="  ")
