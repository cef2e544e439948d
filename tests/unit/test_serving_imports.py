"""Serving must not need torch or ultralytics (they live in the train extra, AGPL-3.0 for ultralytics)."""

import subprocess
import sys

CODE = """
import sys
import smartinspect.api.app, smartinspect.api.routers.scans, smartinspect.xray.pipeline, smartinspect.xray.service
import smartinspect.runtime, smartinspect.cli, smartinspect.demo
heavy = sorted(m for m in sys.modules if m.split('.')[0] in {'torch', 'ultralytics', 'torchvision', 'sahi', 'mlflow'})
print(','.join(heavy))
"""


def test_serving_path_imports_no_training_stack():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"serving imported: {out.stdout.strip()}"
