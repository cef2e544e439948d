"""The X-ray detector's lifecycle adapter: frozen evaluation set, gated metrics, training, example overlays.

Evaluation runs the served pipeline (ONNX Runtime, our tiling and merging) on full scans, at the thresholds
the package itself ships with, so the gate compares what each model would do in service.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from smartinspect.domain.tasks import THREAT_CLASSES, XRAY_TASK
from smartinspect.lifecycle.calibration import ece_statistic, mean_statistic
from smartinspect.lifecycle.gate import EventRate
from smartinspect.lifecycle.kinds import EvalSet, EvalSetSpec
from smartinspect.runtime.registry import load_package
from smartinspect.xray.dataset import dataset_fingerprint, iter_scans, load_scan
from smartinspect.xray.evaluate import ScanEval, ap50_per_class, run_dataset, scan_level
from smartinspect.xray.pipeline import ScanAnalyzer
from smartinspect.xray.tiling import pairwise_overlap

log = logging.getLogger(__name__)
EVAL_SPLIT = "test"
GROUND_TRUTH_BGR = (255, 255, 255)


def ensure_eval_set(spec: EvalSetSpec) -> EvalSet:
    """Generate the frozen set once (seeded: byte-identical scans); refuse it if its pinned sha256 moved."""
    from smartinspect.xray.datagen import XrayGenConfig, generate_dataset

    if spec.n_scans < 1:
        raise ValueError(f"an X-ray eval_set needs n_scans >= 1, got {spec.n_scans}")
    config = XrayGenConfig.with_overrides(spec.generator)
    info_path = spec.path / "dataset.json"
    info = json.loads(info_path.read_text()) if info_path.is_file() else {}
    wanted = {"seed": spec.seed, "n_scans": spec.n_scans, "config": config.to_dict()}
    if {k: info.get(k) for k in wanted} != wanted:
        shutil.rmtree(spec.path, ignore_errors=True)
        generate_dataset(spec.path, n_scans=spec.n_scans, seed=spec.seed, config=config, splits=(0.0, 0.0, 1.0),
                         workers=1, progress=False)
    sha = dataset_fingerprint(spec.path)
    if spec.sha256 and sha != spec.sha256:
        raise ValueError(f"frozen evaluation set {spec.path} has sha256 {sha}, but the promotion config pins "
                         f"{spec.sha256}: it changed, so results would not compare with earlier promotions")
    n = sum(1 for _ in iter_scans(spec.path, EVAL_SPLIT))
    return EvalSet(spec.path, EVAL_SPLIT, sha, n, spec.seed)


def _analyzer(package: Path) -> ScanAnalyzer:
    return ScanAnalyzer(load_package(package))


def class_recall(evals: list[ScanEval], class_id: int, threshold: float, iou_threshold: float = 0.5) -> EventRate:
    """Share of ground-truth objects of ``class_id`` matched (IoU >= 0.5) by a same-class detection >= threshold,
    kept object by object (1 = found) so that two detectors can be compared on the same objects."""
    found: list[int] = []
    for ev in evals:
        gt = np.array([box for c, box in ev.gt if c == class_id], dtype=np.float32).reshape(-1, 4)
        if not len(gt):
            continue
        dets = ev.detections.above(threshold)
        same = dets.boxes[dets.class_ids == class_id]
        hit = (pairwise_overlap(gt, same)[0].max(axis=1) >= iou_threshold) if len(same) else np.zeros(len(gt), bool)
        found.extend(int(h) for h in hit)
    return EventRate(found)


def gate_metrics(evals: list[ScanEval], class_names: list[str], *, review_threshold: float,
                 inspect_threshold: float) -> dict[str, float]:
    """Gated: ``recall_<class>`` and ``false_alarm_rate`` at the review threshold (below it a scan clears
    without a human), ``brier`` and ``ece`` of the scan-level score (max detection score vs contraband).
    Informative: ``map50``, ``detection_rate``, and the same at the inspect threshold.

    The gated metrics keep their items (objects, clean scans, scans) so that the gate can judge them with paired
    tests on the frozen set (``paired_alpha`` in training/promote-xray.yaml)."""
    metrics: dict[str, float] = {f"recall_{name}": class_recall(evals, c, review_threshold)
                                 for c, name in enumerate(class_names)}
    at_review = scan_level(evals, review_threshold)
    at_inspect = scan_level(evals, inspect_threshold)
    scores = np.array([min(1.0, ev.max_score()) for ev in evals], dtype=np.float64)
    labels = np.array([ev.has_contraband for ev in evals], dtype=np.float64)
    aps = ap50_per_class(evals, len(class_names))
    metrics.update(
        false_alarm_rate=EventRate(None if ev.has_contraband else ev.max_score() >= review_threshold for ev in evals),
        brier=mean_statistic((scores - labels) ** 2), ece=ece_statistic(scores, labels),
        detection_rate=at_review["detection_rate"],
        detection_rate_at_inspect=at_inspect["detection_rate"],
        false_alarm_rate_at_inspect=at_inspect["false_alarm_rate"],
        map50=float(np.mean(list(aps.values()))) if aps else float("nan"),
        scans=float(len(evals)),
    )
    return metrics


def evaluate_package(package: Path, eval_set: EvalSet) -> dict[str, float]:
    """Run a model package on the frozen set with its own thresholds; returns :func:`gate_metrics`."""
    analyzer = _analyzer(package)
    p = analyzer.detector.params
    evals = run_dataset(analyzer, eval_set.path, eval_set.split)
    return gate_metrics(evals, analyzer.class_names, review_threshold=p.review_threshold,
                        inspect_threshold=p.inspect_threshold)


def train(config: Path, *, settings, feedback: Path | None = None, synthetic_share: float | None = None) -> Path:
    if feedback is None:
        from smartinspect.xray.train.pipeline import train_xray

        return train_xray(config, settings=settings)
    from smartinspect.xray.train.feedback import train_xray_with_feedback

    return train_xray_with_feedback(config, feedback, settings=settings, synthetic_share=synthetic_share)


def render_example(analyzer: ScanAnalyzer, image: np.ndarray, gt: list[tuple[int, list[float]]], *,
                   pitch_mm: float, low: np.ndarray | None = None) -> bytes:
    """PNG: the operator overlay (model findings at the review threshold) with ground truth in white."""
    from smartinspect.xray.decode import to_attenuation
    from smartinspect.xray.overlay import render_overlay

    result = analyzer.analyse(image, pitch_mm=pitch_mm)
    p = analyzer.detector.params
    png = render_overlay(to_attenuation(image), result.detections.above(p.review_threshold), analyzer.class_names,
                         att_low=to_attenuation(low) if low is not None else None, window=p.window,
                         interior_box=result.analysis.empty_check.interior_box)
    canvas = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    for class_id, (x1, y1, x2, y2) in gt:
        cv2.rectangle(canvas, (int(x1) - 3, int(y1) - 3), (int(x2) + 3, int(y2) + 3), GROUND_TRUTH_BGR, 1)
        cv2.putText(canvas, f"truth: {analyzer.class_names[class_id]}", (int(x1), int(y2) + 14),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.45, GROUND_TRUTH_BGR, 1, cv2.LINE_AA)
    ok, out = cv2.imencode(".png", canvas)
    if not ok:
        raise RuntimeError("could not encode the example overlay")
    return out.tobytes()


def log_examples(package: Path, *, params: dict[str, Any], client, run_id: str, limit: int = 4) -> int:
    """Log example predictions with overlays (test scans, contraband first) to the run under ``examples/``."""
    import tempfile

    test_dir = params.get("data.test_dir")
    if not test_dir or not Path(test_dir).is_dir():
        log.warning("no test set at %r: no example overlays logged", test_dir)
        return 0
    records = sorted(iter_scans(Path(test_dir), EVAL_SPLIT), key=lambda r: (not r.boxes, r.scan_id))[:limit]
    analyzer = _analyzer(package)
    with tempfile.TemporaryDirectory() as tmp:
        for record in records:
            low = cv2.imread(str(record.low_path), cv2.IMREAD_UNCHANGED) if record.low_path else None
            png = render_example(analyzer, load_scan(record), record.boxes,
                                 pitch_mm=record.manifest.get("pitch_mm", 5.0), low=low)
            (Path(tmp) / f"{record.scan_id}.png").write_bytes(png)
        client.log_artifacts(run_id, tmp, artifact_path="examples")
    return len(records)


class XrayKind:
    """The X-ray detector as a ``ModelKind`` (smartinspect.lifecycle.kinds)."""

    name = "xray"
    model_name = "xray-detector"
    task = XRAY_TASK
    classes = THREAT_CLASSES
    ensure_eval_set = staticmethod(ensure_eval_set)
    evaluate_package = staticmethod(evaluate_package)
    train = staticmethod(train)
    log_examples = staticmethod(log_examples)


XRAY = XrayKind()
