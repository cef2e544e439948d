"""Degradations of a clean page: flat-bed scan or phone photo, with a strength in [0, 1].

Every geometric step is one homography, so the ground-truth line boxes map exactly onto the degraded page.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

MODES = ("clean", "scan", "phone")


@dataclass(frozen=True)
class Degraded:
    image: np.ndarray  # (H, W, 3) uint8 BGR
    polygons: list[list[tuple[float, float]]]  # one 4-point polygon per input box, clockwise from top-left
    mode: str
    angle: float  # in-plane rotation applied, degrees counter-clockwise (quarter turns included)
    jpeg_quality: int | None  # None: lossless


def _rotation(angle_deg: float, w: float, h: float) -> tuple[np.ndarray, int, int]:
    """Homography rotating about the centre onto a canvas that holds the whole rotated page."""
    a = np.deg2rad(angle_deg)
    cos, sin = abs(np.cos(a)), abs(np.sin(a))
    new_w, new_h = int(np.ceil(w * cos + h * sin)), int(np.ceil(w * sin + h * cos))
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle_deg, 1.0)
    m[0, 2] += (new_w - w) / 2
    m[1, 2] += (new_h - h) / 2
    return np.vstack([m, [0, 0, 1]]), new_w, new_h


def _perspective(rng: np.random.Generator, w: int, h: int, jitter: float, border: float) -> tuple[np.ndarray, int, int]:
    """A phone-photo view: the page on a background, corners pulled by up to ``jitter`` of the page size."""
    out_w, out_h = int(w * (1 + 2 * border)), int(h * (1 + 2 * border))
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    base = src + np.float32([border * w, border * h])
    offsets = rng.uniform(-jitter, jitter, size=(4, 2)) * np.float32([w, h])
    dst = (base + offsets).astype(np.float32)
    return cv2.getPerspectiveTransform(src, dst), out_w, out_h


def _boxes_to_polygons(boxes: list[tuple[float, float, float, float]], hmat: np.ndarray) -> list[list[tuple[float, float]]]:
    if not boxes:
        return []
    pts = np.array([[(x1, y1), (x2, y1), (x2, y2), (x1, y2)] for x1, y1, x2, y2 in boxes], np.float32)
    warped = cv2.perspectiveTransform(pts.reshape(-1, 1, 2), hmat).reshape(-1, 4, 2)
    return [[(round(float(x), 1), round(float(y), 1)) for x, y in poly] for poly in warped]


def degrade_page(page_rgb: np.ndarray, boxes: list[tuple[float, float, float, float]], rng: np.random.Generator, *,
                 mode: str, strength: float, quarter_turn_p: float = 0.0) -> Degraded:
    """Apply a ``mode`` degradation at ``strength`` (0: barely, 1: hard but legible) to a clean RGB page."""
    if mode not in MODES:
        raise ValueError(f"unknown degradation mode {mode!r}; modes are {', '.join(MODES)}")
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength must be in [0, 1], got {strength}")
    image = cv2.cvtColor(page_rgb, cv2.COLOR_RGB2BGR)
    h, w = image.shape[:2]
    hmat, out_w, out_h = np.eye(3), w, h
    angle = 0.0
    background = (255, 255, 255)
    if mode == "scan":
        angle = float(rng.uniform(-1, 1) * 2.5 * strength)
        hmat, out_w, out_h = _rotation(angle, w, h)
    elif mode == "phone":
        angle = float(rng.uniform(-1, 1) * 6.0 * strength)
        rot, rw, rh = _rotation(angle, w, h)
        persp, out_w, out_h = _perspective(rng, rw, rh, 0.05 * strength + 0.01, 0.06)
        hmat = persp @ rot
        background = tuple(int(v) for v in rng.integers(40, 140, size=3))
    if mode != "clean" and rng.random() < quarter_turn_p:
        turns = int(rng.choice([1, 3]))
        turn, out_w, out_h = _rotation(90.0 * turns, out_w, out_h)
        hmat = turn @ hmat
        angle += 90.0 * turns
    if not np.allclose(hmat, np.eye(3)):
        image = cv2.warpPerspective(image, hmat, (out_w, out_h), flags=cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_CONSTANT, borderValue=background)
    polygons = _boxes_to_polygons(boxes, hmat)
    image = _photometric(image, rng, mode, strength)
    quality = None
    if mode != "clean" and rng.random() < 0.7:
        quality = int(rng.integers(int(90 - 40 * strength), 96))
        _, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
        image = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return Degraded(image, polygons, mode, angle, quality)


def _photometric(image: np.ndarray, rng: np.random.Generator, mode: str, strength: float) -> np.ndarray:
    if mode == "clean":
        return image
    out = image.astype(np.float32)
    h, w = out.shape[:2]
    if mode == "phone":  # uneven light: a linear gradient and a soft shadow
        gx, gy = np.meshgrid(np.linspace(-1, 1, w, dtype=np.float32), np.linspace(-1, 1, h, dtype=np.float32))
        a, b = rng.uniform(-1, 1, size=2) * 0.18 * strength
        out *= (1.0 + a * gx + b * gy - 0.05 * strength)[..., None]
        tint = rng.uniform(0.92, 1.0, size=3).astype(np.float32)
        out *= tint.reshape(1, 1, 3)
    else:  # scanner: slightly grey paper, a touch of contrast loss
        out = out * np.float32(rng.uniform(0.9, 1.0)) + np.float32(rng.uniform(0, 12) * strength)
    sigma = float(rng.uniform(0.2, 0.6 + 0.9 * strength))
    out = cv2.GaussianBlur(out, (0, 0), sigma)
    out += rng.standard_normal(size=out.shape, dtype=np.float32) * np.float32(2.0 + 8.0 * strength)
    return np.clip(out, 0, 255).astype(np.uint8)
