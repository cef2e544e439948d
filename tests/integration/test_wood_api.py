"""POST/GET /v1/wood through the real app, the real shipped wood model, a real database and blob store."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import func, select

from smartinspect.storage.models import ClearanceFinding
from smartinspect.storage.models_wood import WoodScreening, WoodScreeningImage
from smartinspect.wood.datagen import anatomy_of, render_end_grain
from smartinspect.wood.datagen.dataset import taxon_key
from smartinspect.wood.datagen.ood import render_ood
from smartinspect.wood.datagen.render import DEFAULT_SIZE

PAYLOAD_KEYS = {"top_k", "cites_appendix", "abstained", "recommendation", "declared_species", "declared_match"}


def photo(taxon: str, seed: int) -> bytes:
    return render_end_grain(np.random.default_rng([seed, 11]), anatomy_of(taxon)).jpeg


def png(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


def post(client, key, photos: list[bytes], *, declared="Quercus robur", declaration="224820261000000011", idem=None):
    files = [("images", (f"p{i}.jpg", data, "image/jpeg")) for i, data in enumerate(photos)]
    headers = {"X-API-Key": key, **({"Idempotency-Key": idem} if idem else {})}
    return client.post("/v1/wood/screenings", files=files,
                       data={"declaration_no": declaration, "declared_species": declared}, headers=headers)


def count(app, model) -> int:
    with app.state.session_factory() as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.fixture(scope="module")
def quercus() -> list[bytes]:
    return [photo("Quercus", 1), photo("Quercus", 2)]


def test_screening_round_trip_and_clearance_hand_off(client, app, make_key, quercus) -> None:
    key = make_key("officer")
    resp = post(client, key, quercus)
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["status"] == "analysed" and body["recommendation"] in {"clear", "lab_sample", "expert_review"}
    assert len(body["top_k"]) == 3 and body["top_k"][0]["probability"] >= body["top_k"][1]["probability"]
    assert 0.0 < sum(t["probability"] for t in body["top_k"]) <= 1.0 + 1e-6
    assert len(body["images"]) == 2 and body["model"]["name"] == "wood-classifier"
    # the shipped graph computes the anatomy score; every photo that passed the gate reports it
    assert all(isinstance(im["anatomy"], float) and im["anatomy"] >= 0 for im in body["images"]
               if im["abstain_reason"] != "not_wood_like")
    assert body["declared"]["species"] == "Quercus robur" and body["declared"]["genus"] == "Quercus"
    if not body["abstained"]:
        assert body["call"] and body["cites"]["state"] in {"listed", "possibly_listed", "not_listed"}
    got = client.get(body["links"]["self"], headers={"X-API-Key": make_key("expert")})
    assert got.status_code == 200 and got.json()["recommendation"] == body["recommendation"]
    image = client.get(body["images"][1]["image_url"], headers={"X-API-Key": key})
    assert image.status_code == 200 and image.content == quercus[1] and image.headers["content-type"] == "image/jpeg"
    with app.state.session_factory() as session:
        finding = session.scalar(select(ClearanceFinding).where(ClearanceFinding.source_id == body["id"]))
        assert finding.source == "wood" and finding.declaration_no == "224820261000000011"
        assert finding.verdict == body["recommendation"] and PAYLOAD_KEYS <= set(finding.payload)
        assert finding.payload["top_k"][0].keys() >= {"taxon", "probability"}
        assert finding.payload["abstained"] == body["abstained"]


@pytest.mark.parametrize(("taxon", "declared"), [("Dalbergia nigra", "Dalbergia nigra"),
                                                 ("Swietenia", "Khaya ivorensis"),
                                                 ("Khaya", "Swietenia macrophylla")])
def test_cites_timber_or_declaration_is_never_cleared(client, make_key, taxon, declared) -> None:
    resp = post(client, make_key("officer"), [photo(taxon, 3)], declared=declared)
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["recommendation"] in {"lab_sample", "expert_review"}
    codes = {r["code"] for r in body["reasons"]}
    assert codes & {"cites_listed", "declared_cites"} or body["abstained"]


NOT_WOOD = [("xray", 5), ("document", 5), ("noise", 5), ("noise", 6),
            ("photo", 38), ("photo", 0), ("photo", 21), ("photo", 11), ("photo", 7), ("photo", 1), ("photo", 23),
            ("photo", 3),  # skin: stopped by the gate's structure floor since model 2026.11.24-0535
            ("photo", 4), ("photo", 12)]  # sand, cardboard: accepted as wood until model 2026.11.24-0737


@pytest.mark.parametrize(("kind", "seed"), NOT_WOOD)
def test_inputs_that_are_not_wood_abstain(client, make_key, kind, seed) -> None:
    """X-ray crops, documents, noise and photos of other things (brick, concrete, fabric, foliage, leather, metal,
    sky, skin; seeds chosen per scene) abstain and go to an expert."""
    jpeg, _ = render_ood(np.random.default_rng(seed), kind, size=384)
    resp = post(client, make_key("officer"), [jpeg])
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["abstained"] is True and body["call"] is None and body["recommendation"] == "expert_review"
    assert body["images"][0]["abstain_reason"] in {"not_wood_like", "unlike_known_taxa", "low_confidence"}


def test_a_pink_skin_photo_the_network_calls_pine_abstains_on_the_colour_of_pine(client, make_key) -> None:
    """Photo 107 of the non-wood probe (scripts/wood_nonwood_probe.py, seed 5000): pink skin in the loupe, inside
    the global wood colours, called Pinus by the network, and accepted until model 2026.11.24-2041. No pine
    training photo is that red: the colour range of the called class stops it."""
    rng = np.random.default_rng(np.random.SeedSequence(5000, spawn_key=(taxon_key("photo"), 107)))
    jpeg, params = render_ood(rng, "photo", size=DEFAULT_SIZE)
    assert params["scene"] == "skin"
    body = post(client, make_key("officer"), [jpeg]).json()
    image = body["images"][0]
    assert body["abstained"] is True and body["recommendation"] == "expert_review"
    if image["top_k"][0]["taxon"] == "Pinus":  # 2026.11.24-2211 calls it pine: the colour of pine stops it
        assert image["abstain_reason"] == "not_wood_like" and image["gate"]["failures"] == ["colour_not_class"]


def bad_inputs() -> list[tuple[str, list[bytes], int, str]]:
    good = photo("Acer", 9)
    return [
        ("not an image", [b"PK\x03\x04 a zip file"], 415, "not_an_image"),
        ("tiny", [png(np.full((64, 64, 3), 120, np.uint8))], 422, "image_too_small"),
        ("blank", [good, png(np.full((600, 600, 3), 30, np.uint8))], 422, "blank_image"),
        ("empty file", [b""], 400, "empty_file"),
        ("too many", [good] * 9, 422, "too_many_images"),
    ]


@pytest.mark.parametrize(("label", "photos", "status", "code"), bad_inputs(), ids=lambda v: v if isinstance(v, str)
                         else None)
def test_bad_input_is_a_4xx_json_error_and_nothing_is_stored(client, app, make_key, settings, label, photos, status,
                                                             code) -> None:
    resp = post(client, make_key("officer"), photos)
    assert resp.status_code == status, resp.text
    assert resp.json()["error"]["code"] == code
    assert count(app, WoodScreening) == 0 and count(app, WoodScreeningImage) == 0
    assert not any(p.is_file() for p in settings.blob_dir.rglob("*"))


def test_huge_photos_are_refused_from_the_header(client, app, make_key, settings) -> None:
    settings.wood_max_image_pixels = 500 * 500
    resp = post(client, make_key("officer"), [png(np.random.default_rng(0).integers(0, 255, (600, 600, 3),
                                                                                    dtype=np.uint8))])
    assert resp.status_code == 413 and resp.json()["error"]["code"] == "too_many_pixels"
    assert count(app, WoodScreening) == 0


def test_missing_fields_are_422(client, make_key, quercus) -> None:
    resp = client.post("/v1/wood/screenings", files=[("images", ("a.jpg", quercus[0], "image/jpeg"))],
                       data={"declaration_no": "224820261000000012"}, headers={"X-API-Key": make_key("officer")})
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "validation_error"


def test_roles(client, make_key, quercus) -> None:
    for role in ("scanner", "expert", "scientist"):
        assert post(client, make_key(role), quercus[:1]).status_code == 403
    taxa = client.get("/v1/wood/taxa", headers={"X-API-Key": make_key("expert")})
    assert taxa.status_code == 200
    by_genus = {g["genus"]: g for g in taxa.json()}
    assert by_genus["Dalbergia"]["classes"] == ["Dalbergia nigra", "Dalbergia latifolia"]
    assert by_genus["Shorea"]["classes"] == [] and by_genus["Shorea"]["role"] == "open_set"


def test_idempotent_retry_and_reused_key(client, app, make_key, quercus) -> None:
    key = make_key("officer")
    first = post(client, key, quercus, idem="wood-retry-1")
    again = post(client, key, quercus, idem="wood-retry-1")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert count(app, WoodScreening) == 1 and count(app, ClearanceFinding) == 1
    other = post(client, key, quercus[:1], idem="wood-retry-1")
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert post(client, key, quercus[:1], idem="wood-retry-2").status_code == 201


def test_unknown_screening_and_image_are_404(client, make_key, quercus) -> None:
    key = make_key("officer")
    assert client.get("/v1/wood/screenings/nope", headers={"X-API-Key": key}).status_code == 404
    body = post(client, key, quercus[:1]).json()
    missing = client.get(f"/v1/wood/screenings/{body['id']}/images/5", headers={"X-API-Key": key})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "image_not_found"


def test_a_cites_screening_gives_the_declaration_a_wood_instruction(client, app, make_key) -> None:
    from smartinspect.clearance import service
    from smartinspect.clearance.declarations import DeclarationCreate
    from smartinspect.clearance.synthetic import example_declaration

    number = "224820261000000001"
    with app.state.session_factory() as session:
        service.create_declaration(session, data=DeclarationCreate.model_validate(example_declaration(number)),
                                   actor="officer-w")
        session.commit()
    resp = post(client, make_key("officer"), [photo("Dalbergia nigra", 4)], declared="Dalbergia nigra",
                declaration=number)
    assert resp.status_code == 201, resp.text
    screening = resp.json()
    with app.state.session_factory() as session:
        declaration = service.get_declaration(session, number=number)
        wood = [(i.kind, i.source_id) for i in declaration.instructions if i.source == "wood"]
    assert declaration.channel != "green" and wood, "clearance must act on the wood finding"
    assert all(source_id == screening["id"] for _, source_id in wood)


def test_review_evidence_gives_the_expert_photos_and_reference_notes(client, app, make_key, quercus) -> None:
    from smartinspect.wood.service import review_evidence

    body = post(client, make_key("officer"), quercus, declared="Fraxinus excelsior").json()
    with app.state.session_factory() as session:
        evidence = review_evidence(session, screening_id=body["id"])
        assert review_evidence(session, screening_id="missing") is None
    assert [p["url"] for p in evidence["photos"]] == [im["image_url"] for im in body["images"]]
    genera = [r["genus"] for r in evidence["references"]]
    assert "Fraxinus" in genera and all(r["key_features"] for r in evidence["references"])
