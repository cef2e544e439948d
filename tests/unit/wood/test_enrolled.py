"""Enrolled reference collections (issue 25): enroll a few tiny synthetic photos per taxon, screen, CLI, errors.

One enrollment per module (the Lite0 export and features take a few seconds); MLflow tracking is off here (the
enrollment's MLflow run is covered by its own test with a temporary store)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("efficientnet_lite_pytorch", reason="the train extra is not installed")

from smartinspect.config import Settings  # noqa: E402
from smartinspect.runtime import ModelRegistry, load_package  # noqa: E402
from smartinspect.wood.datagen import anatomy_of, render_end_grain  # noqa: E402
from smartinspect.wood.datagen.ood import render_ood  # noqa: E402
from smartinspect.wood.decode import decode_photo  # noqa: E402
from smartinspect.wood.enrolled import EnrolledClassifier, screen_files, served_classifier  # noqa: E402
from smartinspect.wood.preprocess import analysis_view  # noqa: E402
from smartinspect.wood.screening import screen_views  # noqa: E402

SETTINGS = Settings(_env_file=None, environment="test")  # type: ignore[call-arg]
# folder name -> generator taxon; "Tilia_cordata" is not in taxa.yaml (CITES unknown), Swietenia is Appendix II
ENROLLED = {"Swietenia": "Swietenia", "Quercus": "Quercus", "Pinus": "Pinus", "Tilia_cordata": "Tilia"}
LEFT_OUT = "Ulmus"  # never enrolled; unlike the four (Betula, say, is a look-alike of the synthetic Tilia)
PER_TAXON = 4


def photo(taxon: str, seed: int, size: int = 192) -> bytes:
    return render_end_grain(np.random.default_rng(seed), anatomy_of(taxon), size=size).jpeg


def view(data: bytes) -> np.ndarray:
    return analysis_view(decode_photo(data, max_pixels=10**8, min_side=128, analysis_side=256).rgb)


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    from smartinspect.wood.train.enroll_package import enroll

    root = tmp_path_factory.mktemp("enroll")
    for folder, taxon in ENROLLED.items():
        (root / "refs" / folder).mkdir(parents=True)
        for i in range(PER_TAXON):
            (root / "refs" / folder / f"{i}.jpg").write_bytes(photo(taxon, 100 + i))
    result = enroll(root / "refs", root / "models" / "wood-enrolled", settings=SETTINGS, source="test photos",
                    track=False)
    return result.package


@pytest.fixture(scope="module")
def classifier(package: Path) -> EnrolledClassifier:
    return EnrolledClassifier(load_package(package))


def test_package_holds_onnx_bank_manifest_and_card(package: Path) -> None:
    manifest = json.loads((package / "manifest.json").read_text())
    assert manifest["task"] == "wood-enrolled"
    assert manifest["params"]["taxa"] == ["Pinus", "Quercus", "Swietenia", "Tilia cordata"]
    assert manifest["metrics"]["onnx_parity_max_abs"] < 1e-4
    assert {t: c["photos"] for t, c in manifest["references"]["taxa"].items()} == dict.fromkeys(
        manifest["params"]["taxa"], PER_TAXON)
    card = (package / "MODEL_CARD.md").read_text()
    assert "Apache-2.0" in card and "| Tilia cordata | Tilia | 4 | 4 | unknown |" in card
    assert "| Swietenia | Swietenia | 4 | 4 | listed (Appendix II) |" in card


def test_known_photo_identified_left_out_taxon_and_nonwood_abstain(classifier: EnrolledClassifier) -> None:
    """Known photos (not among the references) come out on top and are never called as another taxon; the
    open-set rule may still send them to an expert (docs/wood.md: the threshold favours abstention)."""
    known = [view(photo(t, 900 + i)) for t in ("Quercus", "Swietenia") for i in range(2)]
    values = []
    for v, taxon in zip(known, ("Quercus", "Quercus", "Swietenia", "Swietenia"), strict=True):
        result = screen_views(classifier, [v], declared_species=f"{taxon} sp.")
        image = result.images[0]
        assert image.gate["passed"] and image.top_k[0].taxon == taxon and result.call in (taxon, None), image
        values.append(image.knn)
    left_out = screen_views(classifier, [view(photo(LEFT_OUT, 901))], declared_species="Ulmus minor")
    assert left_out.abstained and left_out.recommendation.value == "expert_review"
    assert left_out.images[0].knn > np.mean(values)  # farther from the references than the known photos
    rng = np.random.default_rng(3)
    for kind in ("document", "noise", "photo"):
        jpeg, _ = render_ood(rng, kind, size=256)
        result = screen_views(classifier, [view(jpeg)], declared_species="Quercus robur")
        assert result.abstained, (kind, result.images[0])


def test_cites_listed_call_is_never_cleared(classifier: EnrolledClassifier) -> None:
    result = screen_views(classifier, [view(photo("Swietenia", 950))], declared_species="Khaya ivorensis")
    assert result.recommendation.value != "clear"
    assert result.top_k[0].taxon == "Swietenia" and result.top_k[0].cites_appendix == "II"


def test_unknown_taxon_is_enrolled_with_cites_unknown_and_never_clears(classifier: EnrolledClassifier) -> None:
    status = classifier.table.cites_of("Tilia cordata")
    assert status.state == "unknown" and not status.flagged
    result = screen_views(classifier, [view(photo("Tilia", 960))], declared_species="Tilia cordata")
    if result.call is not None:  # called: its CITES state is unknown, so an expert looks
        assert result.call == "Tilia cordata" and result.cites_state == "unknown"
        assert "cites_unknown" in {r.code for r in result.reasons}
    assert result.recommendation.value != "clear"


def test_onnx_features_match_pytorch(package: Path) -> None:
    from smartinspect.wood.train.enroll_features import EnrolledFeatures, check_parity

    batch = np.random.default_rng(0).uniform(0, 255, (4, 3, 128, 128)).astype(np.float32)
    assert check_parity(EnrolledFeatures(), package / "features.onnx", batch) < 1e-4


def test_screen_cli_prints_one_json_object_per_file_in_order(package: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from smartinspect.cli import app

    files = [tmp_path / "a.jpg", tmp_path / "broken.png", tmp_path / "b.jpg"]
    files[0].write_bytes(photo("Quercus", 970))
    files[1].write_bytes(b"not an image")
    files[2].write_bytes(photo("Swietenia", 971))
    run = CliRunner().invoke(app, ["wood", "screen", "--model", str(package), *map(str, files)])
    lines = [json.loads(line) for line in run.output.strip().splitlines()]
    assert [r["file"] for r in lines] == list(map(str, files))
    assert run.exit_code == 1  # one photo could not be read
    assert lines[1]["abstained"] and lines[1]["error"]["code"] == "not_an_image"
    for record in (lines[0], lines[2]):
        assert set(record) >= {"file", "top_k", "call", "abstained", "reason"}
        assert set(record["top_k"][0]) == {"taxon", "genus", "probability", "cites_appendix"}
    assert lines[0]["top_k"][0]["taxon"] == "Quercus" and lines[2]["top_k"][0]["taxon"] == "Swietenia"
    assert lines[0]["call"] in ("Quercus", None) and (lines[0]["call"] is None) == lines[0]["abstained"]


def test_screen_cli_refuses_a_folder_that_is_not_a_package(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from smartinspect.cli import app

    run = CliRunner().invoke(app, ["wood", "screen", "--model", str(tmp_path), str(tmp_path / "x.jpg")])
    assert run.exit_code == 2 and "not a usable wood package" in run.output


def test_service_prefers_the_enrolled_package_and_reloads_a_changed_bank(package: Path) -> None:
    registry = ModelRegistry.from_directory(package.parent, warm_up=False)
    first = served_classifier(registry)
    assert isinstance(first, EnrolledClassifier) and first.name == "wood-enrolled"
    manifest = json.loads((package / "manifest.json").read_text())
    bank = package / manifest["params"]["bank"]["file"]
    original = bank.read_bytes()
    try:
        bank.write_bytes(original[:-10] + b"0123456789")
        with pytest.raises(ValueError, match="sha256"):
            served_classifier(ModelRegistry.from_directory(package.parent, warm_up=False))
    finally:
        bank.write_bytes(original)


@pytest.mark.parametrize(("layout", "message"), [
    ({}, "holds no taxon folders"),
    ({"123": ["a.jpg"]}, "not a genus or binomial"),
    ({"Quercus": []}, "holds no photos"),
    ({"Quercus": ["broken.jpg"]}, "broken.jpg"),
])
def test_bad_references_get_a_clear_error(tmp_path: Path, layout: dict, message: str) -> None:
    from smartinspect.wood.train.enroll import EnrollmentError, read_references

    for folder, files in layout.items():
        (tmp_path / folder).mkdir()
        for name in files:
            (tmp_path / folder / name).write_bytes(b"garbage" if name == "broken.jpg" else photo("Quercus", 1))
    with pytest.raises(EnrollmentError, match=message):
        read_references(tmp_path, SETTINGS)


def test_enroll_cli_exits_2_with_the_reason(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from smartinspect.cli import app

    run = CliRunner().invoke(app, ["wood", "enroll", "--references", str(tmp_path / "none"), "--out",
                                   str(tmp_path / "pkg"), "--no-track"])
    assert run.exit_code == 2 and "does not exist" in run.output


def test_specimen_subfolders_group_photos(tmp_path: Path) -> None:
    from smartinspect.wood.train.enroll import scan_references

    for specimen in ("s1", "s2"):
        (tmp_path / "Khaya" / specimen).mkdir(parents=True)
        for i in range(2):
            buf = io.BytesIO()
            Image.fromarray(np.zeros((130, 130, 3), np.uint8)).save(buf, "PNG")
            (tmp_path / "Khaya" / specimen / f"{i}.png").write_bytes(buf.getvalue())
    refs = scan_references(tmp_path)
    assert [r.specimen for r in refs] == ["Khaya/s1", "Khaya/s1", "Khaya/s2", "Khaya/s2"]


def test_screen_files_reports_blank_photo_as_error(classifier: EnrolledClassifier, tmp_path: Path) -> None:
    buf = io.BytesIO()
    Image.fromarray(np.full((200, 200, 3), 128, np.uint8)).save(buf, "PNG")
    (tmp_path / "blank.png").write_bytes(buf.getvalue())
    [record] = screen_files(classifier, [tmp_path / "blank.png"], SETTINGS)
    assert record["abstained"] and record["error"]["code"] == "blank_image"


def test_one_photo_per_taxon_reports_null_not_nan(tmp_path: Path) -> None:
    """Nothing to score leave-one-specimen-out: the report says null, and stays strict JSON."""
    from typer.testing import CliRunner

    from smartinspect.cli import app

    for folder, taxon in (("Quercus", "Quercus"), ("Pinus", "Pinus")):
        (tmp_path / "refs" / folder).mkdir(parents=True)
        (tmp_path / "refs" / folder / "0.jpg").write_bytes(photo(taxon, 5))
    run = CliRunner().invoke(app, ["wood", "enroll", "--references", str(tmp_path / "refs"), "--out",
                                   str(tmp_path / "pkg"), "--no-track"])
    assert run.exit_code == 0, run.output

    def refuse(constant: str) -> None:
        raise ValueError(f"not JSON: {constant}")

    report = json.loads(run.output, parse_constant=refuse)
    assert report["calibration"]["loso_top1"] is None and report["calibration"]["loso_photos"] == 0
    manifest = json.loads((tmp_path / "pkg" / "manifest.json").read_text(), parse_constant=refuse)
    assert manifest["metrics"]["calibration"]["left_out_abstained"] is not None  # the other taxon scores it
    assert "n/a (nothing to score)" in (tmp_path / "pkg" / "MODEL_CARD.md").read_text()


def test_append_adds_a_taxon_from_the_bank_without_the_old_photos(package: Path, tmp_path: Path) -> None:
    from smartinspect.wood.enrolled import ReferenceBank
    from smartinspect.wood.train.enroll_package import enroll

    (tmp_path / "new" / "Ulmus").mkdir(parents=True)
    for i in range(3):
        (tmp_path / "new" / "Ulmus" / f"{i}.jpg").write_bytes(photo(LEFT_OUT, 500 + i))
    result = enroll(tmp_path / "new", tmp_path / "appended", settings=SETTINGS, track=False, append_to=package)
    manifest = result.manifest
    assert manifest["params"]["taxa"] == ["Pinus", "Quercus", "Swietenia", "Tilia cordata", "Ulmus"]
    assert manifest["references"]["taxa"]["Ulmus"] == {"photos": 3, "specimens": 3}
    assert manifest["references"]["photos"] == 4 * PER_TAXON + 3
    assert manifest["sha256"] == json.loads((package / "manifest.json").read_text())["sha256"]  # same graph
    old = ReferenceBank.load(package / "bank.npz")
    new = ReferenceBank.load(tmp_path / "appended" / "bank.npz")
    kept = np.isin(new.labels, [new.taxa.index(t) for t in old.taxa])
    np.testing.assert_allclose(new.raw[kept], old.raw, atol=1e-3)  # the old references' features, unchanged
    classifier = EnrolledClassifier(load_package(tmp_path / "appended"))
    result = screen_views(classifier, [view(photo(LEFT_OUT, 901))], declared_species="Ulmus minor")
    assert result.top_k[0].taxon == "Ulmus"


def test_dihedral_features_do_not_depend_on_how_the_loupe_was_turned(tmp_path: Path) -> None:
    from smartinspect.wood.train.enroll_features import EnrolledFeatures, check_parity, export_features

    net = EnrolledFeatures(("s8", "s16"), pooling="mean_std", views=8)
    onnx = export_features(net, tmp_path / "features.onnx", crop=128)
    crops = np.random.default_rng(1).uniform(0, 255, (2, 3, 128, 128)).astype(np.float32)
    assert check_parity(net, onnx, crops) < 1e-4
    turned = np.ascontiguousarray(np.rot90(crops, 1, axes=(2, 3)))
    from smartinspect.runtime import OnnxModel

    model = OnnxModel(onnx, providers=["CPUExecutionProvider"])  # what serving runs
    a, b = model.run(crops)[0], model.run(turned)[0]
    assert a.shape == (2, net.dim) and np.abs(a - b).max() < 1e-4
