"""Typed configs: frozen dataclasses with named presets, overridden by ``key=value`` strings.

Overrides are parsed, type-checked and merged by OmegaConf (the structured-config engine
behind Hydra), so ``env.image_size=abc`` or ``env.imge_size=64`` fail with the offending key,
what was expected and the valid choices. Validation of values lives in each dataclass's
``__post_init__``.

A task config class provides presets as classmethods named after :data:`PRESETS`::

    @dataclass(frozen=True)
    class FlightTrainConfig:
        lr: float = 1e-3            # Adam learning rate
        @classmethod
        def smoke(cls): return cls(...)
        @classmethod
        def cpu(cls): return cls()
        @classmethod
        def paper(cls): return cls(...)
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, TypeVar

from omegaconf import OmegaConf
from omegaconf.errors import ConfigKeyError, OmegaConfBaseException, ValidationError

PRESETS = ("smoke", "cpu", "paper")
DEFAULT_PRESET = "cpu"

T = TypeVar("T")


class ConfigError(ValueError):
    """A config key or value given by the user is invalid; the message says how to fix it."""


def _valid_keys(cls: type, dotted: str) -> list[str]:
    """Field names of the dataclass that ``dotted`` (a parent path) refers to."""
    node: Any = cls
    for part in [p for p in dotted.split(".") if p]:
        hints = {f.name: f.type for f in dataclasses.fields(node)}
        if part not in hints:
            return []
        field_value = next(f for f in dataclasses.fields(node) if f.name == part)
        default = (
            field_value.default_factory()  # type: ignore[misc]
            if field_value.default_factory is not dataclasses.MISSING
            else field_value.default
        )
        if not dataclasses.is_dataclass(default):
            return []
        node = type(default)
    return sorted(f.name for f in dataclasses.fields(node))


def make_preset(cls: type[T], preset: str) -> T:
    """Instantiate the named preset of a config class."""
    if preset not in PRESETS or not hasattr(cls, preset):
        available = [p for p in PRESETS if hasattr(cls, p)]
        raise ConfigError(f"unknown preset {preset!r} for {cls.__name__}; valid presets: {', '.join(available)}")
    return getattr(cls, preset)()


def _parse_override(item: str) -> Any:
    """``key=value`` -> a one-override OmegaConf dotlist (ConfigError for a malformed key or value)."""
    import yaml

    if not isinstance(item, str) or "=" not in item or item.startswith("="):
        raise ConfigError(f"override {item!r} is not of the form key=value (e.g. env.image_size=96)")
    key, value = item.split("=", 1)
    if not key.strip() or any(not part or not part.replace("_", "a").isalnum() or not part.isascii()
                              for part in key.split(".")):
        raise ConfigError(f"override {item!r}: {key!r} is not a config key (dotted names, e.g. env.image_size)")
    try:
        parsed = OmegaConf.from_dotlist([item])
    except (yaml.YAMLError, OmegaConfBaseException, ValueError, TypeError) as exc:
        detail = getattr(exc, "problem", None) or type(exc).__name__
        raise ConfigError(f"override {item!r}: value {value!r} cannot be parsed ({detail}); write numbers, "
                          f"true/false, null, quoted strings or lists like [16,32]") from None
    return parsed


def _non_finite(config: Any, prefix: str = "") -> str | None:
    """Dotted key of the first nan/inf float in a config dataclass (None when all are finite)."""
    import math

    values = ([(f"{prefix}{f.name}", getattr(config, f.name)) for f in dataclasses.fields(config)]
              if dataclasses.is_dataclass(config) else [])
    while values:
        key, value = values.pop(0)
        if isinstance(value, float) and not math.isfinite(value):
            return key
        if dataclasses.is_dataclass(value):
            found = _non_finite(value, f"{key}.")
            if found:
                return found
        elif isinstance(value, (list, tuple)):
            values[:0] = [(f"{key}[{i}]", v) for i, v in enumerate(value)]
        elif isinstance(value, dict):
            values[:0] = [(f"{key}.{k}", v) for k, v in value.items()]
    return None


def _culprit(base: Any, parsed: list[Any], overrides: list[str]) -> str:
    """The first override that fails to merge on its own (for errors OmegaConf gives no key for)."""
    for item, one in zip(overrides, parsed):
        schema = OmegaConf.structured(base)
        OmegaConf.set_readonly(schema, False)
        try:
            OmegaConf.merge(schema, one)
        except OmegaConfBaseException:
            return item
    return " ".join(overrides)


def _check_groups(schema: Any, cls: type, item: str) -> None:
    """A key naming a group of settings (a nested config) cannot take a plain value."""
    key, value = item.split("=", 1)
    node = OmegaConf.select(schema, key, default=None)
    if node is not None and OmegaConf.is_dict(node) and not value.strip().startswith("{"):
        valid = _valid_keys(cls, key)
        raise ConfigError(f"override {item!r}: '{key}' is a group of settings, not a value; set one of its "
                          f"keys ({', '.join(f'{key}.{k}' for k in valid)})")


def apply_overrides(base: T, overrides: list[str]) -> T:
    """Return ``base`` with ``key=value`` overrides (dotted keys for nested configs) applied."""
    parsed = [_parse_override(item) for item in overrides]
    cls = type(base)
    schema = OmegaConf.structured(base)
    OmegaConf.set_readonly(schema, False)
    for item in overrides:
        _check_groups(schema, cls, item)
    try:
        merged = OmegaConf.merge(schema, *parsed)
        result = OmegaConf.to_object(merged)
    except ConfigKeyError as exc:
        key = str(getattr(exc, "full_key", "") or "")
        parent = key.rsplit(".", 1)[0] if "." in key else ""
        valid = _valid_keys(cls, parent)
        where = f" under '{parent}'" if parent else ""
        raise ConfigError(f"unknown config key '{key}'; valid keys{where}: {', '.join(valid)}") from None
    except ValidationError as exc:
        key = getattr(exc, "full_key", "")
        if key:
            raise ConfigError(f"bad value for '{key}': {str(exc.msg).splitlines()[0]}") from None
        detail = str(exc).splitlines()[0].replace("'$VALUE' of type '$VALUE_TYPE' ", "")
        raise ConfigError(f"override {_culprit(base, parsed, overrides)!r}: {detail}") from None
    except OmegaConfBaseException as exc:
        raise ConfigError(f"invalid override: {exc.msg if hasattr(exc, 'msg') else exc}") from None
    except (ValueError, TypeError) as exc:  # raised by a dataclass __post_init__
        raise ConfigError(f"invalid config: {exc}") from None
    bad = _non_finite(result)
    if bad:
        raise ConfigError(f"'{bad}' must be a finite number, got {_lookup(result, bad)} (from the overrides "
                          f"{' '.join(overrides)})")
    return result  # type: ignore[return-value]


def _lookup(config: Any, dotted: str) -> Any:
    try:
        return OmegaConf.select(OmegaConf.structured(config), dotted.replace("[", ".").replace("]", ""))
    except Exception:  # only for the message
        return "nan/inf"


def resolve_config(cls: type[T], preset: str = DEFAULT_PRESET, overrides: list[str] | None = None) -> T:
    """Preset + overrides -> validated frozen config."""
    return apply_overrides(make_preset(cls, preset), overrides or [])


def to_yaml(config: Any) -> str:
    return OmegaConf.to_yaml(OmegaConf.structured(config))


def save_config(config: Any, path: Path) -> None:
    from .rundir import atomic_write_text

    atomic_write_text(path, to_yaml(config))


def load_config(cls: type[T], path: Path) -> T:
    """Load a config saved by :func:`save_config`, validated against ``cls``."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    try:
        loaded = OmegaConf.load(path)
    except Exception as exc:  # yaml errors come in several types
        raise ConfigError(f"config file {path} is not valid YAML: {exc}") from None
    if not OmegaConf.is_dict(loaded):
        raise ConfigError(f"config file {path} must hold a mapping of {cls.__name__} keys, got a list")
    if not loaded:  # an empty, blank or comment-only file: the defaults would silently stand in for the run's settings
        raise ConfigError(f"config file {path} holds no settings (empty or only comments); a run's config.yaml "
                          f"has every {cls.__name__} key")
    schema = OmegaConf.structured(cls)
    try:
        result = OmegaConf.to_object(OmegaConf.merge(schema, loaded))
    except OmegaConfBaseException as exc:
        raise ConfigError(f"config file {path} does not match {cls.__name__}: {exc}") from None
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"config file {path}: {exc}") from None
    bad = _non_finite(result)
    if bad:
        raise ConfigError(f"config file {path}: '{bad}' must be a finite number")
    return result  # type: ignore[return-value]
