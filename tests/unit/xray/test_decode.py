import io

import cv2
import numpy as np
import pytest
from PIL import Image

from smartinspect.xray.decode import UploadRejected, decode_pixels, read_header, to_attenuation


def _png(array: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", array)
    assert ok
    return buf.tobytes()


def _tiff(array: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".tiff", array)
    assert ok
    return buf.tobytes()


@pytest.mark.parametrize(
    ("array", "encode", "bit_depth", "channels"),
    [
        (np.full((64, 80), 60000, np.uint16), _png, 16, 1),
        (np.full((64, 80), 200, np.uint8), _png, 8, 1),
        (np.full((64, 80, 3), 200, np.uint8), _png, 8, 3),
        (np.full((64, 80), 60000, np.uint16), _tiff, 16, 1),
        (np.full((64, 80, 3), 200, np.uint8), lambda a: cv2.imencode(".jpg", a)[1].tobytes(), 8, 3),
    ],
)
def test_accepted_images(array, encode, bit_depth, channels):
    data = encode(array)
    header = read_header(data, max_pixels=10_000)
    assert (header.width, header.height, header.bit_depth, header.channels) == (80, 64, bit_depth, channels)
    pixels = decode_pixels(data, header)
    assert pixels.shape[:2] == (64, 80)


def _float_tiff() -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.ones((64, 64), np.float32)).save(buf, format="TIFF")
    return buf.getvalue()


def _gif() -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.zeros((64, 64), np.uint8)).save(buf, format="GIF")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("data", "code", "status"),
    [
        (b"", "empty_file", 400),
        (b"%PDF-1.7 not an image at all", "not_an_image", 415),
        (_gif(), "unsupported_format", 415),
        (_float_tiff(), "unsupported_bit_depth", 422),
        (_png(np.zeros((8, 8), np.uint8)), "image_too_small", 422),
    ],
)
def test_rejected_images(data, code, status):
    with pytest.raises(UploadRejected) as err:
        header = read_header(data, max_pixels=10_000)
        decode_pixels(data, header)
    assert err.value.code == code and err.value.status == status


def test_decompression_bomb_rejected_from_header_alone():
    # A 20000 x 20000 PNG compresses to a few hundred kB; the header check refuses it before decoding.
    bomb = _png(np.zeros((20000, 20000), np.uint8))
    with pytest.raises(UploadRejected) as err:
        read_header(bomb, max_pixels=40_000_000)
    assert err.value.code == "too_many_pixels" and err.value.status == 413


def test_truncated_png_rejected():
    rng = np.random.default_rng(0)
    data = _png(rng.integers(0, 65535, (200, 200), dtype=np.uint16))
    truncated = data[: len(data) // 2]
    with pytest.raises(UploadRejected) as err:
        decode_pixels(truncated, read_header(truncated, max_pixels=10**6))
    assert err.value.code == "corrupt_image"


def test_attenuation_is_zero_in_open_beam_and_grows_with_absorption():
    image = np.full((100, 100), 60000, np.uint16)
    image[40:60, 40:60] = 6000  # 10% transmission
    att = to_attenuation(image)
    assert att[0, 0] == pytest.approx(0.0, abs=1e-3)
    assert att[50, 50] == pytest.approx(np.log(10), rel=1e-3)
