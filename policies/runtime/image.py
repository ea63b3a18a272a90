"""Camera payloads (``sensor_msgs/Image`` fields) to the RGB image an exported policy expects.

Torch-free and ROS-free: it takes the raw fields of a ``sensor_msgs/Image`` (``data``,
``encoding``, ``width``, ``height``, ``step``), so robots, simulator bridges and tests share one
conversion. Accepted encodings are the 8-bit ones a camera driver publishes for a colour or
grey camera: ``rgb8``, ``bgr8`` and ``mono8`` (REP-104 names), any size, any row stride
``step >= width * channels`` (padded rows are allowed). Everything else is refused with an
:class:`ImageError` whose ``reason`` says what was given and what is expected, so a node can log
it (throttled) and fall back to a safe command instead of crashing.

The result is always a fresh, C-contiguous ``uint8`` array of shape ``(H, W, 3)`` in RGB order
at the contract size ``target_hw = (H, W)``, resized with ``cv2.INTER_AREA`` (the area-averaging
filter OpenCV recommends for shrinking, which is the usual camera -> policy direction). Large
frames are first shrunk by the largest whole factor that divides each side (OpenCV's fast
block-average path), then area-resized to the target: the same area average up to rounding and
sub-pixel alignment (a few grey levels), about 3x cheaper than one INTER_AREA step from 640x480
up (``greenroom bench flight --only camera`` measures both side by side).
"""
from __future__ import annotations

from typing import Any

import cv2
import numpy as np

CHANNELS: dict[str, int] = {"rgb8": 3, "bgr8": 3, "mono8": 1}
"""Supported encodings and their channel count (all 8 bits per channel)."""

MAX_SIDE = 16384
"""Largest width or height accepted (pixels); bigger headers are treated as corrupt."""


class ImageError(ValueError):
    """A camera image that cannot be converted; ``reason`` is a one-line explanation."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _as_bytes_array(data: Any) -> np.ndarray:
    """View ``data`` (bytes, bytearray, memoryview, ``array.array('B')`` or uint8 ndarray) as flat uint8."""
    if isinstance(data, np.ndarray):
        if data.dtype != np.uint8:
            raise ImageError(f"image data has dtype {data.dtype}; expected uint8 bytes (8-bit encodings only)")
        return data.reshape(-1)
    if isinstance(data, (bytes, bytearray, memoryview)):
        return np.frombuffer(data, dtype=np.uint8)
    typecode = getattr(data, "typecode", None)
    if typecode is not None:  # array.array, as rclpy gives uint8[] fields
        if typecode not in ("B", "b"):
            raise ImageError(f"image data is array.array of typecode {typecode!r}; expected bytes ('B')")
        return np.frombuffer(data, dtype=np.uint8)
    raise ImageError(f"image data of type {type(data).__name__} is not a byte buffer")


def _whole_factor(size: int, out: int) -> int:
    """Largest f <= size // out that divides ``size`` (1 when none)."""
    for f in range(max(1, size // out), 1, -1):
        if size % f == 0:
            return f
    return 1


def area_resize(pixels: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """INTER_AREA to ``(out_h, out_w)``, through a whole-factor block average for large shrinks."""
    height, width = pixels.shape[:2]
    fy, fx = _whole_factor(height, out_h), _whole_factor(width, out_w)
    if fy * fx >= 4:
        pixels = cv2.resize(pixels, (width // fx, height // fy), interpolation=cv2.INTER_AREA)
    if pixels.shape[:2] == (out_h, out_w):
        return pixels
    return cv2.resize(pixels, (out_w, out_h), interpolation=cv2.INTER_AREA)


def _check_target(target_hw: tuple[int, int]) -> tuple[int, int]:
    try:
        height, width = (int(v) for v in target_hw)
    except (TypeError, ValueError):
        raise ValueError(f"target_hw must be (height, width) integers, got {target_hw!r}") from None
    if height <= 0 or width <= 0:
        raise ValueError(f"target_hw must be positive, got {target_hw!r}")
    return height, width


def to_rgb_contract(
    data: Any,
    encoding: str,
    width: int,
    height: int,
    step: int,
    target_hw: tuple[int, int],
) -> np.ndarray:
    """Convert one camera frame to RGB ``uint8`` of shape ``(target_h, target_w, 3)``.

    Args:
        data: the pixel bytes (``sensor_msgs/Image.data``): row-major, ``height`` rows of
            ``step`` bytes each; exactly ``height * step`` bytes.
        encoding: ``"rgb8"``, ``"bgr8"`` or ``"mono8"``.
        width, height: image size in pixels (> 0).
        step: bytes per row, ``>= width * channels`` (extra bytes per row are padding).
        target_hw: the contract's ``(height, width)`` in pixels.

    Returns:
        A new C-contiguous ``np.uint8`` array ``(target_h, target_w, 3)``, RGB channel order.

    Raises:
        ImageError: unsupported encoding, zero or absurd size, bad step, data of the wrong
            length or type. ``ValueError`` (not ImageError) for a bad ``target_hw``.
    """
    out_h, out_w = _check_target(target_hw)
    if not isinstance(encoding, str) or encoding not in CHANNELS:
        raise ImageError(
            f"unsupported encoding {encoding!r}; expected one of {', '.join(CHANNELS)} "
            "(8-bit colour or grey; float, depth, Bayer and 16-bit images are not accepted)"
        )
    channels = CHANNELS[encoding]
    try:
        width, height, step = int(width), int(height), int(step)
    except (TypeError, ValueError):
        raise ImageError(f"width/height/step must be integers, got {width!r}/{height!r}/{step!r}") from None
    if width <= 0 or height <= 0:
        raise ImageError(f"image has zero size ({width}x{height} pixels)")
    if width > MAX_SIDE or height > MAX_SIDE:
        raise ImageError(f"image size {width}x{height} exceeds {MAX_SIDE} pixels per side")
    row_bytes = width * channels
    if step < row_bytes:
        raise ImageError(f"step {step} bytes is shorter than a {encoding} row of {width} pixels ({row_bytes} bytes)")
    flat = _as_bytes_array(data)
    expected = step * height
    if flat.size != expected:
        kind = "truncated" if flat.size < expected else "oversized"
        raise ImageError(
            f"{kind} data: {flat.size} bytes for {width}x{height} {encoding} with step {step} "
            f"(expected step*height = {expected})"
        )

    pixels = flat.reshape(height, step)[:, :row_bytes]
    pixels = pixels.reshape(height, width, channels) if channels > 1 else pixels.reshape(height, width)
    if (height, width) != (out_h, out_w):
        # INTER_AREA averages the source pixels under each output pixel when shrinking.
        pixels = area_resize(np.ascontiguousarray(pixels), out_h, out_w)
    if encoding == "rgb8":
        return np.array(pixels, dtype=np.uint8, order="C", copy=True)  # never a view of the message
    code = cv2.COLOR_BGR2RGB if encoding == "bgr8" else cv2.COLOR_GRAY2RGB
    return cv2.cvtColor(np.ascontiguousarray(pixels), code)


def image_msg_to_rgb(msg: Any, target_hw: tuple[int, int]) -> np.ndarray:
    """:func:`to_rgb_contract` on a ``sensor_msgs/Image`` (or anything with the same fields)."""
    try:
        fields = (msg.data, msg.encoding, msg.width, msg.height, msg.step)
    except AttributeError as exc:
        raise ImageError(f"not an image message: {exc}") from None
    return to_rgb_contract(*fields, target_hw=target_hw)


def rgb_to_bytes(image: np.ndarray) -> tuple[bytes, str, int, int, int]:
    """RGB ``uint8 (H, W, 3)`` -> ``(data, "rgb8", width, height, step)`` for an Image message."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected uint8 (H, W, 3), got {image.dtype} {image.shape}")
    height, width = image.shape[:2]
    return np.ascontiguousarray(image).tobytes(), "rgb8", width, height, width * 3
