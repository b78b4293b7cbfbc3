# The single entry point. `make report` publishes the default year; `make test` runs every test.
# Both create the environment first (a virtualenv in .venv from requirements.lock) when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA ?= data/papi-provinces
# YEAR: empty = the dataset's default_year (papi-provinces: 2024); e.g. make report YEAR=2016
YEAR ?=
# Shared libraries WeasyPrint needs for the PDF (Debian package names) and the files they
# provide; installed with apt-get only when missing and only where we are root. Otherwise a
# missing Pango stops make, naming what to install; a missing HarfBuzz-subset, which cuts the
# fonts embedded in the PDF, is only named: WeasyPrint then falls back to fontTools, whose
# subsets have other bytes and take longer (≈ 0.2 s a report PDF; README). Checked before
# every target that publishes, so an environment made before a library was added gets it too.
SYSTEM_LIBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0
SYSTEM_FILES := libpango-1.0.so.0 libpangoft2-1.0.so.0 libharfbuzz-subset.so.0

.PHONY: report test env system browser bench clean lab

# The package's bytecode, compiled where missing or stale: where PYTHONDONTWRITEBYTECODE is set
# (many containers, this project's CI), Python would compile every module again on each run.
report: system $(STAMP)
	@$(BIN)/python -m compileall -q src
	$(BIN)/par-report run --data $(DATA) $(if $(YEAR),--year $(YEAR))

test: system $(STAMP) browser
	$(BIN)/python -m pytest

env: system $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

system:
	@missing=; for file in $(SYSTEM_FILES); do ldconfig -p | grep -qF "$$file" || missing="$$missing $$file"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -q && apt-get install -y -q $(SYSTEM_LIBS); \
	  elif echo "$$missing" | grep -q pango; then \
	    echo "WeasyPrint needs the system libraries $(SYSTEM_LIBS): install them (as root: apt-get install $(SYSTEM_LIBS))"; exit 1; \
	  else echo "note: without libharfbuzz-subset0 WeasyPrint cuts the fonts of each PDF with fontTools, more slowly (as root: apt-get install libharfbuzz-subset0)"; fi; \
	fi

# Headless Chromium, for the test that loads the HTML edition in a real browser.
browser:
	@if ! command -v chromium >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get install -y -q chromium || (apt-get update -q && apt-get install -y -q chromium); \
	  else echo "the HTML test needs chromium: install it (as root: apt-get install chromium)"; exit 1; fi; \
	fi

# JupyterLab at the repository root, on this machine only (notebooks/: report, explain, publish;
# docs/PUBLISHING.md). Jupyter refuses to start as root without --allow-root: added when root.
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)
lab: system $(STAMP)
	$(BIN)/jupyter lab --ip=127.0.0.1 --notebook-dir=. $(LAB_ROOT) $(LAB_ARGS)

bench: system $(STAMP)   # compiles the bytecode itself, as run by hand
	$(BIN)/python benchmarks/bench_report.py

clean:
	rm -rf $(VENV) reports/*/
