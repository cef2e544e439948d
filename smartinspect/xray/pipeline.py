"""The X-ray service's one entry point: decoded scan in, typed :class:`ScanAnalysis` out."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from smartinspect.anomaly.overlay import encode_heatmap
from smartinspect.anomaly.scorer import AnomalyScorer
from smartinspect.anomaly.sites import scorer_for_site, site_of
from smartinspect.domain.tasks import XRAY_TASK
from smartinspect.runtime import LoadedModel, ModelRegistry
from smartinspect.xray.decode import to_attenuation
from smartinspect.xray.detector import XrayDetector
from smartinspect.xray.empty import EmptyCheckParams, verify_empty_container
from smartinspect.xray.preprocess import resample_to_pitch, to_model_input
from smartinspect.xray.types import AnomalyCheck, Detections, EmptyCheck, Finding, ScanAnalysis
from smartinspect.xray.verdict import decide_verdict

IMPENETRABLE_ATTENUATION = 9.0  # ~ 8 counts left of 60 000: the beam did not get through


@dataclass
class AnalysedScan:
    """The typed result plus what is needed to draw it (all detections, in image pixels)."""

    analysis: ScanAnalysis
    detections: Detections


class ScanAnalyzer:
    """Resample to the model's pitch, detect on tiles, check emptiness, score the cargo space against the site's
    normal traffic (when an anomaly model is given), decide a verdict."""

    def __init__(self, loaded: LoadedModel, empty_params: EmptyCheckParams | None = None,
                 anomaly: AnomalyScorer | None = None) -> None:
        self.detector = XrayDetector(loaded)
        self.empty_params = empty_params or EmptyCheckParams()
        self.anomaly = anomaly

    @classmethod
    def from_registry(cls, registry: ModelRegistry, *, scanner_id: str | None = None,
                      sites: Mapping[str, str] | None = None) -> ScanAnalyzer:
        """The served detector, with the anomaly model of the scanner's site (``Settings.anomaly_sites``; the
        default site's model otherwise; none if the registry holds no anomaly model). KeyError: no detector."""
        detector = registry.by_task(XRAY_TASK)
        return cls(detector, anomaly=scorer_for_site(registry.models, site_of(scanner_id, sites or {})))

    @property
    def class_names(self) -> list[str]:
        return list(self.detector.params.classes)

    @property
    def uses_low_energy(self) -> bool:
        """Whether the model's view has a dual-energy channel (callers then pass the low-energy image)."""
        return self.detector.params.input_mode == "material"

    def analyse(self, high: np.ndarray, *, pitch_mm: float, declared_empty: bool | None = None,
                low: np.ndarray | None = None) -> AnalysedScan:
        """``high``: decoded (H, W) uint8/uint16 gray or (H, W, 3) uint8 pseudo-colour scan; ``low``: the same
        scan's low-energy (H, W) image when the scanner has two energies (read only by a ``material`` model)."""
        p = self.detector.params
        timings: dict[str, float] = {}
        start = time.perf_counter()
        attenuation, factor = resample_to_pitch(to_attenuation(high), pitch_mm=pitch_mm, model_pitch_mm=p.pitch_mm)
        low_att = None
        if low is not None and self.uses_low_energy and low.shape[:2] == high.shape[:2]:
            low_att, _ = resample_to_pitch(to_attenuation(low), pitch_mm=pitch_mm, model_pitch_mm=p.pitch_mm)
        view = to_model_input(attenuation, window=p.window, mode=p.input_mode, low_attenuation=low_att)
        timings["preprocess_ms"] = _ms_since(start)
        start = time.perf_counter()
        detections = self.detector.predict(view, attenuation).scaled(1.0 / factor)
        timings["detect_ms"] = _ms_since(start)
        start = time.perf_counter()
        empty = verify_empty_container(attenuation, pitch_mm=p.pitch_mm, declared_empty=declared_empty,
                                       params=self.empty_params)
        impenetrable = _impenetrable_fraction(attenuation, empty.interior_box)
        timings["empty_ms"] = _ms_since(start)
        anomaly = None
        if self.anomaly is not None:
            start = time.perf_counter()
            anomaly = self._anomaly_check(attenuation, empty.interior_box, factor)
            timings["anomaly_ms"] = _ms_since(start)
        start = time.perf_counter()
        empty = _box_to_image(empty, factor)
        verdict, reasons = decide_verdict(
            detections, empty, class_names=p.classes, review_threshold=p.review_threshold,
            inspect_threshold=p.inspect_threshold, impenetrable_fraction=impenetrable, anomaly=anomaly,
        )
        timings["verdict_ms"] = _ms_since(start)
        findings = tuple(
            _finding(detections, i, p.classes, pitch_mm)
            for i in np.argsort(-detections.scores)
            if detections.scores[i] >= p.review_threshold
        )
        analysis = ScanAnalysis(
            verdict=verdict, reasons=reasons, findings=findings, empty_check=empty,
            model_name=self.detector.name, model_version=self.detector.version,
            width=int(high.shape[1]), height=int(high.shape[0]), timings_ms=timings, anomaly=anomaly,
        )
        return AnalysedScan(analysis, detections)

    def _anomaly_check(self, attenuation: np.ndarray, interior: tuple[int, int, int, int] | None,
                       factor: float) -> AnomalyCheck:
        """The site's anomaly model on the scan at the detector's pitch (a ``crop="cargo"`` model scores the
        interior the empty check found: the cab, chassis and air are not what a site's normal traffic is about,
        and leaving them out halves the cost). Boxes and the heatmap's grid go back to scan pixels."""
        scorer = self.anomaly
        result = scorer.score(attenuation, pitch_mm=self.detector.params.pitch_mm, interior=interior)
        region = tuple(int(round(v / factor)) for v in result.region)
        x0, y0 = result.heatmap_origin
        heatmap = {"origin": [round(x0 / factor, 2), round(y0 / factor, 2)],
                   "stride": round(result.heatmap_stride / factor, 4), "shape": list(result.heatmap.shape),
                   "png_base64": encode_heatmap(result.heatmap)}
        spec = scorer.loaded.spec
        return AnomalyCheck(
            model_name=spec.name, model_version=spec.version, site=str(spec.params.get("site", "default")),
            score=round(result.score, 4), threshold=round(result.threshold, 4), anomalous=result.anomalous,
            region=region, region_score=round(result.region_score, 3), heatmap=heatmap,
        )


def _ms_since(start: float) -> float:
    return round((time.perf_counter() - start) * 1e3, 2)


def _impenetrable_fraction(attenuation: np.ndarray, box: tuple[int, int, int, int] | None) -> float:
    if box is None:
        return 0.0
    x1, y1, x2, y2 = box
    return float((attenuation[y1:y2, x1:x2] > IMPENETRABLE_ATTENUATION).mean())


def _box_to_image(empty: EmptyCheck, factor: float) -> EmptyCheck:
    if empty.interior_box is None or factor == 1.0:
        return empty
    box = tuple(int(round(v / factor)) for v in empty.interior_box)
    return EmptyCheck(empty.container_found, empty.content_seen, empty.content_fraction, box, empty.declared_empty)


def _finding(detections: Detections, i: int, classes: tuple[str, ...], pitch_mm: float) -> Finding:
    box = tuple(round(float(v), 1) for v in detections.boxes[i])
    return Finding(
        class_name=classes[int(detections.class_ids[i])],
        score=round(float(detections.scores[i]), 4),
        box=box,
        box_mm=tuple(round(v * pitch_mm, 1) for v in box),
    )
