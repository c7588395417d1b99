"""The package's modules stand in layers that import one way (STRUCTURE.md): each module
imports only modules of its own layer or below, with no cycle, never inside a function, and
takes no private name from another; each imports alone in a fresh interpreter."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from typing import Dict, List, Set, Tuple

import pytest

from conftest import ROOT

PACKAGE = "decode_audio"
PACKAGE_DIR = os.path.join(ROOT, "python", PACKAGE)

# module (as in `decode_audio.<module>`; "" is the package) -> layer
LEAVES, BUFFERS, OPERATIONS, BACKENDS, ADAPTERS, TOP = 0, 1, 2, 3, 4, 5
LAYERS: Dict[str, int] = {
    "_errors": LEAVES, "_lib": LEAVES, "_dtypes": LEAVES, "_formats": LEAVES,
    "_metadata": LEAVES, "_options": LEAVES, "_components": LEAVES, "_arrays": LEAVES,
    "_files": LEAVES, "_registry": LEAVES,
    "_audio": BUFFERS, "_source": BUFFERS,
    "_decode": OPERATIONS, "_reader": OPERATIONS, "_save": OPERATIONS, "_writer": OPERATIONS,
    "_parallel": OPERATIONS, "ffmpeg_utils": OPERATIONS, "sox_utils": OPERATIONS,
    "io": OPERATIONS,
    "backends": BACKENDS, "backends.ffmpeg": BACKENDS, "backends.sox": BACKENDS,
    "backends.soundfile": BACKENDS,
    "ray": ADAPTERS, "hf": ADAPTERS, "webdataset": ADAPTERS, "lhotse": ADAPTERS,
    "": TOP, "__main__": TOP, "_cli": TOP, "_cli.common": TOP, "_cli.raw": TOP,
    "_cli.convert": TOP, "_cli.info": TOP, "_cli.plot": TOP,
}
# Third-party modules that may be imported inside a function: optional ones (the adapters'
# engines, and matplotlib for the command line's `plot`).
OPTIONAL = {"torch", "soundfile", "ray", "datasets", "lhotse", "matplotlib"}


def modules() -> Dict[str, str]:
    """module name -> file, for every module of the package."""
    found = {}
    for folder, _, files in os.walk(PACKAGE_DIR):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                module = os.path.relpath(path, PACKAGE_DIR)[:-3].replace(os.sep, ".")
                module = module[: -len("__init__")].rstrip(".") if module.endswith("__init__") \
                    else module
                found[module] = path
    return found


class Import:
    def __init__(self, target: str, names: List[str], line: int, in_function: bool) -> None:
        self.target, self.names, self.line, self.in_function = target, names, line, in_function


def imports(module: str, path: str) -> Tuple[List[Import], List[Tuple[str, int]]]:
    """The imports of the package's own modules in `module` (function bodies included), and
    its other imports made inside functions (name, line)."""
    tree = ast.parse(open(path).read())
    is_package = path.endswith("__init__.py")
    inside = {id(node) for f in ast.walk(tree)
              if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) for node in ast.walk(f)}
    own, foreign = [], []
    known = modules()
    for node in ast.walk(tree):
        in_function = id(node) in inside
        if isinstance(node, ast.ImportFrom) and node.level:
            base = module.split(".") if is_package and module else module.split(".")[:-1]
            base = base[: len(base) - (node.level - 1)]
            parent = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                sub = f"{parent}.{alias.name}".strip(".")
                if sub in known:
                    own.append(Import(sub, [], node.lineno, in_function))
                else:
                    own.append(Import(parent, [alias.name], node.lineno, in_function))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            for name in names:
                if name == PACKAGE or name.startswith(PACKAGE + "."):
                    target = name[len(PACKAGE) + 1:]
                    own.append(Import(target, [], node.lineno, in_function))
                elif in_function:
                    foreign.append((name.split(".")[0], node.lineno))
    return own, foreign


def graph() -> Dict[str, Set[str]]:
    return {m: {i.target for i in imports(m, p)[0] if i.target != m}
            for m, p in modules().items()}


def test_every_module_has_a_layer():
    assert set(modules()) == set(LAYERS)


def test_no_module_imports_one_of_a_higher_layer():
    upward = [f"{m} ({LAYERS[m]}) imports {t} ({LAYERS[t]})"
              for m, targets in graph().items() for t in targets
              if LAYERS[t] > LAYERS[m] and not (m == "" or t.startswith(m + "."))]
    assert upward == []


def test_backends_import_leaves_only():
    wrong = [f"{m} imports {t}" for m, targets in graph().items() if m.startswith("backends.")
             for t in targets if LAYERS[t] != LEAVES]
    assert wrong == []


def test_there_is_no_import_cycle():
    edges = graph()
    cycles = []

    def visit(node: str, path: List[str]) -> None:
        for nxt in sorted(edges[node]):
            if nxt in path:
                cycles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in done:
                visit(nxt, path + [nxt])
        done.add(node)

    done: Set[str] = set()
    for start in sorted(edges):
        if start not in done:
            visit(start, [start])
    assert cycles == []


def test_only_optional_modules_are_imported_inside_functions():
    found = []
    for module, path in modules().items():
        own, foreign = imports(module, path)
        found += [f"{module}:{i.line} imports {i.target}" for i in own if i.in_function]
        found += [f"{module}:{line} imports {name}" for name, line in foreign
                  if name not in OPTIONAL]
    assert found == []


def test_no_private_name_crosses_a_module_boundary():
    found = []
    for module, path in modules().items():
        own, _ = imports(module, path)
        found += [f"{module}:{i.line} takes {i.target}.{name}" for i in own for name in i.names
                  if name.startswith("_") and not name.startswith("__")]
        # attributes of imported modules: `_lib._private`
        bound = {i.target.rpartition(".")[2] for i in own if not i.names}
        for node in ast.walk(ast.parse(open(path).read())):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in bound and node.attr.startswith("_")
                    and not node.attr.startswith("__")):
                found.append(f"{module}:{node.lineno} takes {node.value.id}.{node.attr}")
    assert found == []


ALONE = """
import importlib, json, sys, types
# the package without its __init__, so that only what the module imports is loaded
package = types.ModuleType({package!r})
package.__path__ = [{folder!r}]
sys.modules[{package!r}] = package
importlib.import_module({name!r})
print(json.dumps(sorted(m[len({package!r}) + 1:] for m in sys.modules
                        if m.startswith({package!r} + "."))))
"""


@pytest.mark.parametrize("module", sorted(m for m in LAYERS if m not in ("", "__main__")))
def test_each_module_imports_alone_and_loads_nothing_above_it(module):
    code = ALONE.format(package=PACKAGE, folder=PACKAGE_DIR, name=f"{PACKAGE}.{module}")
    env = dict(os.environ, PYTHONPATH=os.path.dirname(PACKAGE_DIR))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    loaded = json.loads(r.stdout)
    assert module in loaded
    above = [m for m in loaded if LAYERS[m] > LAYERS[module] and not m.startswith(module + ".")]
    assert above == []


@pytest.mark.parametrize("module", [PACKAGE, f"{PACKAGE}.__main__"])
def test_the_package_and_the_command_line_import_in_a_fresh_interpreter(module):
    code = f"import importlib; importlib.import_module({module!r})"
    env = dict(os.environ, PYTHONPATH=os.path.dirname(PACKAGE_DIR))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
