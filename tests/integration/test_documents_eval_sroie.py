"""`smartinspect evaluate documents --dataset DIR` on a folder in the SROIE layout (img/ + key/): two receipts
rendered here (made-up shops, not SROIE data) go through the served OCR engine and the served extractor."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont
from typer.testing import CliRunner

from smartinspect.config import REPO_ROOT

MODELS_DIR = Path(os.environ.get("SMARTINSPECT_TEST_MODELS_DIR", REPO_ROOT / "models"))
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
RECEIPTS = {
    "m01": ({"company": "KEDAI BUKU CERIA SDN BHD", "date": "03/04/2019", "total": "15.95"},
            ["   KEDAI BUKU CERIA SDN BHD", "      (123456-A)", "  NO 5, JALAN MAWAR 2,", "  43000 KAJANG, SELANGOR",
             "  TEL: 03-8736 1122", "", "TAX INVOICE", "Date: 03-04-19 10:20", "", "PEN BLUE 2 x 1.50      3.00",
             "FILE A4                12.90", "SUBTOTAL               15.90", "ROUNDING ADJ            0.05",
             "TOTAL                  15.95", "CASH                   50.00", "CHANGE                 34.05"]),
    "m02": ({"company": "PASAR MINI SEGAR ENTERPRISE", "date": "30 NOV 2019", "total": "RM8.40"},
            ["  PASAR MINI SEGAR ENTERPRISE", "  LOT 9, TAMAN INDAH, 81100 JOHOR", "", "CASH BILL NO: CB-10293",
             "30 NOV 2019 18:02", "", "SAYUR HIJAU             4.00", "TELUR 10                4.40",
             "GST 6% INCLUDED         0.48", "TOTAL RM                8.40", "CASH                   10.00",
             "CHANGE                  1.60"]),
}


@pytest.fixture
def folder(tmp_path):
    if not all((MODELS_DIR / n / "manifest.json").is_file() for n in ("ocr-det", "ocr-cls", "ocr-rec")):
        pytest.skip(f"OCR models not shipped in {MODELS_DIR}")
    (tmp_path / "img").mkdir()
    (tmp_path / "key").mkdir()
    font = ImageFont.truetype(str(FONT), 22) if FONT.exists() else ImageFont.load_default()
    for stem, (key, lines) in RECEIPTS.items():
        image = Image.new("RGB", (520, 60 + 34 * len(lines)), "white")
        draw = ImageDraw.Draw(image)
        for i, text in enumerate(lines):
            draw.text((20, 30 + 34 * i), text, fill="black", font=font)
        image.save(tmp_path / "img" / f"{stem}.jpg", quality=92)
        (tmp_path / "key" / f"{stem}.json").write_text(json.dumps(key))
    return tmp_path


@pytest.fixture
def cli_settings(tmp_path, monkeypatch):
    """The CLI reads the process settings: point them at the shipped models and a scratch data dir."""
    from smartinspect.config import get_settings

    monkeypatch.setenv("SMARTINSPECT_MODELS_DIR", str(MODELS_DIR))
    monkeypatch.setenv("SMARTINSPECT_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_evaluate_documents_scores_a_sroie_layout_folder(folder, tmp_path, cli_settings):
    from smartinspect.cli import app

    out = tmp_path / "result.json"
    result = CliRunner().invoke(app, ["evaluate", "documents", "--dataset", str(folder), "--split", "all",
                                      "--cache", str(tmp_path / "cache"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["receipts"] == 2 and report["failed"] == [] and report["split"] == "all"
    fields = report["fields"]
    assert fields["date"]["correct"] == 2 and fields["total"]["correct"] == 2, report["per_receipt"]
    assert fields["company"]["correct"] == 2, report["per_receipt"]
    assert report["seconds_per_receipt"]["ocr_measured_on"] == 2
    assert len(list((tmp_path / "cache").glob("*.json"))) == 2
    bad = CliRunner().invoke(app, ["evaluate", "documents", "--dataset", str(folder), "--split", "test"])
    assert bad.exit_code != 0 and "split" in bad.output
