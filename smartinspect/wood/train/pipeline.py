"""Train the wood classifier: generate data -> views -> network from scratch -> temperature -> class Gaussians ->
ONNX (with the open-set distance) -> parity -> thresholds -> held-out evaluation -> model package.

Every step is tracked in one MLflow run; the result is a package in ``output`` (ONNX + manifest + model card).
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from smartinspect.config import Settings, get_settings
from smartinspect.training.recipe import load_recipe, log_recipe
from smartinspect.training.tracking import configure_mlflow
from smartinspect.wood.train.data import CropSampler, ViewSet, dataset_fingerprint, load_views

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WoodTrainConfig:
    name: str
    seed: int
    data: dict[str, Any]
    model: dict[str, Any]
    operating: dict[str, Any]
    output: str

    @classmethod
    def from_yaml(cls, path: Path) -> WoodTrainConfig:
        raw = load_recipe(path)  # with its ``extends`` chain resolved
        missing = [f for f in cls.__dataclass_fields__ if f not in raw]
        if missing:
            raise ValueError(f"{path}: training config lacks {missing}")
        return cls(**{f: raw[f] for f in cls.__dataclass_fields__})

    @property
    def taxa(self) -> list[str]:
        from smartinspect.wood.datagen import KNOWN_TAXA

        return list(self.data.get("taxa") or KNOWN_TAXA)


def ensure_dataset(out_dir: Path, *, taxa: list[str], per_taxon: int, seed: int, splits: tuple[float, float, float],
                   open_set_per_taxon: int = 0, ood_per_kind: int = 0, outliers_per_kind: int = 0,
                   open_set: str = "test", outlier_kinds: list[str] | None = None, size: int = 384,
                   workers: int = 1) -> Path:
    """Generate the dataset unless one with the same recipe is already there (``outlier_kinds``: None for the
    default kinds)."""
    from smartinspect.wood.datagen.dataset import generate_dataset, open_set_genera
    from smartinspect.wood.datagen.outliers import DEFAULT_OUTLIER_KINDS
    from smartinspect.wood.datagen.render import GENERATOR_VERSION

    recipe = {"generator_version": GENERATOR_VERSION, "seed": seed, "per_taxon": per_taxon, "taxa": taxa,
              "splits": list(splits), "open_set_per_taxon": open_set_per_taxon, "ood_per_kind": ood_per_kind,
              "size": size}
    if outliers_per_kind:
        recipe["outliers_per_kind"] = outliers_per_kind
        recipe["outlier_kinds"] = list(outlier_kinds or DEFAULT_OUTLIER_KINDS)
    if open_set != "test":
        recipe["open_set"] = open_set
    if open_set_per_taxon:  # a dataset of an older genus list is made again (four validation genera were added)
        recipe["open_set_taxa"] = sorted(open_set_genera(open_set))
    meta = out_dir / "dataset.json"
    if meta.exists():
        info = json.loads(meta.read_text())
        if all(info.get(k) == v for k, v in recipe.items()):
            return out_dir
        shutil.rmtree(out_dir)
    generate_dataset(out_dir, per_taxon=per_taxon, seed=seed, taxa=taxa, splits=splits,
                     open_set_per_taxon=open_set_per_taxon, ood_per_kind=ood_per_kind,
                     outliers_per_kind=outliers_per_kind, open_set=open_set,
                     outlier_kinds=recipe.get("outlier_kinds", ()), size=size, workers=workers,
                     progress=True)
    return out_dir


def _crop_batches(views: np.ndarray, crop: int, grid: int, chunk: int = 64):
    """Serving crops (grid x grid per view) of many views, as float32 batches of at most ``chunk`` views."""
    from smartinspect.wood.preprocess import grid_crops, to_batch

    for start in range(0, len(views), chunk):
        yield np.concatenate([to_batch(grid_crops(v, crop, grid)) for v in views[start:start + chunk]])


def image_outputs(net, views: np.ndarray, *, crop: int, grid: int) -> tuple[np.ndarray, np.ndarray]:
    """(image-level mean logits (n, c), crop features (n * grid^2, d)) from the eager network, as served."""
    import torch

    logits, feats = [], []
    net.eval()
    with torch.no_grad():
        for batch in _crop_batches(views, crop, grid):
            lo, fe = net(torch.from_numpy(batch))
            logits.append(lo.numpy())
            feats.append(fe.numpy())
    per = grid * grid
    all_logits = np.concatenate(logits) if logits else np.zeros((0, 0))
    return all_logits.reshape(len(views), per, -1).mean(1), np.concatenate(feats) if feats else np.zeros((0, 0))


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature that minimises the validation NLL (Guo et al. 2017), by a fine log-spaced search."""
    best_t, best_nll = 1.0, math.inf
    for t in np.exp(np.linspace(np.log(0.2), np.log(10.0), 400)):
        z = logits / t
        z = z - z.max(1, keepdims=True)
        nll = float(-(z[np.arange(len(z)), labels] - np.log(np.exp(z).sum(1))).mean())
        if nll < best_nll:
            best_t, best_nll = float(t), nll
    return best_t


def train_network(cfg: WoodTrainConfig, train: ViewSet, val: ViewSet, mlflow, n_classes: int,
                  outliers: ViewSet | None = None, metric_prefix: str = ""):
    """Train from scratch (AdamW, warm-up then cosine); returns the network with the best validation accuracy.
    ``metric_prefix`` names the per-epoch metrics of one member of an ensemble (``member1_val_accuracy``).

    With ``outliers``, each step adds a batch of them whose predictions are pushed towards the uniform
    distribution (outlier exposure, Hendrycks et al. 2019), weighted by ``model.outlier_weight``.

    With ``model.attribute_weight`` > 0, a linear head on the features also predicts each photo's anatomy
    descriptor (``datagen.wood.anatomy.descriptor``: vessel size and density, porosity, parenchyma type, ray widths,
    ...; standardised; mean squared error weighted by ``attribute_weight``), for the known photos and for the
    chimera and swap outliers, whose anatomy varies independently of any class. The features then have to describe
    anatomy, not only what separates the 16 classes, so an unseen genus lands away from the known ones in feature
    space (where the open-set distances look). The head is dropped after training: the served graph is unchanged.
    """
    import torch

    from smartinspect.wood.train.network import WoodNet

    m = cfg.model
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(int(m.get("threads", 2)))
    net = WoodNet(m["arch"], n_classes)
    sampler = CropSampler(train, crop=m["crop"], seed=cfg.seed, colour_jitter=m.get("colour_jitter", 0.08))
    outlier_batches = _cycle(CropSampler(outliers, crop=m["crop"], seed=cfg.seed + 1), m.get("outlier_batch", 32)) \
        if outliers is not None and len(outliers.views) else None
    attr = _AttributeTargets(train, outliers if outlier_batches is not None else None,
                             net.backbone.feature_dim) if m.get("attribute_weight", 0) > 0 else None
    steps_per_epoch = max(1, len(train.views) // m["batch"])
    total = steps_per_epoch * m["epochs"]
    warmup = int(steps_per_epoch * m.get("warmup_epochs", 1))
    params = list(net.parameters()) + (list(attr.head.parameters()) if attr is not None else [])
    opt = torch.optim.AdamW(params, lr=m["lr"], weight_decay=m["weight_decay"])
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / max(1, warmup)) * 0.5 * (
        1 + math.cos(math.pi * min(1.0, s / max(1, total)))))
    start, step, best = time.time(), 0, (-1.0, None)
    for epoch in range(m["epochs"]):
        net.train()
        losses, attr_losses = [], []
        for x, y, idx in sampler.epoch(m["batch"]):
            if outlier_batches is not None:
                xo, idx_o = next(outlier_batches)
                logits, feats = net(torch.from_numpy(np.concatenate([x, xo])))
                known, unknown = logits[: len(x)], logits[len(x):]
                uniform = -torch.log_softmax(unknown, dim=1).mean()
                loss = torch.nn.functional.cross_entropy(known, torch.from_numpy(y)) + m["outlier_weight"] * uniform
            else:
                idx_o = np.zeros(0, np.int64)
                logits, feats = net(torch.from_numpy(x))
                loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(y))
            if attr is not None:
                attr_loss = attr.loss(feats, idx, idx_o)
                loss = loss + m["attribute_weight"] * attr_loss
                attr_losses.append(attr_loss.item())
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
            step += 1
        val_logits, _ = image_outputs(net, val.views, crop=m["crop"], grid=m.get("grid", 2))
        val_acc = float((val_logits.argmax(1) == val.labels).mean()) if len(val.labels) else 0.0
        elapsed = time.time() - start
        epoch_metrics = {"train_loss": float(np.mean(losses)) if losses else float("nan"), "val_accuracy": val_acc,
                         "lr": sched.get_last_lr()[0], "elapsed_s": elapsed} \
            | ({"attribute_loss": float(np.mean(attr_losses))} if attr_losses else {})
        mlflow.log_metrics({metric_prefix + k: v for k, v in epoch_metrics.items()}, step=epoch)
        log.info("epoch %d: loss %.4f val acc %.4f (%.0f s)", epoch, np.mean(losses) if losses else -1, val_acc,
                 elapsed)
        if val_acc >= best[0]:
            best = (val_acc, {k: v.clone() for k, v in net.state_dict().items()})
        if elapsed > m.get("max_minutes", 1e9) * 60:
            log.warning("stopping after epoch %d: over the %s minute budget", epoch, m["max_minutes"])
            mlflow.log_param(f"{metric_prefix}stopped_early_after_epoch", epoch)
            break
    mlflow.log_metric(f"{metric_prefix}train_seconds", time.time() - start)
    net.load_state_dict(best[1])
    return net.eval()


def _cycle(sampler: CropSampler, batch: int):
    """Endless batches of random crops (x and the views' indices), reshuffled every pass."""
    while True:
        yield from ((x, idx) for x, _, idx in sampler.epoch(min(batch, len(sampler.views.views))))


class _AttributeTargets:
    """The auxiliary anatomy head and its standardised targets (known photos, then outliers; NaN rows and
    constant columns are left out of the loss)."""

    def __init__(self, train: ViewSet, outliers: ViewSet | None, feature_dim: int) -> None:
        import torch

        from smartinspect.wood.datagen.anatomy import DESCRIPTOR_KEYS

        known = train.descriptors()
        other = outliers.descriptors() if outliers is not None else np.zeros((0, known.shape[1]), np.float32)
        both = np.concatenate([known, other])
        mean, std = np.nanmean(both, 0), np.nanstd(both, 0)
        self.columns = np.flatnonzero(std > 1e-6)
        log.info("anatomy head: %d of %d descriptor columns vary (%s constant)", len(self.columns),
                 len(DESCRIPTOR_KEYS), [DESCRIPTOR_KEYS[i] for i in np.flatnonzero(std <= 1e-6)])
        scale = lambda d: torch.from_numpy(((d - mean) / np.where(std > 1e-6, std, 1))[:, self.columns])  # noqa: E731
        self.known, self.other = scale(known), scale(other)
        self.head = torch.nn.Linear(feature_dim, len(self.columns))

    def loss(self, feats, idx: np.ndarray, idx_outliers: np.ndarray):
        import torch

        target = torch.cat([self.known[torch.from_numpy(idx)], self.other[torch.from_numpy(idx_outliers)]])
        pred = self.head(feats[: len(target)])
        rows = torch.isfinite(target).all(1)
        if not bool(rows.any()):
            return pred.sum() * 0.0
        return torch.nn.functional.mse_loss(pred[rows], target[rows])


def train_wood(config_path: Path, *, settings: Settings | None = None,
               from_checkpoint: Path | list[Path] | None = None, seed: int | None = None) -> Path:
    """The whole pipeline; returns the model package directory.

    ``seed``: instead of the recipe's (the network's initialisation, the crop sampling, the class-Gaussian photos;
    the data keep their own seeds), to measure how far retraining the same recipe moves the figures.

    ``from_checkpoint``: a network saved by an earlier run (``var/runs/<name>/<stamp>/model.pt``) is calibrated,
    exported, evaluated and packaged instead of training a new one: a change to the calibration (the open-set rule,
    the wood-likeness gate) is tried without retraining. The lineage (params, manifest, card) names the checkpoint.
    Several checkpoints of the same recipe (trained with different seeds) make an ensemble (``EnsembleNet``).

    ``model.joined_from`` (a list of recipes): the recipe has no networks of its own; it calibrates the networks
    of those recipes' runs, given with ``from_checkpoint``, and refuses to train from scratch.

    ``model.ensemble`` (default 1): train that many networks, with seeds ``seed``, ``seed + 1``, ..., and serve them
    as one ensemble (``training.wood_model.EnsembleNet``; one ONNX graph).
    """
    settings = settings or get_settings()
    cfg = WoodTrainConfig.from_yaml(config_path)
    if seed is not None:
        cfg = replace(cfg, seed=seed)
    if cfg.model.get("joined_from") and not from_checkpoint:  # before any data or MLflow run is made
        raise ValueError(joined_recipe_error(config_path, cfg.model["joined_from"]))
    mlflow = configure_mlflow(settings, cfg.name)
    d, taxa = cfg.data, cfg.taxa
    common = {"taxa": taxa, "size": d.get("size", 384), "workers": d.get("workers", 1)}
    train_dir = ensure_dataset(Path(d["train_dir"]), per_taxon=d["per_taxon"], seed=d["train_seed"],
                               splits=(0.85, 0.15, 0.0), **common)
    side, cache = cfg.model["analysis_side"], settings.data_dir / "cache" / "wood"
    train = load_views(train_dir, "train", taxa=taxa, side=side, cache_dir=cache)
    val = load_views(train_dir, "val", taxa=taxa, side=side, cache_dir=cache)
    outliers = None
    if d.get("outliers_per_kind"):
        outlier_dir = ensure_dataset(Path(d["outlier_dir"]), per_taxon=0, seed=d["outlier_seed"],
                                     splits=(0.85, 0.15, 0), outliers_per_kind=d["outliers_per_kind"],
                                     outlier_kinds=d.get("outlier_kinds"), **common)
        outliers = load_views(outlier_dir, "outlier", taxa=taxa, side=side, cache_dir=cache)
    open_set_val_dir = None
    if d.get("open_set_val_per_taxon"):
        open_set_val_dir = ensure_dataset(Path(d["open_set_val_dir"]), per_taxon=0, seed=d["open_set_val_seed"],
                                          splits=(0.85, 0.15, 0), open_set_per_taxon=d["open_set_val_per_taxon"],
                                          open_set="validation", **common)
    calibration_dir = None
    if d.get("calibration_per_taxon"):  # more known photos for the open-set thresholds (never trained on)
        calibration_dir = ensure_dataset(Path(d["calibration_dir"]), per_taxon=d["calibration_per_taxon"],
                                         seed=d["calibration_seed"], splits=(0.0, 0.0, 1.0), **common)
    run_dir = settings.data_dir / "runs" / cfg.name / time.strftime("%Y%m%d-%H%M%S")
    run_dir.mkdir(parents=True, exist_ok=True)
    with mlflow.start_run(run_name=run_dir.name) as run:
        mlflow.log_params({"config": str(config_path), "seed": cfg.seed, **_flat("model", cfg.model),
                           **_flat("data", {k: v for k, v in d.items() if k != "taxa"}), "classes": len(taxa)})
        log_recipe(mlflow, config_path)
        lineage = {"train_dataset_sha256": dataset_fingerprint(train_dir), "train_generator_seed": d["train_seed"],
                   "train_photos": len(train.views), "val_photos": len(val.views)}
        if seed is not None:
            lineage["seed"] = seed  # the card's retrain command repeats it
        checkpoints = [from_checkpoint] if isinstance(from_checkpoint, Path) else list(from_checkpoint or [])
        if checkpoints:
            net = load_checkpoints(checkpoints, cfg)
            # logged as a param with the rest of the lineage; the card's retrain command repeats it
            lineage["from_checkpoint"] = " ".join(str(c) for c in checkpoints)
        else:
            net = train_members(cfg, train, val, mlflow, len(taxa), outliers=outliers)
        import torch

        torch.save({"arch": cfg.model["arch"], "taxa": taxa, "members": members_of(net),
                    "state_dict": net.state_dict()}, run_dir / "model.pt")
        # The held-out set is made after training (the network never had a chance to see it).
        test_dir = ensure_dataset(Path(d["test_dir"]), per_taxon=d["test_per_taxon"], seed=d["test_seed"],
                                  splits=(0.0, 0.0, 1.0), open_set_per_taxon=d["open_set_per_taxon"],
                                  ood_per_kind=d["ood_per_kind"], **common)
        lineage |= {"test_dataset_sha256": dataset_fingerprint(test_dir), "test_generator_seed": d["test_seed"]}
        mlflow.log_params(lineage)
        from smartinspect.wood.train.package import calibrate_export_and_package

        package = calibrate_export_and_package(cfg=cfg, config_path=config_path, net=net, train=train, val=val,
                                               test_dir=test_dir, run_dir=run_dir, lineage=lineage,
                                               open_set_val_dir=open_set_val_dir, outliers=outliers,
                                               calibration_dir=calibration_dir,
                                               run_id=run.info.run_id, mlflow=mlflow)
    from smartinspect.lifecycle.runs import finish_training_run  # example overlays; registered as challenger
    from smartinspect.wood.kind import WOOD

    finish_training_run(package, settings=settings, kind=WOOD)
    return package


def train_members(cfg: WoodTrainConfig, train: ViewSet, val: ViewSet, mlflow, n_classes: int,
                  outliers: ViewSet | None = None):
    """One network, or ``model.ensemble`` networks trained one after another with seeds ``cfg.seed + i`` and joined
    into an ``EnsembleNet``."""
    from smartinspect.wood.train.network import EnsembleNet

    count = int(cfg.model.get("ensemble", 1))
    if count == 1:
        return train_network(cfg, train, val, mlflow, n_classes, outliers=outliers)
    members = []
    for i in range(count):
        log.info("ensemble member %d of %d (seed %d)", i + 1, count, cfg.seed + i)
        members.append(train_network(replace(cfg, seed=cfg.seed + i), train, val, mlflow, n_classes,
                                     outliers=outliers, metric_prefix=f"member{i}_"))
    return EnsembleNet(members).eval()


def joined_rebuild_commands(config_path: Path | str, recipes: list[str]) -> list[str]:
    """The commands that rebuild a recipe whose networks are joined from other recipes' runs (``model.joined_from``):
    train each of those recipes, then calibrate their networks together."""
    joined = " ".join(f"--from-checkpoint <run of {r}>/model.pt" for r in recipes)
    return [f"smartinspect train wood --config {r}" for r in recipes] + [
        f"smartinspect train wood --config {config_path} {joined}"]


def joined_recipe_error(config_path: Path, recipes: list[str]) -> str:
    """Why a ``model.joined_from`` recipe cannot be trained from scratch, and the commands that rebuild it."""
    *steps, join = joined_rebuild_commands(config_path, recipes)
    return (f"{config_path} joins the networks of other recipes (model.joined_from) and has none of its own to train: "
            f"train them first ({'; '.join(steps)}), then: {join}")


def members_of(net) -> int:
    """How many networks ``net`` holds (1 for a plain ``WoodNet``)."""
    return len(getattr(net, "members", ())) or 1


def load_checkpoints(paths: list[Path], cfg: WoodTrainConfig):
    """One checkpoint's network (``load_checkpoint``), or an ``EnsembleNet`` of the members of several."""
    from smartinspect.wood.train.network import EnsembleNet

    nets = [load_checkpoint(p, cfg) for p in paths]
    if len(nets) == 1:
        return nets[0]
    return EnsembleNet([m for net in nets for m in getattr(net, "members", [net])]).eval()


def load_checkpoint(path: Path, cfg: WoodTrainConfig):
    """The network saved by an earlier run of the same recipe (architecture and classes must match): a run's
    ``model.pt`` or a model package's (the network inside its open-set export wrapper); an ``EnsembleNet`` if
    it holds several members."""
    import torch

    from smartinspect.wood.train.network import build_network

    saved = torch.load(path, map_location="cpu", weights_only=True)
    if saved.get("arch") != cfg.model["arch"] or list(saved.get("taxa", [])) != cfg.taxa:
        raise ValueError(f"{path}: checkpoint of {saved.get('arch')} over {len(saved.get('taxa', []))} classes does "
                         f"not match the recipe ({cfg.model['arch']}, {len(cfg.taxa)} classes)")
    net = build_network(cfg.model["arch"], len(cfg.taxa), int(saved.get("members", 1)))
    state = saved.get("state_dict")
    if state is None and "wrapper_state_dict" in saved:  # a package: ExportWrapper(net, means, precision, bank)
        state = {k.removeprefix("net."): v for k, v in saved["wrapper_state_dict"].items() if k.startswith("net.")}
    if state is None:
        raise ValueError(f"{path}: neither a training run's nor a model package's model.pt")
    net.load_state_dict(state)
    return net.eval()


def _flat(prefix: str, values: dict[str, Any]) -> dict[str, Any]:
    return {f"{prefix}.{k}": v for k, v in values.items()}
