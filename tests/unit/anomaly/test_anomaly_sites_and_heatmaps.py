"""The scan pipeline's side of the anomaly model: which site's model scores a scan, the stored heatmap, the
cargo-space crop. numpy only, fast."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from smartinspect.anomaly.overlay import HEATMAP_FULL_SCALE, decode_heatmap, encode_heatmap
from smartinspect.anomaly.preprocess import cargo_box
from smartinspect.anomaly.sites import DEFAULT_SITE, model_for_site, site_of
from smartinspect.anomaly.types import AnomalyPackageError, AnomalyResult, ViewParams


def _loaded(task: str, site: str | None) -> SimpleNamespace:
    params = {} if site is None else {"site": site}
    return SimpleNamespace(spec=SimpleNamespace(task=task, params=params))


def test_a_scanner_gets_its_sites_model_else_the_default_sites_else_none() -> None:
    models = {"xray-detector": _loaded("xray-detection", None), "anomaly-a": _loaded("xray-anomaly", "yangshan"),
              "anomaly-z": _loaded("xray-anomaly", None)}  # no site in params: the default site
    sites = {"lane-07": "yangshan", "lane-09": "waigaoqiao"}
    assert site_of("lane-07", sites) == "yangshan" and site_of("lane-01", sites) == DEFAULT_SITE
    assert model_for_site(models, site_of("lane-07", sites)) is models["anomaly-a"]
    assert model_for_site(models, site_of("lane-09", sites)) is models["anomaly-z"]  # no model for that site
    assert model_for_site(models, DEFAULT_SITE) is models["anomaly-z"]
    assert model_for_site({"xray-detector": models["xray-detector"]}, "yangshan") is None


def test_the_stored_heatmap_round_trips_to_within_one_level() -> None:
    heat = np.random.default_rng(0).uniform(0, 3.0, size=(12, 40)).astype(np.float32)
    back = decode_heatmap(encode_heatmap(heat))
    assert back.shape == heat.shape
    np.testing.assert_allclose(back, np.minimum(heat, HEATMAP_FULL_SCALE), atol=HEATMAP_FULL_SCALE / 255)
    with pytest.raises(ValueError):
        decode_heatmap("bm90IGEgcG5n")


def test_a_cropped_heatmap_lies_where_it_was_scored() -> None:
    result = AnomalyResult(score=1.0, anomalous=False, threshold=1.0, heatmap=np.ones((2, 3), np.float32),
                           heatmap_stride=4.0, region=(10, 20, 14, 24), region_score=1.0, heatmap_origin=(10, 20))
    full = result.heatmap_image(30, 26)
    assert full.shape == (26, 30)
    assert full[20:26, 10:22].min() == 1.0 and full[:20].max() == 0.0 and full[:, :10].max() == 0.0


def test_the_cargo_crop_finds_a_generated_containers_interior() -> None:
    from smartinspect.xray.datagen import XrayGenConfig, generate_scan
    from smartinspect.xray.decode import to_attenuation

    scan = generate_scan(np.random.default_rng(3), XrayGenConfig(), container="20ft", force_empty=False,
                         force_threats=[])
    att = to_attenuation(scan.high)
    box = cargo_box(att, 5.0)
    x1, y1, x2, y2 = scan.manifest["interior_box"]
    # within the wall and corner-post margins the empty check skips (about 200 mm)
    assert box is not None and all(abs(a - b) <= 40 for a, b in zip(box, (x1, y1, x2, y2), strict=True))
    assert cargo_box(att, None) is None  # no pitch, no size to find a container by
    assert cargo_box(np.zeros((64, 64), np.float32), 5.0) is None
    with pytest.raises(AnomalyPackageError, match="crop"):
        ViewParams(crop="roi")


def test_the_operator_overlay_shows_the_heatmap_and_boxes_an_anomalous_region() -> None:
    import cv2

    from smartinspect.xray.overlay import ANOMALY_BGR, render_overlay
    from smartinspect.xray.types import Detections

    att = np.full((120, 200), 1.0, np.float32)
    heat = np.zeros((4, 6), np.float32)
    heat[1:3, 2:4] = 2.0  # hot in the middle, cold elsewhere
    stored = {"anomalous": True, "score": 15.0, "threshold": 10.0, "region": [60, 40, 100, 80],
              "heatmap": {"origin": [20, 20], "stride": 20.0, "shape": [4, 6], "png_base64": encode_heatmap(heat)}}
    plain = cv2.imdecode(np.frombuffer(render_overlay(att, Detections.empty(), ["firearm"]), np.uint8), 1)
    drawn = cv2.imdecode(np.frombuffer(render_overlay(att, Detections.empty(), ["firearm"], anomaly=stored),
                                       np.uint8), 1)
    assert drawn.shape == plain.shape == (120, 200, 3)
    hot = drawn[65:75, 75:85].astype(int)
    assert np.abs(hot - plain[65:75, 75:85]).max() > 60  # coloured where the model found the scan unusual
    assert np.array_equal(drawn[:15, :], plain[:15, :])  # untouched where nothing was scored
    assert tuple(drawn[40, 70]) == ANOMALY_BGR  # the region's box
