"""Bench pages from the synthetic document generator (``smartinspect datagen documents``, part 2 of issue 3).

The generator lists each document's text lines in reading order, decided on the clean layout before any
degradation (its own rule, not our engine's): that is the reference text. Stamp text is not part of the
reference (neither engine is expected to read seal text).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from smartinspect.ocr.bench_pages import BenchPage


def truth_reading_order(text_lines: list[dict[str, Any]]) -> list[str]:
    """Ground-truth texts of the first page, in the generator's reading order (computed on the clean layout,
    independently of our engine)."""
    return [t["text"] for t in text_lines if t.get("text", "").strip() and t.get("page", 0) == 0]


def read_generated_pages(directory: Path, *, limit: int) -> list[BenchPage]:
    """Single-page documents of a generated set on disk (``images/`` + ``truth/``), sorted by id."""
    pages = []
    for path in sorted((Path(directory) / "truth").glob("*.json")):
        truth = json.loads(path.read_text())
        if truth.get("pages", 1) != 1:
            continue
        image = cv2.imread(str(Path(directory) / truth["image"]), cv2.IMREAD_COLOR)
        if image is None:
            raise FileNotFoundError(f"{directory / truth['image']} is missing or not an image")
        pages.append(BenchPage(truth["doc_id"], image, truth_reading_order(truth["text_lines"]),
                               truth.get("degradation", {}).get("mode", "unknown")))
        if len(pages) == limit:
            break
    return pages


def generate_pages(n_pages: int, seed: int) -> list[BenchPage]:
    """Render ``n_pages`` documents in memory with the generator's held-out layouts (JPEG applied as on disk)."""
    from smartinspect.documents.datagen.generate import DocGenConfig, generate_consignment
    from smartinspect.documents.datagen.layouts import HELD_OUT_LAYOUTS

    config = DocGenConfig(layouts=HELD_OUT_LAYOUTS)
    pages: list[BenchPage] = []
    index = 0
    while len(pages) < n_pages:
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index,)))
        _, _, docs = generate_consignment(rng, f"bench_s{seed}_{index:05d}", config)
        for doc in docs:
            image = doc.image
            if doc.jpeg_quality is not None:
                ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, doc.jpeg_quality])
                image = cv2.imdecode(buffer, cv2.IMREAD_COLOR) if ok else image
            mode = doc.truth.get("degradation", {}).get("mode", "unknown")
            pages.append(BenchPage(doc.doc_id, image, truth_reading_order(doc.truth["text_lines"]), mode))
        index += 1
    return pages[:n_pages]
