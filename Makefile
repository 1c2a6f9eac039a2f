# One entry point for the checks: lint, format, types, tests.
PY ?= python

.PHONY: check lint format-check types test eval browser

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

# Debian's chromium for the browser tests (tests/browser). Playwright drives it through
# executable_path; nothing ever downloads a browser.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium; }
