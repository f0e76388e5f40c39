# The two commands: `make run` plays, `make test` runs the suite. Both set up what is missing first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test check lint soak bench sysdeps-run sysdeps-test

run: sysdeps-run $(VENV)/.run-installed
	$(BIN)/lofid run

# The linter and the type checker first (their settings are in pyproject.toml), so a lint or type error
# fails CI like a test does. The suite runs on every core (pytest-xdist; TEST_JOBS=1 for one process):
# each test starts its own servers in its own folders, so workers never meet. A worker takes one test
# at a time (--maxschedchunk 1), the slow ones first (tests/conftest.py), so the workers end together.
TEST_JOBS ?= auto
test: sysdeps-test $(VENV)/.test-installed lint
	$(BIN)/python -m pytest -q -n $(TEST_JOBS) --maxschedchunk 1

# The edit loop (about a minute): lint, types, and the unit tests but the slow ones (training, minutes of
# sound), without the end-to-end runs.
check: $(VENV)/.test-installed lint
	$(BIN)/python -m pytest -q -n $(TEST_JOBS) --maxschedchunk 1 -m "not slow and not soak" tests/unit

lint: $(VENV)/.test-installed
	$(BIN)/ruff check lofid tests bench scripts
	$(BIN)/mypy

# The same set-up as `make test`, then the long runs (tests marked soak): 8 hours of music rendered
# faster than real time (~15-60 min). Shorter: `make soak SOAK_HOURS=2`.
SOAK_HOURS ?= 8
soak: sysdeps-test $(VENV)/.test-installed
	LOFID_SOAK_HOURS=$(SOAK_HOURS) $(BIN)/python -m pytest -q -s -m soak

# The same set-up as `make test`, then every benchmark (~37 min): one table, bench/results.json and
# BENCHMARKS.md (its hand-written sections kept). Pass options through BENCH, e.g. `make bench BENCH="--steady-seconds 60"`.
bench: sysdeps-test $(VENV)/.test-installed
	$(BIN)/python -m bench.run $(BENCH)

sysdeps-run:
	@scripts/sysdeps.sh run

sysdeps-test:
	@scripts/sysdeps.sh test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Stamps keep a second `make` fast: pip runs again only when the package's build changes (its
# metadata, or the compiled loops of lofid/audio/_dsp.c). An editable install leaves lofid's
# modules uncompiled; compiling them as a wheel's install does spares the first launch 0.1 s.
BUILD := pyproject.toml lofid/audio/_dsp.c
$(VENV)/.run-installed: $(BUILD) | $(BIN)/python
	$(BIN)/pip install -q -e .
	$(BIN)/python -m compileall -q lofid
	touch $@

$(VENV)/.test-installed: $(BUILD) | $(BIN)/python
	$(BIN)/pip install -q -e '.[train,test]'
	$(BIN)/python -m compileall -q lofid
	touch $@ $(VENV)/.run-installed
