"""``/v1/wood``: officers post end-grain photos; the service calls the timber, flags CITES and advises."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Header, Request, Response, UploadFile, status
from fastapi.concurrency import run_in_threadpool

from smartinspect.api.deps import BlobStoreDep, CurrentKey, PathIndex, RegistryDep, SessionDep, SettingsDep, secured
from smartinspect.api.errors import ApiError
from smartinspect.api.metrics import timed_inference
from smartinspect.api.schemas.common import ErrorPublic
from smartinspect.api.schemas.wood import GenusReferencePublic, WoodScreeningPublic
from smartinspect.api.uploads import conflict_error, read_limited
from smartinspect.api.uploads import declaration_number as check_declaration_number
from smartinspect.domain.reasons import client_reason
from smartinspect.domain.roles import Role
from smartinspect.domain.uploads import IdempotencyConflict, UploadRejected
from smartinspect.storage.models_wood import WoodScreening, WoodScreeningStatus
from smartinspect.wood.decode import MEDIA_TYPES
from smartinspect.wood.enrolled import EnrolledClassifier, served_classifier
from smartinspect.wood.inferencer import WoodClassifier
from smartinspect.wood.service import analyse_screening, check_photos, get_screening, store_screening, stored_views
from smartinspect.wood.taxa import load_taxa

router = APIRouter(prefix="/v1/wood", tags=["wood"])
READERS = (Role.officer, Role.expert, Role.admin)
_ERRORS = {code: {"model": ErrorPublic} for code in (404, 409, 413, 415, 422, 500, 503)}


def _classifier(registry) -> WoodClassifier | EnrolledClassifier:
    """An enrolled reference collection when one is served, else the synthetic-trained classifier."""
    try:
        return served_classifier(registry)
    except (KeyError, ValueError) as exc:  # no wood model served, or its manifest or bank is broken
        raise ApiError(503, "model_unavailable", str(exc)) from exc


def to_public(screening: WoodScreening) -> WoodScreeningPublic:
    r = screening.result or {}
    base = f"/v1/wood/screenings/{screening.id}"
    images = [im | {"image_url": f"{base}/images/{im['position']}"} for im in r.get("images", [])]
    cites = {"state": r["cites_state"], "appendix": r["cites_appendix"], "note": r["cites_note"]} if r else None
    return WoodScreeningPublic(
        id=screening.id, status=screening.status, declaration_no=screening.declaration_no,
        recommendation=screening.recommendation, abstained=screening.abstained, call=r.get("call"),
        call_level=r.get("call_level"), top_k=r.get("top_k", []), cites=cites,
        declared={"species": screening.declared_species, "genus": r.get("declared_genus"),
                  "cites_appendix": r.get("declared_cites_appendix"), "match": bool(r.get("declared_match"))},
        reasons=r.get("reasons", []), images=images,
        model={"name": screening.model_name, "version": screening.model_version},
        timings_ms=r.get("timings_ms", {}), error=screening.error, created_at=screening.created_at,
        analysed_at=screening.analysed_at,
        links={"self": base, **{f"image_{im.position}": f"{base}/images/{im.position}" for im in screening.images}},
    )


@router.post(
    "/screenings", response_model=WoodScreeningPublic, status_code=status.HTTP_201_CREATED,
    **secured(Role.officer, Role.admin, responses=_ERRORS),
)
async def submit_screening(
    request: Request,
    response: Response,
    key: CurrentKey,
    session: SessionDep,
    blobs: BlobStoreDep,
    registry: RegistryDep,
    settings: SettingsDep,
    images: Annotated[list[UploadFile], File(description="one or more end-grain photos (JPEG, PNG, WebP, TIFF)")],
    declaration_no: Annotated[str, Form(min_length=1, max_length=64)],
    declared_species: Annotated[str, Form(min_length=1, max_length=200, description="e.g. 'Khaya ivorensis'")],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=255)] = None,
) -> WoodScreeningPublic:
    """Store the photos, screen them, hand the result to clearance. A retry with the same Idempotency-Key is safe."""
    classifier = _classifier(registry)
    number = check_declaration_number(declaration_no)
    if number is None:
        raise ApiError(422, "invalid_declaration_number", "a wood screening needs the declaration number (18 digits)")
    raw = [await read_limited(upload, settings.max_upload_bytes) for upload in images]
    try:
        photos = await run_in_threadpool(check_photos, raw, settings, analysis_side=classifier.params.analysis_side)
    except UploadRejected as exc:
        raise ApiError(exc.status, exc.code, exc.message) from exc
    try:
        screening, created = await run_in_threadpool(
            store_screening, session, blobs, photos=photos, declaration_no=number,
            declared_species=declared_species.strip(), api_key_id=key.id, idempotency_key=idempotency_key)
    except IdempotencyConflict as exc:
        raise conflict_error(exc) from exc
    if not created:
        response.status_code = status.HTTP_200_OK
    if screening.status != WoodScreeningStatus.analysed:  # new, or a retry of one that failed or was cut off
        views = [p.view for p in photos] if created else await run_in_threadpool(
            stored_views, blobs, screening, settings, classifier.params.analysis_side)
        try:
            with timed_inference(request.app, lambda: screening.model_name):
                await run_in_threadpool(analyse_screening, session, classifier, screening, views)
        except Exception as exc:
            message = ("the photos were stored but screening failed; retry with the same Idempotency-Key "
                       f"({client_reason(exc)})")
            raise ApiError(500, "analysis_failed", message, {"screening_id": screening.id}) from exc
    return to_public(screening)


@router.get("/screenings/{screening_id}", response_model=WoodScreeningPublic, **secured(*READERS, responses=_ERRORS))
def read_screening(screening_id: str, session: SessionDep) -> WoodScreeningPublic:
    return to_public(_get_or_404(session, screening_id))


@router.get(
    "/screenings/{screening_id}/images/{position}", response_class=Response,
    **secured(*READERS, responses={**_ERRORS, 200: {"content": {"image/jpeg": {}}, "description": "the photo"}}),
)
def read_image(screening_id: str, position: PathIndex, session: SessionDep, blobs: BlobStoreDep) -> Response:
    screening = _get_or_404(session, screening_id)
    image = next((im for im in screening.images if im.position == position), None)
    if image is None:
        raise ApiError(404, "image_not_found", f"screening {screening_id} has no image {position}",
                       {"screening_id": screening_id, "images": len(screening.images)})
    return Response(blobs.get(image.image_sha256), media_type=MEDIA_TYPES.get(image.image_format,
                                                                              "application/octet-stream"),
                    headers={"Cache-Control": "private, max-age=3600"})


@router.get("/taxa", response_model=list[GenusReferencePublic],
            **secured(Role.officer, Role.expert, Role.scientist, Role.admin))
def list_taxa(registry: RegistryDep) -> list[GenusReferencePublic]:
    """Reference notes per genus (CITES status, look-alikes, key features) and the model classes of each."""
    table = load_taxa()
    try:
        classifier = served_classifier(registry)
    except (KeyError, ValueError):
        served: tuple[str, ...] = ()
    else:
        served, table = classifier.params.taxa, getattr(classifier, "table", table)
    return [GenusReferencePublic(**table.reference(g), classes=[t for t in served if table.genus_of(t) == g])
            for g in table.genera]


def _get_or_404(session, screening_id: str) -> WoodScreening:
    screening = get_screening(session, screening_id=screening_id)
    if screening is None:
        raise ApiError(404, "screening_not_found", f"no wood screening with id {screening_id!r}",
                       {"screening_id": screening_id})
    return screening
