"""A crash between storing a scan and analysing it leaves a recoverable row, never a half-written one."""

from __future__ import annotations

from datetime import UTC, datetime

import cv2
import pytest
from sqlalchemy import select

from smartinspect.storage.models import Scan, ScanStatus
from smartinspect.xray.service import ScanMetadata, analyse_scan, check_upload, recover_pending_scans, store_scan


def _store(app, settings, scan, key_id, idem=None):
    ok, buf = cv2.imencode(".png", scan.high)
    upload = check_upload(buf.tobytes(), None, settings)
    meta = ScanMetadata("portal-1", scan.manifest["container_no"], None, datetime(2026, 11, 23, tzinfo=UTC), 5.0, None)
    with app.state.session_factory() as session:
        stored, created = store_scan(session, app.state.blob_store, upload=upload, metadata=meta, api_key_id=key_id,
                                     idempotency_key=idem)
        return stored.id


def _key_id(app, make_key):
    make_key("scanner")
    with app.state.session_factory() as session:
        from smartinspect.storage.models import ApiKey

        return session.scalar(select(ApiKey.id))


class ExplodingModel:
    """An analyzer whose inference dies, as a crash or an OOM kill would."""

    class_names = ["firearm"]

    def analyse(self, *args, **kwargs):
        raise MemoryError("killed during inference")


def test_failed_analysis_is_recorded_and_recovered(client, app, settings, make_key, sample_scans, xray_registry):
    key_id = _key_id(app, make_key)
    scan_id = _store(app, settings, sample_scans["clean"], key_id)
    with app.state.session_factory() as session:
        scan = session.get(Scan, scan_id)
        assert scan.status == ScanStatus.received
        with pytest.raises(MemoryError):
            analyse_scan(session, app.state.blob_store, ExplodingModel(), scan)
        failed = session.get(Scan, scan_id)
        assert failed.status == ScanStatus.failed and "killed during inference" in failed.error
        assert failed.result is None  # nothing half-written
    # the blob is intact and the row is complete: recovery finishes the work with the real model
    settings.models_dir = xray_registry.get("xray-detector").spec.file.parent.parent
    assert recover_pending_scans(settings) == [scan_id]
    with app.state.session_factory() as session:
        scan = session.get(Scan, scan_id)
        assert scan.status == ScanStatus.analysed and scan.verdict in {"CLEAR", "REVIEW", "INSPECT"}


def test_retry_with_same_key_finishes_an_unanalysed_scan(client, app, settings, make_key, sample_scans):
    token = make_key("scanner")
    with app.state.session_factory() as session:
        from smartinspect.storage.apikeys import authenticate_api_key

        key_id = authenticate_api_key(session, token=token).id
    scan = sample_scans["empty"]
    scan_id = _store(app, settings, scan, key_id, idem="crash-1")  # stored, then the process "died"
    ok, buf = cv2.imencode(".png", scan.high)
    resp = client.post(
        "/v1/scans",
        files={"image": ("s.png", buf.tobytes(), "image/png")},
        data={"scanner_id": "portal-1", "container_no": scan.manifest["container_no"],
              "scanned_at": "2026-11-23T00:00:00+00:00", "pixel_pitch_mm": "5.0"},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "crash-1"},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["id"] == scan_id and resp.json()["status"] == "analysed"
