"""A page to print on (PIL), which remembers every text line it drew: text, box and role.

Fonts come from Debian packages installed by scripts/setup.sh: fonts-noto-cjk (required: Chinese) and
fonts-dejavu-core (Latin variety; skipped if absent).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

NOTO_DIRS = (Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/noto-cjk"))
DEJAVU_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)

# family name -> (regular file, bold file, face index inside a .ttc)
_FAMILIES: dict[str, tuple[str, str, int]] = {
    "Noto Sans CJK SC": ("NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc", 2),
    "Noto Serif CJK SC": ("NotoSerifCJK-Regular.ttc", "NotoSerifCJK-Bold.ttc", 2),
    "Noto Sans Mono CJK SC": ("NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc", 7),
    "DejaVu Sans": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", 0),
    "DejaVu Serif": ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", 0),
    "DejaVu Sans Mono": ("DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf", 0),
    "DejaVu Sans Condensed": ("DejaVuSansCondensed.ttf", "DejaVuSansCondensed-Bold.ttf", 0),
}
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Serif CJK SC", "Noto Sans Mono CJK SC")
LATIN_FAMILIES = ("DejaVu Sans", "DejaVu Serif", "DejaVu Sans Mono", "DejaVu Sans Condensed", "Noto Sans CJK SC",
                  "Noto Serif CJK SC")


class FontsMissing(RuntimeError):
    """The CJK fonts are not installed (run ./scripts/setup.sh, which installs fonts-noto-cjk)."""


def _find(filename: str) -> Path | None:
    for folder in NOTO_DIRS + DEJAVU_DIRS:
        if (folder / filename).is_file():
            return folder / filename
    return None


@lru_cache
def available_families() -> tuple[str, ...]:
    found = tuple(name for name, (regular, bold, _) in _FAMILIES.items() if _find(regular) and _find(bold))
    if not any(name in found for name in CJK_FAMILIES):
        raise FontsMissing("no Noto CJK font found in /usr/share/fonts/opentype/noto: install fonts-noto-cjk "
                           "(./scripts/setup.sh does)")
    return found


@lru_cache(maxsize=256)
def font(family: str, size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    regular, bold_file, index = _FAMILIES[family]
    path = _find(bold_file if bold else regular)
    if path is None:
        raise FontsMissing(f"font file for {family!r} not found")
    return ImageFont.truetype(str(path), size, index=index)


@dataclass(frozen=True)
class Style:
    family: str
    size: int
    bold: bool = False
    color: tuple[int, int, int] = (20, 20, 20)


@dataclass
class DrawnLine:
    text: str
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 on the clean page
    role: str = "text"  # "text" (in text_lines) or "stamp" (kept apart: red ink over print)


class Canvas:
    """A white page; ``text`` draws one line and records it."""

    def __init__(self, width: int, height: int, paper: tuple[int, int, int] = (255, 255, 255)) -> None:
        self.width, self.height = width, height
        self.image = Image.new("RGB", (width, height), paper)
        self.draw = ImageDraw.Draw(self.image)
        self.lines: list[DrawnLine] = []

    def measure(self, text: str, style: Style) -> tuple[int, int]:
        _, _, x2, y2 = self.draw.textbbox((0, 0), text, font=font(style.family, style.size, style.bold))
        return x2, max(style.size, y2)

    def text(self, x: float, y: float, text: str, style: Style, *, align: str = "left",
             role: str = "text") -> tuple[float, float, float, float]:
        """Draw ``text`` with its top-left (or top-right for ``align="right"``, centre for "center") at (x, y)."""
        if not text:
            return (x, y, x, y)
        width, _ = self.measure(text, style)
        if align == "right":
            x -= width
        elif align == "center":
            x -= width / 2
        f = font(style.family, style.size, style.bold)
        self.draw.text((x, y), text, font=f, fill=style.color)
        bx1, by1, bx2, by2 = self.draw.textbbox((x, y), text, font=f)
        box = (float(bx1), float(by1), float(bx2), float(by2))
        self.lines.append(DrawnLine(text, box, role))
        return box

    def rule(self, x1: float, y1: float, x2: float, y2: float, width: int = 2, color=(40, 40, 40)) -> None:
        self.draw.line([(x1, y1), (x2, y2)], fill=color, width=width)

    def rect(self, box, width: int = 2, outline=(40, 40, 40), fill=None) -> None:
        self.draw.rectangle(box, outline=outline, width=width, fill=fill)

    def stamp(self, rng: np.random.Generator, cx: float, cy: float, words: list[str], family: str) -> None:
        """A red company seal: a ring, a star and short horizontal words, blended like ink over the print."""
        radius = float(rng.uniform(80, 110))
        size = int(2 * radius + 20)
        layer = Image.new("RGBA", (size, size), (0, 0, 0, 0))
        draw = ImageDraw.Draw(layer)
        c = size / 2
        red = (int(rng.integers(180, 230)), int(rng.integers(20, 60)), int(rng.integers(30, 70)),
               int(rng.integers(150, 210)))
        draw.ellipse([c - radius, c - radius, c + radius, c + radius], outline=red, width=6)
        star = [(c + 26 * np.cos(a) * (1 if k % 2 == 0 else 0.4), c - 40 + 26 * np.sin(a) * (1 if k % 2 == 0 else 0.4))
                for k, a in enumerate(np.linspace(-np.pi / 2, 1.5 * np.pi, 11)[:-1])]
        draw.polygon(star, fill=red)
        y = c + 2
        for word in words:
            f = font(family, 22, True)
            w = draw.textbbox((0, 0), word, font=f)[2]
            draw.text((c - w / 2, y), word, font=f, fill=red)
            self.lines.append(DrawnLine(word, (cx - w / 2, cy - c + y, cx + w / 2, cy - c + y + 24), "stamp"))
            y += 30
        rotated = layer.rotate(float(rng.uniform(-25, 25)), resample=Image.BICUBIC)
        self.image.paste(rotated, (int(cx - c), int(cy - c)), rotated)
        self.draw = ImageDraw.Draw(self.image)
