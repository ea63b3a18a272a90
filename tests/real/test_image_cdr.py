"""real/common/image_cdr: serialized sensor_msgs/Image read in place, checked against rclpy's own
serializer (every field, every alignment of the strings) and against corrupt bytes (only
CdrError, never an out-of-bounds read or another exception)."""
from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rclpy.serialization import serialize_message
from sensor_msgs.msg import Image

from greenroom.real.common.image_cdr import CdrError, ImageView, image_from_serialized, parse_image


def make_image(frame_id: str, encoding: str, height: int, width: int, step: int, sec: int = 12,
               nanosec: int = 345, seed: int = 0) -> Image:
    msg = Image(height=height, width=width, encoding=encoding, step=step, is_bigendian=0)
    msg.header.stamp.sec, msg.header.stamp.nanosec, msg.header.frame_id = sec, nanosec, frame_id
    msg.data = np.random.default_rng(seed).integers(0, 256, step * height, dtype=np.uint8).tobytes()
    return msg


def assert_same(view: ImageView, msg: Image) -> None:
    assert (view.header.stamp.sec, view.header.stamp.nanosec) == (msg.header.stamp.sec, msg.header.stamp.nanosec)
    assert view.header.frame_id == msg.header.frame_id
    assert (view.height, view.width, view.encoding, view.is_bigendian, view.step) == \
        (msg.height, msg.width, msg.encoding, msg.is_bigendian, msg.step)
    assert view.data.dtype == np.uint8 and view.data.tobytes() == bytes(msg.data)


@pytest.mark.parametrize("frame_id", ["", "c", "ca", "cam", "camera", "camera_color_optical_frame"])
@pytest.mark.parametrize("encoding,width,step", [("rgb8", 5, 15), ("bgr8", 4, 16), ("mono8", 3, 3), ("mono8", 7, 9)])
def test_fields_match_rclpy_serialization_at_every_string_alignment(frame_id: str, encoding: str, width: int,
                                                                    step: int) -> None:
    msg = make_image(frame_id, encoding, 3, width, step, sec=-2, nanosec=999_999_999)
    view = parse_image(serialize_message(msg))
    assert_same(view, msg)
    assert not view.data.flags.writeable  # a view into the received bytes, never written


def test_camera_sized_frame_is_a_view_not_a_copy() -> None:
    msg = make_image("camera", "rgb8", 480, 640, 640 * 3)
    serialized = serialize_message(msg)
    view = parse_image(serialized)
    assert_same(view, msg)
    assert np.shares_memory(view.data, np.frombuffer(serialized, np.uint8))


def test_big_endian_encapsulation_is_read() -> None:
    def string(text: str) -> bytes:
        raw = text.encode() + b"\0"
        return struct.pack(">I", len(raw)) + raw

    body = struct.pack(">iI", 7, 8) + string("cam")  # 8 + 8 bytes: aligned
    body += struct.pack(">II", 1, 2) + string("mono8")  # 8 + 10 bytes
    body += b"\x01" + b"\0" * ((-(len(body) + 1)) % 4) + struct.pack(">II", 2, 2) + b"\x05\x06"
    view = parse_image(b"\x00\x00\x00\x00" + body)
    assert (view.header.stamp.sec, view.header.frame_id, view.height, view.width, view.encoding) == (7, "cam", 1, 2, "mono8")
    assert (view.is_bigendian, view.step, view.data.tolist()) == (1, 2, [5, 6])


NO_NUL = st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",))  # ROS strings: UTF-8 C strings


@settings(max_examples=150, deadline=None)
@given(frame_id=st.text(NO_NUL, max_size=40), encoding=st.text(NO_NUL, min_size=1, max_size=12), height=st.integers(0, 6),
       width=st.integers(0, 6), pad=st.integers(0, 5), sec=st.integers(-2**31, 2**31 - 1),
       nanosec=st.integers(0, 999_999_999))
def test_any_image_round_trips(frame_id: str, encoding: str, height: int, width: int, pad: int, sec: int,
                               nanosec: int) -> None:
    msg = make_image(frame_id, encoding, height, width, width + pad, sec, nanosec)
    assert_same(parse_image(serialize_message(msg)), msg)


@settings(max_examples=200, deadline=None)
@given(cut=st.integers(0, 200), flips=st.lists(st.tuples(st.integers(0, 200), st.integers(0, 255)), max_size=4))
def test_corrupt_bytes_raise_cdr_error_only(cut: int, flips: list[tuple[int, int]]) -> None:
    buffer = bytearray(serialize_message(make_image("camera", "rgb8", 4, 5, 15)))
    for index, value in flips:
        buffer[index % len(buffer)] = value
    buffer = buffer[:cut] if cut < len(buffer) else buffer
    try:
        view = parse_image(bytes(buffer))
    except CdrError:
        return
    assert view.data.size <= len(buffer)  # whatever parsed lies inside the buffer


def test_truncated_data_names_the_field() -> None:
    serialized = serialize_message(make_image("camera", "rgb8", 4, 5, 15))
    with pytest.raises(CdrError, match="truncated at data"):
        parse_image(serialized[:-1])


def test_other_encapsulations_fall_back_to_rclpy() -> None:
    msg = make_image("camera", "rgb8", 2, 2, 6)
    serialized = bytearray(serialize_message(msg))
    serialized[1] = 0x0B  # PL_CDR2_LE: the parser refuses it, rclpy's deserializer reads this body
    with pytest.raises(CdrError, match="encapsulation 0x000b"):
        parse_image(bytes(serialized))
    fallback = image_from_serialized(bytes(serialized), Image)
    assert isinstance(fallback, Image) and bytes(fallback.data) == bytes(msg.data)


def test_bytes_nobody_can_read_raise_cdr_error_naming_both() -> None:
    with pytest.raises(CdrError, match="shorter than the 4-byte encapsulation header; rclpy could not"):
        image_from_serialized(b"\x00\x01", Image)
