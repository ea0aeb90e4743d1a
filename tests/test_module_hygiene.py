"""Module hygiene: every chainrule module imports on its own, the package's import-time
imports form no cycle, and every public module shows exactly what it exports.

A public module is one with no ``_`` in front of any part of its dotted name. What it
shows is ``dir(module)`` without ``_`` names; what it exports is its ``__all__`` plus its
submodules (importing a submodule sets it as an attribute of its package, whether or not
the package lists it).
"""
import ast
import os
import subprocess
import sys
import types
from concurrent.futures import ThreadPoolExecutor
from importlib import import_module
from pathlib import Path

import pytest

import chainrule

SRC = Path(chainrule.__file__).resolve().parent
ROOT = SRC.name  # "chainrule"


def _module_files():
    """``{dotted name: path}`` for every module in the package, read from the files (not
    from what happens to be imported)."""
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _module_files()
PUBLIC = sorted(m for m in MODULES if not any(p.startswith("_") for p in m.split(".")))

# Import cycles allowed to stay, each with the reason it cannot be broken yet.
KNOWN_CYCLES = {}

# Cycles closed only by an import deferred into a function, with the reason.
KNOWN_DEFERRED_CYCLES = {
    # Tensor.backward / clear_graph / register_hook call the engine, which imports Tensor
    # at top level; tensor.py imports the engine when first called (autograd/tensor.py,
    # the engine could register itself with Tensor, as chainrule.numpy registers itself
    # with the engine).
    frozenset({"chainrule.autograd.engine", "chainrule.autograd.tensor"}):
        "Tensor methods reach the engine, which imports Tensor",
}


# ----- each module imports in a fresh interpreter ----------------------------------------
def _import_alone(name):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC.parent), env.get("PYTHONPATH"))
                                        if p)
    done = subprocess.run([sys.executable, "-c", f"import {name}"], env=env,
                          capture_output=True, text=True, timeout=120)
    return name, done.returncode, done.stderr.strip().splitlines()[-1:] or [""]


def test_every_module_imports_on_its_own():
    # One fresh interpreter per module, two at a time: an import that works only because
    # something else was imported first fails here.
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(_import_alone, sorted(MODULES)))
    failed = {name: err[0] for name, rc, err in results if rc != 0}
    assert not failed, failed


# ----- the import-time import graph has no cycle -----------------------------------------
def _all_import_nodes(tree):
    """Every import statement, deferred ones (inside functions) included."""
    return (n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)))


def _import_time_nodes(tree):
    """The import statements that run when the module is imported: at top level, and in
    top-level ``if``/``try``/``with`` blocks and class bodies, not inside functions (those
    run later, once everything is imported) nor under ``if TYPE_CHECKING``."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
        else:
            stack.extend(n for n in ast.iter_child_nodes(node) if isinstance(n, ast.stmt)
                         or isinstance(n, ast.excepthandler))


def _ancestors(name):
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _imports_of(name, path, nodes=_import_time_nodes):
    """The package modules ``name`` imports at import time. ``from p import x`` imports
    ``p.x`` when that is a module, else reads ``x`` from ``p``. Importing ``a.b.c`` runs
    the packages ``a`` and ``a.b`` first, so they count too, except the packages ``name``
    itself sits in, which are already being imported when it runs (a name read from one
    of them still counts)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets = set()
    for node in nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets |= {a.name for a in node.names}
            continue
        if node.level:
            base = package.split(".")
            base = ".".join(base[:len(base) - node.level + 1])
            target = f"{base}.{node.module}" if node.module else base
        else:
            target = node.module
        subs = {f"{target}.{a.name}" for a in node.names} & set(MODULES)
        targets |= subs
        if len(subs) < len(node.names):  # a name defined in the module itself
            targets.add(target)
    mine = set(_ancestors(name)) | {name}
    edges = set()
    for t in targets:
        if t in MODULES:
            edges |= {t} | (set(_ancestors(t)) - mine)
    return edges - {name}


def _cycles(graph):
    """The strongly connected components with more than one module (Tarjan's algorithm,
    iterative)."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        out.append(frozenset(component))
    return out


def test_no_import_cycles():
    graph = {name: _imports_of(name, path) for name, path in MODULES.items()}
    cycles = [sorted(c) for c in _cycles(graph) if c not in KNOWN_CYCLES]
    assert not cycles, "\n".join(" <-> ".join(c) for c in cycles)


def test_deferred_imports_close_only_known_cycles():
    # An import moved into a function hides a cycle from the test above without breaking
    # it; such cycles are listed, with their reason, until they are broken.
    graph = {name: _imports_of(name, path, _all_import_nodes) for name, path in MODULES.items()}
    cycles = [sorted(c) for c in _cycles(graph)
              if not any(known <= c for known in KNOWN_DEFERRED_CYCLES)]
    assert not cycles, "\n".join(" <-> ".join(c) for c in cycles)


def test_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [frozenset("abc")]


# ----- public modules show exactly what they export --------------------------------------
def _submodules(module):
    return {n for n, v in vars(module).items() if isinstance(v, types.ModuleType)
            and v.__name__ == f"{module.__name__}.{n}" and not n.startswith("_")}


@pytest.mark.parametrize("name", PUBLIC)
def test_public_module_exports_exactly_its_all(name):
    module = import_module(name)
    assert hasattr(module, "__all__"), f"{name} has no __all__"
    shown = {n for n in dir(module) if not n.startswith("_")}
    exported = set(module.__all__) | _submodules(module)
    assert sorted(shown - exported) == [], f"{name} leaks names"
    assert sorted(exported - shown) == [], f"{name} exports names it does not have"
    assert len(module.__all__) == len(set(module.__all__)), f"{name}: __all__ repeats"



# ----- the seeds' names ------------------------------------------------------------------
def test_seed_names_come_from_one_module():
    from chainrule import _seed_names

    assert chainrule.Variable is _seed_names.Variable is chainrule.Tensor
    dense = chainrule.nn.Dense(3, 2)
    assert isinstance(dense, chainrule.nn.Linear) and dense.weights is dense.weight
    assert repr(chainrule.nn.Dense) == "<class 'chainrule.nn.Dense'>"
    for owner, method, _seeds, _pytorch in _seed_names.METHODS:
        cls = import_module(owner.rpartition(".")[0])
        assert callable(getattr(getattr(cls, owner.rpartition(".")[2]), method)), (owner, method)
