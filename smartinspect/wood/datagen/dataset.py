"""Write a generated end-grain dataset: JPEG photos, one JSON line per image (labels and every draw), dataset.json.

Image ``i`` of taxon ``name`` always uses ``np.random.SeedSequence(seed, spawn_key=(crc32(name), i))``, so its
content does not depend on ``workers``, on the other taxa or on how many images are asked for.

Layout::

    out/dataset.json                      generator, version, seed, taxa, counts
    out/images.jsonl                      {"file", "taxon", "genus", "split", "kind", "index", "params"} per image
    out/images/<split>/<slug>_<i>.jpg     known and open-set taxa
    out/images/ood/<kind>_<i>.jpg         non-wood inputs (``--ood``): photos, X-ray crops, documents, noise
    out/images/outlier/<kind>_<i>.jpg     training outliers (``--outliers-per-kind``): chimeras, swaps, shifts, textures
"""

from __future__ import annotations

import json
import multiprocessing
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from smartinspect.wood.datagen.genera import KNOWN_TAXA, OPEN_SET_TAXA, VALIDATION_OPEN_SET_TAXA, anatomy_of
from smartinspect.wood.datagen.outliers import DEFAULT_OUTLIER_KINDS, OUTLIER_KINDS
from smartinspect.wood.datagen.render import DEFAULT_SIZE, GENERATOR_VERSION, render_end_grain

SPLITS = ("train", "val", "test")
OOD_KINDS = ("photo", "xray", "document", "noise")


def slug(taxon: str) -> str:
    return taxon.lower().replace(" ", "_")


def taxon_key(name: str) -> int:
    """A stable per-taxon seed component (independent of list order)."""
    return zlib.crc32(name.encode())


@dataclass(frozen=True)
class ImageJob:
    name: str  # taxon, or an OOD kind
    kind: str  # "known" | "open_set" | "ood" | "outlier"
    index: int
    split: str
    seed: int
    size: int
    out_dir: Path


def _render_job(job: ImageJob) -> dict:
    rng = np.random.default_rng(np.random.SeedSequence(job.seed, spawn_key=(taxon_key(job.name), job.index)))
    if job.kind == "ood":
        from smartinspect.wood.datagen.ood import render_ood

        jpeg, params = render_ood(rng, job.name, size=job.size)
        rel = Path("images") / "ood" / f"{job.name}_{job.index:05d}.jpg"
        taxon, genus = None, None
    elif job.kind == "outlier":
        from smartinspect.wood.datagen.outliers import render_outlier

        jpeg, params = render_outlier(rng, job.name, size=job.size)
        rel = Path("images") / "outlier" / f"{job.name}_{job.index:05d}.jpg"
        taxon, genus = None, None
    else:
        image = render_end_grain(rng, anatomy_of(job.name), size=job.size)
        jpeg, params = image.jpeg, image.params
        rel = Path("images") / job.split / f"{slug(job.name)}_{job.index:05d}.jpg"
        taxon, genus = job.name, params["genus"]
    (job.out_dir / rel).write_bytes(jpeg)
    return {"file": rel.as_posix(), "taxon": taxon, "genus": genus, "split": job.split, "kind": job.kind,
            "name": job.name, "index": job.index, "params": params}


def assign_splits(n: int, splits: tuple[float, float, float], seed: int, name: str) -> list[str]:
    """Split name per image index: counts proportional to ``splits`` (largest remainders), shuffled per taxon."""
    if len(splits) != 3 or min(splits) < 0 or abs(sum(splits) - 1.0) > 1e-6:
        raise ValueError(f"splits must be 3 non-negative fractions (train, val, test) summing to 1, got {splits}")
    exact = np.asarray(splits, float) * n
    counts = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - counts), kind="stable")[: n - counts.sum()]:
        counts[i] += 1
    names = np.repeat(np.array(SPLITS), counts)
    return [str(s) for s in np.random.default_rng([seed, taxon_key(name), 2]).permutation(names)]


def _run(jobs: list[ImageJob], workers: int) -> Iterator[dict]:
    if workers <= 1:
        yield from map(_render_job, jobs)
        return
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        yield from pool.imap(_render_job, jobs, chunksize=4)


def open_set_genera(open_set: str) -> tuple[str, ...]:
    """The open-set genera of a dataset: "test" (OPEN_SET_TAXA) or "validation" (VALIDATION_OPEN_SET_TAXA)."""
    genera = {"test": OPEN_SET_TAXA, "validation": VALIDATION_OPEN_SET_TAXA}.get(open_set)
    if genera is None:
        raise ValueError(f"open_set must be 'test' or 'validation', got {open_set!r}")
    return genera


def plan_jobs(out_dir: Path, *, per_taxon: int, seed: int, taxa: Sequence[str], splits: tuple[float, float, float],
              open_set_per_taxon: int, ood_per_kind: int, size: int, outliers_per_kind: int = 0,
              open_set: str = "test", outlier_kinds: Sequence[str] = DEFAULT_OUTLIER_KINDS) -> list[ImageJob]:
    unknown = [t for t in taxa if t not in KNOWN_TAXA + OPEN_SET_TAXA]
    if unknown:
        raise ValueError(f"unknown taxa {unknown}; known: {list(KNOWN_TAXA)}; open set: {list(OPEN_SET_TAXA)}")
    open_set_taxa = open_set_genera(open_set)
    bad = [k for k in outlier_kinds if k not in OUTLIER_KINDS]
    if bad:
        raise ValueError(f"unknown outlier kinds {bad}; valid: {list(OUTLIER_KINDS)}")
    jobs = []
    for taxon in taxa:
        for i, split in enumerate(assign_splits(per_taxon, splits, seed, taxon)):
            jobs.append(ImageJob(taxon, "known", i, split, seed, size, out_dir))
    for taxon in open_set_taxa if open_set_per_taxon else ():
        jobs += [ImageJob(taxon, "open_set", i, "open_set", seed, size, out_dir) for i in range(open_set_per_taxon)]
    for kind in OOD_KINDS if ood_per_kind else ():
        jobs += [ImageJob(kind, "ood", i, "ood", seed, size, out_dir) for i in range(ood_per_kind)]
    for kind in outlier_kinds if outliers_per_kind else ():
        jobs += [ImageJob(kind, "outlier", i, "outlier", seed, size, out_dir) for i in range(outliers_per_kind)]
    return jobs


def generate_dataset(out_dir: Path, *, per_taxon: int, seed: int, taxa: Sequence[str] = KNOWN_TAXA,
                     splits: tuple[float, float, float] = (0.85, 0.15, 0.0), open_set_per_taxon: int = 0,
                     ood_per_kind: int = 0, outliers_per_kind: int = 0, open_set: str = "test",
                     outlier_kinds: Sequence[str] = DEFAULT_OUTLIER_KINDS, size: int = DEFAULT_SIZE, workers: int = 1,
                     progress: bool = True) -> Path:
    """Generate the dataset into ``out_dir``; returns the path of dataset.json.

    ``per_taxon`` images of each taxon in ``taxa`` (the known classes by default), split by ``splits``;
    ``open_set_per_taxon`` images of each open-set genus (split "open_set", never for training) of the ``open_set``
    list: "test" (OPEN_SET_TAXA) or "validation" (VALIDATION_OPEN_SET_TAXA, for choosing the open-set rule);
    ``ood_per_kind`` non-wood images of each kind in OOD_KINDS (split "ood");
    ``outliers_per_kind`` training outliers of each kind in ``outlier_kinds`` (split "outlier"; see outliers.py).
    """
    if min(per_taxon, open_set_per_taxon, ood_per_kind, outliers_per_kind) < 0 or workers < 1:
        raise ValueError("image counts must be >= 0 and workers >= 1")
    out_dir = Path(out_dir)
    for sub in (*SPLITS, "open_set", "ood", "outlier"):
        (out_dir / "images" / sub).mkdir(parents=True, exist_ok=True)
    jobs = plan_jobs(out_dir, per_taxon=per_taxon, seed=seed, taxa=taxa, splits=splits,
                     open_set_per_taxon=open_set_per_taxon, ood_per_kind=ood_per_kind, size=size,
                     outliers_per_kind=outliers_per_kind, open_set=open_set, outlier_kinds=outlier_kinds)
    results = _run(jobs, workers)
    if progress:
        from tqdm import tqdm

        results = tqdm(results, total=len(jobs), desc="datagen wood", unit="img")
    counts: dict[str, dict[str, int]] = {}
    with open(out_dir / "images.jsonl", "w") as fh:
        for row in results:
            fh.write(json.dumps(row, sort_keys=True) + "\n")
            by_split = counts.setdefault(row["split"], {})
            by_split[row["name"]] = by_split.get(row["name"], 0) + 1
    info = {"generator": "smartinspect.wood.datagen", "generator_version": GENERATOR_VERSION, "seed": seed,
            "per_taxon": per_taxon, "taxa": list(taxa), "splits": list(splits),
            "open_set": open_set, "open_set_taxa": sorted({j.name for j in jobs if j.kind == "open_set"}),
            "open_set_per_taxon": open_set_per_taxon, "ood_kinds": list(OOD_KINDS) if ood_per_kind else [],
            "ood_per_kind": ood_per_kind, "outlier_kinds": list(outlier_kinds) if outliers_per_kind else [],
            "outliers_per_kind": outliers_per_kind, "size": size, "counts": counts}
    path = out_dir / "dataset.json"
    path.write_text(json.dumps(info, indent=2) + "\n")
    return path


def read_index(dataset_dir: Path) -> list[dict]:
    """The rows of ``images.jsonl``."""
    path = Path(dataset_dir) / "images.jsonl"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: generate the dataset first (smartinspect datagen wood)")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
