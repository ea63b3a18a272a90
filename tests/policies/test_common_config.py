"""Typed configs: presets, key=value overrides and the errors users see."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from greenroom.policies.common.config import (
    ConfigError,
    load_config,
    make_preset,
    resolve_config,
    save_config,
)


@dataclass(frozen=True)
class EnvConfig:
    image_size: int = 64
    fov_deg: float = 90.0
    textures_dir: str | None = None

    def __post_init__(self) -> None:
        if self.image_size <= 0:
            raise ValueError(f"image_size must be > 0, got {self.image_size}")


@dataclass(frozen=True)
class TrainConfig:
    env: EnvConfig = field(default_factory=EnvConfig)
    lr: float = 1e-3
    grid: tuple[int, int] = (3, 5)

    @classmethod
    def smoke(cls) -> TrainConfig:
        return cls(env=EnvConfig(image_size=32), lr=1e-2)

    @classmethod
    def cpu(cls) -> TrainConfig:
        return cls()


def test_presets_and_overrides() -> None:
    assert make_preset(TrainConfig, "smoke").env.image_size == 32
    config = resolve_config(TrainConfig, "smoke", ["env.image_size=96", "lr=0.5", "grid=[4,4]", "env.textures_dir=/x"])
    assert config == TrainConfig(env=EnvConfig(image_size=96, textures_dir="/x"), lr=0.5, grid=(4, 4))


def test_unknown_preset_names_the_valid_ones() -> None:
    with pytest.raises(ConfigError, match="valid presets: smoke, cpu"):
        make_preset(TrainConfig, "paper")


def test_unknown_key_names_the_valid_keys() -> None:
    with pytest.raises(ConfigError) as err:
        resolve_config(TrainConfig, "cpu", ["env.imge_size=3"])
    assert "env.imge_size" in str(err.value)
    assert "fov_deg, image_size, textures_dir" in str(err.value)
    with pytest.raises(ConfigError, match="valid keys: env, grid, lr"):
        resolve_config(TrainConfig, "cpu", ["learning_rate=3"])


def test_bad_value_names_the_key() -> None:
    with pytest.raises(ConfigError, match="env.image_size"):
        resolve_config(TrainConfig, "cpu", ["env.image_size=big"])


def test_validation_in_post_init_is_reported() -> None:
    with pytest.raises(ConfigError, match="image_size must be > 0, got -4"):
        resolve_config(TrainConfig, "cpu", ["env.image_size=-4"])


def test_malformed_override() -> None:
    with pytest.raises(ConfigError, match="key=value"):
        resolve_config(TrainConfig, "cpu", ["lr"])


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    config = resolve_config(TrainConfig, "smoke", ["grid=[2,7]"])
    save_config(config, tmp_path / "config.yaml")
    assert load_config(TrainConfig, tmp_path / "config.yaml") == config


def test_bad_config_files_say_which_file_and_why(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(TrainConfig, tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("env: [unclosed\n")
    with pytest.raises(ConfigError, match=str(broken)):
        load_config(TrainConfig, broken)
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("nonsense_key: 1\n")
    with pytest.raises(ConfigError, match="wrong.yaml"):
        load_config(TrainConfig, wrong)


@pytest.mark.parametrize("text", ["", "\r", ">", "# only a comment\n", "---\n", "{}\n"])
def test_a_config_file_without_settings_is_refused(tmp_path: Path, text: str) -> None:
    """A blank or comment-only config.yaml parses as an empty mapping; loading it must not hand back the
    defaults as if they were the run's settings (``greenroom train --resume`` would start a new training)."""
    empty = tmp_path / "config.yaml"
    empty.write_bytes(text.encode())
    with pytest.raises(ConfigError, match=f"{empty}.*holds no settings"):
        load_config(TrainConfig, empty)
