"""Key-element extraction on hand-built OCR lines: label synonyms, value beside or under the label, split and
misread container numbers, Chinese labels, item tables."""

import pytest

from smartinspect.documents.extract import extract_document
from smartinspect.documents.types import DocType


@pytest.mark.parametrize("label", ["Invoice No.:", "INV#", "Invoice Number", "发票号码：", "Inv. No."])
def test_invoice_number_label_synonyms(doc, label):
    ex = extract_document(doc([("COMMERCIAL INVOICE", 400, 40), (f"{label} HX25-0871", 600, 120)]))
    assert ex.value("invoice_no") == "HX250871"
    assert ex.get("invoice_no").page == 0 and ex.get("invoice_no").polygons


def test_value_right_of_label_and_under_label(doc):
    ex = extract_document(doc([
        ("Port of Loading", 80, 200), ("Hamburg, Germany", 400, 200),  # beside
        ("Port of Discharge", 700, 200), ("SHANGHAI", 705, 230),  # under (a boxed cell)
    ]))
    assert ex.value("port_of_loading") == "DEHAM"
    assert ex.value("port_of_discharge") == "CNSHA"


def test_labels_do_not_take_a_neighbouring_label_as_value(doc):
    ex = extract_document(doc([("B/L No.", 80, 100), ("Vessel", 400, 100), ("COSU6312345670", 85, 130),
                                ("EVER GIVEN", 405, 130)]))
    assert ex.value("bl_no") == "COSU6312345670"
    assert ex.value("vessel") == "EVER GIVEN"


@pytest.mark.parametrize(("printed", "number", "confidence_at_least"), [
    ("CSQU3054383", "CSQU3054383", 0.9),
    ("CSQU 305438 3", "CSQU3054383", 0.9),  # spaced by the OCR
    ("CSQU 305438-3", "CSQU3054383", 0.9),
    ("C5QU3O54383", "CSQU3054383", 0.8),  # S read as 5, 0 read as O: repaired because the check digit then holds
])
def test_container_numbers_found_and_repaired(doc, printed, number, confidence_at_least):
    ex = extract_document(doc([("Container No.", 80, 100), (f"{printed} / SL123456 / 40HQ", 300, 100)]))
    assert ex.values("container_numbers") == [number]
    assert ex.get("container_numbers").confidence >= confidence_at_least * 0.98


def test_invalid_check_digit_is_kept_for_validation(doc):
    ex = extract_document(doc([("集装箱号：CSQU3054384 MSKU9070323", 80, 100)]))
    assert sorted(ex.values("container_numbers")) == ["CSQU3054384", "MSKU9070323"]


def test_chinese_declaration_labels(doc):
    ex = extract_document(doc([
        ("中华人民共和国海关进口货物报关单", 300, 40),
        ("预录入编号：961567944491404963", 640, 100), ("海关编号：531620261504418626", 640, 130),
        ("境内收货人", 80, 100), ("青岛华信进出口有限公司", 100, 130), ("(91370211869569762C)", 100, 160),
        ("境外发货人", 80, 200), ("BLUEWATER MEDICAL S.R.L.", 100, 230),
        ("运输工具名称及航次号：ONE STORK/255W", 640, 160), ("提运单号：ONEY3344780953", 640, 190),
        ("毛重(千克)：27,741.68", 640, 220), ("净重(千克)：25,394.38", 640, 250), ("成交方式：FOB", 640, 280),
        ("启运港：热那亚", 640, 310), ("入境口岸：盐田", 640, 340),
    ]), type_hint="declaration")
    assert ex.doc_type == DocType.declaration and ex.language == "zh"
    assert ex.value("declaration_no") == "531620261504418626"  # not the pre-entry number above it
    assert ex.value("consignee_name") == "青岛华信进出口有限公司"
    assert ex.value("consignee_uscc") == "91370211869569762C"
    assert ex.value("consignor_name") == "BLUEWATERMEDICALSRL"
    assert (ex.value("vessel"), ex.value("voyage")) == ("ONE STORK", "255W")
    assert ex.value("bl_no") == "ONEY3344780953"
    assert (ex.value("gross_weight"), ex.value("net_weight")) == (27741.68, 25394.38)
    assert (ex.value("incoterm"), ex.value("port_of_loading"), ex.value("port_of_discharge")) == ("FOB", "ITGOA",
                                                                                                   "CNYTN")


def test_party_block_with_wrapped_name_and_credit_code(doc):
    ex = extract_document(doc([
        ("Buyer:", 80, 100), ("GUANGZHOU XINGLONG SUPPLY CHAIN", 100, 130), ("MANAGEMENT CO., LTD.", 100, 160),
        ("NO. 12 BINHAI AVENUE, GUANGZHOU, CHINA", 100, 190), ("USCC: 91440115819317479C", 100, 220),
    ]))
    assert ex.value("consignee_name") == "GUANGZHOUXINGLONGSUPPLYCHAINMANAGEMENTCOLTD"
    assert ex.value("consignee_uscc") == "91440115819317479C"


def test_item_table_columns_by_position(doc):
    ex = extract_document(doc([
        ("COMMERCIAL INVOICE", 400, 40),
        ("No.", 80, 300), ("Description", 130, 300), ("HS Code", 500, 300), ("Qty", 650, 300), ("Unit", 720, 300),
        ("Unit Price", 800, 300), ("Amount", 960, 300),
        ("1", 80, 340), ("RED WINE", 130, 340), ("2204210000", 500, 340), ("4,644", 650, 340), ("BOTTLES", 720, 340),
        ("23.37", 800, 340), ("108,530.28", 960, 340),
        ("2", 80, 375), ("AC MOTOR", 130, 375), ("8501520000", 500, 375), ("618", 650, 375), ("UNITS", 720, 375),
        ("283.33", 800, 375), ("175,097.94", 960, 375),
        ("TOTAL: USD 283,628.22", 860, 430),
    ]))
    assert ex.doc_type == DocType.invoice
    assert [i.get("description") for i in ex.items] == ["REDWINE", "ACMOTOR"]
    assert [i.get("quantity") for i in ex.items] == [4644.0, 618.0]
    assert [i.get("unit") for i in ex.items] == ["BOTTLE", "UNIT"]
    assert sorted(ex.values("hs_codes")) == ["2204210000", "8501520000"]
    assert (ex.value("total_value"), ex.value("currency")) == (283628.22, "USD")
    assert not ex.get("total_value").derived


def test_merged_table_cells_are_split_by_position(doc):
    # The OCR merged quantity and unit into one line spanning both columns.
    ex = extract_document(doc([
        ("Description", 130, 300), ("Qty", 500, 300), ("Unit", 600, 300), ("Amount", 800, 300),
        ("COTTON T-SHIRT", 130, 340), ("1,200 PCS", 520, 340), ("2,400.00", 800, 340),
    ]))
    assert ex.items[0].get("quantity") == 1200.0 and ex.items[0].get("unit") == "PCS"
    assert ex.items[0].get("amount") == 2400.0


def test_table_total_row_gives_totals(doc):
    ex = extract_document(doc([
        ("PACKING LIST", 400, 40),
        ("Description", 130, 300), ("Qty", 500, 300), ("Packages", 600, 300), ("N.W. (KG)", 750, 300),
        ("G.W. (KG)", 900, 300),
        ("BALL VALVE", 130, 340), ("800", 500, 340), ("20", 600, 340), ("1,520.00", 750, 340), ("1,610.50", 900, 340),
        ("TOTAL", 130, 380), ("20", 600, 380), ("1,520.00", 750, 380), ("1,610.50", 900, 380),
    ]))
    assert ex.doc_type == DocType.packing_list
    assert (ex.value("packages"), ex.value("net_weight"), ex.value("gross_weight")) == (20, 1520.0, 1610.5)


def test_type_hint_is_a_prior_not_an_override(doc):
    lines = [("BILL OF LADING", 400, 40), ("Shipper", 80, 100), ("Notify Party", 80, 200)]
    assert extract_document(doc(lines), type_hint="invoice").doc_type == DocType.bill_of_lading
    assert extract_document(doc([("Page 2", 80, 80)]), type_hint="invoice").doc_type == DocType.invoice
    assert extract_document(doc([("Page 2", 80, 80)])).doc_type == DocType.unknown


def test_confidence_combines_ocr_and_rule(doc):
    ex = extract_document(doc([("Invoice No.: HX25-0871", 80, 100)], confidence=0.5))
    assert 0.4 < ex.get("invoice_no").confidence <= 0.5


def test_cells_merged_by_the_ocr_are_split_at_a_second_label(doc):
    ex = extract_document(doc([
        ("Shipper WUHAN HONGDA INDUSTRIAL CO., LTD. Consignee TRIDENT INDUSTRIES S.A.", 60, 100),
        ("NOTIFY PARTY SAME AS CONSIGNEE", 60, 300),
    ]))
    assert ex.value("consignor_name") == "WUHANHONGDAINDUSTRIALCOLTD"
    assert ex.value("consignee_name") == "TRIDENTINDUSTRIESSA"


def test_a_row_of_form_boxes_is_not_an_item_table(doc):
    ex = extract_document(doc([
        ("BILL OF LADING", 60, 40),
        ("TOTAL G.W.", 70, 347), ("CONTAINER NO.", 443, 347), ("DESCRIPTION OF GOODS", 810, 347),
        ("42,811.10 KG", 77, 377), ("HLXU7966111 / H8985957 / 40GP", 446, 378), ("BALL VALVE HS CODE:", 811, 378),
        ("848180", 811, 412),
    ]))
    assert not ex.items
    assert ex.value("gross_weight") == 42811.1
    assert ex.values("container_numbers") == ["HLXU7966111"] and ex.values("hs_codes") == ["848180"]


def test_a_label_near_the_top_is_not_a_title(doc):
    ex = extract_document(doc([("PACKING LIST", 60, 60), ("INVOICE NO.", 70, 145), ("24HX68441", 78, 172),
                               ("N.W.", 70, 300), ("G.W.", 400, 300)]))
    assert ex.doc_type == DocType.packing_list
