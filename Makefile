# One entry point for the checks: lint, format, types, tests.
PY ?= python

.PHONY: check lint format-check types test eval

check: lint format-check types test

lint:
	$(PY) -m ruff check .

format-check:
	$(PY) -m ruff format --check .

types:
	$(PY) -m mypy agent api

test:
	$(PY) -m pytest -q

eval:
	rondetafel eval evals/scenarios --thresholds evals/thresholds.yaml --json eval-report.json
