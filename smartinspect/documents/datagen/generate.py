"""One consignment -> its four documents: spec, layout, print, degrade, ground truth."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from smartinspect.documents.datagen.builders import build_bill_of_lading, build_invoice, build_packing_list
from smartinspect.documents.datagen.canvas import CJK_FAMILIES, LATIN_FAMILIES, available_families
from smartinspect.documents.datagen.consignment import Consignment, sample_consignment
from smartinspect.documents.datagen.declaration import build_declaration
from smartinspect.documents.datagen.degrade import MODES, degrade_page
from smartinspect.documents.datagen.layouts import DEVELOPMENT_LAYOUTS, LAYOUTS, Look, render
from smartinspect.documents.datagen.plants import DOC_TYPES, PLANT_KINDS, Plant, plant

GENERATOR_VERSION = "1"


@dataclass(frozen=True)
class DocGenConfig:
    """How consignments and their documents are drawn. Probabilities per consignment or per document."""

    layouts: tuple[str, ...] = DEVELOPMENT_LAYOUTS  # the held-out family ("banner") only for the test set
    plant_fraction: float = 0.3  # consignments carrying one planted inconsistency
    plant_kinds: tuple[str, ...] = tuple(PLANT_KINDS)
    zh_fraction: float = 0.35  # invoices, packing lists and B/Ls printed in Chinese (declarations always are)
    degradation_mix: tuple[float, float, float] = (0.2, 0.5, 0.3)  # clean, scan, phone
    strength: tuple[float, float] = (0.2, 0.8)  # degradation strength range
    quarter_turn_p: float = 0.03  # phone photos / scans turned by 90 degrees
    body_size: tuple[int, int] = (19, 24)  # body text height in px at 150 dpi

    def __post_init__(self) -> None:
        unknown = set(self.layouts) - set(LAYOUTS)
        if not self.layouts or unknown:
            raise ValueError(f"layouts must be a non-empty subset of {LAYOUTS}, got {self.layouts}")
        bad_kinds = set(self.plant_kinds) - set(PLANT_KINDS)
        if not self.plant_kinds or bad_kinds:
            raise ValueError(f"plant_kinds must be a non-empty subset of {tuple(PLANT_KINDS)}, got {self.plant_kinds}")
        for name in ("plant_fraction", "zh_fraction", "quarter_turn_p"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be a probability in [0, 1], got {getattr(self, name)}")
        mix = self.degradation_mix
        if len(mix) != 3 or min(mix) < 0 or sum(mix) <= 0:
            raise ValueError(f"degradation_mix needs 3 non-negative weights (clean, scan, phone), got {mix}")
        lo, hi = self.strength
        if not 0.0 <= lo <= hi <= 1.0:
            raise ValueError(f"strength must be (low, high) within [0, 1], got {self.strength}")

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


@dataclass
class GeneratedDocument:
    doc_id: str
    doc_type: str
    image: np.ndarray  # (H, W, 3) uint8 BGR
    jpeg_quality: int | None
    truth: dict = field(default_factory=dict)  # the ground-truth JSON


def reading_order(boxes: list[tuple[float, float, float, float]]) -> list[int]:
    """Indices of boxes top-to-bottom in rows (a line joins a row when it overlaps its height by half), then
    left-to-right."""
    order = sorted(range(len(boxes)), key=lambda i: (boxes[i][1] + boxes[i][3]) / 2)
    rows: list[list[int]] = []
    for i in order:
        y1, y2 = boxes[i][1], boxes[i][3]
        if rows:
            last = rows[-1]
            ry1 = np.mean([boxes[j][1] for j in last])
            ry2 = np.mean([boxes[j][3] for j in last])
            if min(y2, ry2) - max(y1, ry1) > 0.5 * min(y2 - y1, ry2 - ry1):
                last.append(i)
                continue
        rows.append([i])
    return [i for row in rows for i in sorted(row, key=lambda j: boxes[j][0])]


def _build(doc_type: str, view: Consignment, rng: np.random.Generator, lang: str):
    if doc_type == "declaration":
        return build_declaration(view, rng)
    builder = {"invoice": build_invoice, "packing_list": build_packing_list,
               "bill_of_lading": build_bill_of_lading}[doc_type]
    return builder(view, rng, lang)


def generate_consignment(rng: np.random.Generator, consignment_id: str, config: DocGenConfig
                         ) -> tuple[Consignment, Plant | None, list[GeneratedDocument]]:
    """Draw a consignment, maybe plant one inconsistency, and print and degrade its four documents."""
    c = sample_consignment(rng, consignment_id)
    planted = None
    views = {d: c for d in DOC_TYPES}
    if rng.random() < config.plant_fraction:
        kind = config.plant_kinds[int(rng.integers(len(config.plant_kinds)))]
        views, planted = plant(c, rng, kind)
    families = available_families()
    docs = []
    for doc_type in DOC_TYPES:
        lang = "zh" if doc_type == "declaration" or rng.random() < config.zh_fraction else "en"
        spec = _build(doc_type, views[doc_type], rng, lang)
        layout = config.layouts[int(rng.integers(len(config.layouts)))]
        pool = [f for f in (CJK_FAMILIES if lang == "zh" else LATIN_FAMILIES) if f in families]
        look = Look(pool[int(rng.integers(len(pool)))], int(rng.integers(config.body_size[0], config.body_size[1] + 1)))
        canvas = render(spec, layout, look, rng)
        mode = str(rng.choice(MODES, p=np.asarray(config.degradation_mix) / sum(config.degradation_mix)))
        strength = float(rng.uniform(*config.strength))
        text = [line for line in canvas.lines if line.role == "text"]
        stamps = [line for line in canvas.lines if line.role == "stamp"]
        out = degrade_page(np.asarray(canvas.image), [line.box for line in text + stamps], rng, mode=mode,
                           strength=strength, quarter_turn_p=config.quarter_turn_p)
        polys, stamp_polys = out.polygons[:len(text)], out.polygons[len(text):]
        order = reading_order([line.box for line in text])
        doc_id = f"{consignment_id}_{doc_type}"
        truth = {
            "doc_id": doc_id, "doc_type": doc_type, "consignment_id": consignment_id, "language": lang,
            "layout": layout, "font": look.family, "degradation": {"mode": mode, "strength": round(strength, 3),
                                                                   "angle": round(out.angle, 2),
                                                                   "jpeg_quality": out.jpeg_quality},
            "pages": 1, "width": int(out.image.shape[1]), "height": int(out.image.shape[0]),
            "fields": spec.gt, "items": spec.gt_items,
            "values": spec.printed | {kv.field: kv.value for kv in spec.fields + spec.totals if kv.field},
            "text_lines": [{"text": text[i].text, "polygon": polys[i], "page": 0} for i in order],
            "stamp_lines": [{"text": s.text, "polygon": p, "page": 0} for s, p in zip(stamps, stamp_polys, strict=True)],
            "planted": planted.to_dict() if planted and planted.document == doc_type else None,
        }
        docs.append(GeneratedDocument(doc_id, doc_type, out.image, out.jpeg_quality, truth))
    return c, planted, docs
