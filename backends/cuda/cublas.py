"""cuBLAS GEMMs for numba device arrays (MatMul, BatchMatMul, the im2col GEMMs of Conv2D), through
nvmath-python's low-level bindings (``nvmath.bindings.cublas``) on raw device pointers.

    gemm(a, b, out, trans_a, trans_b)          out[m, n] = op(a) @ op(b)               (2-D, row-major)
    batched_gemm(a, b, out, trans_a, trans_b)  out[z, m, n] = op(a[z]) @ op(b[z])      (3-D; an operand of
                                               batch 1 is shared by every z, as in the tiled kernel)

with op(x) = x^T when its flag is set. Each returns True when cuBLAS computed ``out`` and False when
it did not (the caller then launches the numba tiled GEMM of ``kernels/linalg.py``): in numba's
simulator (``NUMBA_ENABLE_CUDASIM``), with no CUDA device, without nvmath-python or the cuBLAS library,
with ``MINISPORE_CUBLAS=0`` in the environment, and for what cuBLAS cannot take (dtypes other than
float32/float64 or mixed, a non-unit inner stride, k == 0, sizes past int32). Whether cuBLAS is usable
is decided once per process, on the first call, and cached (``status()`` says which path runs and why).

Why nvmath-python's bindings (decided on the wheels' sizes and APIs, 2026):
  * ``nvmath-python`` 1.0.1 is a 5.6 MB wheel whose dependencies (cuda-bindings, cuda-pathfinder,
    numpy) are the ones numba-cuda[cu12] already installs; it loads libcublas lazily (cuda-pathfinder:
    the ``nvidia-cublas-cu12`` wheel or a system CUDA toolkit), so importing it needs no GPU.
  * Its high-level ``nvmath.linalg.advanced.matmul`` takes numpy/CuPy/torch operands only, not numba
    arrays; the bindings take plain integers, so a numba array is passed as
    ``arr.__cuda_array_interface__["data"][0]`` with no wrapper object and no copy.
  * CuPy (``cupy-cuda12x``, a 137 MB wheel) would also need the cuBLAS library, brings its own memory
    pool and stream objects, and only to reach the same cublasSgemm.
  * The library itself, ``nvidia-cublas-cu12`` (12.9: a 581 MB wheel, 817 MB installed, almost all
    libcublasLt; measured 8.5 s to download and 15 s to install on the 2-core dev machine) is the heavy
    part. The ``gpu`` extra brings it (as ``cuda-toolkit[cublas]==12.*``, the same toolkit release as
    numba-cuda's wheels); ``gpu-sim`` (numba-cuda and nvmath-python only) is enough for CPU-only CI,
    which can never call it. A system CUDA toolkit's libcublas serves as well.
The classic cublas{S,D}gemm(StridedBatched) API is used rather than cuBLASLt: no descriptors or plan
cache, and cuBLAS picks its (Lt) kernels by heuristics per shape. cuBLASLt's BIAS/RELU epilogues (to
fuse BiasAdd+ReLU into the GEMM) would go through ``nvmath.bindings.cublasLt`` the same way.

Row-major onto column-major: a row-major r x c matrix with row stride ld is, read column-major, its
c x r transpose with leading dimension ld. So out = op(A) op(B) (row-major, m x n) is computed as

    out^T = op(B)^T op(A)^T    (column-major n x m, ldc = out's row stride)

i.e. cuBLAS gets (m', n', k) = (n, m, k), its first operand is b with transa = T iff trans_b, its second
is a with transb = T iff trans_a, and lda/ldb are b's and a's row strides: the operands are swapped
and each keeps its own transpose flag. Batched, strideA/strideB are b's/a's batch strides (0 for a
shared operand, which cublasGemmStridedBatched allows).

Numbers: the handle uses CUBLAS_DEFAULT_MATH, so float32 GEMMs run in float32 (no TF32 tensor cores:
since CUDA 11, TF32 needs CUBLAS_TF32_TENSOR_OP_MATH) and agree with the CPU within float32 rounding
(cuBLAS may split k and add the parts in another order than the tiled kernel's ascending k).
``MINISPORE_CUBLAS_TF32=1`` opts into TF32 (about 1e-3 relative error, tensor-core speed).

Stream: numba launches every kernel of this target on its default stream, handle 0, which numba uses
as the legacy default stream (numba-cuda's ``default_stream()``; per-thread only under
``NUMBA_CUDA_PER_THREAD_DEFAULT_STREAM=1`` or, with cuda-bindings, ``CUDA_PYTHON_CUDA_PER_THREAD_DEFAULT_STREAM=1``:
then CU_STREAM_PER_THREAD is given here). cuBLAS is bound
to the same stream (cublasSetStream), so a GEMM runs after the kernels launched before it and before
those launched after it, with no synchronisation. alpha and beta are host scalars
(CUBLAS_POINTER_MODE_HOST, read at call time); beta = 0, so ``out`` is written, never read.
"""

import os
from collections import namedtuple

import numpy as np

# cublasOperation_t and cublasMath_t / cublasPointerMode_t values (cublas_api.h), so the mapping below
# needs no binding module; the live path checks them against nvmath's enums once.
OP_N, OP_T = 0, 1
DEFAULT_MATH, TF32_TENSOR_OP_MATH = 0, 3
POINTER_MODE_HOST = 0
CU_STREAM_PER_THREAD = 2
_INT32_MAX = 2**31 - 1
_ROUTINES = {np.dtype(np.float32): ("sgemm", "sgemm_strided_batched"),
             np.dtype(np.float64): ("dgemm", "dgemm_strided_batched")}
_ONE = {t: np.ones(1, t) for t in _ROUTINES}  # host alpha / beta, alive as long as the module
_ZERO = {t: np.zeros(1, t) for t in _ROUTINES}

Layout = namedtuple("Layout", "ptr shape strides dtype")  # strides in elements
Call = namedtuple("Call", "dtype transa transb m n k a lda stride_a b ldb stride_b c ldc stride_c batch")
State = namedtuple("State", "lib handle stream reason")  # lib None: cuBLAS is not used (reason says why)


# ------------------------------------------------------------------------------ the mapping (pure)
def layout(arr):
    """Pointer, shape, element strides and dtype of any object with ``__cuda_array_interface__``."""
    cai = arr.__cuda_array_interface__
    dtype = np.dtype(cai["typestr"])
    shape = tuple(int(s) for s in cai["shape"])
    if cai.get("strides") is None:  # C-contiguous
        strides, acc = [], 1
        for s in reversed(shape):
            strides.append(acc)
            acc *= s
        strides = tuple(reversed(strides))
    else:
        if any(s % dtype.itemsize for s in cai["strides"]):
            strides = None  # not aligned to elements: cuBLAS cannot address it
        else:
            strides = tuple(int(s) // dtype.itemsize for s in cai["strides"])
    return Layout(int(cai["data"][0]), shape, strides, dtype)


def _matrix(lay):
    """(rows, cols, row stride, batch, batch stride) of a 3-D row-major layout, or None when cuBLAS
    cannot read it: the column index must have unit stride (a single column may have any)."""
    z, r, c = lay.shape
    if lay.strides is None:
        return None
    sz, sr, sc = lay.strides
    if (c > 1 and sc != 1) or (z > 1 and sz < 0):
        return None
    ld = sr if r > 1 else max(c, 1)  # a one-row matrix's row stride is never used: any valid ld will do
    if ld < max(c, 1) or ld <= 0:
        return None
    return r, c, ld, z, (sz if z > 1 else 0)


def plan_call(la, lb, lc, trans_a, trans_b):
    """The cuBLAS (strided batched) GEMM that computes row-major lc[z] = op(la[z]) @ op(lb[z]) for 3-D
    layouts, as a ``Call`` in cuBLAS's column-major terms (see the module docstring), or None when
    cuBLAS cannot do it (dtype, strides, shapes; the caller falls back)."""
    if not (la.dtype == lb.dtype == lc.dtype) or lc.dtype not in _ROUTINES:
        return None
    ma, mb, mc = _matrix(la), _matrix(lb), _matrix(lc)
    if ma is None or mb is None or mc is None:
        return None
    (ra, ca, lda, za, sa), (rb, cb, ldb, zb, sb), (m, n, ldc, z, sc) = ma, mb, mc
    am, ak = (ca, ra) if trans_a else (ra, ca)  # op(a) is am x ak
    bk, bn = (cb, rb) if trans_b else (rb, cb)  # op(b) is bk x bn
    if (am, bn) != (m, n) or ak != bk or za not in (1, z) or zb not in (1, z):
        raise ValueError(f"GEMM shapes do not agree: op(a) {am}x{ak}, op(b) {bk}x{bn}, out {m}x{n} "
                         f"(batches {za}, {zb}, {z})")
    k = ak
    if k == 0 or max(m, n, k, lda, ldb, ldc, z) > _INT32_MAX:
        return None  # k == 0: out = 0, the tiled kernel writes it; past int32: the _64 API would be needed
    # out^T (n x m, col-major) = op(b)^T (n x k) @ op(a)^T (k x m): b first, a second, flags kept
    return Call(lc.dtype, OP_T if trans_b else OP_N, OP_T if trans_a else OP_N, n, m, k,
                lb.ptr, ldb, sb, la.ptr, lda, sa, lc.ptr, ldc, sc, z)


def run_call(lib, handle, call):
    """Issue ``call`` through the binding module ``lib`` (nvmath.bindings.cublas, or a model of it)."""
    one, zero = _ONE[call.dtype].ctypes.data, _ZERO[call.dtype].ctypes.data
    single, batched = _ROUTINES[call.dtype]
    if call.batch == 1:
        getattr(lib, single)(handle, call.transa, call.transb, call.m, call.n, call.k, one,
                             call.a, call.lda, call.b, call.ldb, zero, call.c, call.ldc)
    else:
        getattr(lib, batched)(handle, call.transa, call.transb, call.m, call.n, call.k, one,
                              call.a, call.lda, call.stride_a, call.b, call.ldb, call.stride_b, zero,
                              call.c, call.ldc, call.stride_c, call.batch)


# ------------------------------------------------------------------------------ availability (once)
_STATE = None


def _probe():
    """Decide once whether cuBLAS is used; every refusal is a State with lib None and the reason."""
    from numba import config

    if config.ENABLE_CUDASIM:
        return State(None, None, None, "numba's CUDA simulator (NUMBA_ENABLE_CUDASIM=1)")
    if os.environ.get("MINISPORE_CUBLAS", "1") == "0":
        return State(None, None, None, "MINISPORE_CUBLAS=0")
    try:
        from numba import cuda
    except ImportError as e:
        return State(None, None, None, f"numba-cuda is not installed ({e})")
    if not cuda.is_available():
        return State(None, None, None, "no CUDA device")
    try:
        from nvmath.bindings import cublas as lib
    except ImportError as e:
        return State(None, None, None, f"nvmath-python is not installed ({e}); pip install 'minispore[gpu]'")
    try:
        assert (int(lib.Operation.N), int(lib.Operation.T)) == (OP_N, OP_T)
        assert (int(lib.Math.DEFAULT_MATH), int(lib.Math.TF32_TENSOR_OP_MATH)) == (DEFAULT_MATH, TF32_TENSOR_OP_MATH)
        cuda.current_context()  # numba's context is the device's primary context, the one cuBLAS uses
        handle = lib.create()
        tf32 = os.environ.get("MINISPORE_CUBLAS_TF32", "0") == "1"
        lib.set_math_mode(handle, TF32_TENSOR_OP_MATH if tf32 else DEFAULT_MATH)
        lib.set_pointer_mode(handle, POINTER_MODE_HOST)
        stream = CU_STREAM_PER_THREAD if _per_thread_default_stream() else 0
        lib.set_stream(handle, stream)
        version = lib.get_version(handle)
    except Exception as e:  # libcublas not found (no wheel, no toolkit), driver errors, ...
        return State(None, None, None, f"cuBLAS could not be loaded ({type(e).__name__}: {e}); "
                                       f"pip install 'minispore[gpu]'")
    v = f"{version // 10000}.{version // 100 % 100}.{version % 100}" if version >= 10000 else str(version)
    return State(lib, handle, stream, f"cuBLAS {v} via nvmath-python, {'TF32' if tf32 else 'float32 (no TF32)'}")


def _per_thread_default_stream():
    """Whether numba's stream 0 is the per-thread default stream: NUMBA_CUDA_PER_THREAD_DEFAULT_STREAM,
    or, with NVIDIA's cuda-bindings (numba-cuda's driver layer), CUDA_PYTHON_CUDA_PER_THREAD_DEFAULT_STREAM."""
    try:
        from numba.cuda.core import config as cuda_config
    except ImportError:
        cuda_config = None
    return bool(getattr(cuda_config, "CUDA_PER_THREAD_DEFAULT_STREAM", 0)
                or os.environ.get("CUDA_PYTHON_CUDA_PER_THREAD_DEFAULT_STREAM", "0") not in ("", "0"))


def _state():
    global _STATE
    if _STATE is None:
        _STATE = _probe()
    return _STATE


def available():
    """True when the GEMMs of this target go to cuBLAS (decided once per process)."""
    return _state().lib is not None


def status():
    """One line: which GEMM runs and why (for benchmarks and bug reports)."""
    s = _state()
    return s.reason if s.lib is not None else f"numba tiled GEMM ({s.reason})"


# ------------------------------------------------------------------------------ entry points
def batched_gemm(a, b, out, trans_a=False, trans_b=False):
    """out[z] = op(a[z]) @ op(b[z]) on 3-D device arrays (batch, rows, cols) through cuBLAS; True when
    done, False when the caller must compute it (see the module docstring)."""
    s = _state()
    if s.lib is None:
        return False
    lc = layout(out)
    if len(lc.shape) != 3:
        raise ValueError(f"batched_gemm takes 3-D arrays (got out of shape {lc.shape}); use gemm")
    if 0 in lc.shape:
        return True  # nothing to write
    call = plan_call(layout(a), layout(b), lc, bool(trans_a), bool(trans_b))
    if call is None:
        return False
    run_call(s.lib, s.handle, call)
    return True


def gemm(a, b, out, trans_a=False, trans_b=False):
    """out = op(a) @ op(b) on 2-D device arrays through cuBLAS; True when done, False otherwise."""
    if _state().lib is None:
        return False
    return batched_gemm(_Batch1(a), _Batch1(b), _Batch1(out), trans_a, trans_b)


class _Batch1:
    """A 2-D array seen as a batch of one (no reshape of the device array needed)."""

    def __init__(self, arr):
        cai = dict(arr.__cuda_array_interface__)
        if len(cai["shape"]) != 2:
            raise ValueError(f"gemm takes 2-D arrays (got shape {tuple(cai['shape'])}); use batched_gemm")
        cai["shape"] = (1, *cai["shape"])
        if cai.get("strides") is not None:
            cai["strides"] = (0, *cai["strides"])
        self.__cuda_array_interface__ = cai
