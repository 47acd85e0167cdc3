"""Module aliases: the import paths MindSpore scripts write (``mindspore.nn.cell``, ``mindspore.train.callback``,
``mindspore.nn.optim.optimizer``) bound to the minispore modules that define those names.

``alias_module("minispore.nn.cell", cell)`` puts the module into ``sys.modules`` under the second name: the import
system finds a dotted name in ``sys.modules`` before it searches the parent's folder, so ``from minispore.nn.cell
import Cell`` gets the very object ``minispore.nn.Cell`` is (one module under two names, nothing loaded twice). A
package's submodules are aliased too (``minispore.nn.optim.momentum`` is ``minispore.optim.momentum``): otherwise
the import system would find the file through the package's ``__path__`` and load a second copy of it.
"""

import importlib
import pkgutil
import sys


def alias_module(name, module):
    """Register ``module`` (and, for a package, each of its submodules) under the dotted ``name``."""
    sys.modules[name] = module
    for info in pkgutil.iter_modules(getattr(module, "__path__", None) or []):
        alias_module(f"{name}.{info.name}", importlib.import_module(f"{module.__name__}.{info.name}"))
    return module
