"""Pieces of the flight nodes that need no DDS: clamps, watchdog, parameter rules, debug image."""
from __future__ import annotations

import math

import numpy as np
import pytest

from greenroom.real.common.diagnostics import LatencyStats, RateMeter
from greenroom.real.common.params import Param, not_empty
from greenroom.real.common.safety import VelocityLimits, Watchdog, clamp_twist
from greenroom.real.flight.policy_node import PARAMS
from greenroom.real.flight.values_image import render_values

LIMITS = VelocityLimits(horizontal=1.0, vertical=0.5, yaw_rate=0.8)


def test_clamp_keeps_heading_and_bounds_every_axis() -> None:
    out = clamp_twist(np.array([3.0, 4.0, -2.0, 5.0]), LIMITS)
    assert out.dtype == np.float32 and out.shape == (4,)
    np.testing.assert_allclose(out, [0.6, 0.8, -0.5, 0.8], atol=1e-6)
    inside = np.array([0.3, -0.2, 0.1, -0.4], np.float32)
    np.testing.assert_array_equal(clamp_twist(inside, LIMITS), inside)


@pytest.mark.parametrize("bad", [[np.nan, 0, 0, 0], [0, 0, np.inf, 0], [1, 2, 3], "fast", None])
def test_clamp_turns_anything_malformed_into_zero(bad) -> None:
    np.testing.assert_array_equal(clamp_twist(bad, LIMITS), np.zeros(4, np.float32))


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError, match="horizontal"):
        VelocityLimits(horizontal=-1.0, vertical=0.5, yaw_rate=1.0)
    with pytest.raises(ValueError, match="yaw_rate"):
        VelocityLimits(horizontal=1.0, vertical=0.5, yaw_rate=math.nan)


def test_watchdog_starts_expired_and_expires_after_timeout() -> None:
    dog = Watchdog(0.1)
    assert dog.expired(now=0.0) and dog.age(now=0.0) == math.inf
    dog.feed(now=10.0)
    assert not dog.expired(now=10.05) and dog.expired(now=10.11)
    assert dog.age(now=10.2) == pytest.approx(0.2)


def test_param_rules_give_reasons() -> None:
    rate = next(p for p in PARAMS if p.name == "control_rate_hz")
    assert rate.validate(30) is None  # an integer for a float parameter is fine
    assert "outside" in rate.validate(500.0)
    assert "finite" in rate.validate(math.nan)
    assert "must be a float" in rate.validate("fast")
    name = Param("frame_id", "base_link", "frame", check=not_empty("frame_id"))
    assert name.validate("  ") == "frame_id must not be empty"
    assert name.validate("body") is None
    descriptor = rate.descriptor()
    assert descriptor.floating_point_range[0].to_value == 200.0 and "Hz" in descriptor.description
    assert all(p.description for p in PARAMS)


def test_values_image_marks_the_best_cell() -> None:
    values = np.array([[0.1, 0.2, 0.3], [0.4, 0.9, 0.5]], np.float32)
    image = render_values(values, cell_px=10)
    assert image.shape == (20, 30, 3) and image.dtype == np.uint8
    assert (image[10, 10:20] == 255).all()  # white outline on row 1, column 1 (the argmax)
    assert image[5, 5].tolist() != image[15, 25].tolist()  # low and high values differ in colour
    assert render_values(np.full((2, 2), np.nan)).shape == (48, 48, 3)


def test_rate_meter_and_latency_stats() -> None:
    meter = RateMeter(window_s=2.0)
    for k in range(60):
        meter.tick(now=k / 30)
    assert meter.rate(now=2.0) == pytest.approx(30.0, abs=1.0)
    stats = LatencyStats(size=100)
    for ms in range(1, 101):
        stats.add(float(ms))
    summary = stats.summary()
    assert summary["median_ms"] == pytest.approx(50.5) and summary["p99_ms"] == pytest.approx(99.01)
