"""``minispore.ops.functional`` (also ``minispore.ops``): every op's functional form.

Each op file exports its own functional forms in ``__all__``; this module gathers them so that
``ops.relu``, ``ops.matmul``, ``F.reduce_sum`` ... all resolve here.
"""

import importlib

_MODULES = [
    "arithmetic", "matmul", "shape_base", "reduce", "broadcast", "state", "indexing",
    "math", "activation", "nn_ops", "conv", "pool", "array_ops", "gather_ops", "random_ops", "fused",
    "trig", "sparse_ops", "debug_ops", "collective", "collective_async", "loss_ops", "floor_ops",
    "matmul_epilogue",
]

__all__ = []
MODULES = []
for _name in _MODULES:
    _mod = importlib.import_module(f"{__package__}.{_name}")
    MODULES.append(_mod)
    for _fn in _mod.__all__:
        globals()[_fn] = getattr(_mod, _fn)
        __all__.append(_fn)
