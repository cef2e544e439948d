"""Photo intake: decoding checks, the analysis view and crops, blank frames, the wood-likeness gate, metrics."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from smartinspect.config import Settings
from smartinspect.lifecycle.calibration import expected_calibration_error
from smartinspect.wood.datagen import anatomy_of, render_end_grain
from smartinspect.wood.datagen.ood import render_ood
from smartinspect.wood.decode import UploadRejected, decode_photo
from smartinspect.wood.evaluate import ECE_BINS, auroc
from smartinspect.wood.gate import GateThresholds, calibrate_gate, check_wood_likeness, view_statistics
from smartinspect.wood.preprocess import analysis_view, blank_score, grid_crops, to_batch
from smartinspect.wood.service import check_photos

SETTINGS = Settings(_env_file=None, environment="test")  # type: ignore[call-arg]


def encode(rgb: np.ndarray, fmt: str = "PNG", **kwargs) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def wood_jpeg(taxon: str = "Quercus", seed: int = 0, size: int = 256) -> bytes:
    return render_end_grain(np.random.default_rng(seed), anatomy_of(taxon), size=size).jpeg


def rejected(data: bytes, **kwargs) -> UploadRejected:
    with pytest.raises(UploadRejected) as info:
        decode_photo(data, **{"max_pixels": 10**8, "min_side": 128, "analysis_side": 256, **kwargs})
    return info.value


@pytest.mark.parametrize(("data", "code", "status"), [
    (b"", "empty_file", 400),
    (b"%PDF-1.7 not an image", "not_an_image", 415),
    (encode(np.zeros((200, 200, 3), np.uint8), "GIF"), "unsupported_format", 415),
    (encode(np.zeros((100, 300, 3), np.uint8)), "image_too_small", 422),
])
def test_bad_uploads_are_refused_with_a_code(data: bytes, code: str, status: int) -> None:
    error = rejected(data)
    assert (error.code, error.status) == (code, status)


def test_huge_images_are_refused_from_the_header_before_decoding() -> None:
    error = rejected(encode(np.zeros((400, 400, 3), np.uint8)), max_pixels=100_000)
    assert (error.code, error.status) == ("too_many_pixels", 413)


def test_truncated_jpeg_is_refused_as_corrupt() -> None:
    data = wood_jpeg()
    error = rejected(data[: len(data) // 3])
    assert error.code == "corrupt_image" and error.status == 422


def test_large_jpeg_is_decoded_at_reduced_scale_but_png_and_16_bit_gray_are_accepted() -> None:
    big = cv2.resize(render_end_grain(np.random.default_rng(0), anatomy_of("Acer"), size=256).rgb, (2048, 2048))
    photo = decode_photo(encode(big, "JPEG", quality=90), max_pixels=10**8, min_side=128, analysis_side=256)
    assert photo.header.width == 2048 and 512 <= photo.rgb.shape[0] < 2048  # libjpeg DCT scaling
    gray16 = (np.arange(300 * 300, dtype=np.uint16).reshape(300, 300) * 7)
    buf = io.BytesIO()
    Image.fromarray(gray16).save(buf, format="PNG")
    decoded = decode_photo(buf.getvalue(), max_pixels=10**8, min_side=128, analysis_side=256)
    assert decoded.rgb.shape == (300, 300, 3) and decoded.rgb.dtype == np.uint8


def test_analysis_view_is_the_centre_square_and_crops_tile_it() -> None:
    rgb = np.zeros((300, 500, 3), np.uint8)
    rgb[:, 100:400] = 200  # the centre square is bright, the sides dark
    view = analysis_view(rgb, 256)
    assert view.shape == (256, 256, 3) and view.min() == 200
    view = np.arange(256 * 256 * 3, dtype=np.uint32).reshape(256, 256, 3).astype(np.uint8)
    crops = grid_crops(view, 128, 2)
    assert crops.shape == (4, 128, 128, 3)
    assert np.array_equal(crops[1], view[:128, 128:]) and np.array_equal(crops[2], view[128:, :128])
    batch = to_batch(crops)
    assert batch.shape == (4, 3, 128, 128) and batch.dtype == np.float32 and batch.max() <= 255


def test_denser_crop_grids_overlap_evenly_from_edge_to_edge() -> None:
    view = np.random.default_rng(0).integers(0, 256, (256, 256, 3), dtype=np.uint8)
    crops = grid_crops(view, 128, 4)  # 4 x 128 > 256: starts 0, 43, 85, 128
    assert crops.shape == (16, 128, 128, 3)
    assert np.array_equal(crops[0], view[:128, :128]) and np.array_equal(crops[15], view[128:, 128:])
    assert np.array_equal(crops[1], view[:128, 43:171]) and np.array_equal(crops[4], view[43:171, :128])
    with pytest.raises(ValueError, match="do not fit"):
        grid_crops(view, 300, 1)


@pytest.mark.parametrize("value", [0, 128, 255])
def test_blank_frames_are_refused(value: int) -> None:
    flat = encode(np.full((400, 400, 3), value, np.uint8))
    with pytest.raises(UploadRejected) as info:
        check_photos([wood_jpeg(), flat], SETTINGS)
    assert info.value.code == "blank_image" and info.value.message.startswith("image 1:")
    assert blank_score(analysis_view(np.full((300, 300, 3), value, np.uint8))) < SETTINGS.wood_min_contrast


def test_photo_count_is_limited() -> None:
    with pytest.raises(UploadRejected, match="at least one"):
        check_photos([], SETTINGS)
    with pytest.raises(UploadRejected) as info:
        check_photos([wood_jpeg()] * (SETTINGS.wood_max_images + 1), SETTINGS)
    assert info.value.code == "too_many_images"


def views_of(jpegs: list[bytes]) -> list[np.ndarray]:
    return [analysis_view(decode_photo(b, max_pixels=10**8, min_side=16, analysis_side=256).rgb) for b in jpegs]


def test_gate_passes_wood_and_stops_xray_documents_and_noise() -> None:
    wood = views_of([wood_jpeg(t, s) for t in ("Acer", "Dalbergia nigra", "Pinus", "Quercus") for s in range(2)])
    thresholds = calibrate_gate([view_statistics(v) for v in wood], structure_quantile=0.0)
    assert all(check_wood_likeness(v, thresholds).passed for v in wood)
    # The structure floor is a low quantile, not the minimum: the flattest training photo may fall below it.
    floor = calibrate_gate([view_statistics(v) for v in wood]).min_structure
    assert min(view_statistics(v)["structure"] for v in wood) <= floor <= np.quantile(
        [view_statistics(v)["structure"] for v in wood], 0.01)
    for kind in ("xray", "document", "noise"):
        for seed in range(3):
            jpeg, _ = render_ood(np.random.default_rng(seed), kind, size=192)
            result = check_wood_likeness(views_of([jpeg])[0], thresholds)
            assert not result.passed, (kind, seed, result.stats)


def test_flat_wood_coloured_surfaces_fail_the_structure_check_that_end_grain_passes() -> None:
    """Skin-like and plastered surfaces in wood colours pass every colour check; their band-pass contrast does not."""
    wood = views_of([wood_jpeg(t, s) for t in ("Acer", "Khaya", "Pinus", "Swietenia") for s in range(3)])
    thresholds = calibrate_gate([view_statistics(v) for v in wood], structure_quantile=0.0)
    assert thresholds.min_structure > 0 and all(check_wood_likeness(v, thresholds).passed for v in wood)
    rng = np.random.default_rng(0)
    tan = np.array([200, 150, 120], np.float32)
    skin = tan * (1 + 0.02 * cv2.GaussianBlur(rng.standard_normal((256, 256)).astype(np.float32), (0, 0), 3))[..., None]
    result = check_wood_likeness(np.clip(skin, 0, 255).astype(np.uint8), thresholds)
    assert "flat_texture" in result.failures and result.stats["structure"] < thresholds.min_structure
    # The rim of the loupe's black surround is not texture: a flat disc in a black frame is still flat.
    disc = np.zeros((256, 256, 3), np.uint8)
    cv2.circle(disc, (128, 128), 110, (200, 150, 120), -1)
    assert view_statistics(disc)["structure"] < 0.002
    # Manifests written before the check have no threshold: nothing fails it.
    assert GateThresholds.from_dict({k: v for k, v in thresholds.to_dict().items() if k != "min_structure"}
                                    ).min_structure == 0.0


def test_colour_range_of_the_predicted_class_stops_photos_the_global_range_lets_through() -> None:
    """The global hue range spans red rosewood to pale pine. A photo in rosewood colours called Pinus fails as
    colour_not_class; called Dalbergia, or not called yet, it passes."""
    wood = views_of([wood_jpeg(t, s) for t in ("Dalbergia nigra", "Pinus") for s in range(4)])
    stats = [view_statistics(v) for v in wood]
    classes = ["Dalbergia nigra"] * 4 + ["Pinus"] * 4
    thresholds = calibrate_gate(stats, classes=classes)
    assert set(thresholds.class_colour) == {"Dalbergia nigra", "Pinus"}
    for name, colour in thresholds.class_colour.items():
        mine = [s for s, c in zip(stats, classes, strict=True) if c == name]
        assert all(colour.contains(s) for s in mine)
        assert colour.hue_range[0] <= min(s["hue"] for s in mine) <= max(s["hue"] for s in mine) <= colour.hue_range[1]
    rosewood = wood[0]
    assert not thresholds.class_colour["Pinus"].contains(stats[0]), "the generator's rosewood should be redder"
    assert check_wood_likeness(rosewood, thresholds, "Dalbergia nigra").passed
    assert check_wood_likeness(rosewood, thresholds).passed and check_wood_likeness(rosewood, thresholds, "Acer").passed
    assert check_wood_likeness(rosewood, thresholds, "Pinus").failures == ("colour_not_class",)
    # The ranges travel in the manifest; manifests without them skip the check.
    assert GateThresholds.from_dict(thresholds.to_dict()) == thresholds
    old = GateThresholds.from_dict({k: v for k, v in thresholds.to_dict().items() if k != "class_colour"})
    assert old.class_colour == {} and check_wood_likeness(rosewood, old, "Pinus").passed
    with pytest.raises(ValueError, match="class names"):
        calibrate_gate(stats, classes=classes[:-1])


def test_calibration_metrics() -> None:
    assert auroc([2, 3, 4], [0, 1]) == 1.0 and auroc([0, 1], [2, 3]) == 0.0 and auroc([1], [1]) == 0.5
    confident = np.array([0.9] * 10)
    assert expected_calibration_error(confident, np.array([1] * 9 + [0]), bins=ECE_BINS) == pytest.approx(0.0)
    assert expected_calibration_error(confident, np.zeros(10), bins=ECE_BINS) == pytest.approx(0.9)
