# tracuu — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/python -m pip
STAMP  := $(VENV)/.tracuu-deps
INDEX_DIR ?= index

.PHONY: setup setup-llm setup-ocr setup-office setup-ui setup-postgres model index run serve test lint eval bench clean

## setup: venv + torch CPU (first, so pip never pulls CUDA) + project + default embedding model
setup: $(STAMP) model

$(PY):
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python >= 3.11 required"'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[dev]'
	touch $(STAMP)

model: $(STAMP)
	$(VENV)/bin/tracuu setup-model

## setup-llm: llama-cpp-python (built from source with safe CPU flags) + the local Qwen2.5 GGUF
setup-llm: $(STAMP)
	bash scripts/setup_llm.sh $(VENV)

## setup-ocr: Tesseract with Vietnamese data (Debian packages)
setup-ocr:
	@bash scripts/setup_ocr.sh

## setup-office: LibreOffice headless (Writer + Calc) to read .doc/.rtf/.odt/.xls (Debian packages)
setup-office:
	@bash scripts/setup_office.sh

## setup-postgres: the unprivileged user that runs PostgreSQL (server mode; binaries come from pip)
setup-postgres:
	@bash scripts/setup_postgres.sh

## setup-ui: Chromium + chromedriver for the end-to-end UI test (Debian packages)
setup-ui:
	@bash scripts/setup_ui.sh

$(INDEX_DIR)/manifest.json: | setup
	$(VENV)/bin/tracuu index corpus --index-dir $(INDEX_DIR)

index: setup
	$(VENV)/bin/tracuu index corpus --index-dir $(INDEX_DIR)

## run: install what is missing, build the sample index if missing, start the chat
run: setup $(INDEX_DIR)/manifest.json
	TRACUU_INDEX_DIR=$(INDEX_DIR) $(VENV)/bin/streamlit run app.py --server.headless true --browser.gatherUsageStats false

## serve: the shared deployment on this machine — PostgreSQL + the app with logins (data in ./pgdata)
serve: setup setup-postgres
	$(PY) -m retrieval.server.serve

## test: install everything (LLM, OCR, browser, PostgreSQL included), then the whole suite
test: setup setup-llm setup-ocr setup-office setup-ui setup-postgres
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q -rs

lint: $(STAMP)
	$(VENV)/bin/ruff check .

## eval: retrieval quality on the project's question set and on ALQAC (tables + eval/results/*.json)
eval: setup
	$(PY) eval/run_eval.py

bench: setup
	$(PY) eval/bench.py

clean:
	rm -rf $(INDEX_DIR) .pytest_cache test-artifacts
