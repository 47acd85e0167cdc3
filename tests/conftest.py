"""Test configuration.

The repository root is the package ``minispore`` (it has an ``__init__.py``), so the test folders
are deliberately not packages: pytest would otherwise import the whole checkout a second time under
the checkout folder's name. Shared test modules are imported from this folder instead
(``golden.helpers``, ``golden.networks``).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

# Kernel tests must run the kernels from a graph's first call: no first step on the reference executor
# (set_context(background_compile=...)); set in the environment so that the suite's subprocesses (MPI ranks,
# the GPU simulator, cache tests) inherit it. tests/runtime/test_background_compile.py turns it on.
os.environ.setdefault("MINISPORE_BACKGROUND_COMPILE", "0")
