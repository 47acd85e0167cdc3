"""The simulator's GEMM and the tiled one give the same bits (run by ``../test_gpu_target.py`` with
NUMBA_ENABLE_CUDASIM=1 set before numba is imported; not collected otherwise: conftest.py).

In the simulator the GPU target multiplies with ``gemm_rows_kernel`` (one thread per output, no shared
memory: every ``syncthreads`` of the tiled kernel is a round of Python-thread switches there), while a
device without cuBLAS runs the shared-memory ``gemm_kernel``. Both sum k in ascending order from 0; the
tiled one adds exact zeros past k's end. This checks they agree bit for bit, and with numpy, on shapes
that are no multiple of the tile, with each transpose flag, a shared (batch-1) operand, k = 0 and both
float dtypes, so the networks the simulator trains say what the tiled kernel would compute."""


import numpy as np
import pytest
from numba import cuda

from minispore.backends.cuda.kernels.linalg import TILE, gemm

# (batch of a, batch of b, m, k, n, transpose_a, transpose_b)
SHAPES = [(1, 1, TILE + 3, 2 * TILE + 1, TILE - 3, False, False),
          (2, 1, 5, TILE + 2, 7, True, False),
          (1, 3, 3, 9, TILE + 1, False, True),
          (2, 2, 4, 5, 3, True, True),
          (1, 1, 3, 0, 2, False, False)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("za,zb,m,k,n,ta,tb", SHAPES)
def test_tiled_and_row_gemm_give_the_same_bits(za, zb, m, k, n, ta, tb, dtype):
    rng = np.random.default_rng(m * 100 + k * 10 + n)
    a = rng.standard_normal((za, k, m) if ta else (za, m, k)).astype(dtype)
    b = rng.standard_normal((zb, n, k) if tb else (zb, k, n)).astype(dtype)
    z = max(za, zb)
    got = {}
    for tiled in (True, False):
        c = cuda.to_device(np.full((z, m, n), np.nan, dtype))
        gemm(cuda.to_device(a), cuda.to_device(b), c, ta, tb, tiled=tiled)
        got[tiled] = c.copy_to_host()
    np.testing.assert_array_equal(got[True].view(np.uint8), got[False].view(np.uint8))
    want = np.matmul(a.swapaxes(1, 2) if ta else a, b.swapaxes(1, 2) if tb else b, dtype=np.float64)
    np.testing.assert_allclose(got[False], want, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-6)
