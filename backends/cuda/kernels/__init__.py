"""GPU kernels, one module per op family; importing this package registers them with
``@kernel(op, "GPU")``. Each registered function is a host launcher ``fn(*inputs, out, *args, err)``
(no ``out`` for in-place ops) that launches ``@cuda.jit`` kernels on device arrays; ``err`` is a
1-element int32 device array a kernel writes an error code into (``fn.errors`` maps codes to messages).
``PTX`` in each module lists (kernel, float32 signature) for ``ptx_check``."""

from . import batch_norm, conv, gather, linalg, pool, random, reduce, shape, softmax, sparse, state  # noqa: F401

MODULES = (batch_norm, conv, gather, linalg, pool, random, reduce, shape, softmax, sparse, state)
