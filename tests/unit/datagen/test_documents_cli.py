"""``smartinspect datagen documents`` and ``smartinspect evaluate documents --ocr truth`` end to end (no OCR models)."""

import json

from typer.testing import CliRunner

from smartinspect.cli import app


def test_datagen_then_evaluate_on_truth_lines(tmp_path):
    runner = CliRunner()
    out = tmp_path / "ds"
    result = runner.invoke(app, ["datagen", "documents", "--out", str(out), "--n", "1", "--seed", "3",
                                 "--layouts", "held-out", "--clean"])
    assert result.exit_code == 0, result.output
    info = json.loads((out / "dataset.json").read_text())
    assert info["held_out_layouts"] == ["banner"] and info["counts"]["layouts"] == {"banner": 4}
    result = runner.invoke(app, ["evaluate", "documents", "--dataset", str(out), "--ocr", "truth"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[result.output.index("{"):])
    assert report["documents"] == 4 and report["fields"]["overall"]["f1"] > 0.9


def test_datagen_rejects_unknown_layouts(tmp_path):
    result = CliRunner().invoke(app, ["datagen", "documents", "--out", str(tmp_path), "--layouts", "fancy"])
    assert result.exit_code != 0 and "unknown layout" in result.output
