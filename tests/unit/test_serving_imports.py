"""Serving must not need torch or ultralytics (they live in the train extra, AGPL-3.0 for ultralytics), and the
embedded service must not need Ray (the `ray` extra, imported only when the Ray engine is chosen)."""

import subprocess
import sys

CODE = """
import sys
import smartinspect.api.app, smartinspect.api.routers.scans, smartinspect.xray.pipeline, smartinspect.xray.service
import smartinspect.runtime, smartinspect.cli, smartinspect.demo
import smartinspect.documents.check, smartinspect.documents.crosscheck, smartinspect.documents.profiles
import smartinspect.api.routers.clearance, smartinspect.clearance.service, smartinspect.clearance.cli
import smartinspect.clearance.reports, smartinspect.benchmarks.clearance
import smartinspect.api.routers.review, smartinspect.review.decisions, smartinspect.review.export
import smartinspect.review.cli
import smartinspect.api.routers.documents, smartinspect.documents.service, smartinspect.ocr.engine
import smartinspect.ocr.intake, smartinspect.ocr.pdf, smartinspect.ocr.cli
import smartinspect.api.routers.models, smartinspect.runtime.reload, smartinspect.lifecycle.cli
import smartinspect.runtime.engine, smartinspect.runtime.batching, smartinspect.benchmarks.serving
import smartinspect.lifecycle.feedback, smartinspect.lifecycle.gate, smartinspect.lifecycle.export
import smartinspect.api.routers.wood, smartinspect.wood.service, smartinspect.wood.evaluate, smartinspect.wood.cli
import smartinspect.anomaly.scorer, smartinspect.anomaly.evaluate, smartinspect.anomaly.overlay
import smartinspect.anomaly.preprocess, smartinspect.anomaly.memory, smartinspect.anomaly.bench, smartinspect.anomaly.cli
import smartinspect.documents.keyelements, smartinspect.documents.sroie
smartinspect.documents.keyelements.default_model()  # the key-element model runs on ONNX Runtime, not lightgbm
heavy = sorted(m for m in sys.modules if m.split('.')[0] in {'torch', 'ultralytics', 'torchvision', 'sahi', 'mlflow',
                                                             'rapidocr', 'lightgbm', 'onnx', 'ray'})
print(','.join(heavy))
"""


def test_serving_path_imports_no_training_stack():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"serving imported: {out.stdout.strip()}"
