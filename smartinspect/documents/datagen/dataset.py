"""Write a synthetic document set: page images, ground-truth JSON per document, one JSON per consignment.

Consignment i always uses the child seed ``np.random.SeedSequence(seed, spawn_key=(i,))``, so the same seed
writes the same files whatever the number of workers.

Layout::

    OUT/dataset.json                      generator, version, seed, config, counts
    OUT/images/<consignment>_<type>.png   (or .jpg when the degradation ended in JPEG compression)
    OUT/truth/<consignment>_<type>.json   fields, items, text_lines, planted (see docs/datagen-documents.md)
    OUT/consignments/<consignment>.json   the shipment, its planted inconsistency and its document ids
"""

from __future__ import annotations

import json
import multiprocessing
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from smartinspect.documents.datagen.generate import GENERATOR_VERSION, DocGenConfig, generate_consignment
from smartinspect.documents.datagen.layouts import HELD_OUT_LAYOUTS

DEFAULT_CONFIG = DocGenConfig()


@dataclass(frozen=True)
class _Job:
    index: int
    seed: int
    config: DocGenConfig
    out_dir: Path


def consignment_id(seed: int, index: int) -> str:
    return f"doc_s{seed}_{index:05d}"


def _write(job: _Job) -> dict:
    rng = np.random.default_rng(np.random.SeedSequence(job.seed, spawn_key=(job.index,)))
    cid = consignment_id(job.seed, job.index)
    consignment, planted, docs = generate_consignment(rng, cid, job.config)
    for doc in docs:
        if doc.jpeg_quality is not None:
            name = f"{doc.doc_id}.jpg"
            ok = cv2.imwrite(str(job.out_dir / "images" / name), doc.image, [cv2.IMWRITE_JPEG_QUALITY, doc.jpeg_quality])
        else:
            name = f"{doc.doc_id}.png"
            ok = cv2.imwrite(str(job.out_dir / "images" / name), doc.image, [cv2.IMWRITE_PNG_COMPRESSION, 3])
        if not ok:
            raise OSError(f"could not write {job.out_dir / 'images' / name}")
        truth = {"image": f"images/{name}", **doc.truth}
        (job.out_dir / "truth" / f"{doc.doc_id}.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n")
    record = {"consignment_id": cid, "index": job.index, "seed": job.seed, "documents": [d.doc_id for d in docs],
              "planted": planted.to_dict() if planted else None, "consignment": consignment.to_dict()}
    (job.out_dir / "consignments" / f"{cid}.json").write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n")
    return {"planted": planted.kind if planted else None, "layouts": [d.truth["layout"] for d in docs],
            "languages": [d.truth["language"] for d in docs], "modes": [d.truth["degradation"]["mode"] for d in docs]}


def _run(jobs: list[_Job], workers: int) -> Iterator[dict]:
    if workers <= 1:
        yield from map(_write, jobs)
        return
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        yield from pool.imap(_write, jobs, chunksize=1)


def generate_dataset(out_dir: Path, *, n_consignments: int, seed: int, config: DocGenConfig = DEFAULT_CONFIG,
                     workers: int = 1, progress: bool = True) -> Path:
    """Generate ``n_consignments`` consignments (4 documents each) into ``out_dir``; returns dataset.json's path."""
    if n_consignments < 1:
        raise ValueError(f"n_consignments must be >= 1, got {n_consignments}")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    out_dir = Path(out_dir)
    for sub in ("images", "truth", "consignments"):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
    jobs = [_Job(i, seed, config, out_dir) for i in range(n_consignments)]
    results = _run(jobs, workers)
    if progress:
        from tqdm import tqdm

        results = tqdm(results, total=n_consignments, desc="datagen documents", unit="consignment")
    planted, layouts, languages, modes = Counter(), Counter(), Counter(), Counter()
    for summary in results:
        planted[summary["planted"] or "none"] += 1
        layouts.update(summary["layouts"])
        languages.update(summary["languages"])
        modes.update(summary["modes"])
    info = {"generator": "smartinspect.documents.datagen", "generator_version": GENERATOR_VERSION, "seed": seed,
            "n_consignments": n_consignments, "n_documents": 4 * n_consignments, "config": config.to_dict(),
            "held_out_layouts": sorted(set(config.layouts) & set(HELD_OUT_LAYOUTS)),
            "counts": {"planted": dict(planted), "layouts": dict(layouts), "languages": dict(languages),
                       "degradation": dict(modes)}}
    path = out_dir / "dataset.json"
    path.write_text(json.dumps(info, indent=2) + "\n")
    return path


def load_truths(dataset_dir: Path) -> list[dict]:
    """Every document's ground truth, sorted by document id."""
    truth_dir = Path(dataset_dir) / "truth"
    if not truth_dir.is_dir():
        raise FileNotFoundError(f"{dataset_dir} has no truth/ folder: generate it with `smartinspect datagen documents`")
    return [json.loads(p.read_text()) for p in sorted(truth_dir.glob("*.json"))]
