"""The OCR engine: PP-OCR det -> page orientation -> crops -> cls vote -> batched rec -> reading order.

Built on the shared ONNX Runtime layer (registry tasks ``ocr-detection``, ``ocr-angle``, ``ocr-recognition``).
Work is staged across all pages of a document: every page is detected (pages in parallel), oriented, cropped,
then the crops of *all* pages are recognised in width-sorted batches spread over ``workers`` threads. The
sessions run with ``intra_op_threads`` each (1 by default): on a small, shared CPU, parallel single-threaded runs
beat one multi-threaded run (no spinning, no oversubscription; measured in docs/ocr.md).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import cv2
import numpy as np

from smartinspect.ocr.detect import TextDetector
from smartinspect.ocr.intake import IntakeDocument, IntakeLimits, open_document
from smartinspect.ocr.layout import reading_order
from smartinspect.ocr.orient import (
    AngleClassifier,
    estimate_skew,
    lies_on_its_side,
    rotate_image,
    rotation_matrix,
    transform_boxes,
)
from smartinspect.ocr.recognize import Reading, TextRecognizer, crop_line
from smartinspect.ocr.reread import RereadParams, header_crops, keep_best
from smartinspect.ocr.types import DocumentText, OcrLine, PageText

if TYPE_CHECKING:
    from smartinspect.config import Settings
    from smartinspect.runtime import LoadedModel, ModelRegistry

DET_TASK, CLS_TASK, REC_TASK = "ocr-detection", "ocr-angle", "ocr-recognition"


@dataclass
class ReadPage:
    """A page's text plus the upright image its coordinates refer to."""

    text: PageText
    image: np.ndarray


@dataclass
class ReadResult:
    pages: list[ReadPage]
    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass
class _Oriented:
    image: np.ndarray
    boxes: np.ndarray
    crops: list[np.ndarray]
    angle: float


def _turn(image: np.ndarray, boxes: np.ndarray, quarter_turns_cw: int) -> tuple[np.ndarray, np.ndarray]:
    """Rotate image and boxes by 90 (1) or 180 (2) degrees clockwise, exactly (no resampling)."""
    h, w = image.shape[:2]
    if quarter_turns_cw == 1:
        matrix = np.array([[0.0, -1.0, h - 1.0], [1.0, 0.0, 0.0]])
        return cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE), transform_boxes(boxes, matrix)
    matrix = np.array([[-1.0, 0.0, w - 1.0], [0.0, -1.0, h - 1.0]])
    return cv2.rotate(image, cv2.ROTATE_180), transform_boxes(boxes, matrix)


def _normalise_angle(angle: float) -> float:
    angle = (angle + 180.0) % 360.0 - 180.0
    return 180.0 if angle == -180.0 else round(angle, 2)


FETCH_HINT = "smartinspect ocr-import-models"


class OcrModelsMissing(KeyError):
    """The PP-OCR models are not installed (never fetched) or did not load. A KeyError, as before, with a message
    that says how to fetch them instead of a bare task name."""

    def __init__(self, registry: ModelRegistry) -> None:
        errors = getattr(registry, "errors", {}) or {}
        problems = "; ".join(f"{name}: {why}" for name, why in errors.items() if "ocr" in name) or "not in models/"
        self.message = (f"the OCR models (text detection, orientation, recognition) are not loaded ({problems}); "
                        f"fetch them once with `{FETCH_HINT}` (from the rapidocr wheel, no network needed at run "
                        "time), then restart or reload")
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class OcrEngine:
    """PP-OCR on our runtime. Thread-safe: sessions allow concurrent runs and calls keep no state."""

    def __init__(self, detector: TextDetector, classifier: AngleClassifier, recognizer: TextRecognizer,
                 *, workers: int = 1, reread: RereadParams | None = None) -> None:
        self.detector = detector
        self.classifier = classifier
        self.recognizer = recognizer
        self.workers = max(1, workers)
        self.reread = RereadParams() if reread is None else reread  # header lines read a second time

    @classmethod
    def from_registry(cls, registry: ModelRegistry, *, workers: int = 1, intra_op_threads: int | None = None,
                      registry_intra_op_threads: int = 0, reread: RereadParams | None = None) -> OcrEngine:
        """The engine on the registry's OCR models (KeyError naming what is loaded when one is missing).

        ``intra_op_threads``: threads per OCR session. When it differs from ``registry_intra_op_threads`` (what
        the registry's sessions use), the engine opens its own sessions on the registry's verified files.
        """
        try:
            parts = [registry.by_task(task) for task in (DET_TASK, CLS_TASK, REC_TASK)]
        except KeyError as exc:
            raise OcrModelsMissing(registry) from exc
        if intra_op_threads is not None and intra_op_threads != registry_intra_op_threads:
            parts = [_reopen(loaded, intra_op_threads) if _in_process(loaded) else loaded for loaded in parts]
        det, cls_, rec = parts
        return cls(TextDetector(det), AngleClassifier(cls_), TextRecognizer(rec), workers=workers, reread=reread)

    @classmethod
    def from_settings(cls, registry: ModelRegistry, settings: Settings) -> OcrEngine:
        """As :meth:`from_registry` with the settings' threading; :class:`OcrModelsMissing` when not installed."""
        return cls.from_registry(registry, workers=settings.ocr_workers,
                                 intra_op_threads=settings.ocr_intra_op_threads,
                                 registry_intra_op_threads=settings.onnx_intra_op_threads,
                                 reread=RereadParams(max_lines=settings.ocr_reread_header_lines))

    @property
    def models(self) -> dict[str, str]:
        """``{model name: version}`` of the three models, for provenance on stored results."""
        return {part.loaded.spec.name: part.loaded.spec.version
                for part in (self.detector, self.classifier, self.recognizer)}

    def read_image(self, image_bgr: np.ndarray) -> PageText:
        """OCR one page image, (H, W, 3) uint8 BGR. Coordinates refer to the upright page (see ``angle``)."""
        return self.read_images([image_bgr]).pages[0].text

    def read_images(self, images: list[np.ndarray], *, first_index: int = 0) -> ReadResult:
        """OCR several page images (one document) together; pages keep their order."""
        timings: dict[str, float] = {}
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="ocr") as pool:
            start = time.perf_counter()
            boxes = list(pool.map(lambda image: self.detector.detect(image).boxes, images))
            timings["detect_ms"] = _ms_since(start)
            start = time.perf_counter()
            oriented = list(pool.map(self._orient, images, boxes))
            timings["orient_ms"] = _ms_since(start)
            start = time.perf_counter()
            crops = [crop for page in oriented for crop in page.crops]
            readings = self.recognizer.read(crops, map_batches=pool.map)
            timings["recognize_ms"] = _ms_since(start)
            if self.reread.max_lines > 0:
                start = time.perf_counter()
                readings = self._reread_headers(oriented, readings, pool.map)
                timings["reread_ms"] = _ms_since(start)
        pages, offset = [], 0
        for i, page in enumerate(oriented):
            page_readings = readings[offset : offset + len(page.crops)]
            offset += len(page.crops)
            pages.append(self._assemble(page, page_readings, index=first_index + i))
        return ReadResult(pages, timings)

    def read_intake(self, document: IntakeDocument) -> ReadResult:
        """Every page of an intake document: text-layer pages as they are, the others OCR'd together."""
        scans = [page for page in document.pages if page.text_lines is None]
        result = self.read_images([page.image for page in scans]) if scans else ReadResult([], {})
        by_index = {page.index: read for page, read in zip(scans, result.pages, strict=True)}
        pages = []
        for page in document.pages:
            if page.text_lines is None:
                pages.append(replace(by_index[page.index], text=replace(by_index[page.index].text, index=page.index)))
                continue
            boxes = np.array([line.polygon for line in page.text_lines], dtype=np.float32).reshape(-1, 4, 2)
            lines = [page.text_lines[i] for i in reading_order(boxes)]
            height, width = page.image.shape[:2]
            text = PageText(index=page.index, width=width, height=height, source="text_layer", angle=0.0,
                            lines=lines)
            pages.append(ReadPage(text, page.image))
        return ReadResult(pages, result.timings_ms)

    def read_document(self, data: bytes, *, filename: str | None = None, settings: Settings) -> DocumentText:
        """Intake (limits from ``settings``) then OCR. Raises :class:`~smartinspect.ocr.intake.DocumentRejected`."""
        document = open_document(data, limits=IntakeLimits.from_settings(settings), filename=filename)
        result = self.read_intake(document)
        return DocumentText(pages=[p.text for p in result.pages], media_type=document.media_type)

    def _orient(self, image: np.ndarray, boxes: np.ndarray) -> _Oriented:
        """Quarter turn if the page lies on its side, deskew, crop, and turn over if the lines vote upside down."""
        angle = 0.0
        if lies_on_its_side(boxes):
            image, boxes = _turn(image, boxes, 1)
            angle -= 90.0
        skew = estimate_skew(boxes)
        if self.classifier.params.min_skew < abs(skew) < self.classifier.params.max_skew:
            matrix, size = rotation_matrix(skew, image.shape[1], image.shape[0])
            image, boxes = rotate_image(image, matrix, size), transform_boxes(boxes, matrix)
            angle += skew
        crops = [crop_line(image, box) for box in boxes]
        if self.classifier.upside_down_vote(crops) > 0.5:
            image, boxes = _turn(image, boxes, 2)
            crops = [cv2.rotate(crop, cv2.ROTATE_180) for crop in crops]
            angle += 180.0
        return _Oriented(image, boxes, crops, angle)

    def _reread_headers(self, pages: list[_Oriented], readings: list[Reading], map_batches) -> list[Reading]:
        """Each page's header lines read again from grown crops; every line keeps its most confident reading
        (``ocr/reread.py``)."""
        owners, crops, offset = [], [], 0
        for page in pages:
            page_owners, page_crops = header_crops(page.image, page.boxes, self.reread)
            owners += [offset + i for i in page_owners]
            crops += page_crops
            offset += len(page.crops)
        if not crops:
            return readings
        return keep_best(readings, owners, self.recognizer.read(crops, map_batches=map_batches))

    def _assemble(self, page: _Oriented, readings: list[Reading], *, index: int) -> ReadPage:
        min_score = self.recognizer.params.min_score
        kept = [i for i, r in enumerate(readings) if r.text.strip() and r.confidence >= min_score]
        lines = [_line(readings[i], page.boxes[i]) for i in kept]
        ordered = [lines[i] for i in reading_order(page.boxes[kept])] if kept else []
        height, width = page.image.shape[:2]
        text = PageText(index=index, width=width, height=height, source="ocr", angle=_normalise_angle(page.angle),
                        lines=ordered)
        return ReadPage(text, page.image)


def _in_process(loaded: LoadedModel) -> bool:
    """A session in this process (a model served on Ray keeps the deployment's own threading)."""
    from smartinspect.runtime import OnnxModel

    return isinstance(loaded.model, OnnxModel)


def _reopen(loaded: LoadedModel, intra_op_threads: int) -> LoadedModel:
    from smartinspect.runtime import OnnxModel

    model = OnnxModel(loaded.spec.file, providers=loaded.model.providers, intra_op_threads=intra_op_threads)
    return replace(loaded, model=model)


def _line(reading: Reading, box: np.ndarray) -> OcrLine:
    polygon = tuple((float(x), float(y)) for x, y in box)
    return OcrLine(text=reading.text, confidence=reading.confidence, polygon=polygon)


def _ms_since(start: float) -> float:
    return round((time.perf_counter() - start) * 1000.0, 2)
