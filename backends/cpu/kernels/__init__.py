"""The CPU target's kernels, one module per op family; importing this package registers every one of
them (``@kernel(op, "CPU")``, see ``backends/base.py``).

A kernel is a plain top-level function ``fn(*inputs, out, *args)`` (no ``out`` for in-place ops) that
writes ``out`` and never allocates it; ``args(node)`` computes its run-time arguments from the node,
with the geometry in ``ops/geometry.py``. The CPU backend pastes the source of every kernel and of its
listed helpers into one generated library, jitted with ``@njit(cache=True, error_model='numpy')``
(``kernel_library.py``): so kernels may use only ``np``, ``math`` and their helpers, and kernel and
helper names must be unique across the library.
"""

from . import batch_norm, conv, gather, indexing, linalg, pool, random, reduce, shape, softmax, sparse, state  # noqa: F401
