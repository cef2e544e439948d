"""POST/GET /v1/scans through the real app, the real shipped model, a real SQLite database and blob store."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from sqlalchemy import func, select

from smartinspect.anomaly.overlay import decode_heatmap
from smartinspect.storage.models import ClearanceFinding, Scan


def png_bytes(array: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", array)
    assert ok
    return buf.tobytes()


META = {"scanner_id": "portal-3", "scanned_at": "2026-11-23T08:00:00Z", "pixel_pitch_mm": "5.0"}


def _post(client, key, scan, *, idem=None, image=None, low=None, **extra):
    files = {"image": ("scan.png", image if image is not None else png_bytes(scan.high), "image/png")}
    if low is not None:
        files["image_low"] = ("low.png", low, "image/png")
    data = {**META, "container_no": scan.manifest["container_no"], **extra}
    headers = {"Authorization": f"Bearer {key}"}
    if idem:
        headers["Idempotency-Key"] = idem
    return client.post("/v1/scans", files=files, data=data, headers=headers)


def _count(app, model=Scan):
    with app.state.session_factory() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_scan_round_trip_with_verdict_findings_and_overlay(client, app, make_key, sample_scans):
    key = make_key("scanner")
    scan = sample_scans["firearm"]
    low = png_bytes(scan.low)
    resp = _post(client, key, scan, low=low, declaration_no="DEC-1")
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["status"] == "analysed" and body["verdict"] in {"CLEAR", "REVIEW", "INSPECT"}
    assert body["dual_energy"] is True and body["width"] == scan.high.shape[1]
    assert body["empty_check"]["container_found"] is True
    assert body["reasons"] and body["model"]["name"] == "xray-detector"
    # the shipped site-normal anomaly model ran beside the detector; its heatmap lies on the scan
    anomaly = body["anomaly"]
    assert anomaly["model_name"] == "xray-anomaly" and anomaly["site"] == "default"
    assert anomaly["anomalous"] == (anomaly["score"] >= anomaly["threshold"])
    assert ("anomaly" in {r["code"] for r in body["reasons"]}) == anomaly["anomalous"]
    heat = decode_heatmap(anomaly["heatmap"]["png_base64"])
    assert list(heat.shape) == anomaly["heatmap"]["shape"]
    x0, y0 = anomaly["heatmap"]["origin"]
    assert 0 <= x0 < scan.high.shape[1] and 0 <= y0 < scan.high.shape[0]
    assert x0 + heat.shape[1] * anomaly["heatmap"]["stride"] <= scan.high.shape[1] + anomaly["heatmap"]["stride"]
    assert "anomaly_ms" in body["timings_ms"]
    got = client.get(body["links"]["self"], headers={"Authorization": f"Bearer {key}"})
    assert got.status_code == 200 and got.json()["verdict"] == body["verdict"]
    overlay = client.get(body["links"]["overlay"], headers={"Authorization": f"Bearer {key}"})
    assert overlay.status_code == 200 and overlay.headers["content-type"] == "image/png"
    drawn = cv2.imdecode(np.frombuffer(overlay.content, np.uint8), cv2.IMREAD_COLOR)
    assert drawn.shape[:2] == scan.high.shape
    with app.state.session_factory() as session:
        finding = session.scalar(select(ClearanceFinding).where(ClearanceFinding.source_id == body["id"]))
        assert finding.declaration_no == "DEC-1" and finding.verdict == body["verdict"]


def test_declared_empty_container_with_content_goes_to_inspection(client, make_key, sample_scans):
    key = make_key("scanner")
    body = _post(client, key, sample_scans["clean"], declared_empty="true").json()
    assert body["verdict"] == "INSPECT"
    assert "declared_empty_not_empty" in [r["code"] for r in body["reasons"]]
    body = _post(client, key, sample_scans["empty"], declared_empty="true").json()
    assert body["empty_check"]["content_seen"] is False
    assert "declared_empty_not_empty" not in [r["code"] for r in body["reasons"]]


def test_idempotent_retry_returns_the_same_scan(client, app, make_key, sample_scans):
    key = make_key("scanner")
    first = _post(client, key, sample_scans["clean"], idem="retry-1")
    again = _post(client, key, sample_scans["clean"], idem="retry-1")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert _count(app) == 1
    other = _post(client, key, sample_scans["empty"], idem="retry-1")
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert _count(app) == 1


def _float_tiff():
    from io import BytesIO

    from PIL import Image

    buf = BytesIO()
    Image.fromarray(np.ones((64, 64), np.float32)).save(buf, format="TIFF")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("truncated", 422, "corrupt_image"),
        ("not_image", 415, "not_an_image"),
        ("float_tiff", 422, "unsupported_bit_depth"),
        ("bomb", 413, "too_many_pixels"),
        ("bad_container", 422, "invalid_container_number"),
        ("low_mismatch", 422, "energy_channel_mismatch"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(client, app, settings, make_key, sample_scans, case, status,
                                                    code):
    key = make_key("scanner")
    scan = sample_scans["clean"]
    good = png_bytes(scan.high)
    kwargs = {
        "truncated": {"image": good[: len(good) // 3]},
        "not_image": {"image": b"MZ\x90\x00 this is an executable, not a scan"},
        "float_tiff": {"image": _float_tiff()},
        "bomb": {"image": png_bytes(np.zeros((7000, 7000), np.uint8))},
        "bad_container": {"container_no": "CSQU3054384"},
        "low_mismatch": {"low": png_bytes(np.zeros((100, 100), np.uint16))},
    }[case]
    resp = _post(client, key, scan, **kwargs)
    assert resp.status_code == status, resp.text
    assert resp.json()["error"]["code"] == code
    assert _count(app) == 0
    assert not any(p.is_file() for p in settings.blob_dir.rglob("*"))


def test_missing_fields_and_oversized_uploads(client, app, make_key, sample_scans):
    key = make_key("scanner")
    resp = client.post("/v1/scans", files={"image": ("a.png", b"x", "image/png")}, data={"scanner_id": "p"},
                       headers={"Authorization": f"Bearer {key}"})
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "validation_error"
    app.state.settings.max_upload_bytes = 1000
    resp = _post(client, key, sample_scans["clean"])
    assert resp.status_code == 413 and resp.json()["error"]["code"] == "payload_too_large"
    assert _count(app) == 0


@pytest.mark.parametrize(("role", "post", "get"), [("scanner", 201, 200), ("officer", 403, 200),
                                                    ("expert", 403, 200), ("scientist", 403, 403),
                                                    ("admin", 201, 200)])
def test_roles(client, make_key, sample_scans, role, post, get):
    key = make_key(role)
    resp = _post(client, key, sample_scans["empty"])
    assert resp.status_code == post
    owner = make_key("scanner")
    scan_id = _post(client, owner, sample_scans["empty"], idem=f"r-{role}").json()["id"]
    assert client.get(f"/v1/scans/{scan_id}", headers={"X-API-Key": key}).status_code == get


def test_unknown_scan_is_404(client, make_key):
    resp = client.get("/v1/scans/doesnotexist", headers={"X-API-Key": make_key("officer")})
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "scan_not_found"


def test_scan_flow_on_both_databases(db_url, settings, xray_registry, sample_scans):
    """The same intake, idempotent retry and read, on SQLite and on the real PostgreSQL server."""
    from fastapi.testclient import TestClient

    from smartinspect.api.app import create_app
    from smartinspect.storage.apikeys import create_api_key

    settings.database_url = db_url
    app = create_app(settings, registry=xray_registry)
    with TestClient(app) as client:
        with app.state.session_factory() as session, session.begin():
            _key, token = create_api_key(session, name="pg portal", role="scanner")
        first = _post(client, token, sample_scans["firearm"], idem="db-1", declaration_no="DEC-PG")
        again = _post(client, token, sample_scans["firearm"], idem="db-1", declaration_no="DEC-PG")
        assert (first.status_code, again.status_code) == (201, 200)
        assert first.json()["id"] == again.json()["id"]
        got = client.get(f"/v1/scans/{first.json()['id']}", headers={"X-API-Key": token}).json()
        assert got["status"] == "analysed" and got["declaration_no"] == "DEC-PG"
        assert _count(app) == 1 and _count(app, ClearanceFinding) == 1
