#!/usr/bin/env bash
# Set up this checkout: a virtualenv in .venv with the package and the extras a profile needs.
#   serve: the API and the demo (no torch)          dev: serve + training + tests
# Re-running is cheap: a stamp file remembers what was installed for which pyproject.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:-dev}"
case "$profile" in
  serve) extras="serve" ;;
  dev) extras="serve,train,dev" ;;
  *) echo "usage: $0 serve|dev" >&2; exit 2 ;;
esac
# System packages from Debian: CJK fonts (document rendering, all profiles); Chromium for the browser tests (dev).
debs="fonts-noto-cjk fonts-dejavu-core fonts-dejavu-extra"  # dejavu: Latin fonts of the document generator
[ "$profile" = dev ] && debs="$debs chromium"
missing=""
for d in $debs; do dpkg-query -W -f='${Status}' "$d" 2>/dev/null | grep -q "ok installed" || missing="$missing $d"; done
if [ -n "$missing" ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "installing Debian packages:$missing"
    (apt-get install -y --no-install-recommends $missing >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null && apt-get install -y --no-install-recommends $missing >/dev/null; })
  elif command -v apt-get >/dev/null && command -v sudo >/dev/null; then
    sudo apt-get update -qq && sudo apt-get install -y --no-install-recommends $missing
  else
    echo "warning: please install these Debian packages yourself:$missing" >&2
  fi
fi
PY="${PY:-python3}"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
stamp=".venv/.stamp-$profile"
want="$(sha256sum pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  # torch/torchvision are pinned in the train extra; pip takes them from the machine's local wheel store.
  .venv/bin/python -m pip install --quiet -e ".[$extras]"
  echo "$want" > "$stamp"
fi
# The PP-OCR ONNX files are not in git (31 MB): their manifests are. Fetch them from the pinned rapidocr wheel.
.venv/bin/python scripts/fetch_ocr_models.py .venv/bin/python
