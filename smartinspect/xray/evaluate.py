"""Scan-level evaluation of the served pipeline (ONNX, our tiling and merging) on a labelled dataset.

Used by training (model card metrics, threshold calibration), by ``smartinspect bench xray`` and by promotion.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from smartinspect.xray.dataset import iter_scans, load_low, load_scan
from smartinspect.xray.pipeline import ScanAnalyzer
from smartinspect.xray.tiling import pairwise_overlap
from smartinspect.xray.types import Detections


@dataclass
class ScanEval:
    scan_id: str
    gt: list[tuple[int, list[float]]]
    detections: Detections
    is_empty: bool
    declared_empty: bool
    content_seen: bool
    container_found: bool
    seconds: float

    @property
    def has_contraband(self) -> bool:
        return bool(self.gt)

    def max_score(self) -> float:
        return float(self.detections.scores.max()) if len(self.detections) else 0.0


def run_dataset(analyzer: ScanAnalyzer, dataset_dir: Path, split: str, *, limit: int | None = None,
                progress: bool = False) -> list[ScanEval]:
    """Analyse every scan of a split with the real pipeline; keep low-score detections for AP."""
    records = list(iter_scans(dataset_dir, split))[:limit]
    out = []
    for record in tqdm(records, desc=f"evaluate {split}", disable=not progress):
        image = load_scan(record)
        m = record.manifest
        start = time.perf_counter()
        low = load_low(record) if analyzer.uses_low_energy else None
        result = analyzer.analyse(image, pitch_mm=m.get("pitch_mm", 5.0), declared_empty=m.get("declared_empty"),
                                  low=low)
        seconds = time.perf_counter() - start
        out.append(ScanEval(record.scan_id, record.boxes, result.detections, bool(m.get("is_empty")),
                            bool(m.get("declared_empty")), result.analysis.empty_check.content_seen,
                            result.analysis.empty_check.container_found, seconds))
    return out


def average_precision(recall: np.ndarray, precision: np.ndarray) -> float:
    """All-point interpolated AP (VOC 2010+ / COCO style area under the monotone PR curve)."""
    r = np.concatenate([[0.0], recall, [1.0]])
    p = np.concatenate([[1.0], precision, [0.0]])
    p = np.maximum.accumulate(p[::-1])[::-1]
    steps = np.flatnonzero(r[1:] != r[:-1])
    return float(np.sum((r[steps + 1] - r[steps]) * p[steps + 1]))


def ap50_per_class(evals: list[ScanEval], n_classes: int, iou_threshold: float = 0.5) -> dict[int, float]:
    """AP at IoU 0.5 per class over all scans (greedy matching by descending score)."""
    result = {}
    for cls in range(n_classes):
        scored: list[tuple[float, bool]] = []
        n_gt = 0
        for ev in evals:
            gt = np.array([b for c, b in ev.gt if c == cls], dtype=np.float32).reshape(-1, 4)
            n_gt += len(gt)
            dets = ev.detections.select(ev.detections.class_ids == cls)
            order = np.argsort(-dets.scores)
            matched = np.zeros(len(gt), dtype=bool)
            ious = pairwise_overlap(dets.boxes[order], gt)[0] if len(gt) and len(dets) else None
            for k, i in enumerate(order):
                hit = False
                if ious is not None:
                    candidates = np.where(matched, -1.0, ious[k])
                    j = int(candidates.argmax())
                    if candidates[j] >= iou_threshold:
                        matched[j] = hit = True
                scored.append((float(dets.scores[i]), hit))
        if n_gt == 0:
            continue
        scored.sort(key=lambda s: -s[0])
        hits = np.array([h for _, h in scored], dtype=np.float64)
        tp = np.cumsum(hits)
        fp = np.cumsum(1.0 - hits)
        recall = tp / n_gt if len(hits) else np.zeros(0)
        precision = tp / np.maximum(tp + fp, 1e-9) if len(hits) else np.zeros(0)
        result[cls] = average_precision(recall, precision)
    return result


def box_found(detections: Detections, cls: int, box: list[float], iou_threshold: float = 0.5) -> bool:
    """Whether a detection of class ``cls`` overlaps ``box`` with IoU >= ``iou_threshold``."""
    same = detections.boxes[detections.class_ids == cls]
    return bool(len(same)) and float(pairwise_overlap(np.array([box], np.float32), same)[0].max()) >= iou_threshold


def recall_at(evals: list[ScanEval], threshold: float, iou_threshold: float = 0.5) -> float:
    """Object recall: share of ground-truth boxes matched (same class, IoU >= 0.5) by a detection >= threshold."""
    found = total = 0
    for ev in evals:
        dets = ev.detections.above(threshold)
        for cls, box in ev.gt:
            total += 1
            found += box_found(dets, cls, box, iou_threshold)
    return found / total if total else float("nan")


def calibrate_threshold(clean_scores: list[float], max_false_alarm_rate: float, floor: float = 0.05) -> float:
    """Lowest score threshold whose false-alarm rate on clean scans stays within ``max_false_alarm_rate``."""
    scores = np.sort(np.asarray(clean_scores, dtype=np.float32))[::-1]  # detector scores are float32
    allowed = int(np.floor(max_false_alarm_rate * len(scores)))
    if allowed >= len(scores):
        return floor
    return float(max(floor, np.nextafter(scores[allowed], np.float32(1.0))))


def scan_level(evals: list[ScanEval], threshold: float) -> dict[str, float]:
    """Scan-level contraband alarm at ``threshold``: detection rate on contraband scans, false alarms on clean."""
    positives = [ev.max_score() >= threshold for ev in evals if ev.has_contraband]
    negatives = [ev.max_score() >= threshold for ev in evals if not ev.has_contraband]
    return {
        "detection_rate": float(np.mean(positives)) if positives else float("nan"),
        "false_alarm_rate": float(np.mean(negatives)) if negatives else float("nan"),
        "contraband_scans": float(len(positives)),
        "clean_scans": float(len(negatives)),
    }


def empty_verification(evals: list[ScanEval]) -> dict[str, float]:
    """Content detection: on containers holding anything (rate flagged) and on truly empty ones (false alarms)."""
    loaded = [ev.content_seen for ev in evals if not ev.is_empty]
    hidden = [ev.content_seen for ev in evals if ev.declared_empty and not ev.is_empty]
    empty = [ev.content_seen for ev in evals if ev.is_empty]
    return {
        "content_detection_rate": float(np.mean(loaded)) if loaded else float("nan"),
        "declared_empty_hidden_detection_rate": float(np.mean(hidden)) if hidden else float("nan"),
        "empty_false_alarm_rate": float(np.mean(empty)) if empty else float("nan"),
        "empty_scans": float(len(empty)),
        "declared_empty_hidden_scans": float(len(hidden)),
        "container_found_rate": float(np.mean([ev.container_found for ev in evals])) if evals else float("nan"),
    }


def summarise(evals: list[ScanEval], class_names: list[str], *, review_threshold: float,
              inspect_threshold: float) -> dict[str, float]:
    """Flat metric dict for MLflow and the model card."""
    aps = ap50_per_class(evals, len(class_names))
    metrics = {f"ap50_{class_names[c]}": ap for c, ap in aps.items()}
    metrics["map50"] = float(np.mean(list(aps.values()))) if aps else float("nan")
    for name, t in (("inspect", inspect_threshold), ("review", review_threshold)):
        metrics.update({f"scan_{k}_at_{name}": v for k, v in scan_level(evals, t).items()})
        metrics[f"object_recall_at_{name}"] = recall_at(evals, t)
    metrics.update(empty_verification(evals))
    metrics["seconds_per_scan_mean"] = float(np.mean([ev.seconds for ev in evals])) if evals else float("nan")
    metrics["scans"] = float(len(evals))
    return metrics
