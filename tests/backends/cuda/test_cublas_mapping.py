"""backends/cuda/cublas.py without a GPU: its row-major -> column-major mapping (operand swap, m/n/k,
lda/ldb/ldc, transposes, batch strides) is run end to end against a numpy model of the cuBLAS routines'
documented contract, standing in for ``nvmath.bindings.cublas``:

    C_i = alpha * op(A_i) * op(B_i) + beta * C_i     (column-major; X_i = X + i * strideX elements)
    op(A) is m x k: A is m x k (lda >= max(1, m)) for CUBLAS_OP_N, k x m (lda >= max(1, k)) for OP_T
    op(B) is k x n: B is k x n (ldb >= max(1, k)) for OP_N,        n x k (ldb >= max(1, n)) for OP_T
    C is m x n, ldc >= max(1, m); element (r, c) of X lies at X + r + c * ldX; beta == 0: C is not read

The "device arrays" are host numpy arrays exposing ``__cuda_array_interface__`` with their host
addresses, so the model reads and writes memory exactly where cuBLAS would. The fallback (no device,
simulator) is checked in subprocesses: this process never imports numba.cuda.
"""

import ctypes
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from minispore.backends.cuda import cublas

PACKAGE_ROOT = Path(__file__).resolve().parents[3]


class HostArray:
    """A numpy array seen through the CUDA array interface (its host address as the "device" pointer)."""

    def __init__(self, arr):
        self.arr = arr
        ai = arr.__array_interface__
        self.__cuda_array_interface__ = {"shape": ai["shape"], "strides": ai["strides"], "typestr": ai["typestr"],
                                         "data": (ai["data"][0], False), "version": 3}


def _view(ptr, rows, cols, ld, dtype):
    """The column-major rows x cols matrix at ``ptr`` with leading dimension ``ld``."""
    isz = np.dtype(dtype).itemsize
    nbytes = ((cols - 1) * ld + rows) * isz
    buf = (ctypes.c_char * nbytes).from_address(ptr)
    return np.ndarray((rows, cols), dtype, buffer=buf, strides=(isz, ld * isz))


def _scalar(ptr, dtype):
    return np.frombuffer((ctypes.c_char * np.dtype(dtype).itemsize).from_address(ptr), dtype)[0]


class CublasModel:
    """cublas{S,D}gemm and cublas{S,D}gemmStridedBatched with nvmath.bindings.cublas's signatures."""

    def __init__(self):
        self.calls = []

    def _gemm(self, dtype, transa, transb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, batch):
        assert transa in (cublas.OP_N, cublas.OP_T) and transb in (cublas.OP_N, cublas.OP_T)
        assert min(m, n, k, batch) >= 0
        ar, ac = (m, k) if transa == cublas.OP_N else (k, m)
        br, bc = (k, n) if transb == cublas.OP_N else (n, k)
        if lda < max(1, ar) or ldb < max(1, br) or ldc < max(1, m):  # CUBLAS_STATUS_INVALID_VALUE
            raise ValueError(f"invalid leading dimension: lda {lda} ({ar}), ldb {ldb} ({br}), ldc {ldc} ({m})")
        alpha, beta = _scalar(alpha, dtype), _scalar(beta, dtype)
        isz = np.dtype(dtype).itemsize
        for i in range(batch):
            A = _view(a + i * sa * isz, ar, ac, lda, dtype)
            B = _view(b + i * sb * isz, br, bc, ldb, dtype)
            C = _view(c + i * sc * isz, m, n, ldc, dtype)
            opa = A if transa == cublas.OP_N else A.T
            opb = B if transb == cublas.OP_N else B.T
            prod = alpha * (opa.astype(np.float64) @ opb.astype(np.float64))
            C[...] = prod if beta == 0 else prod + beta * C

    def sgemm(self, handle, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
        self.calls.append(("sgemm", handle))
        self._gemm(np.float32, transa, transb, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1)

    def dgemm(self, handle, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
        self.calls.append(("dgemm", handle))
        self._gemm(np.float64, transa, transb, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1)

    def sgemm_strided_batched(self, handle, transa, transb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc,
                              sc, batch):
        self.calls.append(("sgemm_strided_batched", handle))
        self._gemm(np.float32, transa, transb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, batch)

    def dgemm_strided_batched(self, handle, transa, transb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc,
                              sc, batch):
        self.calls.append(("dgemm_strided_batched", handle))
        self._gemm(np.float64, transa, transb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, batch)


@pytest.fixture
def model(monkeypatch):
    lib = CublasModel()
    monkeypatch.setattr(cublas, "_STATE", cublas.State(lib, 7, 0, "model"))
    return lib


SHAPES = [(1, 1, 1), (3, 5, 7), (7, 1, 4), (1, 6, 3), (5, 4, 1), (17, 13, 11)]
TRANSPOSES = [(False, False), (True, False), (False, True), (True, True)]


def _operands(rng, m, n, k, ta, tb, dtype, batch=None):
    lead = () if batch is None else (batch,)
    a = rng.standard_normal((*lead, *((k, m) if ta else (m, k)))).astype(dtype)
    b = rng.standard_normal((*lead, *((n, k) if tb else (k, n)))).astype(dtype)
    return a, b


def _op(x, t):
    return np.swapaxes(x, -1, -2) if t else x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ta,tb", TRANSPOSES)
@pytest.mark.parametrize("m,n,k", SHAPES)
def test_gemm_matches_numpy_through_the_column_major_contract(model, m, n, k, ta, tb, dtype):
    a, b = _operands(np.random.default_rng(m * 100 + n * 10 + k), m, n, k, ta, tb, dtype)
    out = np.full((m, n), np.nan, dtype)  # beta = 0: cuBLAS must not read out
    assert cublas.gemm(HostArray(a), HostArray(b), HostArray(out), ta, tb)
    assert model.calls == [("sgemm" if dtype == np.float32 else "dgemm", 7)]
    np.testing.assert_allclose(out, _op(a, ta) @ _op(b, tb), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("ta,tb", TRANSPOSES)
@pytest.mark.parametrize("za,zb", [(4, 4), (1, 4), (4, 1)])
@pytest.mark.parametrize("m,n,k", [(3, 5, 7), (1, 6, 3), (17, 13, 11)])
def test_batched_gemm_with_shared_operands(model, m, n, k, za, zb, ta, tb):
    rng = np.random.default_rng(za * 10 + zb)
    a = _operands(rng, m, n, k, ta, tb, np.float32, za)[0]
    b = _operands(rng, m, n, k, ta, tb, np.float32, zb)[1]
    out = np.full((4, m, n), np.nan, np.float32)
    assert cublas.batched_gemm(HostArray(a), HostArray(b), HostArray(out), ta, tb)
    assert model.calls == [("sgemm_strided_batched", 7)]
    np.testing.assert_allclose(out, _op(a, ta) @ _op(b, tb), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("ta,tb", TRANSPOSES)
def test_row_strides_wider_than_the_rows_are_leading_dimensions(model, ta, tb):
    """Views into wider buffers (conv's weight-group slices, padded rows): ld = the row stride, and the
    columns of ``out``'s buffer outside the view stay untouched."""
    rng = np.random.default_rng(1)
    m, n, k = 5, 6, 7
    a_big = rng.standard_normal((2, *((k, m + 3) if ta else (m, k + 3)))).astype(np.float32)
    b_big = rng.standard_normal((2, *((n, k + 2) if tb else (k, n + 2)))).astype(np.float32)
    a = a_big[:, :, :m] if ta else a_big[:, :, :k]
    b = b_big[:, :, :k] if tb else b_big[:, :, :n]
    out_big = np.full((2, m, n + 4), -7.0, np.float32)
    out = out_big[:, :, 1:n + 1]
    assert cublas.batched_gemm(HostArray(a), HostArray(b), HostArray(out), ta, tb)
    np.testing.assert_allclose(out, _op(a, ta) @ _op(b, tb), rtol=1e-5, atol=1e-6)
    assert (out_big[:, :, 0] == -7).all() and (out_big[:, :, n + 1:] == -7).all()


def test_the_operands_are_swapped_and_keep_their_transposes():
    """out (m x n) = op(a) op(b) row-major is out^T = op(b)^T op(a)^T column-major: cuBLAS's m, n are
    out's n, m; its A is b (lda = b's row stride) with b's flag, its B is a with a's flag."""
    f32 = np.dtype(np.float32)
    lay = cublas.Layout
    a, b = lay(100, (3, 2, 3), (6, 3, 1), f32), lay(200, (1, 4, 3), (12, 3, 1), f32)
    c = lay(300, (3, 2, 4), (8, 4, 1), f32)
    call = cublas.plan_call(a, b, c, False, True)  # (2 x 3) @ (4 x 3)^T
    assert call == cublas.Call(f32, cublas.OP_T, cublas.OP_N, 4, 2, 3, 200, 3, 0, 100, 3, 6,
                               300, 4, 8, 3)
    call = cublas.plan_call(lay(100, (1, 3, 2), (6, 2, 1), f32), lay(200, (1, 3, 4), (12, 4, 1), f32),
                            lay(300, (1, 2, 4), (8, 4, 1), f32), True, False)
    assert (call.transa, call.transb, call.m, call.n, call.k, call.a, call.lda, call.b, call.ldb, call.ldc) == \
        (cublas.OP_N, cublas.OP_T, 4, 2, 3, 200, 4, 100, 2, 4)


def test_what_cublas_cannot_take_falls_back(model):
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((1, 3, 8)).astype(np.float32), rng.standard_normal((1, 4, 5)).astype(np.float32)
    out = np.zeros((1, 3, 5), np.float32)
    cases = [
        (a[:, :, ::2], b, out),                                       # non-unit inner stride
        (a[:, :, :4], b.astype(np.float64), out),                     # mixed dtypes
        (a[:, :, :4].astype(np.int32), b.astype(np.int32), out.astype(np.int32)),  # no integer GEMM
        (np.zeros((1, 3, 0), np.float32), np.zeros((1, 0, 5), np.float32), out),  # k == 0
    ]
    for x, y, o in cases:
        assert not cublas.batched_gemm(HostArray(x), HostArray(y), HostArray(o))
    assert cublas.batched_gemm(HostArray(a[:, :0, :4]), HostArray(b), HostArray(out[:, :0]))  # empty out: done
    assert model.calls == []
    with pytest.raises(ValueError, match="do not agree"):
        cublas.batched_gemm(HostArray(a[:, :, :3]), HostArray(b), HostArray(out))


_PROBE = """
import sys
from minispore.backends.cuda import cublas
assert "numba.cuda" not in sys.modules, "importing cublas.py must not import numba.cuda"
out = cublas.batched_gemm(None, None, None, False, False), cublas.gemm(None, None, None)
print("RESULT", out, cublas.available(), "|", cublas.status())
"""


@pytest.mark.parametrize("simulator", [False, True])
def test_without_a_device_cublas_is_not_used(simulator):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(PACKAGE_ROOT.parent), os.environ.get("PYTHONPATH", "")]))
    env.pop("NUMBA_ENABLE_CUDASIM", None)
    if simulator:
        env["NUMBA_ENABLE_CUDASIM"] = "1"
    r = subprocess.run([sys.executable, "-c", _PROBE], cwd=PACKAGE_ROOT, env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    line = next(ln for ln in r.stdout.splitlines() if ln.startswith("RESULT"))
    if simulator:
        assert line.startswith("RESULT (False, False) False | numba tiled GEMM (numba's CUDA simulator"), line
    elif "no CUDA device" not in line and "numba-cuda is not installed" not in line:
        pytest.skip(f"this machine may have a CUDA device: {line}")
    else:
        assert line.startswith("RESULT (False, False) False | numba tiled GEMM ("), line
