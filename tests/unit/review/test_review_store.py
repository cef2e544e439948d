"""The pieces under a decision: label semantics, the feedback store's atomic writes, the viewer's pixel format."""

from __future__ import annotations

import gzip
import json

import cv2
import numpy as np
import pytest

from smartinspect.domain.review import DecisionKind, LabelTask
from smartinspect.review.decisions import request_digest
from smartinspect.review.feedback import ExampleImage, LabelledExample, remove_example, write_example
from smartinspect.review.types import CorrectedBox, DecisionInput
from smartinspect.storage.blobs import LocalBlobStore
from smartinspect.storage.models import Scan
from smartinspect.xray.review import xray_boxes
from smartinspect.xray.viewer import material_layer_png, raw_pixels

FINDING = {"class_name": "drugs", "score": 0.81, "box": [10.0, 20.0, 30.0, 40.0], "box_mm": [50, 100, 150, 200]}


def _put_png(blobs: LocalBlobStore, image: np.ndarray) -> str:
    return blobs.put(cv2.imencode(".png", image)[1].tobytes())


def _scan(blobs: LocalBlobStore, high: np.ndarray, low: np.ndarray | None = None) -> Scan:
    return Scan(id="s1", image_sha256=_put_png(blobs, high),
                image_low_sha256=_put_png(blobs, low) if low is not None else None, image_format="png",
                width=high.shape[1], height=high.shape[0], bit_depth=16 if high.dtype == np.uint16 else 8, channels=1,
                result={"findings": [FINDING]})


@pytest.mark.parametrize(("decision", "boxes", "expected"), [
    (DecisionKind.confirm, None, [("drugs", (10.0, 20.0, 30.0, 40.0))]),  # the model's findings stand
    (DecisionKind.escalate, None, [("drugs", (10.0, 20.0, 30.0, 40.0))]),
    (DecisionKind.clear, None, []),  # cleared: a clean scan is a label too
    (DecisionKind.confirm, (), []),  # the expert removed every box
    (DecisionKind.clear, (CorrectedBox("firearm", (1, 2, 3, 4)),), [("firearm", (1, 2, 3, 4))]),
])
def test_which_boxes_a_decision_stands_for(tmp_path, decision, boxes, expected):
    scan = _scan(LocalBlobStore(tmp_path), np.zeros((64, 64), np.uint16))
    chosen = xray_boxes(scan, DecisionInput(decision, "why", boxes=boxes))
    assert [(b.class_name, b.box) for b in chosen] == expected


@pytest.mark.parametrize("box", [(5, 5, 5, 9), (9, 0, 1, 4), (-1, 0, 3, 3), (0, 0, float("nan"), 3)])
def test_degenerate_boxes_are_refused(box):
    with pytest.raises(ValueError, match="x1 < x2"):
        CorrectedBox("firearm", box)


def test_the_request_digest_tells_a_retry_from_another_decision():
    one = DecisionInput(DecisionKind.confirm, "dense", labels={"b": "2", "a": "1"})
    same = DecisionInput(DecisionKind.confirm, "dense", labels={"a": "1", "b": "2"})
    assert request_digest(one) == request_digest(same)
    assert request_digest(one) != request_digest(DecisionInput(DecisionKind.clear, "dense"))


def test_examples_are_written_whole_or_not_at_all(tmp_path):
    blobs, root = LocalBlobStore(tmp_path / "blobs"), tmp_path / "feedback"
    sha = blobs.put(b"\x89PNG fake bytes")
    example = LabelledExample(LabelTask.xray, 7, (ExampleImage("image.png", sha),), {"boxes": []})
    written = write_example(root, blobs, example)
    folder = root / written.relative_path
    assert written.relative_path == "xray/000007" and (folder / "image.png").read_bytes() == b"\x89PNG fake bytes"
    annotation = json.loads((folder / "annotation.json").read_text())
    assert annotation["images"] == {"image.png": sha} and annotation["decision_id"] == 7
    missing = LabelledExample(LabelTask.xray, 8, (ExampleImage("image.png", "0" * 64),))
    with pytest.raises(FileNotFoundError):
        write_example(root, blobs, missing)
    assert sorted(p.name for p in (root / "xray").iterdir()) == ["000007"]  # no half-written 000008, no temp dir
    remove_example(root, written.relative_path)
    assert not folder.exists()


@pytest.mark.parametrize("dtype", [np.uint16, np.uint8])
def test_raw_pixels_are_the_stored_samples_little_endian_and_cached(tmp_path, dtype):
    blobs = LocalBlobStore(tmp_path / "blobs")
    high = np.random.default_rng(0).integers(0, np.iinfo(dtype).max, (40, 70)).astype(dtype)
    scan = _scan(blobs, high)
    raw = raw_pixels(blobs, scan, cache_dir=tmp_path / "cache")
    assert (raw.width, raw.height, raw.bit_depth) == (70, 40, 16 if dtype == np.uint16 else 8)
    assert np.array_equal(np.frombuffer(gzip.decompress(raw.gzipped), "<u2").reshape(40, 70), high)
    blobs.path(scan.image_sha256).unlink()  # the second call is served from the cache
    assert raw_pixels(blobs, scan, cache_dir=tmp_path / "cache").gzipped == raw.gzipped


def test_material_layer_needs_dual_energy(tmp_path):
    blobs = LocalBlobStore(tmp_path / "blobs")
    high = np.full((40, 40), 20000, np.uint16)
    assert material_layer_png(blobs, _scan(blobs, high), cache_dir=tmp_path) is None
    layer = material_layer_png(blobs, _scan(blobs, high, low=np.full((40, 40), 9000, np.uint16)), cache_dir=tmp_path)
    rgba = cv2.imdecode(np.frombuffer(layer, np.uint8), cv2.IMREAD_UNCHANGED)
    assert rgba.shape == (40, 40, 4) and (rgba[..., 3] > 0).all()
