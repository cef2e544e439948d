"""From a rendered surface to a phone photo through a loupe: sanding marks, light, focus, noise, aperture, JPEG.

Each step draws its own parameters and reports them, so a dataset's manifest says how every image was taken.
"""

from __future__ import annotations

import cv2
import numpy as np

from smartinspect.wood.datagen.structure import smooth_noise

MAGNIFICATION = (10.0, 14.0)  # hand lens (loupe) magnification an officer uses
FIELD_AT_10X_MM = 6.0  # field of view of a phone photo through a 10x loupe; scales as 1 / magnification


def sanding_marks(rng: np.random.Generator, rgb: np.ndarray, um_per_px: float) -> tuple[np.ndarray, dict]:
    """Scratches from coarse abrasive over part of the field, and a rough (crushed, less sanded) patch."""
    n = rgb.shape[0]
    info = {"scratches": 0, "rough_patch": False}
    if rng.random() < 0.6:
        region = smooth_noise(rng, n, 2) > rng.uniform(-0.6, 0.6)
        lines = np.zeros((n, n), np.uint8)
        angle = rng.uniform(0, np.pi)
        count = int(rng.integers(10, 60))
        for _ in range(count):
            a = angle + rng.normal(0, 0.08)
            cx, cy = rng.uniform(0, n, 2)
            half = rng.uniform(0.2, 0.9) * n
            p1 = (int(cx - half * np.cos(a)), int(cy - half * np.sin(a)))
            p2 = (int(cx + half * np.cos(a)), int(cy + half * np.sin(a)))
            cv2.line(lines, p1, p2, int(rng.integers(80, 255)), 1, cv2.LINE_AA)
        cover = (lines.astype(np.float32) / 255 * region)[..., None]
        sign = 1.0 if rng.random() < 0.6 else -1.0
        rgb = np.clip(rgb + sign * cover * rng.uniform(0.05, 0.15), 0, 1)
        info["scratches"] = count
    if rng.random() < 0.3:
        patch = np.clip(smooth_noise(rng, n, 2) - rng.uniform(0.3, 1.2), 0, 1)[..., None]
        smeared = cv2.GaussianBlur(rgb, (0, 0), max(1.0, 25 / um_per_px))
        rough = smeared + (1 - smeared) * 0.12  # crushed fibres fill the pores and scatter light
        rgb = rgb * (1 - patch) + rough * patch
        info["rough_patch"] = True
    return rgb.astype(np.float32), info


def photograph(rng: np.random.Generator, rgb: np.ndarray) -> tuple[np.ndarray, dict]:
    """Lighting, white balance, focus, phone noise and sharpening, loupe aperture; returns uint8 RGB."""
    n = rgb.shape[0]
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float32) / (n - 1) - 0.5
    vignette = rng.uniform(0.0, 0.35)
    g_angle = rng.uniform(0, 2 * np.pi)
    gradient = rng.uniform(0.0, 0.25)
    light = (1 - vignette * (xx**2 + yy**2) * 2) * (1 + gradient * (xx * np.cos(g_angle) + yy * np.sin(g_angle)))
    white_balance = np.array([rng.uniform(0.92, 1.08), 1.0, rng.uniform(0.9, 1.1)], np.float32)
    lit = rgb * light[..., None] * white_balance
    # Auto-exposure: the drawn exposure is capped so that the brightest 1 % of the frame stays below clipping.
    exposure = min(rng.uniform(0.75, 1.2), 0.97 / max(float(np.percentile(lit.max(axis=2), 99)), 1e-3))
    img = lit * np.float32(exposure)
    blur = rng.uniform(0.0, 1.5)
    if blur > 0.3:
        blurred = cv2.GaussianBlur(img, (0, 0), blur)
        if rng.random() < 0.3:  # shallow depth of field: focus falls off across the field
            ramp = np.clip(0.5 + (xx * np.cos(g_angle) - yy * np.sin(g_angle)) * rng.uniform(1, 2), 0, 1)[..., None]
            img = img * (1 - ramp) + blurred * ramp
        else:
            img = blurred
    img = np.clip(img, 0, 1)
    shot, read = rng.uniform(0.0004, 0.004), rng.uniform(0.00002, 0.0004)
    sigma = np.sqrt(shot * img + read)
    img = img + sigma * rng.standard_normal(img.shape, dtype=np.float32)
    chroma = cv2.resize(rng.standard_normal((n // 2, n // 2, 3), dtype=np.float32), (n, n))  # blotchy colour noise
    img = img + chroma * np.float32(np.sqrt(read) * 2)
    sharpen = rng.uniform(0.0, 0.8) if rng.random() < 0.5 else 0.0
    if sharpen:
        img = img + sharpen * (img - cv2.GaussianBlur(img, (0, 0), 1.2))
    gamma = rng.uniform(0.9, 1.1)
    aperture = rng.random() < 0.3
    if aperture:  # the loupe's round field; the phone sees black around it
        radius = rng.uniform(0.85, 1.15)
        edge = np.clip((radius - np.sqrt(xx**2 + yy**2) * 2) / 0.03, 0, 1)[..., None]
        img = img * edge + 0.02 * (1 - edge)
    out = (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)
    out = cv2.LUT(out, (np.linspace(0, 1, 256) ** gamma * 255 + 0.5).astype(np.uint8))  # tone curve
    info = {"vignette": round(vignette, 3), "gradient": round(gradient, 3), "exposure": round(exposure, 3),
            "white_balance": [round(float(w), 3) for w in white_balance], "blur_px": round(blur, 2),
            "noise_shot": round(shot, 5), "sharpen": round(sharpen, 2), "gamma": round(gamma, 3),
            "aperture": aperture}
    return out, info


def jpeg_roundtrip(rng: np.random.Generator, rgb: np.ndarray) -> tuple[bytes, int]:
    """Encode as the phone would (quality 60-95); returns the JPEG bytes and the quality."""
    quality = int(rng.integers(60, 96))
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return buf.tobytes(), quality
