"""The dataset writer and the CLI: layout, YOLO labels, 16-bit PNG round trip, splits, reproducibility."""

from __future__ import annotations

import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from smartinspect.cli import datagen_app
from smartinspect.xray.datagen import CLASS_NAMES, XrayGenConfig, generate_dataset, generate_scan
from smartinspect.xray.datagen.dataset import assign_splits


def test_tiny_dataset_layout(tiny_dataset):
    info = json.loads((tiny_dataset / "dataset.json").read_text())
    assert info["seed"] == 11 and info["n_scans"] == 6 and info["class_names"] == list(CLASS_NAMES)
    assert sum(c["scans"] for c in info["counts"].values()) == 6
    manifests = sorted((tiny_dataset / "manifests").rglob("*.json"))
    assert len(manifests) == 6
    for path in manifests:
        m = json.loads(path.read_text())
        split, sid = m["split"], m["scan_id"]
        assert path == tiny_dataset / "manifests" / split / f"{sid}.json"
        for sub in ("images", "images_low"):
            image = cv2.imread(str(tiny_dataset / sub / split / f"{sid}.png"), cv2.IMREAD_UNCHANGED)
            assert image.dtype == np.uint16 and image.shape == (m["height"], m["width"])
        lines = (tiny_dataset / "labels" / split / f"{sid}.txt").read_text().splitlines()
        assert len(lines) == len(m["threats"])
        for line, threat in zip(lines, m["threats"], strict=True):
            cls, *coords = line.split()
            assert int(cls) == threat["class_id"] and len(coords) == 4
            assert all(0.0 <= float(v) <= 1.0 for v in coords)
        for key in ("container_no", "container_type", "declared_contents", "declared_empty", "is_empty", "cargo",
                    "interior_box", "pitch_mm", "i0", "seed"):
            assert key in m
    yaml_text = (tiny_dataset / "data.yaml").read_text()
    assert "train: images/train" in yaml_text and "3: concealment" in yaml_text


def test_png_round_trip_matches_the_generator(tiny_dataset, tiny_config):
    path = sorted((tiny_dataset / "manifests").rglob("*.json"))[0]
    m = json.loads(path.read_text())
    child = np.random.SeedSequence(m["seed"], spawn_key=(m["index"],))
    scan = generate_scan(np.random.default_rng(child), tiny_config)
    stored = cv2.imread(str(tiny_dataset / "images" / m["split"] / f"{m['scan_id']}.png"), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(stored, scan.high)


def test_same_seed_writes_identical_files(tmp_path):
    config = XrayGenConfig(pitch_mm=20.0)
    for name in ("a", "b"):
        generate_dataset(tmp_path / name, n_scans=2, seed=4, config=config, progress=False)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert len(files) >= 8
    for rel in files:
        if rel.name != "data.yaml":  # data.yaml names its own absolute path
            assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel


def test_split_assignment():
    names = assign_splits(20, (0.7, 0.15, 0.15), seed=0)
    assert [names.count(s) for s in ("train", "val", "test")] == [14, 3, 3]
    assert names == assign_splits(20, (0.7, 0.15, 0.15), seed=0) != assign_splits(20, (0.7, 0.15, 0.15), seed=1)
    with pytest.raises(ValueError, match="splits"):
        assign_splits(10, (0.5, 0.2, 0.2), seed=0)


def test_cli_writes_a_dataset(tmp_path):
    out = tmp_path / "cli"
    result = CliRunner().invoke(datagen_app, ["xray", "--out", str(out), "--n-scans", "1", "--seed", "2",
                                              "--pitch-mm", "20", "--single-energy"])
    assert result.exit_code == 0, result.output
    assert str(out / "dataset.json") in result.output
    assert not (out / "images_low").exists() and len(list((out / "images").rglob("*.png"))) == 1


def test_cli_makes_a_held_out_test_set_and_refuses_bad_splits(tmp_path):
    out = tmp_path / "held-out"
    result = CliRunner().invoke(datagen_app, ["xray", "--out", str(out), "--n-scans", "2", "--seed", "2",
                                              "--pitch-mm", "20", "--single-energy", "--splits", "0,0,1"])
    assert result.exit_code == 0, result.output
    assert {p.parent.name for p in (out / "manifests").rglob("*.json")} == {"test"}
    bad = CliRunner().invoke(datagen_app, ["xray", "--out", str(tmp_path / "bad"), "--splits", "0.5,0.5"])
    assert bad.exit_code != 0 and "three comma-separated fractions" in bad.output
    assert not (tmp_path / "bad").exists()


def test_cli_module_imports_light():
    code = "import sys, smartinspect.cli; print('numpy' in sys.modules, 'cv2' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
