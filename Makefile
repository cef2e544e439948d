# Two entry points (see README): `make demo` runs the demo server; `make test` runs the test suite.
# Both set up everything they need on a fresh machine (virtualenv, Python packages, system packages).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test setup-serve setup-dev train-xray bench-xray bench-clearance bench-ocr train-wood bench-wood clean

demo: setup-serve
	$(BIN)/smartinspect demo

test: setup-dev
	$(BIN)/lint-imports
	$(BIN)/ruff check --no-cache smartinspect tests
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

setup-serve:
	./scripts/setup.sh serve

setup-dev:
	./scripts/setup.sh dev

train-xray: setup-dev
	$(BIN)/smartinspect train xray --config training/xray.yaml

bench-xray: setup-dev
	$(BIN)/smartinspect bench xray --scans 10 --out docs/bench-xray.json

bench-ocr: setup-dev
	$(BIN)/smartinspect bench ocr --pages 12 --out docs/bench-ocr.json

bench-clearance: setup-serve
	$(BIN)/smartinspect bench clearance --http 300 --out docs/bench-clearance-sqlite.json
	$(BIN)/smartinspect bench clearance --http 300 --out docs/bench-clearance-postgres.json \
		--database-url postgresql://postgres@127.0.0.1:5432/smartinspect_bench

train-wood: setup-dev
	$(BIN)/smartinspect train wood --config training/wood-anatomy.yaml

bench-wood: setup-dev
	$(BIN)/smartinspect bench wood --photos 64 --out docs/bench-wood.json

clean:
	rm -rf var .pytest_cache
