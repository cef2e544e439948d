"""The general invoice profile (seller, date, total) on hand-built receipts and invoices."""

import pytest

from smartinspect.documents.profiles import extract_invoice_profile, score_profile


def test_till_receipt(doc):
    p = extract_invoice_profile(doc([
        ("ALPINE MINI MARKET SDN BHD", 120, 40), ("12 JALAN ORION", 200, 75), ("TEL: 03-12345678", 190, 105),
        ("DATE: 22/03/2025 14:05", 30, 160), ("MINERAL WATER", 30, 220), ("3.50", 520, 220),
        ("SUB TOTAL", 30, 300), ("98.18", 520, 300), ("GST 6%", 30, 330), ("5.89", 520, 330),
        ("TOTAL RM", 30, 360), ("104.07", 520, 360), ("CASH", 30, 390), ("114.07", 520, 390),
    ]))
    assert p.seller.normalised == "ALPINEMINIMARKETSDNBHD"
    assert p.date.normalised == "2025-03-22"
    assert p.total.normalised == 104.07  # not the subtotal, not the cash tendered


def test_chinese_vat_invoice_names_the_seller_not_the_buyer(doc):
    p = extract_invoice_profile(doc([
        ("厦门增值税普通发票", 400, 30), ("开票日期：2023年11月21日", 800, 90),
        ("购买方", 60, 175), ("名称：厦门明达实业有限公司", 160, 175),
        ("价税合计（大写）", 60, 555), ("（小写）¥1454.93", 780, 555),
        ("销售方", 60, 615), ("名称：深圳联华餐饮管理有限公司", 160, 615),
    ]))
    assert p.seller.normalised == "深圳联华餐饮管理有限公司"
    assert (p.date.normalised, p.total.normalised) == ("2023-11-21", 1454.93)


def test_amount_in_words_is_not_the_total(doc):
    p = extract_invoice_profile(doc([
        ("SAKURA CONSULTING LLC", 80, 60), ("Invoice Date: July 15, 2024", 700, 150),
        ("Total Due", 700, 500), ("$3,668.55", 1000, 500), ("SAY US DOLLARS TOTAL 3,669 ONLY", 80, 560),
    ]))
    assert p.total.normalised == 3668.55 and p.currency == "USD"


@pytest.mark.parametrize(("pred_seller", "ok"), [("SAKURA CONSULTING LLC", True), ("SAKURA CONSULTNG LLC", True),
                                                 ("OTHER COMPANY", False)])
def test_score_profile_seller_similarity(doc, pred_seller, ok):
    p = extract_invoice_profile(doc([(pred_seller, 80, 60), ("Date: 2024-07-15", 80, 100), ("TOTAL: 12.00", 80, 140)]))
    scores = score_profile(p, {"seller": "SAKURA CONSULTING LLC", "date": "2024-07-15", "total": 12.0})
    assert scores["seller"] == ((1, 0, 0) if ok else (0, 1, 1))
    assert scores["date"] == (1, 0, 0) and scores["total"] == (1, 0, 0)


def test_empty_page():
    from smartinspect.ocr.types import DocumentText, PageText

    p = extract_invoice_profile(DocumentText([PageText(0, 100, 100, "ocr", 0.0, [])], "image/png"))
    assert (p.seller, p.date, p.total) == (None, None, None)
