"""Environment settings of the push-grasp protocol benches: which tables, how many runs, which simulator.

``$GREENROOM_BENCH_TABLES`` (tables), ``$GREENROOM_BENCH_RUNS`` (runs per case),
``$GREENROOM_BENCH_SIMULATOR`` (simulator settings) and ``$GREENROOM_BENCH_LAYOUT_SEED`` (the first
reset seed, so other layouts than the usual ones) let a bench run part of VPG's protocol or an
ablation without new code; every row records what it ran.
"""
from __future__ import annotations

import os

# scenario -> table name in the result rows; table1_vpg_blocks: Table I's test with VPG's own 8 meshes
TABLES = {"clutter": "table1", "clutter_vpg": "table1_vpg_blocks", "vpg": "table2"}
# the simulator settings a protocol row records (the edge-loss bench varies them)
SIMULATOR_SETTINGS = ("friction_model", "lost_rule", "grasp_descent_speed", "rolling_model", "mesh_model",
                      "placement_separation_steps", "put_back_model", "tool_yaw_model", "finger_speed", "drop_model")
# primitive geometry a protocol bench may change (recorded as its own detail)
GEOMETRY_SETTINGS = ("push_edge_min_inward",)
# randomization ranges a protocol bench may change, as LOW:HIGH (recorded as ``ranges`` in the details):
# setting -> the range's path under env.randomization
RANGE_SETTINGS = {"rolling": "friction.rolling"}


def bench_tables() -> dict[str, str]:
    """``$GREENROOM_BENCH_TABLES``: the protocol benches' tables (comma-separated, e.g.
    ``table1,table2``) instead of all of ``TABLES``."""
    value = os.environ.get("GREENROOM_BENCH_TABLES", "")
    if not value:
        return dict(TABLES)
    wanted = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [w for w in wanted if w not in TABLES.values()]
    if unknown or not wanted:
        raise ValueError(f"GREENROOM_BENCH_TABLES has unknown tables {unknown}; valid: {', '.join(TABLES.values())}")
    return {scenario: table for scenario, table in TABLES.items() if table in wanted}


def bench_simulator(config):
    """``config`` with ``$GREENROOM_BENCH_SIMULATOR`` applied: comma-separated ``key=value`` simulator
    settings (:data:`SIMULATOR_SETTINGS`, e.g. ``put_back_model=gentle``), the primitive geometry's
    :data:`GEOMETRY_SETTINGS` (e.g. ``push_edge_min_inward=0.7``) or a randomization range of
    :data:`RANGE_SETTINGS` as ``LOW:HIGH`` (e.g. ``rolling=3e-4:3e-3``: the same draws' quantiles mapped
    onto the new range) for the protocol benches, which otherwise run the training run's own settings
    (recorded in each row's details)."""
    from ..common.config import apply_overrides

    items = [v.strip() for v in os.environ.get("GREENROOM_BENCH_SIMULATOR", "").split(",") if v.strip()]
    valid = (*SIMULATOR_SETTINGS, *GEOMETRY_SETTINGS, *RANGE_SETTINGS)
    unknown = [item for item in items if item.partition("=")[0] not in valid or "=" not in item]
    if unknown:
        raise ValueError(f"GREENROOM_BENCH_SIMULATOR has {unknown}; use key=value with keys from {', '.join(valid)}")
    paths: list[str] = []
    for item in items:
        key, _, value = item.partition("=")
        if key in RANGE_SETTINGS:
            low, sep, high = value.partition(":")
            if not sep:
                raise ValueError(f"GREENROOM_BENCH_SIMULATOR {item!r}: a range is LOW:HIGH, e.g. {key}=3e-4:3e-3")
            path = f"env.randomization.{RANGE_SETTINGS[key]}"
            # the nominal value (used when the group is off) moves to the new range's geometric mean
            paths += [f"{path}.low={low}", f"{path}.high={high}", f"{path}.nominal=null"]
        elif key in GEOMETRY_SETTINGS:
            paths.append(f"env.geometry.{item}")
        else:
            paths.append(f"env.{item}")
    return apply_overrides(config, paths) if items else config


def bench_ranges(config) -> dict[str, list[float]]:
    """The :data:`RANGE_SETTINGS` ranges ``config`` runs with, ``{setting: [low, high]}`` (a row's details)."""
    ranges = {}
    for key, path in RANGE_SETTINGS.items():
        node = config.env.randomization
        for part in path.split("."):
            node = getattr(node, part)
        ranges[key] = [float(node.low), float(node.high)]
    return ranges


def bench_runs() -> int | None:
    """``$GREENROOM_BENCH_RUNS``: runs per case of the protocol benches instead of VPG's 30 (a smaller run
    than the paper's, recorded as ``runs_per_case`` in each row's details)."""
    value = os.environ.get("GREENROOM_BENCH_RUNS", "")
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"GREENROOM_BENCH_RUNS must be a positive integer; got {value!r}")
    return int(value)


def bench_layout_seed(default: int) -> int:
    """``$GREENROOM_BENCH_LAYOUT_SEED``: the protocol benches' first reset seed (``evaluate.seed``) instead of
    ``default``, so a policy chosen on the usual layouts can be measured on others (Table I draws its 30
    clutter layouts from it; Table II places VPG's fixed cases and only the physics draws change)."""
    value = os.environ.get("GREENROOM_BENCH_LAYOUT_SEED", "")
    if not value:
        return default
    if not value.isdigit():
        raise ValueError(f"GREENROOM_BENCH_LAYOUT_SEED must be a non-negative integer; got {value!r}")
    return int(value)
