"""Everyday invoices and receipts (not customs paperwork) for the general invoice profile: a shop till receipt,
a Chinese VAT invoice (增值税普通发票) and a service invoice, each with its seller, date and total as truth.

They are made here, not real scans (no real receipts with a licence we could state were found on this machine
or in the installed packages); they share nothing with the customs layouts but the fonts and degradations.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from smartinspect.documents.datagen import catalog as cat
from smartinspect.documents.datagen.canvas import Canvas, Style
from smartinspect.documents.datagen.degrade import degrade_page
from smartinspect.documents.datagen.labels import pick

STYLES = ("till", "fapiao", "service")
_SHOPS = ("MART", "MINI MARKET", "BAKERY", "PHARMACY", "HARDWARE", "BOOKSTORE", "CAFE", "RESTAURANT")
_ITEMS = ("MINERAL WATER", "WHITE BREAD", "INSTANT NOODLES", "COFFEE 3IN1", "DETERGENT 2KG", "TOOTHPASTE",
          "NOTEBOOK A5", "AA BATTERY 4S", "FRESH MILK 1L", "RICE 5KG", "COOKING OIL", "TISSUE PACK")


def _money(v: float) -> str:
    return f"{v:,.2f}"


def _till(rng: np.random.Generator, day: dt.date) -> tuple[Canvas, dict]:
    c = Canvas(640, 1500)
    mono = Style("DejaVu Sans Mono", 20)
    seller = f"{pick(rng, cat.FOREIGN_STEMS)} {pick(rng, _SHOPS)} {pick(rng, ('SDN BHD', 'PTE LTD', 'ENTERPRISE', 'LTD'))}"
    y = 40.0
    y = c.text(320, y, seller, Style("DejaVu Sans Mono", 24, True), align="center")[3] + 8
    for line in (f"{int(rng.integers(1, 300))} JALAN {pick(rng, cat.FOREIGN_STEMS)}", f"TEL: 03-{int(rng.integers(1e7, 1e8))}",
                 f"GST REG NO: {int(rng.integers(1e11, 1e12))}"):
        y = c.text(320, y, line, mono, align="center")[3] + 6
    y = c.text(30, y + 20, f"DATE: {day:%d/%m/%Y} {int(rng.integers(8, 22)):02d}:{int(rng.integers(0, 60)):02d}", mono)[3] + 6
    y = c.text(30, y, f"RECEIPT NO: {int(rng.integers(10000, 99999))}", mono)[3] + 20
    subtotal = 0.0
    for _ in range(int(rng.integers(2, 8))):
        price = round(float(rng.uniform(1, 40)), 2)
        subtotal += price
        c.text(30, y, pick(rng, _ITEMS), mono)
        y = c.text(610, y, _money(price), mono, align="right")[3] + 6
    tax = round(subtotal * 0.06, 2)
    total = round(subtotal + tax, 2)
    y += 14
    for label, value, bold in (("SUB TOTAL", subtotal, False), ("GST 6%", tax, False), ("TOTAL", total, True),
                               ("CASH", total + 10, False), ("CHANGE", 10.0, False)):
        style = Style(mono.family, 22 if bold else 20, bold)
        c.text(30, y, label if label != "TOTAL" else pick(rng, ("TOTAL", "TOTAL RM", "TOTAL AMOUNT")), style)
        y = c.text(610, y, _money(value), style, align="right")[3] + 8
    c.text(320, y + 30, "THANK YOU, PLEASE COME AGAIN", mono, align="center")
    return c, {"seller": seller, "date": day.isoformat(), "total": total}


def _fapiao(rng: np.random.Generator, day: dt.date) -> tuple[Canvas, dict]:
    c = Canvas(1240, 820)
    zh, small = Style("Noto Serif CJK SC", 24), Style("Noto Sans CJK SC", 20)
    _, city_zh, _ = pick(rng, cat.CN_CITIES)
    buyer = f"{city_zh}{pick(rng, cat.CN_WORDS)[1]}{pick(rng, cat.CN_KINDS)[1]}"
    seller = f"{pick(rng, cat.CN_CITIES)[1]}{pick(rng, cat.CN_WORDS)[1]}{pick(rng, ('商贸有限公司', '餐饮管理有限公司', '科技有限公司'))}"
    c.text(620, 30, f"{city_zh}增值税普通发票", Style("Noto Serif CJK SC", 34, True, (150, 60, 40)), align="center")
    c.text(880, 90, f"开票日期：{day.year}年{day.month:02d}月{day.day:02d}日", small)
    c.text(880, 120, f"发票号码：{int(rng.integers(1e7, 1e8))}", small)
    c.rect((40, 160, 1200, 700), width=2, outline=(150, 60, 40))
    c.text(60, 175, "购买方", small)
    c.text(160, 175, f"名称：{buyer}", zh)
    c.text(160, 210, f"纳税人识别号：{int(rng.integers(1e14, 1e15))}", small)
    c.rule(40, 250, 1200, 250, color=(150, 60, 40))
    y = 265.0
    for header, x in (("货物或应税劳务名称", 60), ("数量", 560), ("单价", 680), ("金额", 840), ("税额", 1010)):
        c.text(x, y, header, small)
    total = 0.0
    y += 40
    for _ in range(int(rng.integers(1, 4))):
        qty, price = int(rng.integers(1, 20)), round(float(rng.uniform(5, 500)), 2)
        amount, tax = round(qty * price, 2), round(qty * price * 0.13, 2)
        total += amount + tax
        for text, x in ((pick(rng, cat.GOODS).name_zh, 60), (str(qty), 560), (_money(price), 680), (_money(amount), 840),
                        (_money(tax), 1010)):
            c.text(x, y, text, small)
        y += 34
    total = round(total, 2)
    c.rule(40, 540, 1200, 540, color=(150, 60, 40))
    c.text(60, 555, "价税合计（大写）", small)
    c.text(780, 555, f"（小写）¥{total:.2f}", zh)
    c.rule(40, 600, 1200, 600, color=(150, 60, 40))
    c.text(60, 615, "销售方", small)
    c.text(160, 615, f"名称：{seller}", zh)
    c.text(160, 650, f"纳税人识别号：{int(rng.integers(1e14, 1e15))}", small)
    c.text(60, 720, f"收款人：{pick(rng, ('王芳', '李静', '张伟'))}    开票人：{pick(rng, ('刘洋', '陈晨', '赵敏'))}", small)
    return c, {"seller": seller, "date": day.isoformat(), "total": total}


def _service(rng: np.random.Generator, day: dt.date) -> tuple[Canvas, dict]:
    c = Canvas(1240, 1300)
    body = Style(pick(rng, ("DejaVu Sans", "DejaVu Serif")), 22)
    seller = f"{pick(rng, cat.FOREIGN_STEMS)} {pick(rng, ('CONSULTING', 'DESIGN STUDIO', 'IT SERVICES', 'CLEANING'))} " \
             f"{pick(rng, ('LLC', 'LTD', 'INC.', 'GMBH'))}"
    c.text(80, 70, seller, Style(body.family, 34, True))
    c.text(80, 120, f"{int(rng.integers(1, 900))} Market Street · billing@example.com", body)
    c.text(1160, 70, "INVOICE", Style(body.family, 40, True), align="right")
    c.text(760, 150, f"Invoice Date: {day:%B %d, %Y}", body)
    c.text(760, 185, f"Invoice #: {int(rng.integers(1000, 9999))}", body)
    c.text(80, 230, "Bill To:", Style(body.family, 22, True))
    c.text(80, 262, f"{pick(rng, cat.FOREIGN_STEMS)} {pick(rng, cat.FOREIGN_TRADES)} CO.", body)
    y = 360.0
    c.text(80, y, "Description", Style(body.family, 22, True))
    c.text(1160, y, "Amount", Style(body.family, 22, True), align="right")
    y += 44
    subtotal = 0.0
    for _ in range(int(rng.integers(1, 5))):
        amount = round(float(rng.uniform(80, 4000)), 2)
        subtotal += amount
        c.text(80, y, pick(rng, ("Consulting hours", "Monthly maintenance", "Design work", "Hosting", "Support plan")), body)
        y = c.text(1160, y, f"${_money(amount)}", body, align="right")[3] + 14
    tax = round(subtotal * 0.08, 2)
    total = round(subtotal + tax, 2)
    for label, value in (("Subtotal", subtotal), ("Tax (8%)", tax), (pick(rng, ("Total Due", "Amount Due", "Total")), total)):
        c.text(760, y + 20, label, body)
        y = c.text(1160, y + 20, f"${_money(value)}", body, align="right")[3]
    return c, {"seller": seller, "date": day.isoformat(), "total": total}


def generate_receipt(rng: np.random.Generator, style: str) -> tuple[np.ndarray, dict]:
    """One degraded receipt image (BGR) and its truth ``{seller, date, total, style}``."""
    day = dt.date(2023, 1, 1) + dt.timedelta(days=int(rng.integers(0, 1000)))
    canvas, truth = {"till": _till, "fapiao": _fapiao, "service": _service}[style](rng, day)
    mode = str(rng.choice(["clean", "scan", "phone"], p=[0.2, 0.4, 0.4]))
    out = degrade_page(np.asarray(canvas.image), [], rng, mode=mode, strength=float(rng.uniform(0.2, 0.7)))
    return out.image, {**truth, "style": style, "degradation": mode}
