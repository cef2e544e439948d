"""Contraband detector on the shared ONNX runtime: tiles in, detections out. Pre- and post-processing are ours
(numpy). Two heads, named by the manifest's ``head``: ``yolo`` (the ultralytics network, (N, 4 + C, A) box
candidates) and ``centernet`` (the pretrained-backbone network, (N, C + 4, h, w) peak maps at ``stride``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smartinspect.runtime import LoadedModel
from smartinspect.xray.preprocess import air_value, check_input_mode, tiles_to_batch
from smartinspect.xray.tiling import Tile, extract_tiles, merge_tile_detections, occupied_region, tile_grid
from smartinspect.xray.types import Detections


@dataclass(frozen=True)
class DetectorParams:
    """Operating parameters, read from the model manifest's ``params``."""

    classes: tuple[str, ...]
    tile: int = 320
    overlap: int = 64
    pitch_mm: float = 5.0
    window: float = 8.0
    input_mode: str = "gray"  # see preprocess.to_model_input; manifests written before it existed are gray
    batch_size: int = 8
    min_score: float = 0.05  # kept for evaluation; the verdict applies its own thresholds
    nms_iou: float = 0.5
    review_threshold: float = 0.25
    inspect_threshold: float = 0.5
    skip_below_attenuation: float = 0.15  # lighter than a thin steel sheet: air, nothing to find
    head: str = "yolo"  # yolo | centernet (manifests written before the centernet head are yolo)
    stride: int = 8  # centernet: input pixels per output cell
    # Platt scaling (a, b) fitted by training on a calibration set: a detection's score becomes
    # sigmoid(a * logit(raw) + b), the chance that a scan whose highest detection scored ``raw`` carries contraband.
    # Monotonic (a > 0): rankings, AP and recall at matched thresholds are unchanged. None: raw scores.
    score_calibration: tuple[float, float] | None = None

    @classmethod
    def from_manifest(cls, params: dict) -> DetectorParams:
        known = {k: v for k, v in params.items() if k in cls.__dataclass_fields__}
        known["classes"] = tuple(params["classes"])
        if known.get("score_calibration") is not None:
            a, b = (float(v) for v in known["score_calibration"])
            if not (a > 0 and np.isfinite(a) and np.isfinite(b)):
                raise ValueError(f"score_calibration needs a finite slope > 0 and a finite offset, got {a}, {b}")
            known["score_calibration"] = (a, b)
        check_input_mode(known.get("input_mode", "gray"))
        if known.get("head", "yolo") not in HEADS:
            raise ValueError(f"unknown detector head {known['head']!r}; valid heads: {', '.join(HEADS)}")
        return cls(**known)


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Greedy non-maximum suppression. boxes (N,4) xyxy; returns kept indices, best first."""
    order = np.argsort(-scores, kind="stable")
    keep = []
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    while order.size:
        i = order[0]
        keep.append(i)
        rest = order[1:]
        xx1 = np.maximum(boxes[i, 0], boxes[rest, 0])
        yy1 = np.maximum(boxes[i, 1], boxes[rest, 1])
        xx2 = np.minimum(boxes[i, 2], boxes[rest, 2])
        yy2 = np.minimum(boxes[i, 3], boxes[rest, 3])
        inter = np.clip(xx2 - xx1, 0, None) * np.clip(yy2 - yy1, 0, None)
        iou = inter / np.maximum(areas[i] + areas[rest] - inter, 1e-6)
        order = rest[iou <= iou_threshold]
    return np.asarray(keep, dtype=np.int64)


def decode_yolo_output(raw: np.ndarray, *, min_score: float, nms_iou: float) -> list[Detections]:
    """(N, 4 + C, A) raw head output (cx, cy, w, h in input pixels; class scores) -> per-image detections."""
    results = []
    for pred in raw:
        class_scores = pred[4:]
        class_ids = class_scores.argmax(axis=0)
        scores = class_scores[class_ids, np.arange(class_scores.shape[1])]
        mask = scores >= min_score
        if not mask.any():
            results.append(Detections.empty())
            continue
        cx, cy, w, h = pred[:4, mask]
        boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
        scores, class_ids = scores[mask], class_ids[mask]
        # class-aware NMS: offset boxes per class so classes never suppress each other
        offset = class_ids[:, None].astype(np.float32) * 4096.0
        keep = nms(boxes + offset, scores, nms_iou)
        results.append(Detections(boxes[keep], scores[keep], class_ids[keep]))
    return results


def decode_centernet_output(raw: np.ndarray, *, stride: int, min_score: float, nms_iou: float,
                            max_per_tile: int = 100) -> list[Detections]:
    """(N, C + 4, h, w) peak maps -> per-image detections in input pixels.

    Channels: C class scores that the graph already reduced to local maxima (3x3; elsewhere 0), then box width and
    height in input pixels, then the centre's offset inside its cell (0..1, x then y).
    """
    n_classes = raw.shape[1] - 4
    results = []
    for pred in raw:
        heat = pred[:n_classes]
        cls, ys, xs = np.nonzero(heat >= min_score)
        if cls.size == 0:
            results.append(Detections.empty())
            continue
        scores = heat[cls, ys, xs]
        if scores.size > max_per_tile:
            top = np.argsort(-scores, kind="stable")[:max_per_tile]
            cls, ys, xs, scores = cls[top], ys[top], xs[top], scores[top]
        w, h = pred[n_classes, ys, xs], pred[n_classes + 1, ys, xs]
        cx = (xs + pred[n_classes + 2, ys, xs]) * stride
        cy = (ys + pred[n_classes + 3, ys, xs]) * stride
        boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1).astype(np.float32)
        offset = cls[:, None].astype(np.float32) * 4096.0
        keep = nms(boxes + offset, scores, nms_iou)
        results.append(Detections(boxes[keep], scores[keep].astype(np.float32), cls[keep].astype(np.int64)))
    return results


HEADS = ("yolo", "centernet")


def platt(scores: np.ndarray, ab: tuple[float, float]) -> np.ndarray:
    """Platt scaling on the logit of a score in (0, 1): sigmoid(a * logit(s) + b), float32."""
    s = np.clip(np.asarray(scores, dtype=np.float64), 1e-6, 1 - 1e-6)
    z = ab[0] * np.log(s / (1 - s)) + ab[1]
    return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)


class XrayDetector:
    """Tiled detection on a full scan: ``pre_process`` -> ``forward`` -> ``post_process``; ``predict`` does all."""

    def __init__(self, loaded: LoadedModel) -> None:
        self.loaded = loaded
        self.params = DetectorParams.from_manifest(loaded.spec.params)

    @property
    def name(self) -> str:
        return self.loaded.spec.name

    @property
    def version(self) -> str:
        return self.loaded.spec.version

    def pre_process(self, image_u8: np.ndarray, attenuation: np.ndarray) -> tuple[list[Tile], np.ndarray]:
        """Grid the region that holds anything but air (the beam is taller and longer than the truck).

        Returns the tiles and their pixels.
        """
        p = self.params
        roi = occupied_region(attenuation, min_attenuation=p.skip_below_attenuation)
        if roi is None:
            return [], np.zeros((0, p.tile, p.tile, *image_u8.shape[2:]), np.uint8)
        grid = tile_grid(image_u8.shape[0], image_u8.shape[1], tile=p.tile, overlap=p.overlap, roi=roi)
        return grid, extract_tiles(image_u8, grid, pad_value=air_value(p.input_mode))

    def forward(self, tiles: np.ndarray) -> np.ndarray:
        """(N, T, T[, 3]) uint8 -> raw head output (yolo: (N, 4 + C, A); centernet: (N, C + 4, h, w)), in batches."""
        outputs = []
        for start in range(0, len(tiles), self.params.batch_size):
            batch = tiles_to_batch(tiles[start : start + self.params.batch_size])
            outputs.append(self.loaded.model.run(batch)[0])
        if outputs:
            return np.concatenate(outputs)
        empty_shape = (0, len(self.params.classes) + 4, 0) + ((0,) if self.params.head == "centernet" else ())
        return np.zeros(empty_shape, np.float32)

    def post_process(self, raw: np.ndarray, grid: list[Tile]) -> Detections:
        p = self.params
        if p.head == "centernet":
            per_tile = decode_centernet_output(raw, stride=p.stride, min_score=p.min_score, nms_iou=p.nms_iou)
        else:
            per_tile = decode_yolo_output(raw, min_score=p.min_score, nms_iou=p.nms_iou)
        merged = merge_tile_detections(per_tile, grid)
        if p.score_calibration is None:
            return merged
        return Detections(merged.boxes, platt(merged.scores, p.score_calibration), merged.class_ids)

    def predict(self, image_u8: np.ndarray, attenuation: np.ndarray) -> Detections:
        """(H, W[, 3]) uint8 model-view image and its attenuation -> detections in image pixels."""
        grid, tiles = self.pre_process(image_u8, attenuation)
        if not grid:
            return Detections.empty()
        return self.post_process(self.forward(tiles), grid)
