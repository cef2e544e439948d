"""Smoke test of the anomaly model on the 12 real baggage X-rays in ../shared/data/xray-real-samples.

Only 4 images are threat-free (SIXray negatives), so the image-level figure is leave-one-out: fit on 3 negatives,
score the held-out negative and the 8 images with guns/knives; per fold, AUROC = share of threat images scored above
the held-out negative; the mean over the 4 folds is reported, beside a dark-pixel-density heuristic scored the same
way, and again with the SIXray positives only (the negatives' own scanner: GDXray images are outliers by source
alone). Localisation uses the masks: pixel AUROC of the heatmap inside vs outside the threat mask, and whether the
reported region overlaps the mask. Nothing here was tuned on these images.

    python -m smartinspect.anomaly.experiments.real_smoke [--out docs/anomaly-real-smoke.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import cv2
import numpy as np

from smartinspect.anomaly.evaluate import auroc, mask_labels
from smartinspect.anomaly.preprocess import read_attenuation
from smartinspect.anomaly.scorer import AnomalyScorer
from smartinspect.anomaly.train.extractor import PatchFeatureNet, export_onnx, feature_net
from smartinspect.anomaly.train.fit import FitConfig, choose_window, fit_memory_bank
from smartinspect.anomaly.train.package import BANK_FILE, EXTRACTOR_FILE, _params, write_manifest
from smartinspect.anomaly.types import ViewParams
from smartinspect.config import REPO_ROOT
from smartinspect.runtime import file_sha256

ROOT = REPO_ROOT

SAMPLES = ROOT.parent / "shared" / "data" / "xray-real-samples"
DARK_TRANSMISSION = 0.25  # the heuristic: share of pixels transmitting less than this


def fit_fold(net: PatchFeatureNet, onnx: Path, images: list[Path], cfg: FitConfig, out: Path, *,
             input_mode: str = "multiwindow") -> AnomalyScorer:
    """An uncalibrated package (threshold inf) on ``images``: enough to rank scans."""
    out.mkdir(parents=True, exist_ok=True)
    (out / EXTRACTOR_FILE).write_bytes(onnx.read_bytes())
    view = ViewParams(scale=cfg.scale, window=choose_window(images, None), pad_multiple=net.max_stride,
                      input_mode=input_mode)
    bank, _ = fit_memory_bank(out / EXTRACTOR_FILE, images, view, net.stride, cfg)
    bank.save(out / BANK_FILE)
    params = _params(view, cfg, threshold=1.0, stride=net.stride, bank_sha=file_sha256(out / BANK_FILE))
    write_manifest(out, name="real-fold", version="smoke", params=params, metrics={}, mlflow={}, lineage={})
    return AnomalyScorer.from_package(out, providers=["CPUExecutionProvider"])


def localisation(scorer: AnomalyScorer, path: Path, mask_path: Path) -> tuple[float, bool]:
    attenuation = read_attenuation(path)
    result = scorer.score(attenuation)
    h, w = attenuation.shape
    mask = cv2.resize(cv2.imread(str(mask_path), cv2.IMREAD_UNCHANGED), (w, h), interpolation=cv2.INTER_NEAREST) > 0
    heat = result.heatmap_image(w, h)
    x1, y1, x2, y2 = result.region
    return auroc(heat[::4, ::4].ravel().astype(float), mask[::4, ::4].ravel()), bool(mask[y1:y2, x1:x2].any())


def dark_density(path: Path) -> float:
    return float((read_attenuation(path) > -np.log(DARK_TRANSMISSION)).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--features-from", type=Path, default=None,
                        help="an X-ray detector package: its fine-tuned backbone instead of ImageNet's (docs/anomaly.md)")
    args = parser.parse_args()
    items = mask_labels(SAMPLES / "images", SAMPLES / "masks")
    normals = [i.path for i in items if not i.anomalous]
    threats = [i.path for i in items if i.anomalous]
    cfg = FitConfig(scale=0.5, per_image=1000, bank_size=3000, pca_dims=64)
    net, source = feature_net(cfg.stages, neighbourhood=cfg.neighbourhood, features_from=args.features_from)
    input_mode = source["input_mode"] if source else "multiwindow"
    folds, dark_folds, pixel, hits, same_folds, same_dark = [], [], [], [], [], []
    # SIXray positives (P*) come from the negatives' scanner; GDXray (B*) from another, so B* are easy outliers
    same = np.array([p.name.startswith("P") for p in threats])
    with tempfile.TemporaryDirectory() as tmp:
        onnx = export_onnx(net, Path(tmp) / "x.onnx")
        for k, held in enumerate(normals):
            scorer = fit_fold(net, onnx, [p for p in normals if p != held], cfg, Path(tmp) / f"fold{k}",
                              input_mode=input_mode)
            neg = scorer.score(read_attenuation(held)).score
            pos = np.array([scorer.score(read_attenuation(p)).score for p in threats])
            folds.append(float((pos > neg).mean() + 0.5 * (pos == neg).mean()))
            same_folds.append(float((pos[same] > neg).mean()))
            dneg, dpos = dark_density(held), np.array([dark_density(p) for p in threats])
            dark_folds.append(float((dpos > dneg).mean() + 0.5 * (dpos == dneg).mean()))
            same_dark.append(float((dpos[same] > dneg).mean()))
            if k == 0:
                for p in threats:
                    a, hit = localisation(scorer, p, SAMPLES / "masks" / p.name)
                    pixel.append(a)
                    hits.append(hit)
    result = {
        "images": len(items), "normals": len(normals), "threat_images": len(threats),
        "loo_auroc_anomaly_mean": round(float(np.mean(folds)), 3),
        "loo_auroc_anomaly_folds": [round(f, 3) for f in folds],
        "loo_auroc_dark_density_mean": round(float(np.mean(dark_folds)), 3),
        "loo_auroc_anomaly_sixray_only_mean": round(float(np.mean(same_folds)), 3),
        "loo_auroc_dark_density_sixray_only_mean": round(float(np.mean(same_dark)), 3),
        "pixel_auroc_mean": round(float(np.mean(pixel)), 3), "pixel_auroc": [round(a, 3) for a in pixel],
        "region_hits_mask": int(sum(hits)), "threats": [p.name for p in threats],
    }
    text = json.dumps(result, indent=2)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
