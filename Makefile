# ConvCanvas developer tasks. Every target that needs Python sets up .venv
# first (on first use, and again whenever pyproject.toml changes).

PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# The test and cluster extras (pytest, timm, Ray) are installed only for `make test`: `make run` stays lean.
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test bench clean venv

run: $(STAMP)
	$(VENV)/bin/convcanvas

# One pytest worker per core (pytest-xdist): the tests are independent processes' worth of work.
test: $(TEST_STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -n auto

bench: $(STAMP)
	$(PY) -m bench

venv: $(STAMP)

# A venv whose interpreter no longer runs (moved, or Python upgraded) is rebuilt.
$(STAMP): pyproject.toml
	@if ! $(PY) -c "" >/dev/null 2>&1; then \
		echo "creating $(VENV) with $(PYTHON)"; \
		rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); \
	fi
	$(PY) -m pip install -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(PY) -m pip install -e '.[test,cluster]'
	touch $(TEST_STAMP)

clean:
	rm -rf $(VENV)
