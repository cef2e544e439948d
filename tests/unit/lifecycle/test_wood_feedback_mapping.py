"""Expert wood labels -> model classes, and the synthetic share kept by the feedback merge."""

from __future__ import annotations

import json

import numpy as np
import pytest

from smartinspect.lifecycle.feedback import WoodFeedbackExample, write_wood_feedback
from smartinspect.wood.datagen import KNOWN_TAXA, anatomy_of, render_end_grain
from smartinspect.wood.train.feedback import merge_wood_feedback, taxon_for

TAXA = list(KNOWN_TAXA)


@pytest.mark.parametrize(("genus", "species", "expected"), [
    ("Swietenia", None, "Swietenia"),                       # genus-level class
    ("Swietenia", "macrophylla", "Swietenia"),              # species of a genus-level class
    ("Dalbergia", "nigra", "Dalbergia nigra"),              # epithet only
    ("Dalbergia", "Dalbergia latifolia", "Dalbergia latifolia"),
    ("Pericopsis", None, "Pericopsis elata"),               # the only class of its genus
    ("Dalbergia", None, None),                              # two species classes, no species: ambiguous
    ("Dalbergia", "retusa", None),                          # a species the model has no class for
    ("Shorea", None, None),                                 # a genus the model has never seen
])
def test_expert_labels_map_to_a_class_or_to_nothing(genus, species, expected):
    assert taxon_for(genus, species, TAXA) == expected


def _synthetic(tmp_path, n_train: int):
    """A minimal generated-dataset folder: n_train train photos and 1 val photo of Khaya."""
    out = tmp_path / "synthetic"
    rows = []
    rng = np.random.default_rng(0)
    for i, split in enumerate(["train"] * n_train + ["val"]):
        rel = f"images/{split}/khaya_{i:05d}.jpg"
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(render_end_grain(rng, anatomy_of("Khaya"), size=96).jpeg)
        rows.append({"file": rel, "taxon": "Khaya", "genus": "Khaya", "name": "Khaya", "split": split,
                     "kind": "known", "index": i, "params": {}})
    (out / "images.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (out / "dataset.json").write_text(json.dumps({"seed": 0, "per_taxon": n_train + 1}))
    return out


def test_merge_caps_feedback_to_keep_the_synthetic_share(tmp_path):
    synthetic = _synthetic(tmp_path, n_train=4)
    rng = np.random.default_rng(1)
    examples = [WoodFeedbackExample(f"case-{i}", render_end_grain(rng, anatomy_of("Tectona"), size=96).jpeg, ".jpg",
                                    "Tectona", None, {"decision": "confirm"}) for i in range(12)]
    examples.append(WoodFeedbackExample("case-new", examples[0].image, ".jpg", "Shorea", None, {}))
    snapshot = write_wood_feedback(tmp_path / "fb", examples)
    mix = merge_wood_feedback(synthetic_dir=synthetic, snapshot=snapshot, out_dir=tmp_path / "merged",
                              taxa=TAXA, synthetic_share=0.5, val_fraction=0.0, seed=0)
    assert mix.feedback_unmapped == 1
    assert mix.feedback_train == 4 and mix.feedback_dropped == 8  # 4 synthetic train photos: at most 4 feedback
    assert mix.synthetic_share == 0.5 and mix.total == 4 + 1 + 4
    rows = [json.loads(line) for line in (tmp_path / "merged" / "images.jsonl").read_text().splitlines()]
    assert len(rows) == mix.total and all((tmp_path / "merged" / r["file"]).is_file() for r in rows)
    info = json.loads((tmp_path / "merged" / "dataset.json").read_text())
    assert info["seed"] == 0 and info["feedback_mix"]["feedback_train"] == 4
    with pytest.raises(ValueError, match="synthetic_share"):
        merge_wood_feedback(synthetic_dir=synthetic, snapshot=snapshot, out_dir=tmp_path / "m2", taxa=TAXA,
                            synthetic_share=0.0, val_fraction=0.0, seed=0)
