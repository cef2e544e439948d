"""How documents print things: label variants (en, zh) per field, and number, date and unit formats.

The extractor has its own lexicon (smartinspect/documents/fields.py); this one is the printer's, with the
variety real paperwork shows ("Invoice No." / "INV#" / "发票号码").
"""

from __future__ import annotations

import datetime as dt

import numpy as np

LABELS: dict[str, dict[str, tuple[str, ...]]] = {
    "invoice_no": {"en": ("Invoice No.", "INVOICE NO.", "Invoice Number", "INV#", "Inv. No."),
                   "zh": ("发票号码", "发票号", "发票编号")},
    "invoice_date": {"en": ("Date", "Invoice Date", "DATE", "Date of Invoice", "Issue Date"),
                     "zh": ("发票日期", "日期", "开票日期")},
    "contract_no": {"en": ("Contract No.", "S/C No.", "Order No.", "P.O. No."), "zh": ("合同号", "合同协议号")},
    "seller": {"en": ("Seller", "SELLER", "Exporter", "Shipper/Exporter", "Sold by", "Vendor"),
               "zh": ("卖方", "出口商", "卖方/出口商")},
    "buyer": {"en": ("Buyer", "BUYER", "Consignee", "Sold to", "Messrs.", "Importer", "Bill to"),
              "zh": ("买方", "进口商", "收货人", "买方/收货人")},
    "shipper": {"en": ("Shipper", "SHIPPER", "Shipper/Exporter", "Consignor"), "zh": ("托运人", "发货人")},
    "consignee": {"en": ("Consignee", "CONSIGNEE", "Consigned to", "Ship to"), "zh": ("收货人",)},
    "notify": {"en": ("Notify Party", "NOTIFY PARTY", "Also notify"), "zh": ("通知方", "通知人")},
    "port_of_loading": {"en": ("Port of Loading", "From", "Port of Shipment", "POL", "Loading Port"),
                        "zh": ("装货港", "起运港", "启运港")},
    "port_of_discharge": {"en": ("Port of Discharge", "To", "Destination", "POD", "Port of Destination"),
                          "zh": ("卸货港", "目的港", "指运港")},
    "vessel": {"en": ("Vessel", "Ocean Vessel", "Vessel Name", "Carrier", "Shipped per"), "zh": ("船名", "运输工具名称")},
    "voyage": {"en": ("Voyage No.", "Voy. No.", "Voyage"), "zh": ("航次", "航次号")},
    "vessel_voyage": {"en": ("Vessel/Voyage", "Ocean Vessel/Voy. No.", "Vessel & Voyage"),
                      "zh": ("运输工具名称及航次号", "船名航次")},
    "bl_no": {"en": ("B/L No.", "Bill of Lading No.", "B/L NO.", "BL Number"), "zh": ("提单号", "提运单号")},
    "incoterm": {"en": ("Terms of Delivery", "Incoterms", "Price Terms", "Trade Terms", "Delivery Terms"),
                 "zh": ("成交方式", "价格条款", "贸易术语")},
    "currency": {"en": ("Currency",), "zh": ("币制", "币种")},
    "origin_country": {"en": ("Country of Origin", "Origin", "Made in", "COUNTRY OF ORIGIN"),
                       "zh": ("原产国", "原产国(地区)", "原产地")},
    "total_value": {"en": ("TOTAL", "Total Amount", "TOTAL VALUE", "Grand Total", "Invoice Total"),
                    "zh": ("合计", "总金额", "总计")},
    "gross_weight": {"en": ("Gross Weight", "G.W.", "Total G.W.", "GROSS WEIGHT"), "zh": ("毛重", "毛重(千克)")},
    "net_weight": {"en": ("Net Weight", "N.W.", "Total N.W.", "NET WEIGHT"), "zh": ("净重", "净重(千克)")},
    "packages": {"en": ("No. of Packages", "Packages", "Total Packages", "Quantity of Packages"),
                 "zh": ("件数", "总件数")},
    "containers": {"en": ("Container No.", "Container Nos.", "Containers", "CNTR NO."),
                   "zh": ("集装箱号", "箱号")},
    "declaration_no": {"zh": ("海关编号", "报关单号")},
    "pre_entry_no": {"zh": ("预录入编号",)},
    "uscc": {"en": ("USCC", "USCC No.", "Unified Social Credit Code", "Tax ID"),
             "zh": ("统一社会信用代码", "信用代码")},
}

# Item-table column headers.
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "no": {"en": ("No.", "Item", "#"), "zh": ("项号", "序号")},
    "description": {"en": ("Description of Goods", "Description", "Commodity", "Goods"),
                    "zh": ("商品名称", "货物名称", "品名")},
    "hs_code": {"en": ("HS Code", "H.S. Code", "HS No.", "Tariff No."), "zh": ("商品编号", "海关编码", "HS编码")},
    "quantity": {"en": ("Quantity", "Qty", "QTY"), "zh": ("数量",)},
    "unit": {"en": ("Unit", "UOM"), "zh": ("单位",)},
    "unit_price": {"en": ("Unit Price", "Price", "U/Price"), "zh": ("单价",)},
    "amount": {"en": ("Amount", "Total", "Value", "Total Price"), "zh": ("总价", "金额")},
    "currency": {"en": ("Curr.",), "zh": ("币制",)},
    "origin": {"en": ("Origin",), "zh": ("原产国(地区)", "原产国")},
    "packages": {"en": ("Packages", "Pkgs", "CTNS"), "zh": ("件数", "箱数")},
    "net_kg": {"en": ("N.W. (KG)", "Net Wt. (KGS)", "Net Weight"), "zh": ("净重(千克)", "净重")},
    "gross_kg": {"en": ("G.W. (KG)", "Gross Wt. (KGS)", "Gross Weight"), "zh": ("毛重(千克)", "毛重")},
}

UNIT_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "PCS": {"en": ("PCS", "PIECES", "PC"), "zh": ("个", "件")},
    "UNIT": {"en": ("UNITS", "UNIT", "SETS"), "zh": ("台",)},
    "SET": {"en": ("SETS", "SET"), "zh": ("套",)},
    "PAIR": {"en": ("PAIRS", "PRS"), "zh": ("双",)},
    "KG": {"en": ("KGS", "KG"), "zh": ("千克",)},
    "BOTTLE": {"en": ("BOTTLES", "BTLS"), "zh": ("瓶",)},
    "M3": {"en": ("M3", "CBM"), "zh": ("立方米",)},
    "M": {"en": ("M", "METERS", "MTRS"), "zh": ("米",)},
}
# "UNIT" goods printed as SETS would change meaning; keep the printed word within the unit's own list.
UNIT_WORDS["UNIT"]["en"] = ("UNITS", "UNIT")

CURRENCY_WORDS_ZH = {"USD": "美元", "EUR": "欧元", "JPY": "日元", "CNY": "人民币", "GBP": "英镑", "HKD": "港币",
                     "AUD": "澳大利亚元"}
CURRENCY_SYMBOLS = {"USD": "US$", "EUR": "€", "GBP": "£", "JPY": "JP¥", "CNY": "RMB", "HKD": "HK$", "AUD": "A$"}

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
MONTHS_LONG = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December")


def pick(rng: np.random.Generator, options):
    return options[int(rng.integers(len(options)))]


def label(rng: np.random.Generator, key: str, lang: str, table: dict = LABELS) -> str:
    variants = table[key]
    return pick(rng, variants.get(lang) or variants["en"])


def format_date(iso: str, style: int) -> str:
    d = dt.date.fromisoformat(iso)
    return (
        d.isoformat(),
        f"{d.day:02d}/{d.month:02d}/{d.year}",
        f"{MONTHS[d.month - 1].title()}. {d.day}, {d.year}",
        f"{d.day:02d} {MONTHS[d.month - 1]} {d.year}",
        f"{d.day:02d}.{d.month:02d}.{d.year}",
        f"{MONTHS_LONG[d.month - 1]} {d.day}, {d.year}",
        f"{d.year}{d.month:02d}{d.day:02d}",
    )[style]


def format_date_zh(iso: str, style: int) -> str:
    d = dt.date.fromisoformat(iso)
    return (f"{d.year}年{d.month}月{d.day}日", d.isoformat(), f"{d.year}{d.month:02d}{d.day:02d}",
            f"{d.year}/{d.month:02d}/{d.day:02d}")[style]


def format_number(value: float, decimals: int, style: str) -> str:
    """``style``: "comma" 12,345.60 | "plain" 12345.60 | "euro" 12.345,60."""
    text = f"{value:,.{decimals}f}"
    if style == "plain":
        return text.replace(",", "")
    if style == "euro":
        return text.replace(",", "_").replace(".", ",").replace("_", ".")
    return text


def format_quantity(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")
