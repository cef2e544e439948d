"""Smaller defects: error messages keep internals to the log, declaration numbers are checked on document and
wood uploads, and missing OCR models get a message that says how to fetch them."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from smartinspect.domain.reasons import client_reason
from smartinspect.ocr.engine import OcrEngine, OcrModelsMissing

LEAK = re.compile(r"0x[0-9a-f]{6,}|<_io\.|Traceback|/usr/|site-packages")


def test_client_reason_drops_reprs_and_paths():
    from PIL import UnidentifiedImageError

    # Pillow's own message names the buffer object (built here: ultralytics, when a test imported it, patches
    # Image.open and changes the error)
    error = UnidentifiedImageError("cannot identify image file <_io.BytesIO object at 0x7fc5bc6bd3f0>")
    reason = client_reason(error)
    assert not LEAK.search(reason) and "cannot identify image file" in reason
    assert client_reason(OSError("/srv/var/blobs/ab/cd/x: denied")) == "<path>: denied"


def test_wood_upload_errors_do_not_leak_internals(client, make_key):
    response = client.post("/v1/wood/screenings", headers={"X-API-Key": make_key("officer")},
                           files=[("images", ("a.jpg", b"\xff\xd8 not really a jpeg", "image/jpeg"))],
                           data={"declaration_no": "224820261000000011", "declared_species": "Quercus robur"})
    assert response.status_code in (415, 422, 503)
    assert not LEAK.search(response.text), response.text


@pytest.mark.parametrize("path, form", [
    ("/v1/documents", {"declaration_no": "DEC-1"}),
    ("/v1/documents", {"declaration_no": "12345"}),
    ("/v1/wood/screenings", {"declaration_no": "not-a-number", "declared_species": "Quercus robur"}),
])
def test_declaration_numbers_must_be_18_digits(client, make_key, path, form, monkeypatch):
    from smartinspect.api.routers import documents, wood

    monkeypatch.setattr(documents, "ocr_engine", lambda *a: None)  # no models needed: the number is checked first
    monkeypatch.setattr(wood, "_classifier", lambda registry: None)
    field = "images" if "wood" in path else "file"
    response = client.post(path, headers={"X-API-Key": make_key("officer")}, data=form,
                           files=[(field, ("x.png", b"\x89PNG\r\n\x1a\n", "image/png"))])
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_declaration_number"


def test_missing_ocr_models_say_how_to_fetch_them(settings, tmp_path, monkeypatch):
    from fastapi.testclient import TestClient

    from smartinspect.api.app import create_app
    from smartinspect.runtime import ModelRegistry
    from smartinspect.storage.apikeys import create_api_key

    empty = ModelRegistry.from_directory(tmp_path / "no-models", warm_up=False)
    with pytest.raises(KeyError) as caught:  # still a KeyError for existing handlers
        OcrEngine.from_registry(empty)
    assert isinstance(caught.value, OcrModelsMissing) and "smartinspect ocr-import-models" in str(caught.value)
    app = create_app(settings, registry=empty)
    with TestClient(app) as client:
        with app.state.session_factory() as session, session.begin():
            officer = create_api_key(session, name="officer", role="officer")[1]
        response = client.post("/v1/documents", headers={"X-API-Key": officer},
                               files={"file": ("x.png", b"\x89PNG\r\n\x1a\n", "image/png")})
    assert response.status_code == 503 and "smartinspect ocr-import-models" in response.json()["error"]["message"]
    monkeypatch.setenv("SMARTINSPECT_MODELS_DIR", str(tmp_path / "no-models"))
    monkeypatch.setenv("SMARTINSPECT_DATA_DIR", str(tmp_path / "var"))
    from smartinspect.cli import app
    from smartinspect.config import get_settings

    get_settings.cache_clear()
    try:
        (tmp_path / "page.png").write_bytes(b"\x89PNG\r\n\x1a\n")
        result = CliRunner().invoke(app, ["ocr", str(tmp_path / "page.png")])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2 and "smartinspect ocr-import-models" in result.output
    assert "Traceback" not in result.output
