"""How well enrollment works with no real reference photos: synthetic taxa the synthetic network never saw, and real
non-wood photos (``smartinspect evaluate wood-enrolled``; figures in docs/wood.md).

A pool of synthetic photos of the 14 genera the synthetic network never had as classes (``OPEN_SET_TAXA`` and
``VALIDATION_OPEN_SET_TAXA``) is rendered once; the first ``refs`` photos of each taxon are the candidates for reference photos, the
last ``queries`` the photos screened. Features go through the package's ONNX graph once; each enrollment (k
reference photos per taxon, several draws) then runs the enrollment's own bank, calibration and gate functions and
the served decision (``call_image``) on the pooled features: what ``wood enroll`` + ``wood screen`` compute, without
recomputing features per draw.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from smartinspect.wood.datagen.genera import OPEN_SET_TAXA, VALIDATION_OPEN_SET_TAXA
from smartinspect.wood.decision import call_image
from smartinspect.wood.enrolled import photo_distances, scores_from_distances, taxon_similarity
from smartinspect.wood.gate import view_statistics
from smartinspect.wood.inferencer import WoodModelParams
from smartinspect.wood.preprocess import analysis_view
from smartinspect.wood.taxa import load_taxa
from smartinspect.wood.train.enroll import (
    ENROLLED_SIDE,
    GRID,
    Reference,
    build_bank,
    calibrate,
    crop_batch,
    decision_params,
    gate_from_references,
    leave_out_distances,
)

log = logging.getLogger(__name__)
# Genera the synthetic network never had as classes: the test open set, and the validation open set (used only to
# choose that network's open-set rule)
NEVER_TRAINED = OPEN_SET_TAXA + VALIDATION_OPEN_SET_TAXA
SKIMAGE_PHOTOS = ("astronaut", "brick", "camera", "cat", "chelsea", "coffee", "coins", "colorwheel", "grass",
                  "gravel", "hubble_deep_field", "immunohistochemistry", "logo", "moon", "page", "retina", "rocket",
                  "text", "cell", "microaneurysms", "horse", "binary_blobs")


@dataclass
class Pool:
    names: list[str]  # taxon or non-wood source per photo
    views: list[np.ndarray]
    features: np.ndarray  # (photos, GRID^2, d)


def synthetic_photos(out: Path, taxa, per_taxon: int, seed: int) -> list[tuple[str, Path]]:
    """``out/<taxon>/<i>.jpg`` (rendered once, reused), photo i of a taxon from the child seed (taxon, i)."""
    from zlib import crc32

    from smartinspect.wood.datagen import anatomy_of, render_end_grain

    photos = []
    for taxon in taxa:
        folder = out / taxon
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_taxon):
            path = folder / f"{i:03d}.jpg"
            if not path.is_file():
                rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(crc32(taxon.encode()), i)))
                path.write_bytes(render_end_grain(rng, anatomy_of(taxon)).jpeg)
            photos.append((taxon, path))
    return photos


def nonwood_views(xray_dir: Path | None, *, seed: int, per_kind: int) -> list[tuple[str, np.ndarray]]:
    """Real photos that scikit-image ships, real X-ray samples (when present), synthetic documents and noise."""
    out = []
    try:
        import skimage.data as data
    except ImportError:
        log.warning("scikit-image is not installed: no real non-wood photos (pip install -e .[dev])")
        data = None
    for name in SKIMAGE_PHOTOS if data is not None else ():
        try:
            image = np.asarray(getattr(data, name)())
        except Exception as exc:  # a sample that needs a download: skipped, and said
            log.warning("skimage.data.%s unavailable: %s", name, exc)
            continue
        out.append((f"skimage:{name}", _rgb8(image)))
    if xray_dir is not None and xray_dir.is_dir():
        out += [(f"xray:{p.name}", _rgb8(np.asarray(Image.open(p)))) for p in sorted(xray_dir.glob("*.png"))]
    from smartinspect.wood.datagen.ood import render_ood

    rng = np.random.default_rng(seed)
    for kind in ("document", "noise", "photo"):
        for _ in range(per_kind):
            jpeg, _params = render_ood(rng, kind, size=384)
            out.append((f"synthetic:{kind}", np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"))))
    return [(n, analysis_view(rgb, ENROLLED_SIDE)) for n, rgb in out]


def _rgb8(image: np.ndarray) -> np.ndarray:
    if image.dtype == bool:
        image = image.astype(np.uint8) * 255
    if image.dtype != np.uint8:
        lo, hi = float(image.min()), float(image.max())
        image = ((image.astype(np.float32) - lo) / max(hi - lo, 1e-6) * 255).astype(np.uint8)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    return np.ascontiguousarray(image[..., :3])


def pool_features(onnx_path: Path, names: list[str], views: list[np.ndarray]) -> Pool:
    from smartinspect.wood.train.enroll_package import onnx_features

    feats = onnx_features(onnx_path, crop_batch(views))
    return Pool(names, views, feats.reshape(len(views), GRID ** 2, -1))


@dataclass(frozen=True)
class Enrolled:
    bank: object
    params: WoodModelParams
    figures: dict


def enroll_subset(pool: Pool, idx: list[int]) -> Enrolled:
    taxa = tuple(sorted({pool.names[i] for i in idx}))
    refs = [Reference(Path(str(i)), pool.names[i], f"{pool.names[i]}/{i}") for i in idx]
    counts = {t: {"photos": sum(r.taxon == t for r in refs), "specimens": sum(r.taxon == t for r in refs)}
              for t in taxa}
    features = pool.features[idx].reshape(len(idx) * GRID ** 2, -1)
    stats = [view_statistics(pool.views[i]) for i in idx]
    bank = build_bank(features, refs, taxa, stats)
    calibration = calibrate(*leave_out_distances(features, refs, taxa))
    gate = gate_from_references(stats, refs, counts)
    return Enrolled(bank, WoodModelParams.from_params(decision_params(taxa, calibration, gate)), calibration.figures)


def screen_subset(pool: Pool, enrolled: Enrolled, idx: list[int]):
    """The served decision per photo: (ImageCall, top-1 taxon) for each photo of ``idx``."""
    params, table = enrolled.params, load_taxa().with_taxa(enrolled.params.taxa)
    query = enrolled.bank.project(pool.features[idx].reshape(len(idx) * GRID ** 2, -1))
    sims = taxon_similarity(query, enrolled.bank)
    scores = scores_from_distances(photo_distances(sims, GRID ** 2), params.temperature)
    out = []
    for i, s in zip(idx, scores, strict=True):
        call = call_image(0, s, params.wood_likeness(pool.views[i], s), params, table)
        out.append((call, params.taxa[int(np.argmax(s.probabilities))]))
    return out


def _draws(pool: Pool, taxa, k: int, refs: int, rng: np.random.Generator, skip: str | None = None) -> list[int]:
    idx = []
    for t in taxa:
        if t == skip:
            continue
        mine = [i for i, n in enumerate(pool.names) if n == t][:refs]
        idx += sorted(rng.choice(mine, size=k, replace=False).tolist())
    return idx


def measure(pool: Pool, nonwood: Pool, taxa, *, ks=(1, 3, 10, 30), refs: int = 30, draws: int = 3,
            seed: int = 0) -> dict:
    """Enrolled taxa top-1 and calls, left-out-taxon abstention, non-wood abstention, per k."""
    queries = [i for t in taxa for i in [j for j, n in enumerate(pool.names) if n == t][refs:]]
    results = {}
    for k in ks:
        rng = np.random.default_rng(seed + k)
        rows = []
        for _ in range(draws if k < refs else 1):
            enrolled = enroll_subset(pool, _draws(pool, taxa, k, refs, rng))
            calls = screen_subset(pool, enrolled, queries)
            truth = [pool.names[i] for i in queries]
            nw = screen_subset(nonwood, enrolled, list(range(len(nonwood.names))))
            rows.append({
                "top1": np.mean([top == t for (_c, top), t in zip(calls, truth, strict=True)]),
                "accepted_right": np.mean([c.call == t for (c, _), t in zip(calls, truth, strict=True)]),
                "accepted_wrong": np.mean([c.call not in (None, t) for (c, _), t in zip(calls, truth, strict=True)]),
                "abstained": np.mean([c.abstained for c, _ in calls]),
                "nonwood_abstained": np.mean([c.abstained for c, _ in nw]),
                "nonwood_accepted": [nonwood.names[i] for i, (c, _) in enumerate(nw) if not c.abstained],
                "left_out_abstained": _left_out(pool, taxa, k, refs, rng, queries),
            })
        results[k] = _mean_rows(rows) | {"draws": len(rows), "query_photos": len(queries)}
    return results


def _left_out(pool: Pool, taxa, k: int, refs: int, rng, queries: list[int]) -> float:
    """Each taxon left out of the enrollment in turn: the share of its query photos that abstain."""
    abstained = []
    for t in taxa:
        enrolled = enroll_subset(pool, _draws(pool, taxa, k, refs, rng, skip=t))
        mine = [i for i in queries if pool.names[i] == t]
        abstained += [c.abstained for c, _ in screen_subset(pool, enrolled, mine)]
    return float(np.mean(abstained))


def _mean_rows(rows: list[dict]) -> dict:
    out = {}
    for key in rows[0]:
        if key == "nonwood_accepted":
            out[key] = sorted({n for r in rows for n in r[key]})
        else:
            out[key] = round(float(np.mean([r[key] for r in rows])), 4)
    return out


def _synthetic_network(models_dir: Path, pool: Pool, queries: list[int], nonwood: Pool) -> dict | None:
    """The served synthetic-trained network on the same photos: how often it gives a call (every call on these
    genera is wrong: it never saw them), for the fallback decision (docs/wood.md)."""
    from smartinspect.runtime import load_package
    from smartinspect.wood.inferencer import WoodClassifier

    if not (models_dir / "wood-classifier" / "manifest.json").is_file():
        return None
    classifier = WoodClassifier(load_package(models_dir / "wood-classifier"))
    table, params = load_taxa(), classifier.params

    def accepted(views: list[np.ndarray]) -> float:
        scores = classifier.score_views(views)
        return float(np.mean([not call_image(0, s, params.wood_likeness(v, s), params, table).abstained
                              for v, s in zip(views, scores, strict=True)]))

    return {"open_set_accepted": round(accepted([pool.views[i] for i in queries]), 4),
            "nonwood_accepted": round(accepted(nonwood.views), 4), "model": classifier.version}


def _timings(paths: list[tuple[str, Path]], per_taxon: int, settings, work: Path) -> dict:
    """``wood enroll`` on ``per_taxon`` photos of each taxon (the real command's path) and ``screen_files`` speed."""
    import os
    import shutil
    import time

    from smartinspect.runtime import load_package
    from smartinspect.wood.enrolled import EnrolledClassifier, screen_files
    from smartinspect.wood.train.enroll_package import enroll

    refs = work / "references"
    shutil.rmtree(refs, ignore_errors=True)
    taken: dict[str, int] = {}
    screened = []
    for taxon, path in paths:
        taken[taxon] = taken.get(taxon, 0) + 1
        if taken[taxon] <= per_taxon:
            (refs / taxon).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, refs / taxon / path.name)
        else:
            screened.append(path)
    cpu = time.process_time()
    result = enroll(refs, work / "package", settings=settings, source="synthetic open-set taxa", track=False)
    enroll_cpu = time.process_time() - cpu
    classifier = EnrolledClassifier(load_package(work / "package"))
    start, cpu = time.perf_counter(), time.process_time()
    screen_files(classifier, screened[:60], settings)
    n = len(screened[:60])
    return {"enroll_photos": sum(min(c, per_taxon) for c in taken.values()), "enroll_seconds": result.seconds,
            "enroll_cpu_seconds": round(enroll_cpu, 1),
            "screen_ms_per_photo": round((time.perf_counter() - start) / n * 1e3, 1),
            "screen_cpu_ms_per_photo": round((time.process_time() - cpu) / n * 1e3, 1),
            "load_average_1m": round(os.getloadavg()[0], 2)}


def run_measurement(pool_dir: Path, *, refs: int, queries: int, draws: int, xray_dir: Path | None, seed: int,
                    timing_per_taxon: int = 36, ks=(1, 3, 10, 30)) -> dict:
    import tempfile

    from smartinspect.config import get_settings
    from smartinspect.wood.decode import decode_photo
    from smartinspect.wood.train.enroll_features import EnrolledFeatures, export_features

    settings = get_settings()
    paths = synthetic_photos(pool_dir, NEVER_TRAINED, refs + queries, seed)
    views = [analysis_view(decode_photo(p.read_bytes(), max_pixels=10 ** 8, min_side=32,
                                        analysis_side=ENROLLED_SIDE).rgb, ENROLLED_SIDE) for _, p in paths]
    extra = nonwood_views(xray_dir, seed=seed, per_kind=10)
    with tempfile.TemporaryDirectory() as tmp:
        onnx_path = export_features(EnrolledFeatures(), Path(tmp) / "features.onnx", crop=128)
        pool = pool_features(onnx_path, [t for t, _ in paths], views)
        nonwood = pool_features(onnx_path, [n for n, _ in extra], [v for _, v in extra])
        figures = measure(pool, nonwood, NEVER_TRAINED, ks=ks, refs=refs, draws=draws, seed=seed)
        queries_idx = [i for t in NEVER_TRAINED for i in [j for j, n in enumerate(pool.names) if n == t][refs:]]
        synthetic = _synthetic_network(settings.models_dir, pool, queries_idx, nonwood)
        timings = _timings(paths, timing_per_taxon, settings, Path(tmp)) if timing_per_taxon else None
    return {"taxa": list(NEVER_TRAINED), "by_k": figures, "nonwood_photos": _count(nonwood.names),
            "synthetic_network": synthetic, "timings": timings}


def _count(names: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for n in names:
        key = n.split(":")[0]
        out[key] = out.get(key, 0) + 1
    return out
