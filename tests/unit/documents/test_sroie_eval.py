"""The SROIE-layout evaluator (img/ + key/), on a tiny folder written here (made-up shops, not SROIE data)."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from smartinspect.documents.sroie import (
    evaluate_sroie,
    field_matches,
    is_sroie_layout,
    key_date,
    load_samples,
    split_of,
)

RECEIPTS = {
    "r001": ({"company": "KEDAI RUNCIT AMAN SDN BHD", "date": "03/04/2019", "total": "12.50"},
             ["KEDAI RUNCIT AMAN SDN BHD", "NO 5, JALAN MAWAR 2, 43000 KAJANG", "DATE: 03-04-19 10:22",
              "SUBTOTAL 12.48", "ROUNDING 0.02", "TOTAL 12.50", "CASH 20.00", "CHANGE 7.50"]),
    "r002": ({"company": "PASAR MINI SEGAR", "date": "2019-11-30", "total": "RM8.00"},
             ["PASAR MINI SEGAR", "LOT 9, TAMAN INDAH", "30 NOV 2019", "ITEM(2) 2", "TOTAL RM 8.00"]),
}


@pytest.fixture
def folder(tmp_path, doc):
    for stem, (key, _) in RECEIPTS.items():
        (tmp_path / "img").mkdir(exist_ok=True)
        (tmp_path / "key").mkdir(exist_ok=True)
        cv2.imwrite(str(tmp_path / "img" / f"{stem}.jpg"), np.full((64, 64, 3), 255, np.uint8))
        (tmp_path / "key" / f"{stem}.json").write_text(json.dumps(key))
    (tmp_path / "img" / "r003.jpg").write_bytes(b"no key for this one")
    return tmp_path


def _reader(doc):
    texts = {f"{stem}.jpg": doc([(line, 40, 30 + 40 * i) for i, line in enumerate(lines)])
             for stem, (_, lines) in RECEIPTS.items()}
    calls = []

    def read(data: bytes, name: str):
        calls.append(name)
        return texts[name]

    return read, calls


def test_layout_split_and_samples(folder):
    assert is_sroie_layout(folder) and not is_sroie_layout(folder / "img")
    samples = load_samples(folder)
    assert [s.stem for s in samples] == ["r001", "r002"]  # r003 has no key
    tune, held = load_samples(folder, "tune"), load_samples(folder, "held-out")
    assert sorted(s.stem for s in tune + held) == ["r001", "r002"]
    assert all(split_of(s.stem) == "tune" for s in tune) and all(split_of(s.stem) == "held-out" for s in held)
    with pytest.raises(ValueError):
        load_samples(folder, "test")


def test_split_is_fixed_and_balanced():
    stems = [str(i) for i in range(150, 400)]
    parts = [split_of(s) for s in stems]
    assert parts == [split_of(s) for s in stems]  # a pure function of the name
    assert 100 <= parts.count("held-out") <= 150


@pytest.mark.parametrize(("key", "truth", "value", "normalised", "ok"), [
    ("company", "KEDAI AMAN  SDN BHD", "KEDAI AMAN SDN BHD", "KEDAIAMANSDNBHD", True),  # whitespace
    ("company", "KEDAI AMAN SDN BHD", "kedai aman sdn bhd", "KEDAIAMANSDNBHD", True),  # letter case
    ("company", "MR. D.I.Y. (M) SDN BHD", "MR.D.I.Y. (M)SDN BHD", "MRDIYMSDNBHD", True),  # spaces do not count
    ("company", "KEDAI AMAN SDN BHD", "KEDAI AMAN SDN. BHD.", "KEDAIAMANSDNBHD", False),  # punctuation counts
    ("company", "KEDAI AMAN SDN BHD", None, None, False),
    ("date", "03/04/2019", "03-04-19 10:22", "2019-04-03", True),  # same calendar day, other format
    ("date", "03/04/2019", "04/03/2019", "2019-03-04", False),
    ("date", "25032018", "25/03/2018", "2018-03-25", True),
    ("total", "RM8.00", "8.00", 8.0, True),  # equal amount
    ("total", "12.50", "12.48", 12.48, False),
])
def test_field_matching_is_sroie_task3_plus_same_day_and_equal_amount(key, truth, value, normalised, ok):
    assert field_matches(key, truth, value, normalised) is ok


def test_the_stricter_reading_keeps_spaces():
    assert not field_matches("company", "MR. D.I.Y.", "MR.D.I.Y.", None, strict=True)
    assert field_matches("company", "MR.  D.I.Y.", "mr. d.i.y.", None, strict=True)


def test_key_dates_with_two_digit_years():
    assert key_date("17-03-18") == "2018-03-17" and key_date("06/02/18") == "2018-02-06"
    assert key_date("not a date") is None


ANSWERS = {  # what a stand-in extractor reads on each receipt: r002's total is wrong, its seller missing
    "KEDAI RUNCIT AMAN SDN BHD": [("consignor_name", "KEDAI RUNCIT AMAN SDN BHD", "KEDAIRUNCITAMANSDNBHD"),
                                  ("invoice_date", "03-04-19", "2019-04-03"), ("total_value", "12.50", 12.5)],
    "PASAR MINI SEGAR": [("invoice_date", "30 NOV 2019", "2019-11-30"), ("total_value", "2", 2.0)],
}


def _stand_in(text):
    from smartinspect.documents.types import DocType, DocumentExtraction, ExtractedField

    found = ANSWERS[text.pages[0].lines[0].text]
    return DocumentExtraction(DocType.unknown, 0.0, "en", [ExtractedField(n, v, x, 0.9, 0) for n, v, x in found])


def test_evaluator_scores_each_field_and_caches_the_ocr(folder, doc, tmp_path):
    read, calls = _reader(doc)
    cache = tmp_path / "cache"
    samples = load_samples(folder)
    report = evaluate_sroie(samples, read, cache=cache, extract=_stand_in)
    summary = report.summary(("company", "date", "total"))
    assert summary["receipts"] == 2 and summary["failed"] == []
    fields = summary["fields"]
    assert fields["date"]["accuracy"] == 1.0
    assert fields["company"]["correct"] == 1 and fields["company"]["errors"] == {"abstained": 1}
    assert fields["company"]["answered"] == 1 and fields["company"]["precision"] == 1.0
    assert fields["total"]["correct"] == 1 and fields["total"]["precision"] == 0.5
    assert fields["total"]["errors"] == {"smaller amount (subtotal, tax, item)": 1}
    assert sorted(calls) == ["r001.jpg", "r002.jpg"] and len(list(cache.glob("*.json"))) == 2
    again = evaluate_sroie(samples, read, cache=cache, extract=_stand_in)  # from the cache: no second OCR
    assert len(calls) == 2 and again.summary(("total",))["fields"]["total"]["correct"] == 1


def test_an_unreadable_file_is_a_failed_receipt_not_a_crash(folder):
    def broken(data: bytes, name: str):
        raise ValueError("corrupt")

    summary = evaluate_sroie(load_samples(folder), broken).summary(("company", "total"))
    assert summary["failed"] == ["r001", "r002"]
    assert summary["fields"]["total"]["correct"] == 0 and summary["fields"]["total"]["errors"] == {"unreadable": 2}


def test_the_folders_own_transcription_stands_in_for_the_ocr(folder):
    """``--ocr truth``: box/<stem>.csv (eight corners, then the text, which may hold commas) read as one page, so
    the served extractor is scored without the recogniser's slips."""
    from smartinspect.documents.sroie import annotated_text, run

    (folder / "box").mkdir()
    for stem, (_, lines) in RECEIPTS.items():
        rows = [f"10,{30 + 40 * i},300,{30 + 40 * i},300,{60 + 40 * i},10,{60 + 40 * i},{line}"
                for i, line in enumerate(lines)]
        (folder / "box" / f"{stem}.csv").write_text("\n".join(rows + ["1,2,3,4,5,6,7,8,"]) + "\n")
    sample = load_samples(folder)[0]
    page = annotated_text(sample, sample.image.read_bytes()).pages[0]
    assert [line.text for line in page.lines] == RECEIPTS["r001"][1]  # the empty row is skipped
    assert page.lines[1].text == "NO 5, JALAN MAWAR 2, 43000 KAJANG" and page.lines[1].confidence == 1.0
    assert page.lines[0].bbox == (10.0, 30.0, 300.0, 60.0) and (page.width, page.height) == (64, 64)

    result = run(folder, split="all", keys=("company", "date", "total"), ocr="truth")
    assert result["ocr"] == "truth" and result["receipts"] == 2 and result["failed"] == []
    assert result["fields"]["date"]["accuracy"] == 1.0  # the real extractor, on the transcription
    assert result["fields"]["total"]["accuracy"] == 1.0

    (folder / "box" / "r002.csv").unlink()
    with pytest.raises(FileNotFoundError, match="box/"):
        annotated_text(load_samples(folder)[1], b"")
