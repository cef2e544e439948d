"""Screening intake: check every photo, store before inference, screen, record the result, hand it to clearance.

Order matters for "nothing is lost, nothing half-done": all photos are checked first (any bad photo refuses the
whole request, nothing stored); then the blobs are written and the screening row (status ``received``) with its
image rows is committed; then the model runs; the result, the recommendation and the clearance finding are written
in one transaction. A failure there records the error (status ``failed``); a retry with the same Idempotency-Key
screens the stored photos again.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from smartinspect.clearance.findings import record_finding
from smartinspect.config import Settings
from smartinspect.domain.clearance import FindingSource
from smartinspect.domain.uploads import IdempotencyConflict, UploadRejected
from smartinspect.storage.blobs import BlobStore
from smartinspect.storage.models_wood import WoodScreening, WoodScreeningImage, WoodScreeningStatus
from smartinspect.storage.types import utcnow
from smartinspect.storage.uploads import run_analysis, store_upload
from smartinspect.wood.decode import Photo, decode_photo
from smartinspect.wood.inferencer import WoodClassifier
from smartinspect.wood.preprocess import ANALYSIS_SIDE, analysis_view, blank_score
from smartinspect.wood.screening import screen_views

log = logging.getLogger(__name__)


class ScreeningKeyReused(IdempotencyConflict):
    """The Idempotency-Key was already used by this API key for a different screening (photos or fields)."""

    kind = "screening"


@dataclass(frozen=True)
class CheckedPhoto:
    photo: Photo
    view: np.ndarray  # (256, 256, 3) uint8 analysis view


def check_photos(raw: list[bytes], settings: Settings, *, analysis_side: int = ANALYSIS_SIDE) -> list[CheckedPhoto]:
    """Decode and check every photo; the first bad one raises :class:`UploadRejected` naming its position."""
    if not raw:
        raise UploadRejected("no_images", "send at least one photo in the 'images' field", 422)
    if len(raw) > settings.wood_max_images:
        raise UploadRejected("too_many_images", f"{len(raw)} photos sent; at most {settings.wood_max_images} per "
                             "screening", 422)
    checked = []
    for position, data in enumerate(raw):
        try:
            photo = decode_photo(data, max_pixels=settings.wood_max_image_pixels,
                                 min_side=settings.wood_min_image_side, analysis_side=analysis_side)
            view = analysis_view(photo.rgb, analysis_side)
            contrast = blank_score(view)
            if contrast < settings.wood_min_contrast:
                raise UploadRejected("blank_image", f"the photo is a blank or flat frame (luminance std "
                                     f"{contrast:.2f} < {settings.wood_min_contrast}); photograph the end grain", 422)
        except UploadRejected as exc:
            raise UploadRejected(exc.code, f"image {position}: {exc.message}", exc.status) from exc
        checked.append(CheckedPhoto(photo, view))
    return checked


def request_fingerprint(photos: list[CheckedPhoto], declaration_no: str, declared_species: str) -> str:
    digest = hashlib.sha256()
    for p in photos:
        digest.update(hashlib.sha256(p.photo.data).digest())
    digest.update(json.dumps([declaration_no, declared_species]).encode())
    return digest.hexdigest()


def store_screening(session: Session, blobs: BlobStore, *, photos: list[CheckedPhoto], declaration_no: str,
                    declared_species: str, api_key_id: int,
                    idempotency_key: str | None) -> tuple[WoodScreening, bool]:
    """Write the blobs, then insert and commit the screening and its images. Returns ``(screening, created)``."""
    fingerprint = request_fingerprint(photos, declaration_no, declared_species)

    def build() -> WoodScreening:
        images = [WoodScreeningImage(position=i, image_sha256=blobs.put(p.photo.data),
                                     image_format=p.photo.header.format, width=p.photo.header.width,
                                     height=p.photo.header.height)
                  for i, p in enumerate(photos)]
        return WoodScreening(status=WoodScreeningStatus.received, declaration_no=declaration_no,
                             declared_species=declared_species, n_images=len(photos), api_key_id=api_key_id,
                             idempotency_key=idempotency_key, request_sha256=fingerprint, images=images)

    return store_upload(session, WoodScreening, api_key_id=api_key_id, idempotency_key=idempotency_key,
                        fingerprint=fingerprint, conflict=ScreeningKeyReused, build=build)


def stored_views(blobs: BlobStore, screening: WoodScreening, settings: Settings,
                 analysis_side: int = ANALYSIS_SIDE) -> list[np.ndarray]:
    """Analysis views of a stored screening's photos (a retry or recovery decodes the blobs again)."""
    views = []
    for image in screening.images:
        photo = decode_photo(blobs.get(image.image_sha256), max_pixels=settings.wood_max_image_pixels,
                             min_side=settings.wood_min_image_side, analysis_side=analysis_side)
        views.append(analysis_view(photo.rgb, analysis_side))
    return views


def analyse_screening(session: Session, classifier: WoodClassifier, screening: WoodScreening,
                      views: list[np.ndarray]) -> WoodScreening:
    """Screen, store the result and the clearance finding, commit. Failures are recorded and re-raised."""

    def work() -> None:
        result = screen_views(classifier, views, declared_species=screening.declared_species)
        screening.status = WoodScreeningStatus.analysed
        screening.result = result.to_json()
        screening.recommendation = result.recommendation.value
        screening.abstained = result.abstained
        screening.call_taxon = result.call
        screening.cites_appendix = result.cites_appendix
        screening.model_name, screening.model_version = result.model_name, result.model_version
        screening.error = None
        screening.analysed_at = utcnow()
        session.flush()
        record_finding(session, source=FindingSource.wood, source_id=screening.id,
                       verdict=result.recommendation.value, payload=result.finding_payload(),
                       declaration_no=screening.declaration_no)

    def mark_failed(error: str) -> None:
        screening.status = WoodScreeningStatus.failed
        screening.error = error
        screening.analysed_at = utcnow()

    run_analysis(session, work, mark_failed=mark_failed)
    return screening


def get_screening(session: Session, *, screening_id: str) -> WoodScreening | None:
    return session.get(WoodScreening, screening_id)


def review_evidence(session: Session, *, screening_id: str) -> dict | None:
    """What an expert needs beside the finding: the photos' URLs and per-photo calls, the reference notes of the
    genera in the top-k and of the declared genus (for the review UI; None when the screening does not exist)."""
    from smartinspect.wood.taxa import load_taxa

    screening = get_screening(session, screening_id=screening_id)
    if screening is None:
        return None
    result, table = screening.result or {}, load_taxa()
    genera = [t["genus"] for t in result.get("top_k", [])] + [result.get("declared_genus")]
    base = f"/v1/wood/screenings/{screening.id}"
    return {
        "screening_id": screening.id, "status": screening.status, "recommendation": screening.recommendation,
        "declared_species": screening.declared_species,
        "photos": [{"position": im.position, "url": f"{base}/images/{im.position}", "width": im.width,
                    "height": im.height} for im in screening.images],
        "image_calls": [{k: im.get(k) for k in ("position", "call", "abstained", "abstain_reason", "top_k")}
                        for im in result.get("images", [])],
        "references": [table.reference(g) for g in dict.fromkeys(genera) if g in table.genera],
    }
