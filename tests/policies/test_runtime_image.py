"""ROS Image payloads -> contract RGB: encodings, strides, resizing and every rejection path."""
from __future__ import annotations

import array

import numpy as np
import pytest

from greenroom.policies.runtime.image import ImageError, image_msg_to_rgb, rgb_to_bytes, to_rgb_contract


def _rgb(height: int, width: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def _padded(pixels: np.ndarray, pad: int) -> tuple[bytes, int]:
    """Rows of ``pixels`` (H, W[, C]) followed by ``pad`` junk bytes each; returns (data, step)."""
    rows = pixels.reshape(pixels.shape[0], -1)
    junk = np.full((rows.shape[0], pad), 77, np.uint8)
    padded = np.concatenate([rows, junk], axis=1)
    return padded.tobytes(), padded.shape[1]


def test_rgb8_same_size_is_an_exact_copy() -> None:
    image = _rgb(6, 8)
    out = to_rgb_contract(image.tobytes(), "rgb8", 8, 6, 24, (6, 8))
    assert out.dtype == np.uint8 and out.shape == (6, 8, 3) and out.flags.c_contiguous
    np.testing.assert_array_equal(out, image)
    assert out.base is None or not np.shares_memory(out, image)


def test_bgr8_swaps_channels() -> None:
    image = _rgb(4, 5, seed=1)
    out = to_rgb_contract(image[..., ::-1].tobytes(), "bgr8", 5, 4, 15, (4, 5))
    np.testing.assert_array_equal(out, image)


def test_mono8_replicates_grey() -> None:
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    out = to_rgb_contract(grey.tobytes(), "mono8", 4, 3, 4, (3, 4))
    for c in range(3):
        np.testing.assert_array_equal(out[..., c], grey)


@pytest.mark.parametrize("encoding", ["rgb8", "bgr8", "mono8"])
def test_padded_rows_are_ignored(encoding: str) -> None:
    image = _rgb(5, 7, seed=2)
    src = {"rgb8": image, "bgr8": image[..., ::-1], "mono8": image[..., 0]}[encoding]
    data, step = _padded(np.ascontiguousarray(src), pad=9)
    out = to_rgb_contract(data, encoding, 7, 5, step, (5, 7))
    expected = image if encoding != "mono8" else np.repeat(image[..., :1], 3, axis=2)
    np.testing.assert_array_equal(out, expected)


def test_downscale_by_two_is_the_block_mean() -> None:
    """INTER_AREA at an integer factor averages each 2x2 block (a 0.5 tolerance for rounding)."""
    image = _rgb(8, 12, seed=3)
    out = to_rgb_contract(image.tobytes(), "rgb8", 12, 8, 36, (4, 6))
    block_mean = image.reshape(4, 2, 6, 2, 3).astype(np.float64).mean(axis=(1, 3))
    assert out.shape == (4, 6, 3)
    assert np.abs(out - block_mean).max() <= 0.5 + 1e-9


def test_upscale_and_odd_sizes() -> None:
    image = _rgb(3, 5, seed=4)
    out = to_rgb_contract(image.tobytes(), "rgb8", 5, 3, 15, (64, 64))
    assert out.shape == (64, 64, 3)
    assert out.min() >= image.min() and out.max() <= image.max()
    out = to_rgb_contract(_rgb(481, 641).tobytes(), "bgr8", 641, 481, 641 * 3, (64, 80))
    assert out.shape == (64, 80, 3)


def test_accepts_rclpy_array_memoryview_and_ndarray() -> None:
    image = _rgb(4, 4, seed=5)
    raw = image.tobytes()
    for data in (array.array("B", raw), memoryview(raw), bytearray(raw), image.reshape(-1)):
        np.testing.assert_array_equal(to_rgb_contract(data, "rgb8", 4, 4, 12, (4, 4)), image)


def test_image_msg_fields_and_round_trip() -> None:
    image = _rgb(6, 10, seed=6)
    data, encoding, width, height, step = rgb_to_bytes(image)

    class Msg:  # any object with the sensor_msgs/Image fields
        pass

    msg = Msg()
    msg.data, msg.encoding, msg.width, msg.height, msg.step = data, encoding, width, height, step
    np.testing.assert_array_equal(image_msg_to_rgb(msg, (6, 10)), image)
    with pytest.raises(ImageError, match="not an image message"):
        image_msg_to_rgb(object(), (6, 10))


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        (dict(encoding="32FC1", width=4, height=4, step=16), "unsupported encoding '32FC1'"),
        (dict(encoding="rgba8", width=4, height=4, step=16), "unsupported encoding 'rgba8'"),
        (dict(encoding="bayer_rggb8", width=4, height=4, step=4), "unsupported encoding"),
        (dict(encoding="16UC1", width=4, height=4, step=8), "unsupported encoding"),
        (dict(encoding="", width=4, height=4, step=12), "unsupported encoding"),
        (dict(encoding=None, width=4, height=4, step=12), "unsupported encoding"),
        (dict(encoding="rgb8", width=0, height=4, step=0), "zero size"),
        (dict(encoding="rgb8", width=4, height=0, step=12), "zero size"),
        (dict(encoding="rgb8", width=-3, height=4, step=12), "zero size"),
        (dict(encoding="rgb8", width=4, height=4, step=11), "step 11 bytes is shorter"),
        (dict(encoding="rgb8", width=4, height=4, step=12, nbytes=47), "truncated data: 47 bytes"),
        (dict(encoding="rgb8", width=4, height=4, step=12, nbytes=0), "truncated data: 0 bytes"),
        (dict(encoding="rgb8", width=4, height=4, step=12, nbytes=49), "oversized data"),
        (dict(encoding="mono8", width=4, height=4, step=16), "truncated data"),
        (dict(encoding="rgb8", width=100000, height=1, step=300000, nbytes=10), "exceeds"),
        (dict(encoding="rgb8", width="four", height=4, step=12), "must be integers"),
    ],
)
def test_rejections_carry_a_reason(kwargs: dict, reason: str) -> None:
    nbytes = kwargs.pop("nbytes", 48)
    with pytest.raises(ImageError, match=reason) as info:
        to_rgb_contract(bytes(nbytes), target_hw=(4, 4), **kwargs)
    assert info.value.reason == str(info.value)


def test_float_and_nan_arrays_are_rejected() -> None:
    nan_image = np.full((4, 4, 3), np.nan, np.float32)
    with pytest.raises(ImageError, match="dtype float32"):
        to_rgb_contract(nan_image, "rgb8", 4, 4, 12, (4, 4))
    with pytest.raises(ImageError, match="typecode 'f'"):
        to_rgb_contract(array.array("f", [np.nan] * 48), "rgb8", 4, 4, 12, (4, 4))
    with pytest.raises(ImageError, match="not a byte buffer"):
        to_rgb_contract([0] * 48, "rgb8", 4, 4, 12, (4, 4))
    with pytest.raises(ImageError, match="unsupported encoding '32FC3'"):
        to_rgb_contract(nan_image.tobytes(), "32FC3", 4, 4, 48, (4, 4))


def test_bad_target_is_a_programming_error_not_an_image_error() -> None:
    with pytest.raises(ValueError, match="target_hw") as info:
        to_rgb_contract(bytes(48), "rgb8", 4, 4, 12, (0, 4))
    assert not isinstance(info.value, ImageError)
