"""CPU kernels of the row-sparse ops: the embedding lookup SparseGatherV2 and the row-sparse optimizer
updates (FusedSparseLazyAdam, SparseApplyFtrl, SparseApplyProximalAdagrad); their op definitions,
references and forms are in ops/sparse_ops.py.

Each update kernel first checks every index (anything outside [-rows, rows) raises a ValueError
before memory is touched), then sums the rows of repeated indices (MindSpore's unique-and-sum, in
``sparse_unique_rows``), then updates each distinct row once, in place.
"""

import numpy as np

from ....ops.sparse_ops import lazy_adam_args, sparse_gather_args
from ...base import kernel

# ---- SparseGatherV2 --------------------------------------------------------------------------

@kernel("SparseGatherV2", "CPU", args=sparse_gather_args)
def sparse_gather_v2_kernel(params, indices, out, n, width):
    idx = indices.reshape(indices.size)
    m = idx.size
    for j in range(m):
        if idx[j] < -n or idx[j] >= n:
            raise ValueError("For 'SparseGatherV2', an index is out of range [-input_params.shape[0], "
                             "input_params.shape[0])")
    p2 = params.reshape((n, width))
    o2 = out.reshape((m, width))
    for j in range(m):
        k = idx[j] + n if idx[j] < 0 else idx[j]
        for c in range(width):
            o2[j, c] = p2[k, c]


# ---- the row-sparse updates --------------------------------------------------------------------

def sparse_unique_rows(indices, values, n, width):
    # (rows, sums): the distinct row numbers of ``indices`` (negatives wrapped, sorted) and, for each,
    # the float64 sum of the value rows that name it. Indices were range-checked by the caller.
    m = indices.size
    w = np.empty(m, np.int64)
    for j in range(m):
        w[j] = indices[j] + n if indices[j] < 0 else indices[j]
    order = np.argsort(w, kind="mergesort")
    count = 0
    for j in range(m):
        if j == 0 or w[order[j]] != w[order[j - 1]]:
            count += 1
    rows = np.empty(count, np.int64)
    sums = np.zeros((count, width), np.float64)
    v2 = values.reshape((m, width))
    r = -1
    for j in range(m):
        s = order[j]
        if j == 0 or w[s] != w[order[j - 1]]:
            r += 1
            rows[r] = w[s]
        for c in range(width):
            sums[r, c] += v2[s, c]
    return rows, sums


# ---- FusedSparseLazyAdam ---------------------------------------------------------------------

@kernel("FusedSparseLazyAdam", "CPU", helpers=(sparse_unique_rows,), args=lazy_adam_args)
def fused_sparse_lazy_adam_kernel(var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad, indices,
                                  use_nesterov):
    n = var.shape[0]
    for j in range(indices.size):
        if indices[j] < -n or indices[j] >= n:
            raise ValueError("For 'FusedSparseLazyAdam', an index is out of range [-var.shape[0], var.shape[0])")
    width = var.size // n if n > 0 else 0
    rows, g = sparse_unique_rows(indices, grad, n, width)
    b1 = beta1.reshape(beta1.size)[0]
    b2 = beta2.reshape(beta2.size)[0]
    eps = epsilon.reshape(epsilon.size)[0]
    b1p = beta1_power.reshape(beta1_power.size)[0]
    b2p = beta2_power.reshape(beta2_power.size)[0]
    lr_t = lr.reshape(lr.size)[0] * np.sqrt(1.0 - b2p) / (1.0 - b1p)
    w2 = var.reshape((n, width))
    m2 = m.reshape((n, width))
    v2 = v.reshape((n, width))
    for r in range(rows.size):
        k = rows[r]
        for c in range(width):
            gr = g[r, c]
            mm = b1 * m2[k, c] + (1.0 - b1) * gr
            vv = b2 * v2[k, c] + (1.0 - b2) * gr * gr
            m2[k, c] = mm
            v2[k, c] = vv
            numer = mm * b1 + (1.0 - b1) * gr if use_nesterov else mm
            w2[k, c] = w2[k, c] - lr_t * numer / (np.sqrt(vv) + eps)


# ---- SparseApplyFtrl -------------------------------------------------------------------------

@kernel("SparseApplyFtrl", "CPU", helpers=(sparse_unique_rows,))
def sparse_apply_ftrl_kernel(var, accum, linear, grad, indices, lr, l1, l2, lr_power):
    n = var.shape[0]
    for j in range(indices.size):
        if indices[j] < -n or indices[j] >= n:
            raise ValueError("For 'SparseApplyFtrl', an index is out of range [-var.shape[0], var.shape[0])")
    width = var.size // n if n > 0 else 0
    rows, g = sparse_unique_rows(indices, grad, n, width)
    alpha = lr.reshape(lr.size)[0]
    reg1 = l1.reshape(l1.size)[0]
    reg2 = l2.reshape(l2.size)[0]
    p = lr_power.reshape(lr_power.size)[0]
    w2 = var.reshape((n, width))
    a2 = accum.reshape((n, width))
    u2 = linear.reshape((n, width))
    for r in range(rows.size):
        k = rows[r]
        for c in range(width):
            gr = g[r, c]
            old = np.float64(a2[k, c])
            new = old + gr * gr
            y_new = new ** -p
            u = u2[k, c] + gr - (y_new - old ** -p) / alpha * w2[k, c]
            sign = 1.0 if u > 0 else (-1.0 if u < 0 else 0.0)
            w2[k, c] = (sign * reg1 - u) / (y_new / alpha + 2.0 * reg2) if abs(u) > reg1 else 0.0
            u2[k, c] = u
            a2[k, c] = new


# ---- SparseApplyProximalAdagrad --------------------------------------------------------------

@kernel("SparseApplyProximalAdagrad", "CPU", helpers=(sparse_unique_rows,))
def sparse_apply_proximal_adagrad_kernel(var, accum, lr, l1, l2, grad, indices):
    n = var.shape[0]
    for j in range(indices.size):
        if indices[j] < -n or indices[j] >= n:
            raise ValueError("For 'SparseApplyProximalAdagrad', an index is out of range "
                             "[-var.shape[0], var.shape[0])")
    width = var.size // n if n > 0 else 0
    rows, g = sparse_unique_rows(indices, grad, n, width)
    alpha = lr.reshape(lr.size)[0]
    reg1 = l1.reshape(l1.size)[0]
    reg2 = l2.reshape(l2.size)[0]
    w2 = var.reshape((n, width))
    a2 = accum.reshape((n, width))
    for r in range(rows.size):
        k = rows[r]
        for c in range(width):
            gr = g[r, c]
            a = a2[k, c] + gr * gr
            lr_t = alpha / np.sqrt(a)
            prox = w2[k, c] - lr_t * gr
            sign = 1.0 if prox > 0 else (-1.0 if prox < 0 else 0.0)
            w2[k, c] = sign / (1.0 + lr_t * reg2) * max(abs(prox) - lr_t * reg1, 0.0)
            a2[k, c] = a
