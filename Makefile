# Two commands: `make run` serves the demo county on http://localhost:8501; `make test` runs every test.
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)

.PHONY: run test install lint bench ensure-uv

ensure-uv:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet --user uv

install: ensure-uv
	$(UV) sync --frozen

run: install
	$(UV) run voc db upgrade
	$(UV) run voc demo --if-empty
	$(UV) run voc serve

lint: install
	$(UV) run ruff check .
	$(UV) run ruff format --check .

test: lint
	$(UV) run pytest

bench: install
	$(UV) run python bench/run_all.py
