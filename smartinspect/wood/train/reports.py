"""Report images of a wood training run: confusion matrix, per-class PR curves, open-set ROC (held-out photos).

Logged under ``training/`` of the run, like ultralytics' plots for the X-ray detector. matplotlib comes with the
train extra (an ultralytics dependency); serving never imports this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from smartinspect.wood.evaluate import PhotoOutcome, auroc


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def precision_recall(scores: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """(precision, recall, average precision) of ``scores`` ranking ``positive`` first; AP as for the detector."""
    from smartinspect.xray.evaluate import average_precision

    hits = positive[np.argsort(-scores, kind="stable")].astype(np.float64)
    tp = np.cumsum(hits)
    precision = tp / np.arange(1, len(hits) + 1)
    recall = tp / max(hits.sum(), 1.0)
    return precision, recall, average_precision(recall, precision)


def roc(scores: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """(false-positive rate, true-positive rate, AUROC) with ``positive`` scoring high; AUROC as the evaluator's."""
    hits = positive[np.argsort(-scores, kind="stable")].astype(np.float64)
    tpr = np.concatenate([[0.0], np.cumsum(hits) / max(hits.sum(), 1.0)])
    fpr = np.concatenate([[0.0], np.cumsum(1.0 - hits) / max((1.0 - hits).sum(), 1.0)])
    return fpr, tpr, auroc(scores[positive], scores[~positive])


def write_reports(outcomes: Sequence[PhotoOutcome], taxa: Sequence[str], open_set_value, out_dir: Path) -> list[Path]:
    """Write the report PNGs for ``outcomes`` (held-out photos); ``open_set_value(outcome)`` is the served
    open-set score (above 1: abstain). Returns the files written."""
    plt = _pyplot()
    out_dir.mkdir(parents=True, exist_ok=True)
    taxa = list(taxa)
    known = [o for o in outcomes if o.kind == "known" and o.name in taxa]
    written: list[Path] = []
    if known:
        probs = np.stack([o.probabilities for o in known])
        truth = np.array([taxa.index(o.name) for o in known])
        matrix = np.zeros((len(taxa), len(taxa)))
        np.add.at(matrix, (truth, probs.argmax(1)), 1)
        normalised = matrix / np.maximum(matrix.sum(1, keepdims=True), 1)
        fig, ax = plt.subplots(figsize=(9, 8))
        ax.imshow(normalised, cmap="Blues", vmin=0, vmax=1)
        for i, j in zip(*np.nonzero(matrix), strict=True):
            ax.text(j, i, int(matrix[i, j]), ha="center", va="center", fontsize=6,
                    color="white" if normalised[i, j] > 0.5 else "black")
        ax.set_xticks(range(len(taxa)), taxa, rotation=90, fontsize=7)
        ax.set_yticks(range(len(taxa)), taxa, fontsize=7)
        ax.set_xlabel("predicted (top-1)")
        ax.set_ylabel("true")
        ax.set_title(f"confusion matrix, held-out known photos (n={len(known)})")
        fig.tight_layout()
        written.append(_save(fig, out_dir / "confusion_matrix.png", plt))

        fig, ax = plt.subplots(figsize=(8, 6))
        for c, name in enumerate(taxa):
            if not (truth == c).any():
                continue
            precision, recall, ap = precision_recall(probs[:, c], truth == c)
            ax.plot(recall, precision, lw=1, label=f"{name} AP {ap:.3f}")
        ax.set_xlabel("recall")
        ax.set_ylabel("precision")
        ax.set_ylim(0, 1.02)
        ax.set_title("PR curves, one class vs the rest (held-out known photos)")
        ax.legend(fontsize=6, ncol=2, loc="lower left")
        fig.tight_layout()
        written.append(_save(fig, out_dir / "PR_curves.png", plt))

    unknown = [o for o in outcomes if o.kind != "known"]
    if known and unknown:
        fig, ax = plt.subplots(figsize=(6, 6))
        for kind in sorted({o.kind for o in unknown}):
            these = known + [o for o in unknown if o.kind == kind]
            scores = np.array([open_set_value(o) for o in these])
            fpr, tpr, area = roc(scores, np.array([o.kind != "known" for o in these]))
            ax.plot(fpr, tpr, lw=1.5, label=f"{kind} vs known: AUROC {area:.3f}")
        accepted = np.mean([open_set_value(o) <= 1.0 for o in known])
        ax.axvline(1.0 - accepted, color="grey", ls="--", lw=1, label=f"shipped threshold ({accepted:.1%} known kept)")
        ax.plot([0, 1], [0, 1], color="lightgrey", lw=1)
        ax.set_xlabel("known photos rejected")
        ax.set_ylabel("unknown photos rejected")
        ax.set_title("open-set score (held-out photos)")
        ax.legend(fontsize=8, loc="lower right")
        fig.tight_layout()
        written.append(_save(fig, out_dir / "open_set_ROC.png", plt))
    return written


def _save(fig, path: Path, plt) -> Path:
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
