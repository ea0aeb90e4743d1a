VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench clean

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install -q -e '.[test,demo,rl,onnx,mpi,compile]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) examples/train_digits.py

test: $(STAMP)
	$(PY) -m ruff check src tests bench examples
	$(PY) -m pytest -q

# Benchmarks against PyTorch (CPU), HIPS autograd, MyGrad and hand-written NumPy.
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are unset here only: they slow a current NumPy.
bench: $(STAMP)
	$(PY) -m pip install -q -e '.[bench,mpi]'
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(PY) bench/run.py
	$(PY) bench/distributed.py  # it runs mpirun -n 1 and -n 2, as root too

clean:
	rm -rf $(VENV) build src/*.egg-info
