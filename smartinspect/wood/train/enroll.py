"""``smartinspect wood enroll``: a lab's reference photos -> an enrolled package (ONNX features, bank, manifest, card).

References: ``DIR/<taxon>/<photo>`` (each photo its own specimen) or ``DIR/<taxon>/<specimen>/<photo>`` (photos of
one specimen grouped). A taxon folder is named by genus or binomial (``Swietenia``, ``Swietenia macrophylla`` or
``Swietenia_macrophylla``); taxa that taxa.yaml does not list are accepted with CITES state ``unknown``.
Calibration uses only the references (docs/wood.md, "Enrolled reference collections"):

- leave-one-specimen-out: each photo is scored against the bank without its specimen -> the temperature (NLL) and
  the known photos' open-set scores;
- leave-one-taxon-out: the same photo's distance to the nearest *other* taxon is what a photo of a taxon that was
  never enrolled looks like -> the open-set threshold, at the quantile that lets ``UNKNOWN_ACCEPT`` of them through.
"""

from __future__ import annotations

import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from smartinspect.wood.decode import decode_photo
from smartinspect.wood.enrolled import (
    STAT_KEYS,
    ReferenceBank,
    best_by_taxon,
    photo_distances,
    unit_rows,
    within_taxon_whitening,
)
from smartinspect.wood.gate import GateThresholds, calibrate_gate, view_statistics
from smartinspect.wood.inferencer import softmax
from smartinspect.wood.preprocess import CROP, analysis_view, grid_crops, to_batch
from smartinspect.wood.taxa import load_taxa

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff"}
GRID = 3  # 3 x 3 overlapping 128 px crops of the view (stride 32 at 192 px)
# The enrolled package's analysis view: the loupe field at 192 px, so that a 128 px crop holds two thirds of it
# (the synthetic network keeps 256). Chosen on the dev pool, seed 8000 (docs/wood.md, session 14): at 3 photos
# per genus, top-1 72.6 % at 256 px, 76.8 % at 192, 69.6 % at 384 with 192 px crops. A package records its side
# (params.analysis_side), and photos added with --append-to are read at the side of the package they join.
ENROLLED_SIDE = 192
UNKNOWN_ACCEPT = 0.03  # share of left-out-taxon photos the threshold lets through on the references
DEFAULT_THRESHOLD = 0.25  # nearest-taxon distance when fewer than two taxa give no left-out sample (docs/wood.md)
STRUCTURE_SLACK = 0.75  # the gate's structure floor: this share of the flattest reference (docs/wood.md)
CLASS_COLOUR_MIN_PHOTOS = 10  # a taxon's own colour range only from this many photos
SPECIES_PROBABILITY = GENUS_PROBABILITY = 0.5
BATCH = 64  # crops per ONNX Runtime call
FOLDS = 10  # calibration refits the whitening once per fold of specimens (docs/wood.md)
SHRINKAGE = 0.3  # of the within-taxon scatter towards its mean variance (chosen on synthetic taxa, docs/wood.md)
TAXON_NAME = re.compile(r"^[A-Z][a-z-]+( [a-z-]+)?$")


class EnrollmentError(ValueError):
    """The references cannot be enrolled (missing folder, bad taxon name, unreadable photo): the message says why."""


@dataclass
class Reference:
    path: Path
    taxon: str
    specimen: str  # "<taxon>/<specimen folder or photo name>"


@dataclass
class ReferenceSet:
    """What was read: the photos' analysis views, their taxa and specimens."""

    refs: list[Reference]
    views: list[np.ndarray]
    taxa: tuple[str, ...]  # sorted
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # taxon -> photos, specimens
    stats: list[dict[str, float]] = field(default_factory=list)  # the gate's statistics of each photo


def reference_counts(refs: list[Reference]) -> dict[str, dict[str, int]]:
    """taxon -> its photos and specimens, taxa sorted."""
    return {t: {"photos": sum(r.taxon == t for r in refs), "specimens": len({r.specimen for r in refs
                                                                              if r.taxon == t})}
            for t in sorted({r.taxon for r in refs})}


def taxon_name(folder: str) -> str:
    """``swietenia_macrophylla`` -> ``Swietenia macrophylla``; EnrollmentError for anything else."""
    words = folder.replace("_", " ").split()
    name = " ".join([words[0].capitalize(), *[w.lower() for w in words[1:]]]) if words else ""
    if not TAXON_NAME.match(name):
        raise EnrollmentError(f"reference folder {folder!r} is not a genus or binomial name (e.g. 'Swietenia' or "
                              "'Swietenia macrophylla')")
    return name


def scan_references(root: Path) -> list[Reference]:
    """The photos under ``root``, one folder per taxon, sorted. EnrollmentError for an empty or malformed tree."""
    if not root.is_dir():
        raise EnrollmentError(f"references folder {root} does not exist")
    refs: list[Reference] = []
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise EnrollmentError(f"{root} holds no taxon folders (expected {root}/<Genus or Genus species>/<photos>)")
    seen: dict[str, str] = {}
    for folder in folders:
        taxon = taxon_name(folder.name)
        if taxon in seen:
            raise EnrollmentError(f"folders {seen[taxon]!r} and {folder.name!r} both name {taxon}")
        seen[taxon] = folder.name
        photos = [(p, f"{taxon}/{p.relative_to(folder).parts[0]}") for p in sorted(folder.rglob("*"))
                  if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES and not p.name.startswith(".")]
        if not photos:
            raise EnrollmentError(f"taxon folder {folder} holds no photos ({', '.join(sorted(PHOTO_SUFFIXES))})")
        refs += [Reference(p, taxon, specimen) for p, specimen in photos]
    return refs


def read_references(root: Path, settings, *, analysis_side: int = ENROLLED_SIDE) -> ReferenceSet:
    refs = scan_references(root)
    views = []
    for ref in refs:
        try:
            photo = decode_photo(ref.path.read_bytes(), max_pixels=settings.wood_max_image_pixels,
                                 min_side=settings.wood_min_image_side, analysis_side=analysis_side)
        except Exception as exc:  # UploadRejected and OSError: name the file
            raise EnrollmentError(f"{ref.path}: {getattr(exc, 'message', exc)}") from exc
        views.append(analysis_view(photo.rgb, analysis_side))
    counts = reference_counts(refs)
    return ReferenceSet(refs, views, tuple(counts), counts, [view_statistics(v) for v in views])


def crop_batch(views: list[np.ndarray]) -> np.ndarray:
    return np.concatenate([to_batch(grid_crops(v, CROP, GRID)) for v in views])


def build_bank(features: np.ndarray, refs: list[Reference], taxa: tuple[str, ...],
               stats: list[dict[str, float]]) -> ReferenceBank:
    """Crop features (photo-major, GRID^2 per photo) -> the bank sorted by taxon (stable: photo order kept), with
    what adding references later needs (the raw features, each photo's gate statistics, the specimens' names)."""
    per = GRID ** 2
    specimen_ids = {s: i for i, s in enumerate(dict.fromkeys(r.specimen for r in refs))}
    labels = np.repeat([taxa.index(r.taxon) for r in refs], per).astype(np.int32)
    photos = np.repeat(np.arange(len(refs)), per).astype(np.int32)
    specimens = np.repeat([specimen_ids[r.specimen] for r in refs], per).astype(np.int32)
    order = np.argsort(labels, kind="stable")
    mean, projection = within_taxon_whitening(features, labels, SHRINKAGE)
    projected = unit_rows((features[order] - mean) @ projection)
    return ReferenceBank(projected.astype(np.float16).astype(np.float32), labels[order], photos[order],
                         specimens[order], taxa, mean, projection, raw=features[order],
                         photo_stats=np.array([[st[k] for k in STAT_KEYS] for st in stats], np.float32),
                         specimen_names=tuple(specimen_ids))


def references_of(bank: ReferenceBank) -> tuple[list[Reference], np.ndarray, list[dict[str, float]]]:
    """What a package's bank says of its references: (references, raw crop features photo-major, gate statistics),
    as ``build_bank`` took them. EnrollmentError for a bank written before references could be added."""
    if bank.raw is None or bank.photo_stats is None:
        raise EnrollmentError("this package's bank predates --append-to (no raw features): enroll the whole "
                              "collection again")
    per = GRID ** 2
    order = np.argsort(bank.photos, kind="stable")  # back to photo-major, each photo's crops in their order
    first = order[::per]
    refs = [Reference(Path(bank.specimen_names[bank.specimens[i]]), bank.taxa[bank.labels[i]],
                      bank.specimen_names[bank.specimens[i]]) for i in first]
    stats = [dict(zip(STAT_KEYS, (float(v) for v in row), strict=True)) for row in bank.photo_stats]
    return refs, bank.raw[order], stats


def leave_out_distances(features: np.ndarray, refs: list[Reference], taxa: tuple[str, ...], *,
                        folds: int = FOLDS) -> tuple[np.ndarray, np.ndarray]:
    """Leave-specimens-out: (photos, taxa) distances of every photo, scored with the whitening refitted and the bank
    rebuilt without its specimen (a whitening fitted on a photo makes that photo look closer than a new photo of its
    taxon would be), and each photo's taxon index. ``features``: raw backbone features, photo-major (GRID^2 crops
    per photo). Specimens are spread over ``folds`` folds, a taxon's specimens over different folds, so a taxon with
    up to ``folds`` specimens loses one at a time (exactly leave-one-specimen-out); one refit per fold keeps the
    cost flat in the collection's size."""
    per = GRID ** 2
    labels = np.repeat([taxa.index(r.taxon) for r in refs], per)
    fold_of = np.repeat(_specimen_folds(refs, folds), per)
    distances = np.zeros((len(refs), len(taxa)), np.float32)
    for fold in np.unique(fold_of):
        held = fold_of == fold
        kept = np.flatnonzero(~held)
        if len(kept) == 0:  # a single specimen in all: nothing to score it against
            distances[:] = np.inf
            break
        kept = kept[np.argsort(labels[kept], kind="stable")]
        mean, projection = within_taxon_whitening(features[kept], labels[kept], SHRINKAGE)
        bank = unit_rows((features[kept] - mean) @ projection)
        query = unit_rows((features[held] - mean) @ projection)
        distances[held[::per]] = photo_distances(best_by_taxon(query, bank, labels[kept], len(taxa)), per)
    return distances, labels[::per]


def _specimen_folds(refs: list[Reference], folds: int) -> list[int]:
    """The fold of each photo: specimen j of the t-th taxon goes to fold (t + j) % folds."""
    order: dict[str, dict[str, int]] = {}
    for r in refs:
        mine = order.setdefault(r.taxon, {})
        mine.setdefault(r.specimen, len(mine))
    taxon_index = {t: i for i, t in enumerate(order)}
    return [(taxon_index[r.taxon] + order[r.taxon][r.specimen]) % folds for r in refs]


@dataclass(frozen=True)
class Calibration:
    temperature: float
    reference: float  # median nearest distance of the known (leave-one-specimen-out) photos, or half the threshold
    threshold: float
    figures: dict[str, float | int | None]  # None: nothing to score (one photo per taxon, one taxon)


def fit_temperature(distances: np.ndarray, truth: np.ndarray) -> float:
    """The temperature minimising the negative log-likelihood of the true taxon (grid search, log-spaced)."""
    if len(truth) == 0:
        return 0.02
    grid = np.geomspace(0.002, 0.5, 60)
    d = distances - distances.min(axis=1, keepdims=True)
    nll = [float(np.mean(np.log(np.exp(-d / t).sum(axis=1)) + d[np.arange(len(truth)), truth] / t)) for t in grid]
    return float(grid[int(np.argmin(nll))])


def calibrate(distances: np.ndarray, truth: np.ndarray) -> Calibration:
    """Temperature and open-set threshold from the leave-out distances (see the module docstring)."""
    rows = np.arange(len(truth))
    finite = np.isfinite(distances)
    known = finite[rows, truth]  # photos whose taxon keeps a reference once their specimen is left out
    nearest = np.where(finite, distances, np.inf).min(axis=1)
    others = np.where(finite, distances, np.inf)
    others[rows, truth] = np.inf
    left_out = others.min(axis=1)
    left_out = left_out[np.isfinite(left_out)]
    threshold = float(np.quantile(left_out, UNKNOWN_ACCEPT)) if len(left_out) else DEFAULT_THRESHOLD
    temperature = fit_temperature(np.where(finite, distances, 4.0)[known], truth[known])
    known_nearest = nearest[known]
    reference = float(np.median(known_nearest)) if known.any() else threshold / 2
    reference = min(reference, 0.8 * threshold)
    nearest_taxon = np.argmax(-np.where(finite, distances, np.inf), axis=1)
    top1 = nearest_taxon == truth
    # given a call by the open-set rule and the probability threshold (the gate aside: references pass it)
    called = (nearest <= threshold) & (softmax(-np.where(finite, distances, 4.0), temperature).max(axis=1)
                                       >= SPECIES_PROBABILITY)
    figures = {"loso_photos": int(known.sum()), "left_out_photos": len(left_out),
               "loso_top1": float(top1[known].mean()) if known.any() else None,
               "loso_accepted": float(called[known].mean()) if known.any() else None,
               "loso_called_wrong": float((called & ~top1)[known].mean()) if known.any() else None,
               "left_out_abstained": float((left_out > threshold).mean()) if len(left_out) else None}
    return Calibration(temperature, reference, threshold, figures)


def decision_params(taxa: tuple[str, ...], calibration: Calibration, gate: dict, *,
                    analysis_side: int = ENROLLED_SIDE) -> dict:
    """The manifest params the shared decision reads (``WoodModelParams``)."""
    table = load_taxa().with_taxa(taxa)
    return {
        "taxa": list(taxa), "genera": [table.genus_of(t) for t in taxa],
        "temperature": round(calibration.temperature, 6),
        "open_set": {"score": "knn", "reference": {"knn": round(calibration.reference, 6)},
                     "threshold": {"knn": round(calibration.threshold, 6)}},
        # any CITES-listed taxon in the top 3 blocks "clear" (look-alike probability 0)
        "thresholds": {"species_probability": SPECIES_PROBABILITY, "genus_probability": GENUS_PROBABILITY,
                       "lookalike_probability": 0.0},
        "top_k": 3, "analysis_side": analysis_side, "crop": CROP, "grid": GRID, "gate": gate, "batch_size": BATCH,
    }


def gate_from_references(stats: list[dict[str, float]], refs: list[Reference], counts: dict) -> dict:
    """The non-wood gate (wood/gate.py) for an enrolled collection: the default wood ranges (any timber's colour,
    a natural photo's pixel correlation), widened where the references go beyond them (``calibrate_gate``), never
    narrowed by them: a few references do not span their taxa's photos, and a gate fitted to 16 photos turned away
    most new photos of the same taxa. The structure floor is ``STRUCTURE_SLACK`` of the flattest reference; a
    taxon's own colour range only from ``CLASS_COLOUR_MIN_PHOTOS`` photos. Non-wood inputs that pass these loose
    checks are left to the open-set distance (docs/wood.md). ``stats``: each reference's ``view_statistics``."""
    own = [i for i, r in enumerate(refs) if counts[r.taxon]["photos"] >= CLASS_COLOUR_MIN_PHOTOS]
    fitted = calibrate_gate(stats, classes=[refs[i].taxon for i in own], class_stats=[stats[i] for i in own])
    base = GateThresholds()
    return GateThresholds(
        min_valid_fraction=min(fitted.min_valid_fraction, base.min_valid_fraction),
        max_gray_fraction=max(fitted.max_gray_fraction, base.max_gray_fraction),
        max_bright_fraction=max(fitted.max_bright_fraction, base.max_bright_fraction),
        hue_range=(min(fitted.hue_range[0], base.hue_range[0]), max(fitted.hue_range[1], base.hue_range[1])),
        chroma_range=(min(fitted.chroma_range[0], base.chroma_range[0]),
                      max(fitted.chroma_range[1], base.chroma_range[1])),
        min_autocorrelation=min(fitted.min_autocorrelation, base.min_autocorrelation),
        min_structure=fitted.min_structure * STRUCTURE_SLACK, class_colour=fitted.class_colour,
    ).to_dict()


def replace_package(staging: Path, out: Path) -> None:
    """Swap the finished package into place (the registry skips hidden folders, so a reload never sees a half)."""
    old = out.parent / f".{out.name}.old-{time.time_ns()}"
    if out.exists():
        out.rename(old)
    staging.rename(out)
    shutil.rmtree(old, ignore_errors=True)
