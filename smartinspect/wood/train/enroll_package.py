"""The enrolled package end to end: read references, export and check the feature extractor, features through
ONNX Runtime (what serving runs), bank, calibration, manifest, model card, MLflow run."""

from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from smartinspect.domain.tasks import WOOD_ENROLLED_TASK
from smartinspect.runtime import OnnxModel, file_sha256
from smartinspect.training.backbone import CODE_WHEEL, LICENCE, WEIGHTS_FILE, WEIGHTS_WHEEL
from smartinspect.wood.enrolled import BANK_FILE, BankMismatch, ReferenceBank
from smartinspect.wood.preprocess import ANALYSIS_SIDE, CROP
from smartinspect.wood.train.enroll import (
    BATCH,
    ENROLLED_SIDE,
    GRID,
    UNKNOWN_ACCEPT,
    Calibration,
    EnrollmentError,
    Reference,
    ReferenceSet,
    build_bank,
    calibrate,
    crop_batch,
    decision_params,
    gate_from_references,
    leave_out_distances,
    read_references,
    reference_counts,
    references_of,
    replace_package,
)
from smartinspect.wood.train.enroll_card import write_card
from smartinspect.wood.train.enroll_features import DEFAULT_STAGES, EnrolledFeatures, check_parity, export_features

log = logging.getLogger(__name__)
MODEL_NAME = "wood-enrolled"
ONNX_FILE = "features.onnx"


@dataclass(frozen=True)
class EnrollResult:
    package: Path
    manifest: dict
    seconds: dict[str, float]


def onnx_features(path: Path, batch: np.ndarray, threads: int = 0) -> np.ndarray:
    model = OnnxModel(path, providers=["CPUExecutionProvider"], intra_op_threads=threads)
    return np.concatenate([model.run(batch[s:s + BATCH])[0] for s in range(0, len(batch), BATCH)])


def enroll(references: Path, out: Path, *, settings, source: str | None = None, track: bool = True,
           stages: tuple[str, ...] = DEFAULT_STAGES, append_to: Path | None = None,
           register: bool = False) -> EnrollResult:
    """Enroll ``references`` (one folder per taxon) into the package folder ``out`` (replaced atomically).

    ``append_to``: an enrolled package whose references are kept (from its bank: no photos needed) and extended by
    ``references`` (new taxa, or more photos of its taxa); its feature graph is reused, the whitening, calibration
    and gate are refitted on the whole collection. ``register``: register the package in the MLflow registry as
    the challenger (``smartinspect promote wood-enrolled`` then gates it); needs ``track``."""
    t0 = time.perf_counter()
    staging = out.parent / f".{out.name}.staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    onnx_path = staging / ONNX_FILE
    base = _appended_base(append_to, onnx_path) if append_to is not None else None
    side = base.analysis_side if base is not None else ENROLLED_SIDE  # new photos at the side of their package
    refs = read_references(references, settings, analysis_side=side)
    t_read = time.perf_counter()
    batch = crop_batch(refs.views)
    if base is None:
        net = EnrolledFeatures(stages)
        features_info = {"stages": list(stages), "pooling": net.pooling, "views": net.views}
        export_features(net, onnx_path, crop=CROP)
        parity = check_parity(net, onnx_path, batch[: min(len(batch), 16)])
        features = onnx_features(onnx_path, batch)
    else:
        features_info, parity = base.features_info, base.parity
        features = np.concatenate([base.features, onnx_features(onnx_path, batch)])
        refs = _merged(base, refs)
        source = f"{base.source}; added: {source or f'reference photos under {references}'}"
    t_features = time.perf_counter()
    bank = build_bank(features, refs.refs, refs.taxa, refs.stats)
    bank.save(staging / BANK_FILE)
    distances, truth = leave_out_distances(features, refs.refs, refs.taxa)
    calibration = calibrate(distances, truth)
    t_fit = time.perf_counter()
    seconds = {"read": t_read - t0, "features": t_features - t_read, "calibrate": t_fit - t_features}
    manifest = _manifest(refs, calibration, staging, features_info=features_info, parity=parity, seconds=seconds,
                         source=source or f"reference photos under {references}", analysis_side=side)
    if base is not None:
        manifest["references"]["appended_to"] = base.version
    if track:
        _track(settings, manifest, staging, refs.counts)
    else:
        _write_files(staging, manifest, refs.counts)
    replace_package(staging, out)
    seconds["total"] = time.perf_counter() - t0
    log.info("enrolled %d photos of %d taxa into %s in %.1f s", len(refs.refs), len(refs.taxa), out, seconds["total"])
    if register:
        if not track:
            raise ValueError("registering an enrolled package needs its MLflow run (track=True)")
        from smartinspect.lifecycle.runs import finish_training_run
        from smartinspect.wood.enrolled_kind import WOOD_ENROLLED

        finish_training_run(out, settings=settings, kind=WOOD_ENROLLED)
    return EnrollResult(out, manifest, {k: round(v, 2) for k, v in seconds.items()})


@dataclass(frozen=True)
class _Base:
    """An enrolled package's references, as its bank keeps them."""

    refs: list[Reference]
    features: np.ndarray
    stats: list[dict[str, float]]
    features_info: dict  # the graph's stages, pooling and views (manifest params.backbone)
    analysis_side: int  # the view its references were read at (packages before session 14: 256)
    parity: float
    source: str
    version: str


def _appended_base(package: Path, onnx_path: Path) -> _Base:
    """Read the package to extend; its feature graph is copied to ``onnx_path`` (the new photos go through it)."""
    try:
        manifest = json.loads((package / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise EnrollmentError(f"--append-to {package}: not an enrolled package ({exc})") from exc
    if manifest.get("task") != WOOD_ENROLLED_TASK:
        raise EnrollmentError(f"--append-to {package}: a {manifest.get('task')!r} package, not an enrolled one")
    bank_info = manifest["params"]["bank"]
    try:
        bank = ReferenceBank.load(package / bank_info["file"], sha256=bank_info.get("sha256"))
    except BankMismatch as exc:
        raise EnrollmentError(f"--append-to {package}: {exc}") from exc
    refs, features, stats = references_of(bank)
    if file_sha256(package / manifest["file"]) != manifest["sha256"]:
        raise EnrollmentError(f"--append-to {package}: {manifest['file']} does not match the manifest's sha256")
    shutil.copyfile(package / manifest["file"], onnx_path)
    backbone = manifest["params"]["backbone"]
    return _Base(refs, features, stats, {"stages": backbone["stages"], "pooling": backbone.get("pooling", "mean"),
                                         "views": backbone.get("views", 1)},
                 int(manifest["params"].get("analysis_side", ANALYSIS_SIDE)), float(manifest["metrics"].get("onnx_parity_max_abs", 0.0)), manifest["references"]["source"],
                 str(manifest["version"]))


def _merged(base: _Base, new: ReferenceSet) -> ReferenceSet:
    refs = base.refs + new.refs
    counts = reference_counts(refs)
    return ReferenceSet(refs, [], tuple(counts), counts, base.stats + new.stats)


def _manifest(refs, calibration: Calibration, staging: Path, *, features_info: dict, parity: float, seconds: dict,
              source: str, analysis_side: int) -> dict:
    gate = gate_from_references(refs.stats, refs.refs, refs.counts)
    version = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    return {
        "name": MODEL_NAME, "task": WOOD_ENROLLED_TASK, "version": version, "file": ONNX_FILE,
        "sha256": file_sha256(staging / ONNX_FILE),
        "inputs": [{"name": "images", "shape": ["batch", 3, CROP, CROP], "dtype": "float32"}],
        "params": decision_params(refs.taxa, calibration, gate, analysis_side=analysis_side) | {
            "bank": {"file": BANK_FILE, "sha256": file_sha256(staging / BANK_FILE),
                     "crops": len(refs.refs) * GRID ** 2, "photos": len(refs.refs)},
            "backbone": {"network": "EfficientNet-Lite0 (ImageNet)", **features_info,
                         "weights": f"{WEIGHTS_WHEEL} ({WEIGHTS_FILE})", "code": CODE_WHEEL, "licence": LICENCE},
        },
        "metrics": {"calibration": {k: (round(v, 4) if isinstance(v, float) else v)
                                    for k, v in calibration.figures.items()},
                    "onnx_parity_max_abs": parity, "unknown_accept_target": UNKNOWN_ACCEPT,
                    "seconds": {k: round(v, 2) for k, v in seconds.items()}},
        "references": {"source": source, "taxa": refs.counts, "photos": len(refs.refs),
                       "specimens": len({r.specimen for r in refs.refs})},
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _write_files(staging: Path, manifest: dict, counts: dict) -> None:
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    write_card(staging, manifest, counts)


def _track(settings, manifest: dict, staging: Path, counts: dict) -> None:
    """One MLflow run per enrollment: parameters, calibration figures, the package (manifest with the run id, card,
    bank, graph) under ``package/``, as a training run logs it, so that it can be registered."""
    from smartinspect.lifecycle.mlflow_registry import PACKAGE_ARTIFACT
    from smartinspect.training.tracking import configure_mlflow

    mlflow = configure_mlflow(settings, "wood-enrolled")
    params = manifest["params"]
    with mlflow.start_run(run_name=f"enroll-{manifest['version']}") as run:
        mlflow.log_params({"taxa": len(params["taxa"]), "photos": params["bank"]["photos"],
                           "crops": params["bank"]["crops"], "stages": ",".join(params["backbone"]["stages"]),
                           "grid": params["grid"], "temperature": params["temperature"],
                           "threshold": params["open_set"]["threshold"]["knn"],
                           "source": manifest["references"]["source"][:250]})
        figures = {k: v for k, v in manifest["metrics"]["calibration"].items() if isinstance(v, int | float)
                   and np.isfinite(v)}
        mlflow.log_metrics(figures | {f"seconds_{k}": v for k, v in manifest["metrics"]["seconds"].items()})
        mlflow.log_dict(manifest["references"], "references.json")
        manifest["mlflow"] = {"run_id": run.info.run_id, "experiment": "wood-enrolled",
                              "tracking_uri": settings.mlflow_tracking_uri}
        _write_files(staging, manifest, counts)
        mlflow.log_artifacts(str(staging), artifact_path=PACKAGE_ARTIFACT)
