"""HTTP shapes of wood screenings. The internal result is :class:`smartinspect.wood.types.ScreeningResult`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class TaxonProbabilityPublic(BaseModel):
    taxon: str = Field(description="a model class: a genus, or a species where CITES status differs in the genus")
    genus: str
    probability: float = Field(description="calibrated probability")
    cites_appendix: str | None = Field(description="I | II | III when the taxon is (possibly) CITES-listed")


class ReasonPublic(BaseModel):
    code: str = Field(description="e.g. cites_listed, declared_cites, declared_mismatch, cites_lookalike, "
                                  "abstained_unlike_known_taxa, abstained_not_wood_like, abstained_low_confidence")
    message: str
    evidence: dict[str, Any] = {}


class ImageCallPublic(BaseModel):
    position: int
    top_k: list[TaxonProbabilityPublic]
    call: str | None
    call_level: str = Field(description="species | genus | unknown")
    abstained: bool
    abstain_reason: str | None = Field(description="not_wood_like | unlike_known_taxa | low_confidence")
    open_set_distance: float | None = Field(description="Mahalanobis distance to the nearest known class")
    energy: float | None = Field(description="energy of the calibrated logits (higher: less like the training data)")
    knn: float | None = Field(default=None, description="cosine distance to the k-th nearest training crop")
    anatomy: float | None = Field(default=None, description="distance of the anatomy the photo shows (as the model "
                                  "reads it) to the nearest known class; null for models without it")
    gate: dict[str, Any]
    image_url: str


class CitesPublic(BaseModel):
    state: str = Field(description="listed | possibly_listed | not_listed | unknown (abstained)")
    appendix: str | None
    note: str


class DeclaredPublic(BaseModel):
    species: str
    genus: str | None = Field(description="the declared genus when it is in the CITES table")
    cites_appendix: str | None
    match: bool = Field(description="the called genus is the declared genus")


class ModelRef(BaseModel):
    name: str | None
    version: str | None


class WoodScreeningPublic(BaseModel):
    id: str
    status: str = Field(description="received | analysed | failed")
    declaration_no: str
    recommendation: str | None = Field(description="clear | lab_sample | expert_review once analysed")
    abstained: bool | None
    call: str | None = Field(description="the species or genus called; null when the model abstained")
    call_level: str | None
    top_k: list[TaxonProbabilityPublic] = Field(default=[], description="combined over the photos")
    cites: CitesPublic | None
    declared: DeclaredPublic
    reasons: list[ReasonPublic] = []
    images: list[ImageCallPublic] = []
    model: ModelRef
    timings_ms: dict[str, float] = {}
    error: str | None = None
    created_at: datetime
    analysed_at: datetime | None
    links: dict[str, str]


class GenusReferencePublic(BaseModel):
    genus: str
    family: str | None
    role: str | None = Field(description="cites | lookalike | common | open_set (evaluation only) | enrolled (a taxon of the served reference collection that the CITES table does not list)")
    call_level: str
    cites_state: str
    cites_appendix: str | None
    listed_species: dict[str, str]
    annotation: str | None
    note: str
    look_alikes: list[str]
    key_features: str
    classes: list[str] = Field(description="model classes of this genus (empty: the model does not know it)")
