"""Stack heatmap PNGs written by `smartinspect anomaly score` (JSON lines on stdin), generator boxes in white.

    smartinspect anomaly score --model models/xray-anomaly --heatmap-dir /tmp/heat FILES \\
        | python -m smartinspect.anomaly.experiments.heatmap_figure docs/anomaly-heatmaps.jpg
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import numpy as np

WIDTH = 900


def _boxes(image_file: str) -> list[tuple[float, ...]]:
    labels = Path(image_file.replace("/images/", "/labels/").rsplit(".", 1)[0] + ".txt")
    if not labels.is_file():
        return []
    return [tuple(map(float, line.split()[1:])) for line in labels.read_text().splitlines() if line.strip()]


def _panel(row: dict) -> np.ndarray:
    img = cv2.imread(row["heatmap"])
    height, width = img.shape[:2]
    for cx, cy, w, h in _boxes(row["file"]):
        top_left = (int((cx - w / 2) * width), int((cy - h / 2) * height))
        bottom_right = (int((cx + w / 2) * width), int((cy + h / 2) * height))
        cv2.rectangle(img, top_left, bottom_right, (255, 255, 255), 3)
    img = cv2.resize(img, (WIDTH, int(height * WIDTH / width)), interpolation=cv2.INTER_AREA)
    verdict = "ANOMALOUS" if row["anomalous"] else "normal"
    text = f"{Path(row['file']).stem}: score {row['anomaly_score']:.1f} / threshold {row['threshold']:.1f} -> {verdict}"
    cv2.putText(img, text, (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 3)
    cv2.putText(img, text, (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 1)
    return img


if __name__ == "__main__":
    panels = [_panel(json.loads(line)) for line in sys.stdin if line.strip()]
    cv2.imwrite(sys.argv[1], np.vstack(panels), [cv2.IMWRITE_JPEG_QUALITY, 85])
