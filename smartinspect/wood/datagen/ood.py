"""Inputs that are not end grain, for the "always abstain" test: photos of other things, X-ray images, documents,
noise. Photos and documents go through the same phone camera model as the wood; X-ray crops are digital exports.
"""

from __future__ import annotations

import cv2
import numpy as np

from smartinspect.wood.datagen.acquisition import jpeg_roundtrip, photograph
from smartinspect.wood.datagen.structure import smooth_noise

SCENES = ("sky", "foliage", "brick", "fabric", "granite", "metal", "cardboard", "sand", "skin", "concrete",
          "leather")


def _colour(rng: np.random.Generator, lo: tuple[int, int, int], hi: tuple[int, int, int]) -> np.ndarray:
    return (np.asarray(lo) + rng.uniform(0, 1) * (np.asarray(hi) - np.asarray(lo))).astype(np.float32) / 255


def _speckle(rng: np.random.Generator, n: int, base: np.ndarray, amount: float, blur: float = 0.8) -> np.ndarray:
    noise = cv2.GaussianBlur(rng.standard_normal((n, n), dtype=np.float32), (0, 0), blur)
    return np.clip(base * (1 + amount * noise[..., None]), 0, 1)


def render_scene(rng: np.random.Generator, scene: str, n: int) -> np.ndarray:
    """(n, n, 3) float32 RGB 0-1 of a non-wood surface or scene."""
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float32) / n
    if scene == "sky":
        top, bottom = _colour(rng, (40, 90, 180), (120, 170, 230)), _colour(rng, (170, 200, 235), (230, 240, 250))
        img = top + (bottom - top) * yy[..., None]
        clouds = np.clip(smooth_noise(rng, n, 4) - 0.3, 0, 1)[..., None]
        return np.clip(img * (1 - clouds) + 0.95 * clouds, 0, 1)
    if scene == "foliage":
        img = np.zeros((n, n, 3), np.float32) + _colour(rng, (20, 50, 15), (50, 90, 30))
        for _ in range(250):
            c = tuple(int(v) for v in (_colour(rng, (40, 90, 20), (130, 190, 70)) * 255))
            cv2.ellipse(img, (int(rng.integers(0, n)), int(rng.integers(0, n))),
                        (int(rng.integers(5, 30)), int(rng.integers(3, 12))), rng.uniform(0, 180), 0, 360,
                        tuple(v / 255 for v in c), -1)
        return cv2.GaussianBlur(img, (0, 0), 1.0)
    if scene == "brick":
        brick, mortar = _colour(rng, (140, 60, 40), (190, 100, 70)), _colour(rng, (170, 165, 155), (210, 205, 195))
        h = rng.uniform(0.08, 0.16)
        row = (yy / h).astype(int)
        shifted = xx + (row % 2) * h
        joint = ((yy / h) % 1 < 0.12) | ((shifted / (2 * h)) % 1 < 0.06)
        img = np.where(joint[..., None], mortar, brick)
        return _speckle(rng, n, img, 0.12, 1.5)
    if scene == "fabric":
        period = rng.uniform(6, 16)
        weave = 0.5 + 0.25 * (np.sin(2 * np.pi * xx * n / period) + np.sin(2 * np.pi * yy * n / period))
        return np.clip(_colour(rng, (30, 30, 60), (220, 200, 200)) * (0.7 + 0.4 * weave[..., None]), 0, 1)
    if scene in ("granite", "concrete", "sand"):
        ranges = {"granite": ((150, 140, 140), (200, 180, 175)), "concrete": ((140, 140, 135), (190, 190, 185)),
                  "sand": ((200, 175, 130), (230, 205, 160))}[scene]
        img = np.zeros((n, n, 3), np.float32) + _colour(rng, *ranges)
        spots = rng.random((n, n)) < (0.08 if scene == "granite" else 0.02)
        img[spots] *= rng.uniform(0.2, 0.6)
        return _speckle(rng, n, cv2.GaussianBlur(img, (0, 0), 0.8), 0.15 if scene == "sand" else 0.08)
    if scene == "metal":
        streaks = cv2.blur(rng.standard_normal((n, n), dtype=np.float32), (n // 4, 1))
        rot = cv2.getRotationMatrix2D((n / 2, n / 2), rng.uniform(0, 180), 1.0)
        streaks = cv2.warpAffine(streaks, rot, (n, n), borderMode=cv2.BORDER_REFLECT)
        return np.clip(_colour(rng, (140, 140, 145), (200, 200, 205)) * (1 + 0.4 * streaks[..., None]), 0, 1)
    if scene == "cardboard":
        flutes = 0.5 + 0.5 * np.sin(2 * np.pi * xx * n / rng.uniform(12, 24))
        img = _colour(rng, (170, 130, 85), (205, 165, 115)) * (0.9 + 0.1 * flutes[..., None])
        return _speckle(rng, n, img, 0.06, 1.2)
    if scene == "skin":
        img = _colour(rng, (190, 140, 115), (235, 190, 165)) * (1 + 0.05 * smooth_noise(rng, n, 3)[..., None])
        return _speckle(rng, n, np.clip(img, 0, 1), 0.03, 2.0)
    # leather: brown with a fine crackle network
    img = np.zeros((n, n, 3), np.float32) + _colour(rng, (90, 55, 30), (150, 95, 55))
    cells = (np.abs(smooth_noise(rng, n, 24)) < 0.08)[..., None]
    return _speckle(rng, n, np.where(cells, img * 0.6, img), 0.05, 1.0)


def render_document(rng: np.random.Generator, n: int) -> np.ndarray:
    """A photographed customs document: paper, printed lines, a table and a red seal. (n, n, 3) float32 0-1."""
    page = (np.ones((n, n, 3), np.float32) * _colour(rng, (235, 232, 220), (252, 252, 248)) * 255).astype(np.uint8)
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 /-.:"
    y = int(rng.integers(12, 30))
    scale = rng.uniform(0.35, 0.6)
    while y < n - 10:
        text = "".join(rng.choice(list(letters), size=int(rng.integers(10, 40))))
        cv2.putText(page, text, (int(rng.integers(5, 30)), y), cv2.FONT_HERSHEY_SIMPLEX, scale, (25, 25, 30), 1,
                    cv2.LINE_AA)
        y += int(rng.integers(14, 26))
    if rng.random() < 0.6:
        top = int(rng.integers(n // 4, n // 2))
        for k in range(5):
            cv2.line(page, (10, top + 22 * k), (n - 10, top + 22 * k), (50, 50, 50), 1)
    if rng.random() < 0.5:
        centre = (int(rng.integers(n // 4, 3 * n // 4)), int(rng.integers(n // 4, 3 * n // 4)))
        cv2.circle(page, centre, int(rng.integers(25, 50)), (200, 25, 25), 2, cv2.LINE_AA)
    return page.astype(np.float32) / 255


def render_xray_crop(rng: np.random.Generator, n: int) -> np.ndarray:
    """A crop of a synthetic container X-ray scan as an 8-bit export: gray or a colour map. (n, n, 3) uint8."""
    from smartinspect.xray.datagen import XrayGenConfig, generate_scan

    scan = generate_scan(rng, XrayGenConfig(dual_energy=False), container="20ft")
    high = scan.high.astype(np.float32)
    h, w = high.shape
    side = int(min(h, w) * rng.uniform(0.4, 1.0))
    y0, x0 = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
    crop = high[y0:y0 + side, x0:x0 + side]
    att = -np.log(np.clip(crop, 1, None) / max(float(crop.max()), 1.0))
    gray = (255 - np.clip(att / 6.0, 0, 1) * 255).astype(np.uint8)
    gray = cv2.resize(gray, (n, n), interpolation=cv2.INTER_AREA)
    if rng.random() < 0.5:
        cmap = [cv2.COLORMAP_JET, cv2.COLORMAP_HOT, cv2.COLORMAP_BONE, cv2.COLORMAP_AUTUMN][int(rng.integers(0, 4))]
        return cv2.cvtColor(cv2.applyColorMap(gray, cmap), cv2.COLOR_BGR2RGB)
    return np.repeat(gray[..., None], 3, axis=2)


def render_noise(rng: np.random.Generator, n: int) -> np.ndarray:
    """Noise frames: uniform, Gaussian around a colour (often a wood-like brown), salt and pepper, colour clouds."""
    kind = int(rng.integers(0, 4))
    if kind == 0:
        return rng.integers(0, 256, (n, n, 3), dtype=np.uint8)
    if kind == 1:
        mean = _colour(rng, (60, 30, 20), (230, 200, 160)) * 255
        return np.clip(mean + rng.normal(0, rng.uniform(15, 60), (n, n, 3)), 0, 255).astype(np.uint8)
    if kind == 2:
        img = np.full((n, n, 3), int(rng.integers(60, 200)), np.uint8)
        mask = rng.random((n, n))
        img[mask < 0.1], img[mask > 0.9] = 0, 255
        return img
    clouds = np.stack([smooth_noise(rng, n, int(rng.integers(4, 32))) for _ in range(3)], axis=2)
    return np.clip(128 + clouds * rng.uniform(20, 60), 0, 255).astype(np.uint8)


def render_ood(rng: np.random.Generator, kind: str, *, size: int) -> tuple[bytes, dict]:
    """One non-wood JPEG of ``kind`` (photo | xray | document | noise) and its parameters."""
    if kind == "photo":
        scene = SCENES[int(rng.integers(0, len(SCENES)))]
        rgb, camera = photograph(rng, render_scene(rng, scene, size))
        params = {"scene": scene, "camera": camera}
    elif kind == "document":
        rgb, camera = photograph(rng, render_document(rng, size))
        params = {"camera": camera}
    elif kind == "xray":
        rgb, params = render_xray_crop(rng, size), {}
    elif kind == "noise":
        rgb, params = render_noise(rng, size), {}
    else:
        raise ValueError(f"unknown OOD kind {kind!r}; valid: photo, xray, document, noise")
    jpeg, quality = jpeg_roundtrip(rng, rgb)
    return jpeg, params | {"kind": kind, "jpeg_quality": quality}
