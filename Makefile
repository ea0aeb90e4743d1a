VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench clean

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install -q -e '.[test,demo,rl,onnx,mpi]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) examples/train_digits.py

test: $(STAMP)
	$(PY) -m ruff check src tests bench examples
	$(PY) -m pytest -q

# Benchmarks against PyTorch (CPU), HIPS autograd, MyGrad and hand-written NumPy.
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are unset here only: they slow a current NumPy.
bench: $(STAMP)
	$(PY) -m pip install -q -e '.[bench]'
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(PY) bench/run.py

clean:
	rm -rf $(VENV) build src/*.egg-info
