"""Training recipes with ``extends`` (smartinspect.training.recipe): a variant states only what it changes."""

from __future__ import annotations

import pytest
import yaml

from smartinspect.config import REPO_ROOT
from smartinspect.training.recipe import load_recipe


def _write(path, raw) -> None:
    path.write_text(yaml.safe_dump(raw))


def test_a_variant_merges_over_its_base_and_null_removes_a_key(tmp_path) -> None:
    _write(tmp_path / "base.yaml", {"name": "m", "seed": 0, "model": {"arch": "resnet-16", "ensemble": 3, "lr": 0.003},
                                    "operating": {"knn_k": 5, "bank": 20}, "output": "var/x"})
    (tmp_path / "sub").mkdir()
    _write(tmp_path / "sub" / "variant.yaml", {"extends": "../base.yaml", "model": {"ensemble": None, "joined": ["a"]},
                                               "operating": {"bank": 10}, "output": "var/y"})
    assert load_recipe(tmp_path / "sub" / "variant.yaml") == {
        "name": "m", "seed": 0, "model": {"arch": "resnet-16", "lr": 0.003, "joined": ["a"]},
        "operating": {"knn_k": 5, "bank": 10}, "output": "var/y"}


def test_a_chain_resolves_and_a_loop_or_a_missing_base_is_refused(tmp_path) -> None:
    _write(tmp_path / "a.yaml", {"x": {"p": 1, "q": 2}, "empty": None})  # a base's own nulls are kept
    _write(tmp_path / "b.yaml", {"extends": "a.yaml", "x": {"q": 3}})
    _write(tmp_path / "c.yaml", {"extends": "b.yaml", "x": {"r": 4}})
    assert load_recipe(tmp_path / "c.yaml") == {"x": {"p": 1, "q": 3, "r": 4}, "empty": None}
    _write(tmp_path / "a.yaml", {"extends": "c.yaml"})
    with pytest.raises(ValueError, match="loop"):
        load_recipe(tmp_path / "c.yaml")
    _write(tmp_path / "d.yaml", {"extends": "nowhere.yaml"})
    with pytest.raises(ValueError, match="not a file"):
        load_recipe(tmp_path / "d.yaml")


def test_the_joined_wood_recipes_are_the_plain_recipe_with_their_own_networks_and_bank() -> None:
    from smartinspect.wood.train.pipeline import WoodTrainConfig

    plain = WoodTrainConfig.from_yaml(REPO_ROOT / "training" / "wood-ensemble-plain.yaml")
    for name in ("wood-ensemble-plain6.yaml", "wood-ensemble-mixed.yaml"):
        joined = WoodTrainConfig.from_yaml(REPO_ROOT / "training" / name)
        assert joined.data == plain.data and joined.output == plain.output
        assert "ensemble" not in joined.model and joined.model["joined_from"]
        assert {k: v for k, v in joined.model.items() if k != "joined_from"} == \
               {k: v for k, v in plain.model.items() if k != "ensemble"}
        assert joined.operating == plain.operating | {"knn_bank_photos_per_class": 10}
