"""``smartinspect promote``: challenger vs champion on the same frozen evaluation set, through the gate.

On a pass the challenger becomes ``champion`` and is exported into ``models/`` (serving picks it up on reload);
on a refusal nothing changes and the table says which metric failed. Either way the comparison is logged to
MLflow as a run (experiment ``<model>-promotion``) with the table as an artefact.
"""

from __future__ import annotations

import logging
import math
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from smartinspect.config import Settings
from smartinspect.lifecycle.export import export_package, served_manifest
from smartinspect.lifecycle.gate import GateDecision, GatedMetric, compare_models, render_table
from smartinspect.lifecycle.kinds import EvalSet, EvalSetSpec, KindRegistry, ModelKind
from smartinspect.lifecycle.mlflow_registry import (
    CHALLENGER,
    CHAMPION,
    VersionRef,
    clear_alias,
    download_version,
    open_client,
    resolve_alias,
    set_alias,
)

log = logging.getLogger(__name__)


class NothingToPromote(RuntimeError):
    """No challenger is registered (train one, or `smartinspect models register PACKAGE`)."""


@dataclass(frozen=True)
class PromotionConfig:
    kind: str
    eval_set: EvalSetSpec
    gates: tuple[GatedMetric, ...]
    informative: tuple[str, ...]

    @classmethod
    def from_yaml(cls, path: Path) -> PromotionConfig:
        raw = yaml.safe_load(Path(path).read_text()) or {}
        missing = [k for k in ("kind", "eval_set", "gates") if k not in raw]
        if missing:
            raise ValueError(f"{path}: promotion config lacks {missing} (see training/promote-xray.yaml)")
        gates = tuple(GatedMetric.from_config(name, spec or {}) for name, spec in raw["gates"].items())
        return cls(raw["kind"], EvalSetSpec.from_config(raw["eval_set"]), gates, tuple(raw.get("informative", ())))


@dataclass(frozen=True)
class PromotionResult:
    decision: GateDecision
    table: str
    challenger: VersionRef
    champion_label: str | None
    eval_set: EvalSet
    run_id: str
    exported: Path | None

    @property
    def promoted(self) -> bool:
        return self.decision.passed and self.exported is not None


def _label(ref: VersionRef) -> str:
    return f"v{ref.version} ({ref.tags.get('package_version', '?')})"


def _baseline(client, kind: ModelKind, settings: Settings, workdir: Path) -> tuple[Path | None, str | None]:
    """The champion's package: the registry's ``champion``, else the package served from models/ (e.g. the
    shipped one, not registered yet), else none (first promotion)."""
    champion = resolve_alias(client, kind.model_name, CHAMPION)
    if champion is not None:
        return download_version(client, champion, workdir / "champion"), f"champion {_label(champion)}"
    served = served_manifest(settings.models_dir, kind.model_name)
    if served is not None:
        return settings.models_dir / kind.model_name, f"served {served['version']} (unregistered)"
    return None, None


def _finite(metrics: dict[str, float], prefix: str) -> dict[str, float]:
    return {f"{prefix}_{k}": float(v) for k, v in metrics.items() if v is not None and math.isfinite(v)}


def _json_safe(value: Any) -> Any:
    """NaN (a class absent from the set) as null, so the artefact is strict JSON."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _log_run(settings: Settings, kind: ModelKind, *, result: dict[str, Any], table: str,
             challenger: VersionRef, champion_label: str | None, eval_set: EvalSet) -> str:
    from smartinspect.training.tracking import configure_mlflow

    mlflow = configure_mlflow(settings, f"{kind.model_name}-promotion")
    with mlflow.start_run(run_name=f"promote v{challenger.version}") as run:
        mlflow.log_params({"challenger_version": challenger.version, "champion": champion_label or "none",
                           "eval_set_dir": str(eval_set.path), "eval_set_sha256": eval_set.sha256,
                           "eval_set_seed": eval_set.seed, "eval_set_examples": eval_set.n_examples})
        mlflow.log_metrics(_finite(result["challenger_metrics"], "challenger"))
        mlflow.log_metrics(_finite(result.get("champion_metrics") or {}, "champion"))
        mlflow.set_tags({"decision": "promoted" if result["decision"]["passed"] else "refused",
                         "model": kind.model_name})
        mlflow.log_text(table + "\n", "promotion.md")
        mlflow.log_dict(_json_safe(result), "promotion.json")
    return run.info.run_id


def promote(settings: Settings, config_path: Path, *, kinds: KindRegistry, dry_run: bool = False) -> PromotionResult:
    """Evaluate, gate, log; on a pass (and not ``dry_run``) export the challenger and make it champion.

    ``kinds``: the program's model kinds (smartinspect.kinds.KINDS); the config's ``kind`` names one of them."""
    cfg = PromotionConfig.from_yaml(config_path)
    kind = kinds.get(cfg.kind)
    adapter = kind
    client = open_client(settings)
    challenger = resolve_alias(client, kind.model_name, CHALLENGER)
    if challenger is None:
        raise NothingToPromote(f"no {kind.model_name} version has the alias {CHALLENGER!r}; train one, or "
                               f"register a package with `smartinspect models register PACKAGE`")
    champion = resolve_alias(client, kind.model_name, CHAMPION)
    if champion is not None and champion.version == challenger.version:  # a promotion that stopped half-way
        clear_alias(client, kind.model_name, CHALLENGER)
        raise NothingToPromote(f"{challenger.label} is already the champion")
    eval_set = adapter.ensure_eval_set(cfg.eval_set)
    with tempfile.TemporaryDirectory(prefix="promote-") as tmp:
        workdir = Path(tmp)
        challenger_dir = download_version(client, challenger, workdir / "challenger")
        champion_dir, champion_label = _baseline(client, kind, settings, workdir)
        log.info("evaluating %s and %s on %s (%d examples)", challenger.label, champion_label, eval_set.path,
                 eval_set.n_examples)
        challenger_metrics = adapter.evaluate_package(challenger_dir, eval_set)
        champion_metrics = adapter.evaluate_package(champion_dir, eval_set) if champion_dir else None
        decision = compare_models(list(cfg.gates), challenger=challenger_metrics, champion=champion_metrics,
                                  informative=list(cfg.informative))
        table = render_table(decision, champion_label=champion_label or "champion (none)",
                             challenger_label=f"challenger {_label(challenger)}")
        result = {"decision": decision.to_dict(), "challenger": challenger.to_dict(), "champion": champion_label,
                  "challenger_metrics": challenger_metrics, "champion_metrics": champion_metrics,
                  "eval_set": {"path": str(eval_set.path), "sha256": eval_set.sha256, "seed": eval_set.seed,
                               "examples": eval_set.n_examples}, "dry_run": dry_run}
        run_id = _log_run(settings, kind, result=result, table=table, challenger=challenger,
                          champion_label=champion_label, eval_set=eval_set)
        outcome = ("dry run: " if dry_run else "") + ("passed" if decision.passed else "refused")
        client.set_model_version_tag(kind.model_name, challenger.version, "promotion", f"{outcome} (run {run_id})")
        exported = None
        if decision.passed and not dry_run:
            exported = _publish(client, settings, kind, challenger, challenger_dir, run_id=run_id, table=table)
    return PromotionResult(decision, table, challenger, champion_label, eval_set, run_id, exported)


def _publish(client, settings: Settings, kind: ModelKind, challenger: VersionRef, package: Path, *,
             run_id: str, table: str) -> Path:
    """Export first, then move the aliases: a crash in between leaves a state a retried promote completes."""
    promoted_at = datetime.now(UTC).isoformat(timespec="seconds")
    registry = {"name": kind.model_name, "version": challenger.version, "alias": CHAMPION,
                "run_id": challenger.run_id, "promotion_run_id": run_id, "promoted_at": promoted_at}
    feedback = {k.removeprefix("lineage.data."): v for k, v in challenger.tags.items()
                if k.startswith("lineage.data.feedback")}
    note = "\n".join([
        "## Lifecycle", "",
        (f"- MLflow registry: `{kind.model_name}` version {challenger.version}, alias `champion` since "
         f"{promoted_at}; training run `{challenger.run_id}`, promotion run `{run_id}`."),
        f"- Feedback data: {feedback}" if feedback else "- Feedback data: none (synthetic only).",
        "", "Promotion gate (frozen evaluation set):", "", table,
    ])
    exported = export_package(package, settings.models_dir, registry=registry, card_note=note)
    set_alias(client, kind.model_name, CHAMPION, challenger.version)
    clear_alias(client, kind.model_name, CHALLENGER)
    log.info("%s is champion and exported to %s", challenger.label, exported)
    return exported
