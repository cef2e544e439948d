"""The wood classifier on the shared ONNX Runtime layer: pre_process -> forward -> post_process -> predict.

The ONNX graph (exported by smartinspect.wood.train.export) takes (n, 3, 128, 128) float32 RGB 0-255 crops and
returns ``logits`` (n, classes), ``features`` (n, d), ``distance`` (n,): the Mahalanobis distance of each crop's
features to the nearest class mean (tied covariance fitted on the training crops), and ``knn`` (n,): one minus the
cosine similarity to the k-th nearest training crop; both open-set scores are computed inside the graph. Newer
graphs also return ``anatomy`` (n,): the distance of the anatomy predicted from the features to the nearest class
(``training.wood_model.AnatomyHead``).
Everything the decision needs besides the graph (classes, temperature, thresholds) is in the manifest's params.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from smartinspect.runtime import LoadedModel
from smartinspect.wood.gate import GateResult, GateThresholds, check_wood_likeness
from smartinspect.wood.preprocess import ANALYSIS_SIDE, CROP, GRID, analysis_view, grid_crops, to_batch
from smartinspect.wood.types import ImageScores

OPEN_SET_SCORES = ("distance", "knn", "energy", "anatomy")


@dataclass(frozen=True)
class OpenSetRule:
    """When a photo is unlike every known class. ``score`` names one or more of OPEN_SET_SCORES joined by "+":
    ``distance`` (Mahalanobis to the nearest class mean, from the graph), ``knn`` (cosine distance to the k-th
    nearest training crop, from the graph), ``energy`` (of the calibrated logits) and ``anatomy`` (the predicted
    anatomy's distance to the nearest class, from graphs that have it). Each is normalised so that its
    known-class median maps to 0 and its threshold to 1; the photo abstains when the largest is above 1.

    ``per_class`` (optional) holds a reference and threshold per predicted class (taxon name), so that each class
    keeps the same share of its own validation photos: the score spread differs between genera, and one global
    threshold rejects more photos of the more variable ones. A class without an entry uses the global pair.
    """

    score: str
    reference: dict[str, float]
    threshold: dict[str, float]
    per_class: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = self.score.split("+")
        bad = [n for n in names if n not in OPEN_SET_SCORES or n not in self.reference or n not in self.threshold]
        bad += [f"{taxon}:{n}" for taxon, pair in self.per_class.items() for n in names
                if n not in pair.get("reference", {}) or n not in pair.get("threshold", {})]
        if bad or not names:
            raise ValueError(f"open-set score {self.score!r}: {bad} unknown or without reference and threshold; "
                             f"valid scores: {', '.join(OPEN_SET_SCORES)}")

    def value(self, scores: dict[str, float], predicted: str | None = None) -> float:
        """Above 1: unlike every known class. ``predicted``: the photo's top class, for per-class thresholds."""
        pair = self.per_class.get(predicted) if predicted is not None else None
        reference, threshold = (pair["reference"], pair["threshold"]) if pair else (self.reference, self.threshold)
        return max((scores[n] - reference[n]) / (threshold[n] - reference[n]) for n in self.score.split("+"))

    @classmethod
    def from_dict(cls, raw: dict) -> OpenSetRule:
        def floats(d: dict) -> dict[str, float]:
            return {k: float(v) for k, v in d.items()}

        per_class = {str(t): {"reference": floats(p["reference"]), "threshold": floats(p["threshold"])}
                     for t, p in (raw.get("per_class") or {}).items()}
        return cls(str(raw["score"]), floats(raw["reference"]), floats(raw["threshold"]), per_class)

    def to_dict(self) -> dict:
        out: dict = {"score": self.score, "reference": dict(self.reference), "threshold": dict(self.threshold)}
        if self.per_class:
            out["per_class"] = {t: {"reference": dict(p["reference"]), "threshold": dict(p["threshold"])}
                                for t, p in self.per_class.items()}
        return out


@dataclass(frozen=True)
class WoodModelParams:
    """Operating parameters from the manifest (``params``)."""

    taxa: tuple[str, ...]  # class order of the logits
    genera: tuple[str, ...]  # genus of each class
    temperature: float  # calibration (fitted on validation photos)
    open_set: OpenSetRule  # abstain when the photo is unlike every known class
    species_threshold: float  # call the species when its probability is at least this
    genus_threshold: float  # else call the genus when the genus probability is at least this; else abstain
    lookalike_threshold: float  # a CITES taxon in the top-k at this probability blocks "clear"
    top_k: int
    analysis_side: int
    crop: int
    grid: int
    gate: GateThresholds
    batch_size: int = 32

    @classmethod
    def from_params(cls, params: dict) -> WoodModelParams:
        try:
            return cls._from_params(params)
        except (KeyError, TypeError) as exc:
            raise ValueError(f"the wood model's manifest params are incomplete or malformed: {exc!r}") from exc

    @classmethod
    def _from_params(cls, params: dict) -> WoodModelParams:
        t = params["thresholds"]
        return cls(
            taxa=tuple(params["taxa"]), genera=tuple(params["genera"]), temperature=float(params["temperature"]),
            open_set=OpenSetRule.from_dict(params["open_set"]), species_threshold=float(t["species_probability"]),
            genus_threshold=float(t["genus_probability"]), lookalike_threshold=float(t["lookalike_probability"]),
            top_k=int(params.get("top_k", 3)), analysis_side=int(params.get("analysis_side", ANALYSIS_SIDE)),
            crop=int(params.get("crop", CROP)), grid=int(params.get("grid", GRID)),
            gate=GateThresholds.from_dict(params.get("gate")), batch_size=int(params.get("batch_size", 32)),
        )

    def open_set_value(self, scores: dict[str, float], probabilities) -> float:
        """The served open-set score of a photo (above 1: abstain), at its top class's threshold."""
        return self.open_set.value(scores, top_class(probabilities, self.taxa))

    def wood_likeness(self, view: np.ndarray, scores: ImageScores) -> GateResult:
        """The gate on a photo's analysis view, with the colour range of the class the model calls it."""
        return check_wood_likeness(view, self.gate, top_class(scores.probabilities, self.taxa))

    def unlike_known(self, scores: ImageScores) -> bool:
        """True when the open-set rule says the photo is unlike every known class."""
        return self.open_set_value(scores.open_set_scores(), scores.probabilities) > 1.0


def top_class(probabilities, taxa) -> str:
    """The class (taxon name) with the highest probability: the one whose open-set threshold applies."""
    return taxa[int(np.argmax(probabilities))]


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def energy_score(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """-T logsumexp(logits / T): low for inputs like the training data (Liu et al. 2020)."""
    z = logits / temperature
    m = z.max(axis=-1)
    return -temperature * (m + np.log(np.exp(z - m[..., None]).sum(axis=-1)))


class WoodClassifier:
    """Scores photos with the served wood model. Thread-safe (ONNX Runtime sessions are)."""

    def __init__(self, loaded: LoadedModel) -> None:
        self.loaded = loaded
        self.params = WoodModelParams.from_params(loaded.spec.params)
        self.name, self.version = loaded.spec.name, loaded.spec.version
        outputs = set(loaded.model.output_names)
        self.has_anatomy = "anatomy" in outputs
        if "anatomy" in self.params.open_set.score.split("+") and not self.has_anatomy:
            raise ValueError(f"{self.name} {self.version}: the open-set rule uses the anatomy score, but the ONNX graph "
                             f"has no 'anatomy' output (outputs: {sorted(outputs)})")

    def pre_process(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(h, w, 3) uint8 RGB -> (analysis view, (grid^2, 3, crop, crop) float32 batch)."""
        view = analysis_view(rgb, self.params.analysis_side)
        return view, to_batch(grid_crops(view, self.params.crop, self.params.grid))

    def forward(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        """(n, 3, crop, crop) -> {"logits": (n, classes), "distance": (n,), "knn": (n,)[, "anatomy": (n,)]}, in
        chunks."""
        parts: dict[str, list[np.ndarray]] = {"logits": [], "distance": [], "knn": []}
        if self.has_anatomy:
            parts["anatomy"] = []
        for start in range(0, len(batch), self.params.batch_size):
            out = self.loaded.model.run(batch[start:start + self.params.batch_size])
            named = dict(zip(self.loaded.model.output_names, out, strict=True))
            for key, chunks in parts.items():
                chunks.append(named[key] if key in named else np.zeros(len(out[0]), np.float32))
        return {key: np.concatenate(chunks) for key, chunks in parts.items()}

    def post_process(self, out: dict[str, np.ndarray], n_images: int) -> list[ImageScores]:
        """Crop outputs (n_images * grid^2) -> one :class:`ImageScores` per photo (means over its crops)."""
        per = self.params.grid ** 2
        logits = out["logits"].reshape(n_images, per, -1).mean(axis=1)
        distance = out["distance"].reshape(n_images, per).mean(axis=1)
        knn = out["knn"].reshape(n_images, per).mean(axis=1)
        anatomy = out["anatomy"].reshape(n_images, per).mean(axis=1) if "anatomy" in out else None
        probs = softmax(logits, self.params.temperature)
        energy = energy_score(logits, self.params.temperature)
        return [ImageScores(tuple(float(p) for p in probs[i]), float(distance[i]), float(energy[i]), float(knn[i]),
                            None if anatomy is None else float(anatomy[i])) for i in range(n_images)]

    def score_views(self, views: list[np.ndarray]) -> list[ImageScores]:
        """Analysis views -> scores; all crops of all photos go through the model in one batched pass."""
        if not views:
            return []
        batch = np.concatenate([to_batch(grid_crops(v, self.params.crop, self.params.grid)) for v in views])
        return self.post_process(self.forward(batch), len(views))

    def predict(self, rgb: np.ndarray) -> ImageScores:
        _view, batch = self.pre_process(rgb)
        return self.post_process(self.forward(batch), 1)[0]
