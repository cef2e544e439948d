"""Training recipes (YAML), with ``extends``: a recipe may name another whose settings it starts from.

``extends: wood-ensemble-plain.yaml`` (a path relative to the extending file) loads that recipe first (itself
possibly extending another), then merges this one over it: mappings merge key by key, any other value replaces the
base's, and a key set to null in the extending recipe is removed. So a variant states only what it changes (a joined ensemble: its
``joined_from`` and k-NN bank size) instead of copying sixty lines that then drift apart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

EXTENDS = "extends"


def load_recipe(path: Path | str) -> dict[str, Any]:
    """The recipe at ``path`` with its ``extends`` chain resolved (the result has no ``extends`` key)."""
    return _load(Path(path), ())


def _load(path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    resolved = path.resolve()
    if resolved in seen:
        chain = " -> ".join(str(p) for p in (*seen, resolved))
        raise ValueError(f"{path}: recipes extend each other in a loop ({chain})")
    raw = yaml.safe_load(path.read_text()) or {}
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: a recipe is a YAML mapping")
    base_name = raw.pop(EXTENDS, None)
    if base_name is None:
        return raw
    base_path = path.parent / str(base_name)
    if not base_path.is_file():
        raise ValueError(f"{path}: extends {base_name!r}, but {base_path} is not a file")
    return merge_recipes(_load(base_path, (*seen, resolved)), raw)


def merge_recipes(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` over ``base``: mappings merged recursively, other values replaced, null removes the key."""
    merged = dict(base)
    for key, value in override.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_recipes(merged[key], value)
        else:
            merged[key] = value
    return merged


def log_recipe(mlflow, path: Path | str) -> None:
    """Log the recipe file on the active MLflow run and, when it extends another, the resolved recipe beside it
    (``recipe.resolved.yaml``), so that the run shows every setting it was trained with."""
    mlflow.log_artifact(str(path))
    if EXTENDS in (yaml.safe_load(Path(path).read_text()) or {}):
        mlflow.log_text(yaml.safe_dump(load_recipe(path), sort_keys=False, allow_unicode=True), "recipe.resolved.yaml")
