"""The wood model card says which kind of open-set rule the package serves: equal shares per class, or one global
threshold with the classes below the floor lifted to it (operating.open_set_floored)."""

from __future__ import annotations

import json

import pytest

from smartinspect.config import REPO_ROOT

pytest.importorskip("mlflow", reason="the train extra is not installed")


def _card(tmp_path, recipe: str, open_set: dict) -> str:
    from smartinspect.wood.train.card import write_wood_card
    from smartinspect.wood.train.pipeline import WoodTrainConfig

    manifest = json.loads((REPO_ROOT / "models" / "wood-classifier" / "manifest.json").read_text())
    config = REPO_ROOT / "training" / recipe
    params = dict(manifest["params"], open_set=open_set)
    out = tmp_path / "MODEL_CARD.md"
    write_wood_card(out, cfg=WoodTrainConfig.from_yaml(config), config_path=config, params=params,
                    metrics=manifest["metrics"], lineage=manifest["lineage"], mlflow_info=manifest["mlflow"],
                    version="t")
    return out.read_text()


def test_the_card_names_the_lifted_classes_of_a_floored_rule_and_the_equal_shares_of_the_other(tmp_path) -> None:
    pair = {"reference": {"distance": 25.0, "anatomy": 5.0}, "threshold": {"distance": 38.0, "anatomy": 9.0}}
    floored = {"score": "distance+anatomy", "reference": {"distance": 25.0, "anatomy": 5.0},
               "threshold": {"distance": 34.0, "anatomy": 8.0}, "per_class": {"Acer": pair, "Quercus": pair}}
    text = _card(tmp_path, "wood-ensemble-plain6-floored.yaml", floored)
    assert "one global threshold, except for the classes it would keep below 95% of their own validation " \
           "photos (Acer, Quercus)" in text.replace("\n", " ")
    taxa = json.loads((REPO_ROOT / "models" / "wood-classifier" / "manifest.json").read_text())["params"]["taxa"]
    equal = dict(floored, per_class={t: pair for t in taxa})
    text = _card(tmp_path, "wood-ensemble-plain6.yaml", equal)
    assert "so that every class keeps the same share of its own validation photos" in text.replace("\n", " ")
    assert "except for the classes" not in text
