"""A recipe that joins other recipes' networks (training/wood-ensemble-mixed.yaml, the served model's) has no
networks of its own: trained without --from-checkpoint it stops at once with the commands that rebuild it, instead
of training a different model under its name."""

from __future__ import annotations

import pytest

from smartinspect.config import REPO_ROOT

pytest.importorskip("mlflow", reason="the train extra is not installed")


def test_joined_recipe_refuses_to_train_from_scratch_and_names_the_rebuild(tmp_path, monkeypatch):
    from smartinspect.wood.train import pipeline as wood

    made = []
    monkeypatch.setattr(wood, "ensure_dataset", lambda *a, **k: made.append(a))  # nothing may be generated
    recipe = REPO_ROOT / "training" / "wood-ensemble-mixed.yaml"
    with pytest.raises(ValueError, match="joined_from") as err:
        wood.train_wood(recipe)
    text = str(err.value)
    assert "smartinspect train wood --config training/wood-ensemble.yaml" in text
    assert "smartinspect train wood --config training/wood-ensemble-plain.yaml" in text
    assert text.count("--from-checkpoint") == 2 and not made
