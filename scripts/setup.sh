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
