# Two commands: `make run` serves the demo county on http://localhost:8501; `make test` runs every test.
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)

.PHONY: run test install lint bench ensure-uv

ensure-uv:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet --user uv

# Bytecode is compiled once here: where PYTHONDONTWRITEBYTECODE is set or the environment is read-only,
# every `voc` command would otherwise compile pandas, SQLAlchemy and scikit-learn again as it starts.
install: ensure-uv
	$(UV) sync --frozen --compile-bytecode
	$(UV) run --no-sync python -m compileall -q voc pages app.py

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
