"""Wood screening on a lab's own reference collection: pretrained features, a reference bank, nearest references.

An enrolled package (``smartinspect wood enroll``, ``smartinspect.wood.train.enroll``) holds:

- ``features.onnx``: ImageNet EfficientNet-Lite0 truncated after its last stage, input ``images`` (n, 3, 128, 128)
  float32 RGB 0-255 crops, output ``features`` (n, d): each requested stage's feature map average-pooled and
  L2-normalised, concatenated and scaled to unit length;
- ``bank.npz``: the features of every crop of every reference photo, sorted by taxon, with the photo and specimen
  of each crop, and the within-taxon whitening fitted on them (mean and projection: photos of one taxon vary in
  lighting, camera and sanding; whitening shrinks those directions), sha256 in the manifest, checked on load;
- ``manifest.json`` (task ``wood-enrolled``): the taxa, and the same decision parameters as the synthetic-trained
  classifier (temperature, open-set rule on the ``knn`` score, thresholds, gate), so that the decision, the CITES
  rules and the service are shared (``smartinspect.wood.screening``).

A photo's crops (a 3 x 3 grid of 128 px crops over the 256 px analysis view) are each matched with the nearest
reference crop of every taxon; a taxon's distance is the mean over the photo's crops of one minus that cosine
similarity. Probabilities are a softmax of minus the distances over a calibrated temperature; the open-set score
(``knn``) is the distance to the nearest taxon. Serving only: numpy and the shared ONNX Runtime layer, no torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from smartinspect.domain.tasks import WOOD_ENROLLED_TASK, WOOD_TASK
from smartinspect.runtime import LoadedModel, file_sha256
from smartinspect.wood.inferencer import WoodClassifier, WoodModelParams, energy_score, softmax
from smartinspect.wood.preprocess import grid_crops, to_batch
from smartinspect.wood.taxa import TaxonTable, load_taxa
from smartinspect.wood.types import ImageScores

BANK_FILE = "bank.npz"
# The gate statistics kept per reference photo (smartinspect.wood.gate.view_statistics), so that references can be
# added to a package without its photos
STAT_KEYS = ("valid_fraction", "gray_fraction", "bright_fraction", "hue", "chroma", "autocorrelation", "structure")
CHUNK = 2048  # reference crops per similarity block (bounds the memory of a large bank)


class BankMismatch(ValueError):
    """The reference bank is missing, altered, or does not fit the manifest."""


@dataclass(frozen=True)
class ReferenceBank:
    """Crop features of the reference photos, sorted by taxon. ``starts[t]``: the first row of taxon ``t``."""

    features: np.ndarray  # (n, d) float32, unit rows
    labels: np.ndarray  # (n,) int32 taxon index (non-decreasing)
    photos: np.ndarray  # (n,) int32 photo index
    specimens: np.ndarray  # (n,) int32 specimen index (a photo is its own specimen unless the folder groups them)
    taxa: tuple[str, ...]
    mean: np.ndarray  # (d,) of the backbone features of the reference crops
    projection: np.ndarray  # (d, d) within-taxon whitening: the bank holds normalise((f - mean) @ projection)
    # What adding references to the package needs (``wood enroll --append-to``; absent in packages before it): the
    # backbone features before whitening, in the bank's row order, each photo's gate statistics (``STAT_KEYS``) and
    # the specimens' names ("<taxon>/<folder or photo>").
    raw: np.ndarray | None = None  # (n, d)
    photo_stats: np.ndarray | None = None  # (photos, len(STAT_KEYS))
    specimen_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        n = len(self.features)
        if not (len(self.labels) == len(self.photos) == len(self.specimens) == n) or n == 0:
            raise BankMismatch(f"reference bank: {n} features for {len(self.labels)} labels")
        if np.any(np.diff(self.labels) < 0) or self.labels.min() < 0 or self.labels.max() >= len(self.taxa):
            raise BankMismatch("reference bank: labels are not sorted taxon indices")
        missing = sorted(set(range(len(self.taxa))) - set(np.unique(self.labels).tolist()))
        if missing:
            raise BankMismatch(f"reference bank: no reference crops for {[self.taxa[i] for i in missing]}")
        if self.raw is not None and self.raw.shape[0] != n:
            raise BankMismatch(f"reference bank: {len(self.raw)} raw features for {n} crops")

    def project(self, features: np.ndarray) -> np.ndarray:
        """Backbone features (n, d) -> the bank's space: centred, whitened within taxa, unit rows."""
        return unit_rows((features - self.mean) @ self.projection)

    def save(self, path: Path) -> Path:
        extra = {} if self.raw is None else {
            "raw": self.raw.astype(np.float16), "photo_stats": np.asarray(self.photo_stats, np.float32),
            "stat_keys": np.array(STAT_KEYS), "specimen_names": np.array(self.specimen_names)}
        np.savez(path, features=self.features.astype(np.float16), labels=self.labels.astype(np.int32),
                 photos=self.photos.astype(np.int32), specimens=self.specimens.astype(np.int32),
                 taxa=np.array(self.taxa), mean=self.mean.astype(np.float32),
                 projection=self.projection.astype(np.float32), **extra)
        return path

    @classmethod
    def load(cls, path: Path, *, sha256: str | None = None) -> ReferenceBank:
        if not path.is_file():
            raise BankMismatch(f"reference bank {path} does not exist")
        if sha256 is not None and file_sha256(path) != sha256:
            raise BankMismatch(f"reference bank {path}: sha256 does not match the manifest's {sha256}")
        with np.load(path, allow_pickle=False) as raw:
            extra = {}
            if "raw" in raw.files:
                if tuple(str(k) for k in raw["stat_keys"]) != STAT_KEYS:
                    raise BankMismatch(f"reference bank {path}: gate statistics {list(raw['stat_keys'])}, "
                                       f"expected {list(STAT_KEYS)}")
                extra = {"raw": raw["raw"].astype(np.float32), "photo_stats": raw["photo_stats"],
                         "specimen_names": tuple(str(s) for s in raw["specimen_names"])}
            return cls(unit_rows(raw["features"].astype(np.float32)), raw["labels"], raw["photos"],
                       raw["specimens"], tuple(str(t) for t in raw["taxa"]), raw["mean"], raw["projection"], **extra)


def unit_rows(x: np.ndarray) -> np.ndarray:
    return (x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)).astype(np.float32)


def within_taxon_whitening(features: np.ndarray, labels: np.ndarray, shrinkage: float) -> tuple[np.ndarray, np.ndarray]:
    """(mean, projection) that whitens the pooled within-taxon scatter of ``features`` (shrunk towards its mean
    variance by ``shrinkage``): directions in which photos of one taxon vary (lighting, camera, sanding) shrink,
    directions that separate taxa grow. Fitted on the references only, at enrollment."""
    x = features.astype(np.float64)
    within = np.zeros((x.shape[1], x.shape[1]))
    for t in np.unique(labels):
        d = x[labels == t] - x[labels == t].mean(axis=0)
        within += d.T @ d
    within /= len(x)
    within = (1 - shrinkage) * within + shrinkage * np.trace(within) / len(within) * np.eye(len(within))
    values, vectors = np.linalg.eigh(within)
    return x.mean(axis=0).astype(np.float32), (vectors / np.sqrt(np.maximum(values, 1e-12))).astype(np.float32)


def taxon_similarity(query: np.ndarray, bank: ReferenceBank) -> np.ndarray:
    """(q, d) crop features in the bank's space -> (q, taxa): each crop's cosine similarity to the nearest reference
    crop of each taxon."""
    return best_by_taxon(query, bank.features, bank.labels, len(bank.taxa))


def best_by_taxon(query: np.ndarray, features: np.ndarray, labels: np.ndarray, n_taxa: int) -> np.ndarray:
    """(q, d) x (n, d) reference features with non-decreasing taxon ``labels`` -> (q, n_taxa) best similarity per
    taxon (-inf for a taxon with no reference), in blocks of ``CHUNK`` references."""
    best = np.full((len(query), n_taxa), -np.inf, np.float32)
    for lo in range(0, len(features), CHUNK):
        hi = min(lo + CHUNK, len(features))
        sims = query @ features[lo:hi].T
        block_labels = labels[lo:hi]
        starts = np.concatenate([[0], np.flatnonzero(np.diff(block_labels)) + 1])
        idx = block_labels[starts]
        best[:, idx] = np.maximum(best[:, idx], np.maximum.reduceat(sims, starts, axis=1))
    return best


def photo_distances(crop_similarity: np.ndarray, crops_per_photo: int) -> np.ndarray:
    """(photos * crops, taxa) nearest-reference similarities -> (photos, taxa) mean cosine distances."""
    n = len(crop_similarity) // crops_per_photo
    return (1.0 - crop_similarity.reshape(n, crops_per_photo, -1)).mean(axis=1)


def scores_from_distances(distances: np.ndarray, temperature: float) -> list[ImageScores]:
    """(photos, taxa) distances -> :class:`ImageScores`: probabilities softmax(-d / T); ``knn`` and
    ``open_set_distance``: the distance to the nearest taxon; ``energy`` of the pseudo-logits -d."""
    finite = np.where(np.isfinite(distances), distances, 4.0)  # a taxon with no reference: as far as possible
    probs = softmax(-finite, temperature)
    nearest = finite.min(axis=1)
    energy = energy_score(-finite, temperature)
    return [ImageScores(tuple(float(p) for p in probs[i]), float(nearest[i]), float(energy[i]), float(nearest[i]))
            for i in range(len(finite))]


class EnrolledClassifier:
    """Scores photos against an enrolled reference bank; the same interface as :class:`WoodClassifier` (``params``,
    ``score_views``, ``name``, ``version``) plus ``table``: taxa.yaml extended with the enrolled taxa."""

    def __init__(self, loaded: LoadedModel) -> None:
        self.loaded = loaded
        self.params = WoodModelParams.from_params(loaded.spec.params)
        self.name, self.version = loaded.spec.name, loaded.spec.version
        bank = loaded.spec.params.get("bank") or {}
        self.bank = ReferenceBank.load(loaded.spec.file.parent / bank.get("file", BANK_FILE),
                                       sha256=bank.get("sha256"))
        if self.bank.taxa != self.params.taxa:
            raise BankMismatch(f"{self.name} {self.version}: the bank's taxa {self.bank.taxa[:5]}... differ from the "
                               f"manifest's {self.params.taxa[:5]}...")
        self.table: TaxonTable = load_taxa().with_taxa(self.params.taxa)

    def features(self, batch: np.ndarray) -> np.ndarray:
        """(n, 3, crop, crop) float32 0-255 -> (n, d) features in the bank's space, in chunks of the batch size."""
        parts = [self.loaded.model.run(batch[s:s + self.params.batch_size])[0]
                 for s in range(0, len(batch), self.params.batch_size)]
        return self.bank.project(np.concatenate(parts).astype(np.float32))

    def distances(self, views: list[np.ndarray]) -> np.ndarray:
        """Analysis views -> (photos, taxa) mean nearest-reference cosine distances."""
        batch = np.concatenate([to_batch(grid_crops(v, self.params.crop, self.params.grid)) for v in views])
        return photo_distances(taxon_similarity(self.features(batch), self.bank), self.params.grid ** 2)

    def score_views(self, views: list[np.ndarray]) -> list[ImageScores]:
        if not views:
            return []
        return scores_from_distances(self.distances(views), self.params.temperature)


def served_classifier(registry) -> WoodClassifier | EnrolledClassifier:
    """The wood screening model the service uses: an enrolled reference collection when one is served, else the
    synthetic-trained classifier (docs/wood.md, "Enrolled reference collections"). KeyError when neither is."""
    try:
        return EnrolledClassifier(registry.by_task(WOOD_ENROLLED_TASK))
    except KeyError:
        return WoodClassifier(registry.by_task(WOOD_TASK))


def classifier_for(loaded: LoadedModel) -> WoodClassifier | EnrolledClassifier:
    """The classifier of a loaded wood package, by its task."""
    if loaded.spec.task == WOOD_ENROLLED_TASK:
        return EnrolledClassifier(loaded)
    if loaded.spec.task == WOOD_TASK:
        return WoodClassifier(loaded)
    raise ValueError(f"{loaded.spec.name} serves task {loaded.spec.task!r}, not a wood screening task "
                     f"({WOOD_ENROLLED_TASK} or {WOOD_TASK})")


def screen_files(classifier: WoodClassifier | EnrolledClassifier, files: list[Path], settings) -> list[dict]:
    """One record per file, in order: the photo's top-k (taxon, genus, probability, CITES appendix), its call and
    whether it abstained and why; a file that cannot be screened gets ``error`` (its code and message) and counts
    as abstained. Files are checked like uploads (``check_photos``) and scored in one batch."""
    from smartinspect.domain.uploads import UploadRejected
    from smartinspect.wood.decision import call_image
    from smartinspect.wood.service import check_photos

    records: list[dict] = [{"file": str(f)} for f in files]
    views, where = [], []
    for i, path in enumerate(files):
        try:
            views += [check_photos([path.read_bytes()], settings, analysis_side=classifier.params.analysis_side)[0].view]
            where.append(i)
        except (UploadRejected, OSError) as exc:
            code, message = (exc.code, exc.message) if isinstance(exc, UploadRejected) else ("unreadable", str(exc))
            records[i] |= {"top_k": [], "call": None, "abstained": True, "reason": code,
                           "error": {"code": code, "message": message.removeprefix("image 0: ")}}
    table = getattr(classifier, "table", None) or load_taxa()
    for i, view, scores in zip(where, views, classifier.score_views(views), strict=True):
        call = call_image(0, scores, classifier.params.wood_likeness(view, scores), classifier.params, table)
        status = table.cites_of(call.call) if call.call else None
        records[i] |= {
            "top_k": [{"taxon": t.taxon, "genus": t.genus, "probability": round(t.probability, 4),
                       "cites_appendix": t.cites_appendix} for t in call.top_k],
            "call": call.call, "call_level": call.call_level.value, "abstained": call.abstained,
            "reason": call.abstain_reason, "cites_state": status.state if status else None,
            "cites_appendix": status.appendix if status else None,
            "open_set_score": round(classifier.params.open_set_value(scores.open_set_scores(), scores.probabilities), 4),
            "gate_failures": list(call.gate.get("failures", [])),
        }
    return records
