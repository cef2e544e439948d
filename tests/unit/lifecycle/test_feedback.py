import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from smartinspect.lifecycle.feedback import (
    FeedbackFormatError,
    WoodFeedbackExample,
    XrayFeedbackExample,
    read_feedback,
    write_wood_feedback,
    write_xray_feedback,
)
from smartinspect.xray.train.feedback import merge_xray_feedback

CLASSES = ["firearm", "drugs", "cigarettes", "concealment"]


def _scan(seed: int, h: int = 60, w: int = 200) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(20_000, 60_000, size=(h, w), dtype=np.uint16)


def _examples(n: int = 3, pitch_mm: float = 5.0) -> list[XrayFeedbackExample]:
    out = []
    for i in range(n):
        boxes = ((3, (10.0, 5.0, 50.0, 40.0)),) if i % 2 == 0 else ()
        out.append(XrayFeedbackExample(f"case-{i}", _scan(i), boxes, pitch_mm,
                                       {"decision": "confirm" if boxes else "clear", "case_id": i}))
    return out


def test_xray_snapshot_round_trip(tmp_path):
    snapshot = write_xray_feedback(tmp_path / "fb", _examples(), classes=CLASSES)
    assert snapshot.snapshot_id == f"xray-{snapshot.content_sha256[:16]}"
    assert snapshot.counts == {"examples": 3, "objects": 2, "clean_examples": 1,
                               "source_decisions": {"clear": 1, "confirm": 2}}
    back = list(read_feedback(tmp_path / "fb", kind="xray", classes=CLASSES).xray_examples())
    assert [e.example_id for e in back] == ["case-0", "case-1", "case-2"]
    np.testing.assert_array_equal(back[0].image, _scan(0))  # 16-bit kept losslessly
    assert back[0].boxes == ((3, (10.0, 5.0, 50.0, 40.0)),) and back[1].boxes == ()
    assert (tmp_path / "fb" / "labels" / "case-0.txt").read_text() == "3 10.0 5.0 50.0 40.0\n"


def test_same_content_is_idempotent_and_other_content_refused(tmp_path):
    first = write_xray_feedback(tmp_path / "fb", _examples(), classes=CLASSES)
    again = write_xray_feedback(tmp_path / "fb", _examples(), classes=CLASSES)
    assert again.content_sha256 == first.content_sha256
    with pytest.raises(FeedbackFormatError, match="other content"):
        write_xray_feedback(tmp_path / "fb", _examples(2), classes=CLASSES)
    assert not list(tmp_path.glob(".fb.staging*"))  # nothing half-written left behind


def test_changed_snapshot_is_refused(tmp_path):
    write_xray_feedback(tmp_path / "fb", _examples(), classes=CLASSES)
    (tmp_path / "fb" / "labels" / "case-1.txt").write_text("0 1 1 5 5\n")
    with pytest.raises(FeedbackFormatError, match="changed after export"):
        read_feedback(tmp_path / "fb")


@pytest.mark.parametrize(
    ("example", "message"),
    [
        (XrayFeedbackExample("../escape", _scan(0), (), 5.0), "must match"),
        (XrayFeedbackExample("a", _scan(0), ((7, (1.0, 1.0, 5.0, 5.0)),), 5.0), "class id 7"),
        (XrayFeedbackExample("a", _scan(0), ((0, (1.0, 1.0, 500.0, 5.0)),), 5.0), "not inside"),
        (XrayFeedbackExample("a", _scan(0), (), 0.0), "pitch_mm"),
    ],
)
def test_bad_examples_are_refused(tmp_path, example, message):
    with pytest.raises(FeedbackFormatError, match=message):
        write_xray_feedback(tmp_path / "fb", [example], classes=CLASSES)
    assert not (tmp_path / "fb").exists()


def test_wrong_kind_or_classes_are_refused(tmp_path):
    write_xray_feedback(tmp_path / "fb", _examples(1), classes=CLASSES)
    with pytest.raises(FeedbackFormatError, match="kind"):
        read_feedback(tmp_path / "fb", kind="wood")
    with pytest.raises(FeedbackFormatError, match="classes"):
        read_feedback(tmp_path / "fb", classes=["gun"])
    with pytest.raises(FeedbackFormatError, match="no manifest"):
        read_feedback(tmp_path)


def test_eight_bit_scans_are_widened_to_sixteen(tmp_path):
    gray8 = (_scan(1) >> 8).astype(np.uint8)
    write_xray_feedback(tmp_path / "fb", [XrayFeedbackExample("a", gray8, (), 5.0)], classes=CLASSES)
    (back,) = read_feedback(tmp_path / "fb").xray_examples()
    assert back.image.dtype == np.uint16 and np.array_equal(back.image, gray8.astype(np.uint16) * 257)


def test_wood_snapshot_round_trip(tmp_path):
    _, jpg = cv2.imencode(".jpg", np.full((32, 32, 3), 120, np.uint8))
    example = WoodFeedbackExample("w1", jpg.tobytes(), ".jpg", "Dalbergia", "Dalbergia nigra", {"decision": "confirm"})
    snapshot = write_wood_feedback(tmp_path / "wood", [example])
    assert snapshot.kind == "wood" and snapshot.counts["by_genus"] == {"Dalbergia": 1}
    (back,) = read_feedback(tmp_path / "wood", kind="wood").wood_examples()
    assert back.genus == "Dalbergia" and back.image == jpg.tobytes()


def _synthetic(root: Path, n_train: int, n_val: int) -> Path:
    for split, n in (("train", n_train), ("val", n_val)):
        (root / "images" / split).mkdir(parents=True)
        (root / "manifests" / split).mkdir(parents=True)
        for i in range(n):
            sid = f"syn_{split}_{i}"
            cv2.imwrite(str(root / "images" / split / f"{sid}.png"), _scan(100 + i))
            manifest = {"scan_id": sid, "threats": [], "pitch_mm": 5.0, "is_empty": False}
            (root / "manifests" / split / f"{sid}.json").write_text(json.dumps(manifest))
    (root / "dataset.json").write_text(json.dumps({"seed": 0, "n_scans": n_train + n_val}))
    return root


def test_merge_keeps_the_synthetic_share_and_resamples_feedback(tmp_path):
    synthetic = _synthetic(tmp_path / "syn", n_train=4, n_val=1)
    examples = [XrayFeedbackExample(f"case-{i}", _scan(i, 80, 250), ((3, (10.0, 5.0, 50.0, 40.0)),), 4.0)
                for i in range(10)]
    snapshot = write_xray_feedback(tmp_path / "fb", examples, classes=CLASSES)
    mix = merge_xray_feedback(synthetic_dir=synthetic, snapshot=snapshot, out_dir=tmp_path / "merged",
                              class_names=CLASSES, model_pitch_mm=5.0, synthetic_share=0.5, val_fraction=0.2, seed=0)
    assert mix.synthetic_train == 4 and mix.synthetic_val == 1
    assert mix.feedback_train == 4  # capped: synthetic stays >= 50 % of the training split
    assert mix.feedback_train + mix.feedback_val + mix.feedback_dropped == 10
    assert mix.synthetic_share == 0.5 and mix.snapshot_sha256 == snapshot.content_sha256
    merged = json.loads((tmp_path / "merged" / "dataset.json").read_text())
    assert merged["n_scans"] == mix.total and merged["feedback_mix"]["feedback_train"] == 4
    fed = sorted((tmp_path / "merged" / "manifests" / "train").glob("fb_*.json"))
    assert len(fed) == 4
    manifest = json.loads(fed[0].read_text())
    assert manifest["threats"][0]["box"] == [8.0, 4.0, 40.0, 32.0]  # 4 mm -> 5 mm pitch: x0.8
    image = cv2.imread(str(tmp_path / "merged" / "images" / "train" / f"{fed[0].stem}.png"), cv2.IMREAD_UNCHANGED)
    assert image.shape == (64, 200) and image.dtype == np.uint16
    again = merge_xray_feedback(synthetic_dir=synthetic, snapshot=snapshot, out_dir=tmp_path / "merged",
                                class_names=CLASSES, model_pitch_mm=5.0, synthetic_share=0.5, val_fraction=0.2,
                                seed=0)
    assert again == mix  # deterministic: the same snapshot and seed give the same mix
