"""PatchCore variants on the anomaly dev set (docs/anomaly.md, Experiments). Prints one JSON line per run:

    python -m smartinspect.anomaly.experiments.patchcore_experiment '{"name": "base"}'
    python -m smartinspect.anomaly.experiments.patchcore_experiment '{"name": "s4s8", "stages": ["s4", "s8"]}'
    python -m smartinspect.anomaly.experiments.patchcore_experiment '{"name": "s1", "scale": 1.0, "nfit": 100, "per_image": 500,
                                                     "bank": 16000, "pca": 64, "ndev": 60}'
    python -m smartinspect.anomaly.experiments.patchcore_experiment '{"name": "det", "features_from": "models/xray-detector"}'

``features_from``: the backbone of a detector package (fine-tuned on X-ray) instead of ImageNet's, read through the
detector's input windows (``mode`` defaults to them).

Fit on the first ``nfit`` clean scans (seed 100), threshold from clean scans 240-299, score the dev set (seed 77,
default mix). Patch maps are kept in /tmp/anomaly_maps_<name>.npz for the post-processing variants. Needs
scikit-learn (AUROC) and the datasets of smartinspect/anomaly/experiments/datasets.py.
"""

from __future__ import annotations

import glob
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from smartinspect.anomaly.memory import MemoryBank
from smartinspect.anomaly.preprocess import read_attenuation, to_network_input
from smartinspect.anomaly.scorer import image_score
from smartinspect.anomaly.train.coreset import greedy_coreset
from smartinspect.anomaly.train.extractor import export_onnx, feature_net
from smartinspect.anomaly.types import ScoreParams, ViewParams
from smartinspect.config import REPO_ROOT
from smartinspect.runtime import OnnxModel

ROOT = REPO_ROOT

DATA = ROOT / "datasets" / "xray"


def main(cfg: dict) -> dict:
    from sklearn.metrics import roc_auc_score

    torch.set_num_threads(2)
    stages = tuple(cfg.get("stages", ["s8", "s16"]))
    net, source = feature_net(stages, neighbourhood=cfg.get("nb", 3),
                              features_from=ROOT / cfg["features_from"] if cfg.get("features_from") else None)
    mode = cfg.get("mode", source["input_mode"] if source else "multiwindow")
    view = ViewParams(scale=cfg.get("scale", 0.5), window=cfg.get("window", 8.0), input_mode=mode,
                      pad_multiple=net.max_stride)
    model = OnnxModel(export_onnx(net, Path(tempfile.mkdtemp()) / "x.onnx"), providers=["CPUExecutionProvider"])

    def feats(path: str) -> tuple[np.ndarray, tuple[int, int]]:
        batch, _, (h, w) = to_network_input(read_attenuation(Path(path)), view)
        out = model.run(batch)[0][0]
        h, w = -(-h // net.stride), -(-w // net.stride)
        out = out[:, :h, :w]
        return out.reshape(out.shape[0], -1).T.copy(), (h, w)

    clean = sorted(glob.glob(str(DATA / "generated-anomaly-clean/images/train/*.png")))
    fit, calib = clean[: cfg.get("nfit", 150)], clean[240:300]
    dev = sorted(glob.glob(str(DATA / "generated-anomaly-dev/images/test/*.png")))[: cfg.get("ndev", 120)]
    y = np.array([bool(Path(p.replace("/images/", "/labels/").replace(".png", ".txt")).read_text().strip())
                  for p in dev])
    start = time.time()
    cands = []
    for p in fit:
        f, _ = feats(p)
        cands.append(f[greedy_coreset(f, cfg.get("per_image", 300), seed=0)])
    cands = np.concatenate(cands)
    dims = cands.shape[1]
    mean, proj = np.zeros(dims, np.float32), np.eye(dims, dtype=np.float32)
    if cfg.get("pca"):
        mean = cands.mean(0).astype(np.float32)
        proj = np.linalg.svd(cands[::7] - mean, full_matrices=False)[2][: cfg["pca"]].T.astype(np.float32).copy()
    projected = (cands - mean) @ proj
    bank = MemoryBank(bank=projected[greedy_coreset(projected, cfg.get("bank", 10000), seed=1)], mean=mean,
                      projection=proj)
    fit_s = time.time() - start
    maps_c = [bank.nearest_distance(f).reshape(hw) for f, hw in map(feats, calib)]
    start = time.time()
    maps_d = [bank.nearest_distance(f).reshape(hw) for f, hw in map(feats, dev)]
    res = {"cfg": cfg, "fit_s": round(fit_s, 1), "score_s_per_scan": round((time.time() - start) / len(dev), 3),
           "n_dev": len(dev), "n_threat": int(y.sum())}
    for k in (1, 5, 20):
        for sigma in (0.0, 1.0, 2.0):
            sp = ScoreParams(top_k=k, smooth_sigma=sigma)
            sd = np.array([image_score(m, sp) for m in maps_d])
            sc = np.array([image_score(m, sp) for m in maps_c])
            thr_cal, thr_dev = np.quantile(sc, 0.9), np.quantile(sd[~y], 0.9)
            res[f"k{k}_s{sigma}"] = {"auroc": round(roc_auc_score(y, sd), 3),
                                     "det10_devneg": round(float((sd[y] > thr_dev).mean()), 3),
                                     "det10_calib": round(float((sd[y] > thr_cal).mean()), 3),
                                     "fa_calib": round(float((sd[~y] > thr_cal).mean()), 3)}
    labels = [Path(p.replace("/images/", "/labels/").replace(".png", ".txt")).read_text().split() for p in dev]
    scores = np.array([image_score(m, ScoreParams(top_k=5, smooth_sigma=1.0)) for m in maps_d])
    at10 = np.quantile(scores[~y], 0.9)
    per_class: dict[str, list[bool]] = {}
    for words, score in zip(labels, scores, strict=True):
        for c in set(words[0::5]):
            per_class.setdefault(c, []).append(bool(score > at10))
    res["k5_s1.0_det10_by_class"] = {c: round(float(np.mean(v)), 2) for c, v in sorted(per_class.items())}
    np.savez(f"/tmp/anomaly_maps_{cfg.get('name', 'x')}.npz", *maps_d)
    return res


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1] if len(sys.argv) > 1 else "{}"))))
