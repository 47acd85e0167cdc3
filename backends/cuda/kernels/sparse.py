"""GPU kernels of the row-sparse ops (ops/sparse_ops.py): the embedding lookup SparseGatherV2 and the in-place
row-sparse updates FusedSparseLazyAdam, SparseApplyFtrl and SparseApplyProximalAdagrad (launchers with no
``out``: the node's value is the updated var).

As on the CPU, an update sums the gradient rows of repeated indices (MindSpore's unique-and-sum) and then
updates each distinct row once; rows absent from the gradient keep their values and state. Without a sort,
in two launches:

1. ``sparse_rows_kernel``, one thread per index j: wraps it (negatives + n), and finds whether j is the first
   appearance of its row (``head``) and the next position j' > j that names the same row (``chain``, -1 at
   the end), scanning the m indices (O(m) per thread). An index outside [-n, n) writes error 1 into ``err``.
2. the update kernel, one thread per (index j, column c): only a head works. It sums grad[j, c],
   grad[chain[j], c], ... (the repeats in index order: the CPU's stable-sort order) and updates element
   (row, c) of var and its state once. No two threads write the same element, so no atomics are needed.
   If step 1 reported a bad index nothing is written (the CPU raises before memory is touched).

The hyper-parameters are 1-element tensors of any float dtype: ``load_scalars_kernel`` first copies them,
cast to var's dtype, into a small work buffer ``h`` (h[0] = 0, h[1] = 1, then the hyper-parameters in the
op's order), so a float32 update computes in float32 only (no float64 instruction, even for a float64 lr).
The CPU sums and updates in float64 and rounds once; this target's float32 arithmetic agrees within a few
float32 ulps of the intermediate values.
"""

import math

import numpy as np
from numba import cuda

from ....ops.sparse_ops import lazy_adam_args, sparse_gather_args
from ...base import kernel
from ..device import dims, flat, scratch

_I32 = "int32[::1]"
_F32 = "float32[::1]"


@cuda.jit(device=True, inline="always")
def _wrap(i, n):
    """Index ``i`` as a row in [0, n) (negatives count from the end); -1 when outside [-n, n)."""
    if i < -n or i >= n:
        return -1
    return i + n if i < 0 else i


# ---- SparseGatherV2 --------------------------------------------------------------------------

@cuda.jit(cache=True)
def sparse_gather_kernel(params, idx, out, n, width, err):
    """out[j, c] = params[idx[j] (+n if negative), c]; a bad index gives error 1 and a 0 output."""
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        k = _wrap(idx[t // width], n)
        if k < 0:
            err[0] = 1
            out[t] = 0
        else:
            out[t] = params[k * width + t % width]


@kernel("SparseGatherV2", "GPU", args=sparse_gather_args)
def sparse_gather_v2(params, indices, out, n, width, err):
    if out.size:
        sparse_gather_kernel[dims(out.size)](flat(params), flat(indices), flat(out), n, max(width, 1), err)


# ---- the rows of a sparse gradient and its hyper-parameters ------------------------------------

@cuda.jit(cache=True)
def sparse_rows_kernel(idx, n, chain, head, err):
    """head[j] = 1 iff idx[j] is the first index naming its row; chain[j] = the next j' > j naming the same
    row, or -1. A bad index: error 1, head[j] = 0."""
    m = idx.size
    for j in range(cuda.grid(1), m, cuda.gridsize(1)):
        k = _wrap(idx[j], n)
        first = 1
        nxt = -1
        if k < 0:
            err[0] = 1
            first = 0
        else:
            for q in range(m):
                if q != j and _wrap(idx[q], n) == k:
                    if q < j:
                        first = 0
                    else:
                        nxt = q
                        break
        head[j] = first
        chain[j] = nxt


@cuda.jit(cache=True)
def load_scalars_kernel(h, a, b, c, d, e, f):
    """h = [0, 1, a[0], b[0], c[0], d[0], e[0], f[0]], each cast to h's dtype (one thread)."""
    if cuda.grid(1) == 0:
        h[0] = 0
        h[1] = 1
        h[2] = a[0]
        h[3] = b[0]
        h[4] = c[0]
        h[5] = d[0]
        h[6] = e[0]
        h[7] = f[0]


@cuda.jit(device=True, inline="always")
def _summed(grad, chain, j, c, width):
    """grad[j, c] + grad[chain[j], c] + ...: the gradient of j's row, repeats added in index order."""
    g = grad[j * width + c]
    q = chain[j]
    while q >= 0:
        g += grad[q * width + c]
        q = chain[q]
    return g


def _prepare(var, indices, hypers, err):
    """(n, width, h, chain, head) of an update: launches ``load_scalars_kernel`` and ``sparse_rows_kernel``."""
    n = var.shape[0]
    width = var.size // n if n > 0 else 0
    m = indices.size
    h = scratch("sparse_hyper", (8,), var.dtype)
    args = list(hypers) + [hypers[0]] * (6 - len(hypers))
    load_scalars_kernel[1, 1](h, *[flat(a) for a in args])
    chain = scratch("sparse_chain", (max(m, 1),), np.int64)
    head = scratch("sparse_head", (max(m, 1),), np.int32)
    if m:
        sparse_rows_kernel[dims(m)](flat(indices), n, chain, head, err)
    return n, width, h, chain, head


# ---- FusedSparseLazyAdam ---------------------------------------------------------------------

@cuda.jit(cache=True)
def lazy_adam_rows_kernel(var, m, v, grad, idx, h, chain, head, n, width, use_nesterov, err):
    """For each distinct row with summed gradient g, h = [0, 1, b1^t, b2^t, lr, b1, b2, eps]:
    m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; w -= lr sqrt(1 - b2^t) / (1 - b1^t) * numer / (sqrt(v) + eps),
    numer = m, or b1 m + (1 - b1) g with ``use_nesterov``."""
    if err[0] != 0:
        return
    one, b1p, b2p, lr, b1, b2, eps = h[1], h[2], h[3], h[4], h[5], h[6], h[7]
    lr_t = lr * math.sqrt(one - b2p) / (one - b1p)
    for t in range(cuda.grid(1), idx.size * width, cuda.gridsize(1)):
        j, c = t // width, t % width
        if head[j] == 1:
            g = _summed(grad, chain, j, c, width)
            e = _wrap(idx[j], n) * width + c
            mm = b1 * m[e] + (one - b1) * g
            vv = b2 * v[e] + (one - b2) * g * g
            m[e] = mm
            v[e] = vv
            numer = mm * b1 + (one - b1) * g if use_nesterov else mm
            var[e] = var[e] - lr_t * numer / (math.sqrt(vv) + eps)


@kernel("FusedSparseLazyAdam", "GPU", args=lazy_adam_args)
def fused_sparse_lazy_adam(var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad, indices,
                           use_nesterov, err):
    n, width, h, chain, head = _prepare(var, indices, (beta1_power, beta2_power, lr, beta1, beta2, epsilon), err)
    if indices.size and width:
        lazy_adam_rows_kernel[dims(indices.size * width)](flat(var), flat(m), flat(v), flat(grad), flat(indices), h,
                                                          chain, head, n, width, use_nesterov, err)


# ---- SparseApplyFtrl -------------------------------------------------------------------------

@cuda.jit(cache=True)
def ftrl_rows_kernel(var, accum, linear, grad, idx, h, chain, head, n, width, err):
    """For each distinct row with summed gradient g, h = [0, 1, lr, l1, l2, p]: a' = a + g^2;
    u = u + g - (a'^-p - a^-p) / lr * w; w = (sign(u) l1 - u) / (a'^-p / lr + 2 l2) if |u| > l1 else 0; a = a'."""
    if err[0] != 0:
        return
    zero, one, alpha, reg1, reg2, p = h[0], h[1], h[2], h[3], h[4], h[5]
    for t in range(cuda.grid(1), idx.size * width, cuda.gridsize(1)):
        j, c = t // width, t % width
        if head[j] == 1:
            g = _summed(grad, chain, j, c, width)
            e = _wrap(idx[j], n) * width + c
            old = accum[e]
            new = old + g * g
            y_new = new ** -p
            u = linear[e] + g - (y_new - old ** -p) / alpha * var[e]
            sign = one if u > zero else (-one if u < zero else zero)
            var[e] = (sign * reg1 - u) / (y_new / alpha + (reg2 + reg2)) if abs(u) > reg1 else zero
            linear[e] = u
            accum[e] = new


@kernel("SparseApplyFtrl", "GPU")
def sparse_apply_ftrl(var, accum, linear, grad, indices, lr, l1, l2, lr_power, err):
    n, width, h, chain, head = _prepare(var, indices, (lr, l1, l2, lr_power), err)
    if indices.size and width:
        ftrl_rows_kernel[dims(indices.size * width)](flat(var), flat(accum), flat(linear), flat(grad), flat(indices),
                                                     h, chain, head, n, width, err)


# ---- SparseApplyProximalAdagrad --------------------------------------------------------------

@cuda.jit(cache=True)
def proximal_adagrad_rows_kernel(var, accum, grad, idx, h, chain, head, n, width, err):
    """For each distinct row with summed gradient g, h = [0, 1, lr, l1, l2]: a = a + g^2; lr_t = lr / sqrt(a);
    v = w - lr_t g; w = sign(v) / (1 + lr_t l2) * max(|v| - lr_t l1, 0)."""
    if err[0] != 0:
        return
    zero, one, alpha, reg1, reg2 = h[0], h[1], h[2], h[3], h[4]
    for t in range(cuda.grid(1), idx.size * width, cuda.gridsize(1)):
        j, c = t // width, t % width
        if head[j] == 1:
            g = _summed(grad, chain, j, c, width)
            e = _wrap(idx[j], n) * width + c
            a = accum[e] + g * g
            lr_t = alpha / math.sqrt(a)
            prox = var[e] - lr_t * g
            sign = one if prox > zero else (-one if prox < zero else zero)
            var[e] = sign / (one + lr_t * reg2) * max(abs(prox) - lr_t * reg1, zero)
            accum[e] = a


@kernel("SparseApplyProximalAdagrad", "GPU")
def sparse_apply_proximal_adagrad(var, accum, lr, l1, l2, grad, indices, err):
    n, width, h, chain, head = _prepare(var, indices, (lr, l1, l2), err)
    if indices.size and width:
        proximal_adagrad_rows_kernel[dims(indices.size * width)](flat(var), flat(accum), flat(grad), flat(indices),
                                                                 h, chain, head, n, width, err)


_RANGE = "an index is out of range [-var.shape[0], var.shape[0])"
sparse_gather_v2.errors = {1: "For 'SparseGatherV2', an index is out of range [-input_params.shape[0], "
                              "input_params.shape[0])"}
fused_sparse_lazy_adam.errors = {1: f"For 'FusedSparseLazyAdam', {_RANGE}"}
sparse_apply_ftrl.errors = {1: f"For 'SparseApplyFtrl', {_RANGE}"}
sparse_apply_proximal_adagrad.errors = {1: f"For 'SparseApplyProximalAdagrad', {_RANGE}"}

_ROWS = f"{_F32}, {_I32}, {_F32}, int64[::1], {_I32}, int64, int64"
PTX = [(sparse_gather_kernel, f"void({_F32}, {_I32}, {_F32}, int64, int64, {_I32})"),
       (sparse_rows_kernel, f"void({_I32}, int64, int64[::1], {_I32}, {_I32})"),
       (load_scalars_kernel, f"void({_F32}, {_F32}, {_F32}, {_F32}, {_F32}, {_F32}, {_F32})"),
       (lazy_adam_rows_kernel, f"void({_F32}, {_F32}, {_F32}, {_ROWS}, boolean, {_I32})"),
       (ftrl_rows_kernel, f"void({_F32}, {_F32}, {_F32}, {_ROWS}, {_I32})"),
       (proximal_adagrad_rows_kernel, f"void({_F32}, {_F32}, {_ROWS}, {_I32})")]
