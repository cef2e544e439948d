"""Rendered document pages with exact ground truth, for ``smartinspect bench ocr`` and the OCR tests.

Invoice/packing-list-like A4 pages (zh or en): a title, key-value header rows in two columns, a table, totals
and a footer, in the Noto CJK fonts from Debian's ``fonts-noto-cjk``. Every drawn text item is one ground-truth
line; items are spaced like real forms (columns well apart), so a line is what a reader would call one.
Degradations: small skew, scanner noise, blur, JPEG; ``photos`` pages are also turned by 90 or 180 degrees.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_DIR = Path("/usr/share/fonts/opentype/noto")
FONTS = ("NotoSansCJK-Regular.ttc", "NotoSerifCJK-Regular.ttc", "NotoSansCJK-Bold.ttc")
SC_INDEX = 2  # Simplified Chinese face inside the .ttc collections
PAGE = (1240, 1754)  # A4 at 150 DPI

ZH_COMPANIES = ("上海远航国际贸易有限公司", "深圳华信电子科技有限公司", "宁波港联物流有限公司", "青岛海晨进出口有限公司",
                "广州南方机械设备有限公司", "天津滨海化工有限公司")
EN_COMPANIES = ("Hamburg Tools GmbH", "Pacific Rim Trading Co., Ltd.", "Nordic Timber AB", "Osaka Precision Parts K.K.",
                "Rotterdam Food Ingredients B.V.", "Midwest Agricultural Exports LLC")
GOODS = (("笔记本电脑", "Laptop computers", "8471300000"), ("锂离子电池", "Lithium-ion batteries", "8507600090"),
         ("不锈钢螺栓", "Stainless steel bolts", "7318158001"), ("冷冻虾仁", "Frozen shrimp meat", "0306171100"),
         ("棉制针织T恤", "Cotton knitted T-shirts", "6109100021"), ("橡木锯材", "Sawn oak timber", "4407910010"),
         ("液压泵", "Hydraulic pumps", "8413503190"), ("咖啡豆", "Coffee beans, not roasted", "0901110000"))
PORTS = ("Shanghai", "Ningbo", "Qingdao", "Hamburg", "Rotterdam", "Los Angeles", "Busan", "Singapore")
ZH_TITLES = ("商业发票", "装箱单", "中华人民共和国海关进口货物报关单", "海运提单")
EN_TITLES = ("COMMERCIAL INVOICE", "PACKING LIST", "BILL OF LADING", "PROFORMA INVOICE")


@dataclass(frozen=True)
class BenchPage:
    name: str
    image: np.ndarray  # (H, W, 3) uint8 BGR
    lines: list[str]  # ground truth, reading order
    kind: str  # "scan" or "photo"


class _Canvas:
    def __init__(self, rng: np.random.Generator) -> None:
        self.image = Image.new("RGB", PAGE, "white")
        self.draw = ImageDraw.Draw(self.image)
        self.rows: list[list[tuple[int, str]]] = []
        self.font_file = FONT_DIR / FONTS[int(rng.integers(0, 2))]
        self._fonts: dict[tuple[str, int], ImageFont.FreeTypeFont] = {}

    def font(self, size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
        path = str(FONT_DIR / FONTS[2]) if bold else str(self.font_file)
        key = (path, size)
        if key not in self._fonts:
            self._fonts[key] = ImageFont.truetype(path, size, index=SC_INDEX)
        return self._fonts[key]

    def row(self, y: int, items: list[tuple[int, str]], size: int, *, bold: bool = False) -> None:
        font = self.font(size, bold)
        for x, text in items:
            self.draw.text((x, y), text, font=font, fill=(20, 20, 20))
        self.rows.append(sorted(items))

    def width(self, text: str, size: int) -> float:
        return self.draw.textlength(text, font=self.font(size))


def _container(rng: np.random.Generator) -> str:
    from smartinspect.domain.containers import iso6346_check_digit

    owner = "".join(rng.choice(list("ABCDEFGHIJKLMNOPRSTUVWXYZ"), 3)) + "U"
    first10 = owner + f"{int(rng.integers(0, 999_999)):06d}"
    return first10 + str(iso6346_check_digit(first10) % 10)


def _header_pairs(rng: np.random.Generator, zh: bool) -> list[str]:
    number = f"{int(rng.integers(2020, 2027))}{int(rng.integers(0, 10**6)):06d}"
    company = rng.choice(ZH_COMPANIES if zh else EN_COMPANIES)
    other = rng.choice(EN_COMPANIES)
    if zh:
        return [f"发票号: INV-{number}", f"日期: 2026-{int(rng.integers(1, 13)):02d}-{int(rng.integers(1, 29)):02d}",
                f"卖方: {other}", f"买方: {company}", f"集装箱号: {_container(rng)}", f"提单号: COSU{number[:8]}",
                f"装货港: {rng.choice(PORTS)}", f"卸货港: {rng.choice(PORTS)}", f"原产国: {rng.choice(['德国', '日本', '美国', '越南'])}",
                f"贸易条款: {rng.choice(['CIF', 'FOB', 'EXW', 'DAP'])} {rng.choice(PORTS)}"]
    return [f"Invoice No.: INV-{number}", f"Date: {int(rng.integers(1, 29))} Nov 2026", f"Seller: {other}",
            f"Buyer: {company}", f"Container No.: {_container(rng)}", f"B/L No.: MAEU{number[:9]}",
            f"Port of Loading: {rng.choice(PORTS)}", f"Port of Discharge: {rng.choice(PORTS)}",
            f"Country of Origin: {rng.choice(['Germany', 'Japan', 'USA', 'Viet Nam'])}",
            f"Incoterms: {rng.choice(['CIF', 'FOB', 'EXW', 'DAP'])} {rng.choice(PORTS)}"]


def render_page(rng: np.random.Generator, *, zh: bool) -> tuple[Image.Image, list[str]]:
    """A clean page and its ground-truth lines (reading order)."""
    canvas = _Canvas(rng)
    margin, y = 90, 90
    title = str(rng.choice(ZH_TITLES if zh else EN_TITLES))
    size = int(rng.integers(34, 44))
    canvas.row(y, [(int((PAGE[0] - canvas.width(title, size)) / 2), title)], size, bold=True)
    y += size + 40
    pairs = _header_pairs(rng, zh)[: int(rng.integers(6, 11))]
    size = int(rng.integers(20, 25))
    for i in range(0, len(pairs), 2):
        canvas.row(y, [(margin, pairs[i])] + ([(660, pairs[i + 1])] if i + 1 < len(pairs) else []), size)
        y += size + int(rng.integers(14, 24))
    y += 24
    columns = [margin, 175, 520, 700, 820, 940, 1060]
    head = ["序号", "品名", "HS编码", "数量", "单位", "单价", "金额"] if zh else \
        ["No.", "Description", "HS Code", "Qty", "Unit", "Price", "Amount"]
    size = int(rng.integers(19, 23))
    canvas.row(y, list(zip(columns, head, strict=True)), size, bold=True)
    y += size + 18
    total = 0.0
    for n in range(int(rng.integers(5, 13))):
        zh_name, en_name, hs = GOODS[int(rng.integers(0, len(GOODS)))]
        qty, price = int(rng.integers(1, 900)), float(rng.integers(100, 99_999)) / 100
        total += qty * price
        cells = [str(n + 1), zh_name if zh else en_name, hs, str(qty), "PCS" if rng.random() < 0.6 else "KG",
                 f"{price:,.2f}", f"{qty * price:,.2f}"]
        canvas.row(y, list(zip(columns, cells, strict=True)), size)
        y += size + int(rng.integers(12, 20))
    y += 20
    totals = [f"合计: USD {total:,.2f}", f"毛重: {rng.integers(500, 24000):,} KG", f"净重: {rng.integers(400, 20000):,} KG"] \
        if zh else [f"Total: USD {total:,.2f}", f"Gross Weight: {rng.integers(500, 24000):,} KG",
                    f"Net Weight: {rng.integers(400, 20000):,} KG"]
    size = int(rng.integers(20, 25))
    for line in totals:
        canvas.row(y, [(660, line)], size)
        y += size + 14
    y += 30
    footer = ["兹证明上述货物内容真实无误，原产地与申报一致。", "本发票一式三份，签字盖章后生效。"] if zh else \
        ["We hereby certify that the goods described above are true and correct.",
         "Payment: 30% T/T in advance, balance against copy of B/L."]
    for line in footer:
        canvas.row(y, [(margin, line)], 20)
        y += 36
    return canvas.image, [text for row in canvas.rows for _, text in row]


def degrade(image: Image.Image, rng: np.random.Generator, *, turn: int = 0) -> np.ndarray:
    """Scanner-like degradations: skew, noise, blur, JPEG; ``turn`` quarter turns clockwise (phone photo)."""
    page = np.asarray(image)[:, :, ::-1].copy()
    angle = float(rng.uniform(-1.5, 1.5))
    matrix = cv2.getRotationMatrix2D((page.shape[1] / 2, page.shape[0] / 2), angle, 1.0)
    page = cv2.warpAffine(page, matrix, (page.shape[1], page.shape[0]), borderValue=(255, 255, 255))
    if rng.random() < 0.5:
        page = cv2.GaussianBlur(page, (3, 3), 0.6)
    noise = rng.normal(0, float(rng.uniform(2, 8)), page.shape)
    page = np.clip(page.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    if turn:
        page = np.ascontiguousarray(np.rot90(page, k=-turn))
    quality = int(rng.integers(70, 95))
    buffer = io.BytesIO()
    Image.fromarray(page[:, :, ::-1]).save(buffer, format="JPEG", quality=quality)
    return cv2.imdecode(np.frombuffer(buffer.getvalue(), np.uint8), cv2.IMREAD_COLOR)


def make_bench_pages(n_pages: int, seed: int, *, photo_every: int = 6) -> list[BenchPage]:
    """``n_pages`` pages alternating zh/en; every ``photo_every``-th is turned 90 or 180 degrees."""
    rng = np.random.default_rng(seed)
    pages = []
    for i in range(n_pages):
        image, lines = render_page(rng, zh=i % 2 == 0)
        photo = photo_every > 0 and i % photo_every == photo_every - 1
        turn = int(rng.choice([1, 2, 3])) if photo else 0
        pages.append(BenchPage(f"page-{i:03d}", degrade(image, rng, turn=turn), lines, "photo" if photo else "scan"))
    return pages


def render_text_page(lines: list[str], *, size: int = 30, page: tuple[int, int] = PAGE, left: int = 100,
                     top: int = 120, gap: int = 40) -> np.ndarray:
    """A plain page with ``lines`` one under another (Noto Sans CJK SC), (H, W, 3) uint8 BGR: for tests."""
    image = Image.new("RGB", page, "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT_DIR / FONTS[0]), size, index=SC_INDEX)
    for i, text in enumerate(lines):
        draw.text((left, top + i * (size + gap)), text, font=font, fill=(0, 0, 0))
    return np.ascontiguousarray(np.asarray(image)[:, :, ::-1])
