"""Typed results of wood screening. These cross every internal boundary; the HTTP schemas are built from them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Recommendation(StrEnum):
    clear = "clear"
    lab_sample = "lab_sample"
    expert_review = "expert_review"


class CallLevel(StrEnum):
    species = "species"
    genus = "genus"
    unknown = "unknown"


@dataclass(frozen=True)
class TaxonProbability:
    taxon: str  # a model class (genus or species)
    genus: str
    probability: float  # calibrated
    cites_appendix: str | None


@dataclass(frozen=True)
class Reason:
    code: str  # stable, e.g. cites_listed, abstained_unknown_wood, declared_mismatch
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)


def open_set_scores(distance: float, energy: float, knn: float, anatomy: float | None) -> dict[str, float]:
    """A photo's open-set scores by the names the open-set rule uses (``anatomy`` only from graphs that have it)."""
    out = {"distance": distance, "energy": energy, "knn": knn}
    return out if anatomy is None else out | {"anatomy": anatomy}


@dataclass(frozen=True)
class ImageScores:
    """What the model says about one photo. ``probabilities``: calibrated, one per class (manifest order)."""

    probabilities: tuple[float, ...]
    open_set_distance: float  # Mahalanobis distance to the nearest class, mean over crops (higher: less known)
    energy: float  # -T logsumexp(logits / T) of the mean logits (higher: less known)
    knn: float = 0.0  # cosine distance to the k-th nearest training crop, mean over crops (higher: less known)
    anatomy: float | None = None  # predicted anatomy's distance to the nearest class, mean over crops (None: no head)

    def open_set_scores(self) -> dict[str, float]:
        return open_set_scores(self.open_set_distance, self.energy, self.knn, self.anatomy)


@dataclass(frozen=True)
class ImageCall:
    """The decision for one photo."""

    position: int
    top_k: tuple[TaxonProbability, ...]
    call: str | None  # the taxon or genus called; None when abstained
    call_level: CallLevel
    abstained: bool
    abstain_reason: str | None  # not_wood_like | unlike_known_taxa | low_confidence
    open_set_distance: float | None
    energy: float | None
    knn: float | None
    gate: dict[str, Any]
    anatomy: float | None = None


@dataclass(frozen=True)
class ScreeningResult:
    """A whole screening: per-image calls, the combined call, CITES status and the recommendation."""

    images: tuple[ImageCall, ...]
    top_k: tuple[TaxonProbability, ...]  # combined: mean of the accepted images' calibrated probabilities
    call: str | None
    call_level: CallLevel
    call_genus: str | None
    abstained: bool
    cites_state: str  # listed | possibly_listed | not_listed | unknown
    cites_appendix: str | None
    cites_note: str
    declared_species: str
    declared_genus: str | None
    declared_cites_appendix: str | None
    declared_match: bool
    recommendation: Recommendation
    reasons: tuple[Reason, ...]
    model_name: str
    model_version: str
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["recommendation"] = self.recommendation.value
        data["call_level"] = self.call_level.value
        for image in data["images"]:
            image["call_level"] = CallLevel(image["call_level"]).value
        return data

    def finding_payload(self) -> dict[str, Any]:
        """The typed hand-off to clearance (``record_finding`` payload)."""
        return {
            "top_k": [{"taxon": t.taxon, "genus": t.genus, "probability": round(t.probability, 4),
                       "cites_appendix": t.cites_appendix} for t in self.top_k],
            "call": self.call, "call_level": self.call_level.value,
            "cites_appendix": self.cites_appendix, "cites_state": self.cites_state,
            "abstained": self.abstained, "recommendation": self.recommendation.value,
            "declared_species": self.declared_species, "declared_match": self.declared_match,
            "reasons": [{"code": r.code, "message": r.message} for r in self.reasons],
            "model": {"name": self.model_name, "version": self.model_version},
        }
