"""DESIGN.md's dependency direction, checked on the import statements of every package file.

graph is the ground floor (imports nothing of minispore's outside graph/); ops -> graph; optim ->
graph, ops; nn -> graph, ops, optim; backends -> graph, ops; runtime -> everything below it; dataset (the public
``minispore.dataset`` package with its transforms) -> graph, runtime. The
files at the repository root (``__init__.py``, ``train.py``, ``dataset.py``, ...) are the public
facades and may import anything. numba and llvmlite are imported only under backends/, numba.cuda
only under backends/cuda/. Imports are read with ``ast`` (module level and inside functions alike);
relative imports are resolved against the file's package. A second test asks that no function
imports a minispore module: a function-level import is how an upward import or a cycle hides.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository root is the package ``minispore``
PACKAGE = "minispore"
NOT_PACKAGE = {"tests", "benchmarks", "examples", "docs"}  # folders at the root that are not installed

# layer -> the layers it may import (itself included)
ALLOWED = {
    "graph": {"graph"},
    "ops": {"graph", "ops"},
    "optim": {"graph", "ops", "optim"},
    "nn": {"graph", "ops", "optim", "nn"},
    "backends": {"graph", "ops", "backends"},
    "runtime": {"graph", "ops", "optim", "nn", "backends", "runtime"},
    "dataset": {"graph", "runtime", "dataset"},  # the public minispore.dataset package (vision, transforms)
    "experimental": {"graph", "ops", "optim", "experimental"},  # experimental.optim: PyTorch-style optimizers on optim/
}
# external modules -> the folder (path prefix) they may be imported under
CONFINED = {"numba.cuda": "backends/cuda/", "numba": "backends/", "llvmlite": "backends/"}


def _package_files():
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in NOT_PACKAGE or any(p.startswith(".") or p == "__pycache__" for p in rel.parts):
            continue
        yield rel


def _package_of(rel):
    """The package (list of names below minispore) that ``rel``'s relative imports start from."""
    return list(rel.parts[:-1])


def _imports(rel):
    """(line, target, in_function) per imported module of ``rel``. ``target`` is ('ours', [names below
    minispore]) or ('ext', 'dotted.name')."""
    tree = ast.parse((ROOT / rel).read_text(), str(rel))
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                found.extend((child.lineno, _absolute(a.name), in_function) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                found.extend((child.lineno, t, in_function) for t in _from_targets(rel, child))
            visit(child, inner)

    visit(tree, False)
    return found


def _absolute(dotted):
    parts = dotted.split(".")
    return ("ours", parts[1:]) if parts[0] == PACKAGE else ("ext", dotted)


def _from_targets(rel, node):
    """The modules a ``from X import a, b`` reads: X itself, or X.a, X.b when X is a package named only by
    dots (``from . import a``) or the package root (then each name is a subpackage or facade)."""
    if node.level == 0:
        target = _absolute(node.module)
        if target[0] == "ext":  # ``from numba import cuda`` reads numba.cuda
            return [("ext", f"{node.module}.{a.name}") for a in node.names]
        if target[1]:
            return [target]
        base = []
    else:
        package = _package_of(rel)
        if node.level - 1 > len(package):
            raise AssertionError(f"{rel}:{node.lineno}: relative import goes above the package")
        base = package[:len(package) - (node.level - 1)]
        if node.module:
            return [("ours", base + node.module.split("."))]
    return [("ours", base + [a.name]) for a in node.names]


def _layer(parts):
    return parts[0] if parts else "minispore (the root package)"


def _rule_breaks(rel, line, target):
    where = f"{rel.as_posix()}:{line}"
    kind, what = target
    if kind == "ext":
        for module, folder in CONFINED.items():
            if (what == module or what.startswith(module + ".")) and not rel.as_posix().startswith(folder):
                return f"{where}: imports {what}, which only {folder} may import"
            if what == module or what.startswith(module + "."):
                return None
        return None
    if len(rel.parts) == 1:  # a facade at the root: anything goes
        return None
    layer, other = rel.parts[0], _layer(what)
    if layer not in ALLOWED:
        return f"{where}: folder {layer}/ has no rule in ALLOWED (add it, with DESIGN.md's dependency direction)"
    if other not in ALLOWED[layer]:
        return (f"{where}: {layer} imports {other} ({'.'.join([PACKAGE, *what])}); "
                f"{layer} may import only {', '.join(sorted(ALLOWED[layer]))}")
    return None


def test_imports_follow_the_dependency_direction():
    breaks = [b for rel in _package_files() for line, target, _ in _imports(rel)
              if (b := _rule_breaks(rel, line, target))]
    assert not breaks, f"{len(breaks)} import(s) against DESIGN.md's dependency direction:\n" + "\n".join(breaks)


def test_no_function_level_import_of_minispore_modules():
    """Imports of our own modules sit at the top of the file, where the dependency (and any cycle) shows."""
    found = [f"{rel.as_posix()}:{line}: imports {'.'.join([PACKAGE, *target[1]])} inside a function"
             for rel in _package_files() for line, target, in_function in _imports(rel)
             if in_function and target[0] == "ours"]
    assert not found, (f"{len(found)} function-level import(s) of minispore modules (move them to module level; "
                       "if that makes a cycle, the layering is wrong):\n" + "\n".join(found))


def test_the_checker_resolves_relative_imports():
    """The checker itself: relative imports resolve against the file's package, and ``from .. import x`` in
    a subpackage is the module x."""
    tree = ast.parse("from ..graph import trace\nfrom .. import nn\nfrom . import amp\nfrom .x import y\n"
                     "import minispore.ops.math\nfrom minispore import optim\n"
                     "import numba.cuda\nfrom numba import cuda\n")
    rel = Path("runtime/model.py")
    targets = [t for n in tree.body for t in (_from_targets(rel, n) if isinstance(n, ast.ImportFrom)
                                              else [_absolute(a.name) for a in n.names])]
    assert targets == [("ours", ["graph"]), ("ours", ["nn"]), ("ours", ["runtime", "amp"]),
                       ("ours", ["runtime", "x"]), ("ours", ["ops", "math"]), ("ours", ["optim"]),
                       ("ext", "numba.cuda"), ("ext", "numba.cuda")]
    assert _rule_breaks(Path("ops/x.py"), 3, ("ours", ["nn", "cell"])).startswith("ops/x.py:3: ops imports nn")
    assert _rule_breaks(Path("graph/x.py"), 1, ("ext", "numba")) == \
        "graph/x.py:1: imports numba, which only backends/ may import"
    assert "only backends/cuda/" in _rule_breaks(Path("backends/cpu/x.py"), 1, ("ext", "numba.cuda"))
    assert _rule_breaks(Path("backends/cuda/x.py"), 1, ("ext", "numba.cuda")) is None
    assert _rule_breaks(Path("__init__.py"), 1, ("ours", ["runtime"])) is None
