"""GPU kernels of MatMul, BatchMatMul (ops/matmul.py), BiasAdd and BiasAddGrad (ops/conv.py).

GEMM is a shared-memory tiled kernel (``gemm_kernel``): each block computes TILE x TILE outputs,
staging TILE x TILE tiles of A and B in shared memory per step of k, so each global element is read
once per tile instead of once per output. It is numba's SIMT path, a few percent of cuBLAS on
tensor-core GPUs; it serves on a device where cuBLAS is not available, and is the reference the cuBLAS
path is checked against. Every output sums k in ascending order.

numba's simulator runs ``gemm_rows_kernel`` instead: one thread per output element (grid-stride), the
same sum ``0 + A[i, 0] B[0, j] + A[i, 1] B[1, j] + ...`` in the same order, without shared memory. The
tiled kernel adds the same products in the same order plus exact zeros (0 * 0 past k's end, and the
accumulator is never -0), so both give the same bits (``tests/backends/cuda/sim/test_sim_gemm.py``
checks it); in the simulator each ``syncthreads`` of a TILE x TILE block is a round of Python-thread
switches, which made the tiled kernel ~97% of a LeNet-5 step there.

Dtype-generic: numba compiles one kernel per argument dtypes, and every accumulator and shared tile
takes the output's dtype (``cast_like``, ``cuda.shared.array(..., c.dtype)``), so a float64 graph runs
in float64 and the float32 kernels hold no float64 instruction (``ptx_check``).
"""

from numba import cuda

from ....ops.geometry import channel_split
from ...base import kernel
from .. import cublas
from ..device import SIMULATED, cast_like, dims, flat, same_dtype

TILE = 8 if SIMULATED else 16  # (the simulator runs a Python thread per CUDA thread: smaller blocks)
_F32 = "float32[:, :, ::1]"


@cuda.jit(cache=True)
def gemm_kernel(a, b, c, ta, tb):
    """c[z, i, j] = sum_k A[z, i, k] * B[z, k, j] with A = a[z] (a[z]^T when ``ta``), B = b[z] (b[z]^T when
    ``tb``); an operand with batch 1 is shared by every z. Blocks loop over output tiles (grid-stride), so
    every thread of a block reaches the same ``syncthreads``."""
    sa = cuda.shared.array((TILE, TILE), c.dtype)
    sb = cuda.shared.array((TILE, TILE), c.dtype)
    zero = cast_like(c, 0)
    m, n = c.shape[1], c.shape[2]
    kk = a.shape[1] if ta else a.shape[2]
    tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
    tm, tn = (m + TILE - 1) // TILE, (n + TILE - 1) // TILE
    for tile in range(cuda.blockIdx.x, c.shape[0] * tm * tn, cuda.gridDim.x):
        z, r = tile // (tm * tn), tile % (tm * tn)
        za, zb = min(z, a.shape[0] - 1), min(z, b.shape[0] - 1)
        i, j = (r // tn) * TILE + ty, (r % tn) * TILE + tx
        acc = zero
        for k0 in range(0, kk, TILE):
            ka, kb = k0 + tx, k0 + ty
            sa[ty, tx] = (a[za, ka, i] if ta else a[za, i, ka]) if i < m and ka < kk else zero
            sb[ty, tx] = (b[zb, j, kb] if tb else b[zb, kb, j]) if kb < kk and j < n else zero
            cuda.syncthreads()
            for t in range(TILE):
                acc += sa[ty, t] * sb[t, tx]
            cuda.syncthreads()
        if i < m and j < n:
            c[z, i, j] = acc


@cuda.jit(cache=True)
def gemm_rows_kernel(a, b, c, ta, tb):
    """``gemm_kernel``'s c[z, i, j] = sum_k A[z, i, k] * B[z, k, j] (k ascending), one thread per output
    element and no shared memory: the simulator's GEMM (module docstring)."""
    zero = cast_like(c, 0)
    m, n = c.shape[1], c.shape[2]
    kk = a.shape[1] if ta else a.shape[2]
    za_max, zb_max = a.shape[0] - 1, b.shape[0] - 1
    for t in range(cuda.grid(1), c.shape[0] * m * n, cuda.gridsize(1)):
        z, r = t // (m * n), t % (m * n)
        za, zb = min(z, za_max), min(z, zb_max)
        i, j = r // n, r % n
        acc = zero
        for k in range(kk):
            acc += (a[za, k, i] if ta else a[za, i, k]) * (b[zb, j, k] if tb else b[zb, k, j])
        c[z, i, j] = acc


def gemm(a, b, c, ta=False, tb=False, tiled=not SIMULATED):
    """c = op(a) @ op(b) on 3-D device arrays (batch, rows, cols) of one dtype: cuBLAS on a real device
    when the library is there (``cublas.py``), else ``gemm_kernel`` (``tiled``), or in the simulator
    ``gemm_rows_kernel`` (the same numbers)."""
    same_dtype("GEMM", a, b, c)
    if cublas.batched_gemm(a, b, c, ta, tb) or not c.size:
        return
    if not tiled:
        gemm_rows_kernel[dims(c.size)](a, b, c, ta, tb)
        return
    tiles = c.shape[0] * -(-c.shape[1] // TILE) * -(-c.shape[2] // TILE)
    gemm_kernel[max(1, min(tiles, dims(tiles * TILE * TILE)[0])), (TILE, TILE)](a, b, c, ta, tb)


def _transpose_flags(node):
    return (bool(node.attrs.get("transpose_a", False)), bool(node.attrs.get("transpose_b", False)))


def _as3(x):
    return x.reshape((1, *x.shape))


@kernel("MatMul", "GPU", args=_transpose_flags)
def matmul(a, b, out, transpose_a, transpose_b, err):
    gemm(_as3(a), _as3(b), _as3(out), transpose_a, transpose_b)


@kernel("BatchMatMul", "GPU", args=_transpose_flags)
def batch_matmul(a, b, out, transpose_a, transpose_b, err):
    gemm(a, b, out, transpose_a, transpose_b)


@cuda.jit(cache=True)
def bias_add_kernel(x, b, out, c_, inner):
    """out[a, c, k] = x[a, c, k] + b[c] over flat arrays."""
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        out[t] = x[t] + b[(t // inner) % c_]


@cuda.jit(cache=True)
def bias_add_grad_kernel(d, out, outer, c_, inner):
    """out[c] = sum_{a, k} d[a, c, k], summed in (a, k) order, one thread per channel."""
    for c in range(cuda.grid(1), c_, cuda.gridsize(1)):
        s = cast_like(out, 0)
        for a in range(outer):
            for k in range(inner):
                s += d[(a * c_ + c) * inner + k]
        out[c] = s


def _bias_args(node):
    return channel_split(node.inputs[0].shape, node.attrs["data_format"])


@kernel("BiasAdd", "GPU", args=_bias_args)
def bias_add(x, b, out, outer, c_, inner, err):
    same_dtype("BiasAdd", x, b, out)
    if out.size:
        bias_add_kernel[dims(out.size)](flat(x), flat(b), flat(out), c_, max(inner, 1))


@kernel("BiasAddGrad", "GPU", args=_bias_args)
def bias_add_grad(d, out, outer, c_, inner, err):
    same_dtype("BiasAddGrad", d, out)
    if c_:
        bias_add_grad_kernel[dims(c_)](flat(d), flat(out), outer, c_, inner)


PTX = [(gemm_kernel, f"void({_F32}, {_F32}, {_F32}, boolean, boolean)"),
       (gemm_rows_kernel, f"void({_F32}, {_F32}, {_F32}, boolean, boolean)"),
       (bias_add_kernel, "void(float32[::1], float32[::1], float32[::1], int64, int64)"),
       (bias_add_grad_kernel, "void(float32[::1], float32[::1], int64, int64, int64)")]
